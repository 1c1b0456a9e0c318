from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, UTCDateTime


class Consent(Base):
    """A natural person's recorded consent to collection (HLJ 20): after being told purpose,
    content, method, use, rights and duties; for restricted classes (income, tax amounts, ...)
    written, after being told the adverse consequences, for an agreed use."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    classes_json: Mapped[str] = mapped_column(Text, default="[]")  # restricted classes covered
    purpose: Mapped[str] = mapped_column(String(300))  # 约定用途
    informed: Mapped[bool] = mapped_column(Boolean)  # told purpose, content, method, use, rights
    written: Mapped[bool] = mapped_column(Boolean)
    adverse_consequences_told: Mapped[bool] = mapped_column(Boolean)
    document: Mapped[str] = mapped_column(String(300))  # where the signed consent is kept
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
