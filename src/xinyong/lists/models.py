"""Tables of chapter 4: published measures, red-list criteria, list entries with their written
decisions, the notifications HLJ 32 requires, emergency periods, and stored joint checks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, BigId, UTCDateTime


class Measure(Base):
    """One measure of a published list (HLJ 26, HLJ 31): usable only once published (HLJ 30 ¶4).
    `scenarios` and `conduct_categories` are JSON lists of codes from the law packs; a
    punishment carries its term (HLJ 31 ¶3)."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    list_kind: Mapped[str] = mapped_column(String(16))  # incentive | constraint | punishment
    kind: Mapped[str] = mapped_column(String(64))  # a code of the pack list for list_kind
    name: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(String(500))
    scenarios_json: Mapped[str] = mapped_column(Text)
    conduct_categories_json: Mapped[str] = mapped_column(Text)  # empty: red list measures
    targets_json: Mapped[str] = mapped_column(Text)  # subject | related_person
    implementing_agency: Mapped[str] = mapped_column(String(200))
    term_amount: Mapped[int | None] = mapped_column(Integer)
    term_unit: Mapped[str | None] = mapped_column(String(16))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RedListCriteria(Base):
    """An industry authority's red-list criteria, approved and published (HLJ 25 ¶1)."""

    __tablename__ = "red_list_criteria"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    authority: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    approval: Mapped[str] = mapped_column(String(300))  # 本级人民政府同意的文件
    published_on: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(120))


class ListEntry(Base):
    """A subject on the red list or the serious-dishonesty list, with its written decision.

    `state`: notice_pending (a natural person told before listing, HRB 31 ¶2), active, removed,
    or exempted (HLJ 30 ¶2: a reminder only, never on a list). An entry derived under HLJ 33
    (a listed entity's legal representative, ...) points to its parent entry."""

    __tablename__ = "list_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    list_kind: Mapped[str] = mapped_column(String(16))  # red | serious
    subject_key: Mapped[str] = mapped_column(String(64), index=True)
    subject_name: Mapped[str] = mapped_column(String(200))
    subject_kind: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(
        String(32)
    )  # market | state_unit | state_staff | person
    authority: Mapped[str] = mapped_column(String(200))  # the recognising authority
    conduct_category: Mapped[str | None] = mapped_column(String(64))
    criteria_code: Mapped[str | None] = mapped_column(String(64))
    basis_type: Mapped[str | None] = mapped_column(String(64))
    basis_document: Mapped[str] = mapped_column(String(300))
    reasons: Mapped[str] = mapped_column(Text)
    removal_conditions: Mapped[str] = mapped_column(Text)
    remedies: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[dt.date] = mapped_column(Date)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), index=True)
    recognised_by: Mapped[str] = mapped_column(String(120))
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    emergency_id: Mapped[int | None] = mapped_column(ForeignKey("emergencies.id"))
    notice_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    notice_delivered_on: Mapped[dt.date | None] = mapped_column(Date)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("list_entries.id"), index=True)
    relation: Mapped[str | None] = mapped_column(String(32))
    source_record_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    removal_reason: Mapped[str | None] = mapped_column(String(32))
    removal_note: Mapped[str | None] = mapped_column(Text)
    removal_citation: Mapped[str | None] = mapped_column(String(300))
    citations: Mapped[str] = mapped_column(Text)  # the articles the decision applied
    measure_codes: Mapped[str] = mapped_column(Text, default="[]")  # chosen; [] = all linked
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StateUnitNotice(Base):
    """A notification HLJ 32 ¶2 requires, tracked until the recipient reports its handling."""

    __tablename__ = "state_unit_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("list_entries.id"), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(32))
    recipient_name: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handling: Mapped[str | None] = mapped_column(Text)


class Emergency(Base):
    """An emergency period declared for an area (HLJ 30 ¶3); `region` is a code prefix."""

    __tablename__ = "emergencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    declared_by: Mapped[str] = mapped_column(String(120))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CreditCheck(Base):
    """A joint reward-and-punishment check an agency ran (HLJ 43, 44): who, why, what."""

    __tablename__ = "credit_checks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    asked_by: Mapped[str] = mapped_column(String(120))
    asked_role: Mapped[str] = mapped_column(String(32))
    scenario: Mapped[str] = mapped_column(String(64))
    matter: Mapped[str | None] = mapped_column(String(300))  # the licence, tender, ... concerned
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    on_date: Mapped[dt.date] = mapped_column(Date)
    subjects: Mapped[int] = mapped_column(Integer)
    with_measures: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    audit_id: Mapped[int | None] = mapped_column(BigId)


class CreditCheckResult(Base):
    """One subject's answer within a check (stored for every subject asked about, so the
    subject sees the check in its access log and the agency can show what it was told)."""

    __tablename__ = "credit_check_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("credit_checks.id"), index=True)
    subject_key: Mapped[str] = mapped_column(String(64), index=True)
    incentives: Mapped[int] = mapped_column(Integer)
    restrictions: Mapped[int] = mapped_column(Integer)
    found: Mapped[bool] = mapped_column(Boolean)
    answer_json: Mapped[str] = mapped_column(Text)
