"""Graded supervision's tables: an agency's inspection plans (HLJ 48, 49), the pool of inspection
objects of each plan, the agency's inspectors and their conflicts. A plan's published inputs and
its draw are kept as canonical JSON on the plan, so what was published is what is verified."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class InspectionPlan(Base):
    """An inspection plan (抽查计划): matter, area, field, period, class-specific sampling ratios
    (agency settings, in per mille) and the seed commitment published before the draw.

    `state`: draft (pools may change) → published (inputs and seed commitment fixed and public)
    → drawn (seed revealed, result kept) → announced (results published, 一公开)."""

    __tablename__ = "inspection_plans"
    __table_args__ = (Index("ix_inspection_plans_agency", "agency_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    agency_code: Mapped[str] = mapped_column(String(18))
    agency_name: Mapped[str] = mapped_column(String(200))
    matter: Mapped[str] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(String(6))
    field: Mapped[str] = mapped_column(String(32))
    enforcement_field: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    draw_on: Mapped[dt.date] = mapped_column(Date)
    ratio_high: Mapped[int] = mapped_column(Integer)  # per mille
    ratio_ordinary: Mapped[int] = mapped_column(Integer)
    ratio_low: Mapped[int] = mapped_column(Integer)
    inspectors_per_object: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    #: platform: the platform drew the nonce and holds it until the draw; agency: the agency did
    seed_source: Mapped[str | None] = mapped_column(String(16))
    seed_commitment: Mapped[str | None] = mapped_column(String(64))  # SHA-256 hex of the nonce
    seed_held: Mapped[str | None] = mapped_column(String(128))  # platform nonce, secret until drawn
    seed: Mapped[str | None] = mapped_column(String(128))  # revealed at the draw
    inputs_json: Mapped[str | None] = mapped_column(Text)
    inputs_digest: Mapped[str | None] = mapped_column(String(64))
    result_json: Mapped[str | None] = mapped_column(Text)
    result_digest: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class InspectionObject(Base):
    """A subject in a plan's pool of inspection objects, with the public token the draw ranks
    (random, so the published pool names nobody) and, once published, its supervision class."""

    __tablename__ = "inspection_objects"
    __table_args__ = (
        Index("uq_inspection_objects_subject", "plan_id", "subject_key", unique=True),
        Index("uq_inspection_objects_token", "plan_id", "token", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(BigId)
    subject_key: Mapped[str] = mapped_column(String(64))
    subject_name: Mapped[str] = mapped_column(String(200))
    subject_kind: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(String(32))
    supervision_class: Mapped[str | None] = mapped_column(String(16))
    class_source: Mapped[str | None] = mapped_column(String(100))
    added_by: Mapped[str] = mapped_column(String(120))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Inspector(Base):
    """A law-enforcement inspector of an agency (执法检查人员): name, field of law enforcement."""

    __tablename__ = "inspectors"
    __table_args__ = (Index("uq_inspectors_code", "agency_code", "code", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(18))
    code: Mapped[str] = mapped_column(String(40))  # 执法证号 or the agency's own number
    name: Mapped[str] = mapped_column(String(100))
    enforcement_field: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_by: Mapped[str] = mapped_column(String(120))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class InspectorConflict(Base):
    """A subject an inspector must not inspect (回避): kin, former employer, a pending case."""

    __tablename__ = "inspector_conflicts"
    __table_args__ = (Index("uq_inspector_conflicts", "inspector_id", "subject_key", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inspector_id: Mapped[int] = mapped_column(BigId)
    subject_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    registered_by: Mapped[str] = mapped_column(String(120))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
