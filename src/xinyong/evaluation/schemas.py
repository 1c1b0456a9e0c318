"""The answers of the evaluation's routes: a grade and what moved it."""

from __future__ import annotations

from pydantic import BaseModel


class SourceOut(BaseModel):
    kind: str  # platform | article | standard | secondary
    note: str
    unverified: bool


class ItemOut(BaseModel):
    """One record, list entry or commitment that moved the grade."""

    source: str  # record | entry | commitment
    ref: str
    title: str | None
    on: str
    age_band: str
    factor: float
    points: float


class IndicatorOut(BaseModel):
    code: str
    name: str
    points: float
    capped: bool  # the indicator's points reached its floor or ceiling
    source: SourceOut
    items: list[ItemOut]


class CeilingOut(BaseModel):
    indicator: str
    grade: str
    source: SourceOut | None


class BandOut(BaseModel):
    grade: str
    min_score: float
    name: str


class EvaluationOut(BaseModel):
    """A subject's latest grade (HLJ 47 ¶1), its score and, per indicator, the items that moved
    it. Indicators, points and cut-offs are platform settings, not law (`setting_note`)."""

    subject_key: str
    grade: str
    grade_name: str
    score: float
    base_score: float
    run: int
    run_kind: str
    as_of: str
    model: str
    model_name: str
    indicators: list[IndicatorOut]
    ceilings: list[CeilingOut]
    bands: list[BandOut]
    bands_source: SourceOut
    setting_note: str
    basis: str
    audit_id: int | None = None


class RunOut(BaseModel):
    run: int
    model: str
    as_of: str
    subjects: int
