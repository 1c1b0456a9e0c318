from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class StatutoryDeadline(Base):
    """A statutory clock: due date computed once, from the rule in force on the start day, and
    stored with its citations. Only an official calendar for a provisional year changes it."""

    __tablename__ = "statutory_deadlines"
    __table_args__ = (Index("ix_statutory_deadlines_state_due_on", "state", "due_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(120))
    platform: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(120))
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True)
    started_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    pauses_json: Mapped[str] = mapped_column(Text, default="[]")
    due_on: Mapped[dt.date] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    citations_json: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="running")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recomputed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CalendarNotice(Base):
    """A State Council holiday notice imported for one year. A re-import adds a version."""

    __tablename__ = "calendar_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    document: Mapped[str] = mapped_column(String(200))
    data_json: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(120))
