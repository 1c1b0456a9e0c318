from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, UTCDateTime


class CatalogItem(Base):
    """One version of a catalog item (目录项). A change writes a new version; records keep the
    version they were validated against."""

    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(200))
    conduct: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))  # HLJ 18: one of catalog.categories
    nature: Mapped[str] = mapped_column(String(16))  # registration | good | dishonesty
    severity: Mapped[str | None] = mapped_column(String(16))  # minor | general | serious
    sharing: Mapped[str] = mapped_column(String(16))  # unconditional | conditional | none
    opening: Mapped[str] = mapped_column(String(16))  # unconditional | conditional | none
    public_by_law: Mapped[bool] = mapped_column(Boolean)  # 法律、行政法规规定应当公示
    publicity: Mapped[str] = mapped_column(String(16))  # rule | long_term | none
    update_cycle_amount: Mapped[int] = mapped_column(Integer)
    update_cycle_unit: Mapped[str] = mapped_column(String(16))
    data_source: Mapped[str] = mapped_column(String(300))
    providers_json: Mapped[str] = mapped_column(Text)
    roles_json: Mapped[str] = mapped_column(Text)
    fields_json: Mapped[str] = mapped_column(Text)
    unverified: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | retired
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
