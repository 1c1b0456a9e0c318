"""Cases: one table for every remedy, its transitions, and the notices an outcome sends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime

#: an objection in these states marks its record 异议处理中 wherever it is shown (HLJ 39 ¶2)
OBJECTION_MARKED_STATES = ("marked", "assisting")


class Case(Base):
    """A remedy tracked under its statutory clocks (kept in `statutory_deadlines`)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    subject_key: Mapped[str] = mapped_column(String(64), index=True)
    applicant: Mapped[str] = mapped_column(String(120))
    record_id: Mapped[int | None] = mapped_column(BigId, index=True)  # the credit record concerned
    entry_number: Mapped[str | None] = mapped_column(String(40))  # a list entry concerned
    received_on: Mapped[dt.date] = mapped_column(Date)
    #: online (the subject's own form or the API) or window (a paper application, HLJ 24)
    received_via: Mapped[str] = mapped_column(String(16), default="online", server_default="online")
    request: Mapped[str] = mapped_column(Text)  # the applicant's reasons
    attachments_json: Mapped[str] = mapped_column(Text, default="[]")
    conditions_json: Mapped[str] = mapped_column(Text, default="[]")  # repair: conditions declared
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_reasons: Mapped[str | None] = mapped_column(Text)
    competent_unit: Mapped[str | None] = mapped_column(String(200))  # when redirected
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CaseAttachment(Base):
    """An evidence file of a case, stored under the data folder by its content hash (never by
    the uploader's file name, which is kept only as a label)."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CaseEvent(Base):
    """One transition: who, when, from and to which state, why, under which article."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[str | None] = mapped_column(Text)
    article: Mapped[str | None] = mapped_column(String(400))
    audit_id: Mapped[int | None] = mapped_column(BigId)


class CaseNotice(Base):
    """An outcome sent to a system that received the information (HLJ 39 ¶3: agencies that
    queried it, the upper-level platform), which must act within its own clock; tracked."""

    __tablename__ = "case_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(32))  # agency | platform | subject
    recipient: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    deadline_id: Mapped[int | None] = mapped_column(BigId)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
