from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, UTCDateTime


class ProviderUnit(Base):
    """A unit that pushes public credit information (HLJ 21). Accounts act for it via
    `users.provider_code`; catalog items name the units allowed to push them."""

    __tablename__ = "provider_units"
    __table_args__ = (Index("ix_provider_units_uscc", "uscc", unique=True),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # province | city | county | township
    region: Mapped[str] = mapped_column(String(6))
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    uscc: Mapped[str | None] = mapped_column(String(18))  # its own USCC, once registered


class Agency(Base):
    """A state organ that queries and checks in the performance of its duties (HLJ 23, 40):
    agency accounts act for one (`users.agency_code`). Keyed by its USCC (GB 32100)."""

    __tablename__ = "agencies"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(6))
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
