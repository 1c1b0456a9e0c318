"""The commitments' tables: the published list of matters that accept a commitment (HRB 17,
versioned), each commitment (承诺书) and what happened to it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class CommitmentMatter(Base):
    """A licensing item, certification matter (证明事项) or other government service that accepts
    a written commitment (HRB 17; HLJ 45): its agency, legal basis, what the commitment replaces
    and, for 容缺受理, the days allowed to complete missing materials (a platform setting per
    matter: the law sets no number). A change writes a new version; versions are never deleted."""

    __tablename__ = "commitment_matters"
    __table_args__ = (
        Index("uq_commitment_matters_version", "code", "version", unique=True),
        Index(
            "uq_commitment_matters_current",
            "code",
            unique=True,
            sqlite_where=text("is_current = 1"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(200))
    #: licensing (行政许可) | certification (证明事项) | service (其他政务服务事项)
    kind: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(200))
    agency_uscc: Mapped[str | None] = mapped_column(String(18))
    legal_basis: Mapped[str] = mapped_column(Text)
    #: what the commitment replaces: materials, a certificate, an approval step
    replaces: Mapped[str] = mapped_column(Text)
    #: 容缺受理: days allowed to hand in the missing materials (None: not accepted incomplete)
    cure_days: Mapped[int | None] = mapped_column(Integer)
    in_force: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(120))
    change_reason: Mapped[str | None] = mapped_column(Text)


class Commitment(Base):
    """One written commitment (承诺书), identified as every subject is. Field names follow the
    national practice's published data set where they fit (承诺编码, 承诺类型, 承诺事由, 承诺内容,
    违诺责任, 承诺作出日期, 承诺有效期, 履行状态, 受理单位), marked unverified in the schema."""

    __tablename__ = "commitments"
    __table_args__ = (
        Index("ix_commitments_subject", "subject_key"),
        Index("ix_commitments_verify_due", "verify_due_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 承诺编码
    subject_key: Mapped[str] = mapped_column(String(64))
    subject_name: Mapped[str] = mapped_column(String(200))
    subject_kind: Mapped[str] = mapped_column(String(32))
    #: approval_substitute 审批替代型 | cure 容缺受理型 | certification 证明事项型 |
    #: repair 信用修复型 | self_regulation 行业自律型 | voluntary 主动型 | service_agency
    commitment_type: Mapped[str] = mapped_column(String(24))
    matter_code: Mapped[str | None] = mapped_column(String(40))
    matter_version: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)  # 承诺事由
    content: Mapped[str] = mapped_column(Text)  # 承诺内容
    liability: Mapped[str] = mapped_column(Text)  # 违诺责任
    made_on: Mapped[dt.date] = mapped_column(Date)  # 承诺作出日期
    valid_until: Mapped[dt.date | None] = mapped_column(Date)  # 承诺有效期
    accepting_agency: Mapped[str | None] = mapped_column(String(200))  # 受理单位
    accepting_agency_uscc: Mapped[str | None] = mapped_column(String(18))
    publicity: Mapped[str] = mapped_column(String(16), default="public")  # public | restricted
    #: pending 待核查 | kept 全部履行 | partly 部分履行 | not_kept 全部未履行 | false 虚假承诺
    fulfilment: Mapped[str] = mapped_column(String(16), default="pending")
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | withdrawn
    #: the licence decided on the commitment (HLJ 46: verification runs from it)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    verify_due_on: Mapped[dt.date | None] = mapped_column(Date)
    #: 容缺受理 (HLJ 45 ¶2): what is missing and by when
    missing_materials: Mapped[str | None] = mapped_column(Text)
    materials_due_on: Mapped[dt.date | None] = mapped_column(Date)
    materials_received_on: Mapped[dt.date | None] = mapped_column(Date)
    #: the repair case a 信用修复型 commitment was filed with
    case_number: Mapped[str | None] = mapped_column(String(40))
    #: the credit record a breach created (HLJ 18 (3)), by its natural key
    breach_record: Mapped[str | None] = mapped_column(String(400))
    filed_via: Mapped[str] = mapped_column(String(16))  # api | page | subject | repair
    filed_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CommitmentEvent(Base):
    """What happened to a commitment, in order: filed, materials received, licence decided,
    verified (kept, not kept, false), rectification ordered with its deadline, rectified,
    licence revoked or penalty, withdrawn."""

    __tablename__ = "commitment_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(BigId, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    happened_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
