"""The points' request and response bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from xinyong.common.inputs import Key, Name


class PointLine(BaseModel):
    rule: str
    rule_name: str
    points: int
    source_kind: str
    source: str
    title: str
    decided_on: str | None
    record_source: str
    points_source: str
    unverified: bool


class Period(BaseModel):
    joined_at: str
    left_at: str | None


class MyPointsOut(BaseModel):
    subject_key: str
    joined: bool
    joined_at: str | None
    total: int
    lines: list[PointLine]
    history: list[Period]
    rules_version: int
    setting: str
    citations: list[dict[str, Any]]


class RuleTotal(BaseModel):
    rule: str
    rule_name: str
    points: int


class ScenarioPointsOut(BaseModel):
    subject_key: str
    name: str
    scenario: str
    benefit: str
    provider: str
    min_points: int
    total: int
    qualifies: bool
    by_rule: list[RuleTotal]
    setting: str
    citations: list[dict[str, Any]]


class BenefitIn(BaseModel):
    code: Key
    name: Name
    description: str = Field(min_length=1, max_length=2000)
    provider: Name
    service_area: Key
    min_points: int = Field(ge=0, le=100000)


class BenefitOut(BaseModel):
    code: str
    version: int
    in_force: bool
    name: str
    description: str
    provider: str
    service_area: str
    min_points: int
    setting: str
