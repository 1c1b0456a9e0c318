"""The evaluation model as data: models/<year>.yaml, versioned and dated like the law packs.

Every indicator names its source (an article, or "platform setting", or a secondary source marked
unverified); the loader refuses a model that leaves one out, so no number enters the grade
without saying where it comes from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from xinyong.law.rules import load_yaml

MODELS = Path(__file__).parent / "models"
PLATFORM_NOTE = "平台设定，非法定"


@dataclass(frozen=True)
class Source:
    kind: str  # platform | article | standard | secondary
    note: str
    unverified: bool = False

    @staticmethod
    def of(raw: dict[str, Any]) -> Source:
        kind = str(raw["kind"])
        if kind not in ("platform", "article", "standard", "secondary"):
            raise ValueError(f"unknown source kind {kind!r}")
        unverified = bool(raw.get("unverified", False))
        if kind == "secondary" and not unverified:
            raise ValueError("a secondary source must be marked unverified")
        return Source(kind, str(raw["note"]), unverified)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "note": self.note, "unverified": self.unverified}


@dataclass(frozen=True)
class AgeBand:
    code: str
    up_to_days: int
    factor: float
    name: str


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    description: str
    data: str
    points_per_item: float
    floor: float | None  # the most it can take away (deductions)
    ceiling: float | None  # the most it can add (additions)
    bands: tuple[AgeBand, ...]
    source: Source
    grade_ceiling: str | None = None
    grade_ceiling_source: Source | None = None

    def column(self, band: AgeBand) -> str:
        """The feature column counting this indicator's items in `band`."""
        return f"{self.code}__{band.code}"

    def band_of(self, age_days: int) -> AgeBand | None:
        for band in self.bands:
            if age_days <= band.up_to_days:
                return band
        return None


@dataclass(frozen=True)
class Grade:
    grade: str
    min_score: float
    name: str


@dataclass(frozen=True)
class Model:
    model: str
    version: str
    in_force_from: dt.date
    name: str
    basis: tuple[str, ...]
    base_score: float
    base_score_source: Source
    age_source: Source
    indicators: tuple[Indicator, ...]
    grades: tuple[Grade, ...]  # highest first
    grades_source: Source
    exclusions: tuple[tuple[str, Source], ...]

    def indicator(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)

    def grade_of(self, score: float) -> Grade:
        return next(g for g in self.grades if score >= g.min_score)

    def grade_named(self, letter: str) -> Grade:
        return next(g for g in self.grades if g.grade == letter)

    def feature_columns(self) -> list[str]:
        return [i.column(b) for i in self.indicators for b in i.bands]


def _basis(raw: dict[str, Any]) -> str:
    label = f"《{raw['instrument']}》第{raw['article']}条"
    return label + (f"第{raw['paragraph']}款" if raw.get("paragraph") else "")


def parse(raw: dict[str, Any]) -> Model:
    bands = {
        name: tuple(
            AgeBand(str(b["code"]), int(b["up_to_days"]), float(b["factor"]), str(b["name"]))
            for b in rows
        )
        for name, rows in raw["age_bands"].items()
    }
    indicators = []
    for i in raw["indicators"]:
        if "source" not in i:
            raise ValueError(f"indicator {i['code']} names no source")
        indicators.append(
            Indicator(
                code=str(i["code"]),
                name=str(i["name"]),
                description=str(i["description"]),
                data=str(i["data"]),
                points_per_item=float(i["points_per_item"]),
                floor=float(i["floor"]) if "floor" in i else None,
                ceiling=float(i["ceiling"]) if "ceiling" in i else None,
                bands=bands[str(i["age"])],
                source=Source.of(i["source"]),
                grade_ceiling=i.get("grade_ceiling"),
                grade_ceiling_source=Source.of(i["grade_ceiling_source"])
                if "grade_ceiling_source" in i
                else None,
            )
        )
    grades = tuple(
        sorted(
            (Grade(str(g["grade"]), float(g["min_score"]), str(g["name"])) for g in raw["grades"]),
            key=lambda g: -g.min_score,
        )
    )
    return Model(
        model=str(raw["model"]),
        version=str(raw["version"]),
        in_force_from=raw["in_force_from"],
        name=str(raw["name"]),
        basis=tuple(_basis(b) for b in raw["basis"]),
        base_score=float(raw["base_score"]),
        base_score_source=Source.of(raw["base_score_source"]),
        age_source=Source.of(raw["age_bands_source"]),
        indicators=tuple(indicators),
        grades=grades,
        grades_source=Source.of(raw["grades_source"]),
        exclusions=tuple((str(e["text"]), Source.of(e["source"])) for e in raw["exclusions"]),
    )


@cache
def all_models() -> tuple[Model, ...]:
    """Every model version, oldest first."""
    found = [parse(load_yaml(path)) for path in sorted(MODELS.glob("*.yaml"))]
    return tuple(sorted(found, key=lambda m: m.in_force_from))


def model_on(day: dt.date) -> Model:
    """The model version in force on `day` (the earliest one before any was in force)."""
    models = all_models()
    chosen = models[0]
    for model in models:
        if model.in_force_from <= day:
            chosen = model
    return chosen


def model_version(version: str) -> Model | None:
    return next((m for m in all_models() if m.version == version), None)
