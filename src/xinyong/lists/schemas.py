"""Request bodies. Elements the law requires are optional here on purpose: the service refuses
their absence itself, in Chinese and citing the article, instead of a generic 422."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class MeasureIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    list_kind: str  # incentive | constraint | punishment
    kind: str
    name: str = Field(min_length=1, max_length=300)
    legal_basis: str | None = None
    scenarios: list[str] = Field(default_factory=list)
    conduct_categories: list[str] = Field(default_factory=list)
    targets: list[str] = Field(default_factory=lambda: ["subject"])
    implementing_agency: str = Field(min_length=1, max_length=200)
    term_amount: int | None = Field(default=None, gt=0)
    term_unit: str | None = None  # month | year | calendar_day


class CriteriaIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    authority: str = Field(min_length=1, max_length=200)
    industry: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1)
    approval: str | None = None
    published_on: dt.date | None = None


class RelatedPerson(BaseModel):
    person_key: str
    person_name: str
    relation: str


class RecognitionIn(BaseModel):
    """A recognition decision (认定决定): the five elements of HLJ 28 ¶2 are required."""

    subject_key: str
    subject_name: str | None = None
    entity_type: str = "market"  # market | state_unit | state_staff | person
    authority: str = Field(min_length=1, max_length=200)
    conduct_category: str | None = None  # serious list: HLJ 29 / HRB 32
    criteria_code: str | None = None  # red list: HLJ 25
    basis_type: str | None = None  # HLJ 27
    basis_document: str | None = None
    reasons: str | None = None
    valid_until: dt.date | None = None  # the term
    removal_conditions: str | None = None
    remedies: str | None = None
    decided_on: dt.date | None = None
    reviewed_by: str | None = None  # the second reviewer (prudent recognition, HLJ 30 ¶3)
    circumstances: list[str] = Field(default_factory=list)  # HLJ 30 ¶2 exemption codes
    related_persons: list[RelatedPerson] = Field(default_factory=list)
    notify: dict[str, str] = Field(default_factory=dict)  # HLJ 32 recipient kind -> name
    measures: list[str] = Field(default_factory=list)  # the measures decided; [] = all linked
    record_id: int | None = None  # the credit record the listing rests on, if on the platform


class RemovalIn(BaseModel):
    reason: str  # term_ended | objection_upheld | repaired | basis_revoked
    note: str = Field(min_length=1)


class EmergencyIn(BaseModel):
    region: str = Field(min_length=2, max_length=6)
    name: str = Field(min_length=1, max_length=200)
    starts_on: dt.date
    ends_on: dt.date


class CheckIn(BaseModel):
    scenario: str
    subjects: list[str] = Field(min_length=1)
    matter: str | None = Field(default=None, max_length=300)
