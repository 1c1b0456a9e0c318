from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime

#: How a version came about, and a record's states, as users read them.
CHANGE_LABELS = {"new": "首次归集", "update": "更新", "correction": "更正", "withdrawal": "撤回"}
STATE_LABELS = {"active": "有效", "withdrawn": "已撤回", "repaired": "已完成信用修复"}


class CreditRecord(Base):
    """One version of one item of public credit information about one subject.

    A record is identified by (provider_code, item_code, record_key), the provider's own key.
    Each change writes a new version; the previous one is superseded, never deleted. Two times:
    `valid_from`/`valid_to` when the content held in the world, `recorded_at`/`superseded_at`
    when the platform knew it (bitemporal). `is_current` marks the version in force now."""

    __tablename__ = "credit_records"
    __table_args__ = (
        Index("ix_credit_records_subject_key_category", "subject_key", "category"),
        # at most one current version per record; also the lookup index of ingestion
        Index(
            "ix_credit_records_current",
            "provider_code",
            "item_code",
            "record_key",
            unique=True,
            postgresql_where=text("is_current"),
            sqlite_where=text("is_current = 1"),
        ),
        Index(
            "ix_credit_records_natural_key",
            "provider_code",
            "item_code",
            "record_key",
            "version",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64))
    provider_code: Mapped[str] = mapped_column(String(40))
    item_code: Mapped[str] = mapped_column(String(40))
    item_version: Mapped[int] = mapped_column(Integer)
    record_key: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    category: Mapped[str] = mapped_column(String(32))  # one of HLJ 18's ten (catalog.categories)
    nature: Mapped[str] = mapped_column(String(16))  # registration | good | dishonesty
    severity: Mapped[str | None] = mapped_column(String(16))  # minor | general | serious
    title: Mapped[str] = mapped_column(String(300))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    payload_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | withdrawn
    change: Mapped[str] = mapped_column(
        String(16), default="new"
    )  # new | update | correction | withdrawal
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    batch_id: Mapped[int | None] = mapped_column(BigId)
    arrival_due_on: Mapped[dt.date | None] = mapped_column(Date)  # decided_on + update cycle
    late: Mapped[bool | None] = mapped_column(Boolean)  # first arrival after arrival_due_on
    discovered_on: Mapped[dt.date | None] = mapped_column(Date)  # corrections (HLJ 38)
    correction_due_on: Mapped[dt.date | None] = mapped_column(Date)
    correction_on_time: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A record received from another platform (exchange/): the platform where it was
    #: aggregated, the authority for it, and its version number there. None: aggregated here.
    origin_platform: Mapped[str | None] = mapped_column(String(6))
    origin_version: Mapped[int | None] = mapped_column(Integer)
