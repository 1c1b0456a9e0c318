from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class Subject(Base):
    """A credit subject, keyed by its USCC (organisations) or citizen ID number (HLJ 19).
    `subject_key` is the natural partition and shard key of every per-subject table."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    id_type: Mapped[str | None] = mapped_column(String(32))  # natural persons: 身份证, 护照, ...
    name: Mapped[str] = mapped_column(String(200), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    state: Mapped[str] = mapped_column(String(16), default="active")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SubjectLink(Base):
    """A natural person's role in an organisation (HLJ 33): legal representative, principal,
    actual controller, directly responsible person. Ended by `valid_to`, never deleted."""

    __tablename__ = "subject_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_key: Mapped[str] = mapped_column(String(64), index=True)
    person_key: Mapped[str] = mapped_column(String(64), index=True)
    person_name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
