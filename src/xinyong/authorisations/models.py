from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, UTCDateTime


class Authorisation(Base):
    """A subject's written (electronic) authorisation for one named party, scope, purpose and term.
    Revocation takes effect at once; rows are never deleted."""

    __tablename__ = "authorisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64), index=True)
    grantee_username: Mapped[str] = mapped_column(String(120), index=True)
    items_json: Mapped[str] = mapped_column(Text)  # catalog item codes in scope
    purpose: Mapped[str] = mapped_column(String(300))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SubjectPreference(Base):
    """A subject's choices about its own information: not publishing good information (HLJ 37)."""

    __tablename__ = "subject_preferences"

    subject_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hide_good_information: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
