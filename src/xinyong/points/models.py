"""The points' tables: each person's membership of the scheme (every join and leave kept), and
the benefits (incentive scenarios) staff publish, versioned."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class PointsMembership(Base):
    """One period in the scheme: joined at `joined_at`, left at `left_at` (None while in it).
    Leaving closes the period; nothing is deleted."""

    __tablename__ = "points_memberships"
    __table_args__ = (Index("ix_points_memberships_subject", "subject_key", "left_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64))
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PointsBenefit(Base):
    """An incentive scenario: what points can bring, from whom (published data staff keep;
    each change a new version)."""

    __tablename__ = "points_benefits"
    __table_args__ = (Index("ix_points_benefits_code", "code", "is_current"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    in_force: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(200))
    service_area: Mapped[str] = mapped_column(String(40))
    min_points: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(120))
