from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class CreditRecord(Base):
    """One item of public credit information about one subject. Records are never deleted:
    a change writes a new version, expiry or revocation changes `state`."""

    __tablename__ = "credit_records"
    __table_args__ = (Index("ix_credit_records_subject_key_category", "subject_key", "category"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))  # one of HLJ 18's ten (catalog.categories)
    nature: Mapped[str] = mapped_column(String(16))  # registration | good | dishonesty
    severity: Mapped[str | None] = mapped_column(String(16))  # minor | general | serious
    title: Mapped[str] = mapped_column(String(300))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    provider: Mapped[str] = mapped_column(String(200))
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
