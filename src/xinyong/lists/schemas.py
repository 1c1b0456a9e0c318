"""Request bodies. Elements the law requires are optional here on purpose: the service refuses
their absence itself, in Chinese and citing the article, instead of a generic 422."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, Field

from xinyong.common.choices import choice
from xinyong.common.inputs import CalendarDate, Key, Line, Name, RowId, Text
from xinyong.config import LIST_MAX_ITEMS
from xinyong.law.rules import list_labels
from xinyong.subjects.schemas import Relation

# -- the codes these bodies carry, with their Chinese labels (a form shows the label, a request
# -- may send either; common/choices.py)

MEASURE_LIST_LABELS = {"incentive": "守信激励", "constraint": "失信约束", "punishment": "失信惩戒"}
#: The pack lists bounding a measure's kind, by measure list (HLJ 26, HLJ 31 ¶1, HLJ 31 ¶2).
KIND_RULES = {
    "incentive": ("incentives.kinds",),
    "constraint": ("constraints.kinds",),
    "punishment": ("punishments.national_base_list", "punishments.supplement_kinds"),
}
TARGET_LABELS = {"subject": "被认定主体", "related_person": "关联人员（法定代表人等，第三十三条）"}
TERM_UNIT_LABELS = {"month": "个月", "year": "年", "calendar_day": "日"}
ENTITY_TYPE_LABELS = {
    "market": "市场主体",
    "person": "自然人",
    "state_unit": "国家机关、国有企事业单位",
    "state_staff": "国家机关、国有企事业单位工作人员",
}
REMOVAL_REASON_LABELS = {
    "objection_upheld": "异议成立",
    "repaired": "信用修复",
    "basis_revoked": "认定依据被撤销、变更或者宣告无效",
}


@cache
def measure_kind_labels() -> dict[str, str]:
    """Every measure kind the packs name (a kind's list is checked by the service)."""
    return list_labels(*(key for keys in KIND_RULES.values() for key in keys))


@cache
def _kind_names() -> dict[str, str]:
    """Name -> code in each list apart (two lists share the code `other`)."""
    return {
        name: code
        for keys in KIND_RULES.values()
        for key in keys
        for code, name in list_labels(key).items()
    }


MeasureList = Annotated[Key, choice(MEASURE_LIST_LABELS)]
#: Checked against its own list by the service (cited): a name is mapped, the rest passes.
MeasureKind = Annotated[Key, choice(measure_kind_labels, aliases=_kind_names, strict=False)]
Target = Annotated[Key, choice(TARGET_LABELS)]
TermUnit = Annotated[Key, choice(TERM_UNIT_LABELS, aliases={"月": "month", "天": "calendar_day"})]
EntityType = Annotated[Key, choice(ENTITY_TYPE_LABELS)]
RemovalReason = Annotated[Key, choice(REMOVAL_REASON_LABELS)]
#: Pack-bound on the date: a name is mapped, anything else reaches the service's cited refusal.
ConductCategory = Annotated[
    Key, choice(lambda: list_labels("serious_dishonesty.conduct_categories"), strict=False)
]
BasisType = Annotated[
    Key, choice(lambda: list_labels("serious_dishonesty.recognition_bases"), strict=False)
]
Scenario = Annotated[Key, choice(lambda: list_labels("query.mandatory_scenarios"), strict=False)]


def _keys() -> Any:
    """A list of codes in a request: at most LIST_MAX_ITEMS of them."""
    return Field(default_factory=list, max_length=LIST_MAX_ITEMS)


class MeasureIn(BaseModel):
    code: Line = Field(min_length=1, max_length=64)
    list_kind: MeasureList
    kind: MeasureKind
    name: Line = Field(min_length=1, max_length=300)
    legal_basis: Line | None = Field(default=None, max_length=500)
    scenarios: list[Scenario] = _keys()
    conduct_categories: list[ConductCategory] = _keys()
    targets: list[Target] = Field(default_factory=lambda: ["subject"], max_length=LIST_MAX_ITEMS)
    implementing_agency: Line = Field(min_length=1, max_length=200)
    term_amount: int | None = Field(default=None, gt=0, le=1200)  # a century of months at most
    term_unit: TermUnit | None = None


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
    relation: Relation


class RecognitionIn(BaseModel):
    """A recognition decision (认定决定): the five elements of HLJ 28 ¶2 are required."""

    subject_key: Key
    subject_name: Name | None = None
    entity_type: EntityType = "market"
    authority: Line = Field(min_length=1, max_length=200)
    conduct_category: ConductCategory | None = None  # serious list: HLJ 29 / HRB 32
    criteria_code: Key | None = None  # red list: HLJ 25
    basis_type: BasisType | None = None  # HLJ 27
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
    reason: RemovalReason
    note: Text = Field(min_length=1)


class EmergencyIn(BaseModel):
    region: Line = Field(min_length=2, max_length=6)
    name: Line = Field(min_length=1, max_length=200)
    starts_on: CalendarDate
    ends_on: CalendarDate


class CheckIn(BaseModel):
    scenario: Scenario
    subjects: list[Key] = Field(min_length=1)  # how many: lists.check.MAX_SUBJECTS
    matter: Line | None = Field(default=None, max_length=300)


class PublishIn(BaseModel):
    published_on: CalendarDate | None = None


class NoticeIn(BaseModel):
    delivered_on: CalendarDate


class HandlingIn(BaseModel):
    handling: Text
