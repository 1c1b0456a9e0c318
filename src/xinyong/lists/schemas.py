"""Request bodies. Elements the law requires are optional here on purpose: the service refuses
their absence itself, in Chinese and citing the article, instead of a generic 422."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from xinyong.common.inputs import CalendarDate, Key, Line, Name, RowId, Text
from xinyong.config import LIST_MAX_ITEMS


def _keys() -> Any:
    """A list of codes in a request: at most LIST_MAX_ITEMS of them."""
    return Field(default_factory=list, max_length=LIST_MAX_ITEMS)


class MeasureIn(BaseModel):
    code: Line = Field(min_length=1, max_length=64)
    list_kind: Key  # incentive | constraint | punishment
    kind: Key
    name: Line = Field(min_length=1, max_length=300)
    legal_basis: Line | None = Field(default=None, max_length=500)
    scenarios: list[Key] = _keys()
    conduct_categories: list[Key] = _keys()
    targets: list[Key] = Field(default_factory=lambda: ["subject"], max_length=LIST_MAX_ITEMS)
    implementing_agency: Line = Field(min_length=1, max_length=200)
    term_amount: int | None = Field(default=None, gt=0, le=1200)  # a century of months at most
    term_unit: Key | None = None  # month | year | calendar_day


class CriteriaIn(BaseModel):
    code: Line = Field(min_length=1, max_length=64)
    authority: Line = Field(min_length=1, max_length=200)
    industry: Line = Field(min_length=1, max_length=100)
    title: Line = Field(min_length=1, max_length=300)
    text: Text = Field(min_length=1)
    approval: Line | None = Field(default=None, max_length=300)
    published_on: CalendarDate | None = None


class RelatedPerson(BaseModel):
    person_key: Key
    person_name: Name
    relation: Key


class RecognitionIn(BaseModel):
    """A recognition decision (认定决定): the five elements of HLJ 28 ¶2 are required."""

    subject_key: Key
    subject_name: Name | None = None
    entity_type: Key = "market"  # market | state_unit | state_staff | person
    authority: Line = Field(min_length=1, max_length=200)
    conduct_category: Key | None = None  # serious list: HLJ 29 / HRB 32
    criteria_code: Key | None = None  # red list: HLJ 25
    basis_type: Key | None = None  # HLJ 27
    basis_document: Line | None = Field(default=None, max_length=300)
    reasons: Text | None = None
    valid_until: CalendarDate | None = None  # the term
    removal_conditions: Text | None = None
    remedies: Text | None = None
    decided_on: CalendarDate | None = None
    reviewed_by: Name | None = None  # the second reviewer (prudent recognition, HLJ 30 ¶3)
    circumstances: list[Key] = _keys()  # HLJ 30 ¶2 exemption codes
    related_persons: list[RelatedPerson] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)
    notify: dict[Key, Name] = Field(default_factory=dict, max_length=LIST_MAX_ITEMS)  # HLJ 32
    measures: list[Key] = _keys()  # the measures decided; [] = all linked
    record_id: RowId | None = None  # the credit record the listing rests on, if on the platform


class RemovalIn(BaseModel):
    reason: Key  # term_ended | objection_upheld | repaired | basis_revoked
    note: Text = Field(min_length=1)


class EmergencyIn(BaseModel):
    region: Line = Field(min_length=2, max_length=6)
    name: Line = Field(min_length=1, max_length=200)
    starts_on: CalendarDate
    ends_on: CalendarDate


class CheckIn(BaseModel):
    scenario: Key
    subjects: list[Key] = Field(min_length=1)  # how many: lists.check.MAX_SUBJECTS
    matter: Line | None = Field(default=None, max_length=300)


class PublishIn(BaseModel):
    published_on: CalendarDate | None = None


class NoticeIn(BaseModel):
    delivered_on: CalendarDate


class HandlingIn(BaseModel):
    handling: Text
