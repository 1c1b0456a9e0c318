"""The supervision class of a subject (HLJ 48): 信用较好、风险较低 / 信用风险一般 /
违法失信、风险较高, the three classes and their wording from the pack key `supervision.grades`.

HLJ 48 asks agencies to combine the comprehensive evaluation (公共信用综合评价) with industry
evaluations (行业信用评价). What the platform can read today: the serious-dishonesty list (→ high
risk) and the red list (→ low risk). Every other source of a grade — the comprehensive grade
A–D, industry grades pushed as catalog items — joins by registering a function in
`GRADE_SOURCES`; no such catalog item exists yet, so none is read here. Each source says a class
for the subjects it knows; a subject's class is the most cautious class any source says (high
risk over ordinary over low risk), and ordinary when no source speaks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from xinyong.common.errors import Citation
from xinyong.context import Context
from xinyong.lists.models import ListEntry

HLJ48 = Citation("黑龙江省社会信用条例", 48)
HIGH, ORDINARY, LOW = "high_risk", "ordinary", "low_risk"
#: the order of caution, and the order a draw takes the classes in
ORDER = (HIGH, ORDINARY, LOW)


@dataclass(frozen=True)
class Said:
    """A source's word on one subject: its class and why (shown to the agency)."""

    supervision_class: str
    reason: str


GradeSource = Callable[[Session, Context, Sequence[str], dt.date], Mapping[str, Said]]

#: Sources of a grade beyond the lists, in the order they are asked: the comprehensive
#: evaluation and industry evaluations register here (`GRADE_SOURCES.append(fn)`).
GRADE_SOURCES: list[GradeSource] = []

_LIST_CLASS = {
    "serious": Said(HIGH, "列入严重失信主体名单"),
    "red": Said(LOW, "列入守信激励对象名单"),
}


def grades(ctx: Context, on: dt.date) -> dict[str, str]:
    """The classes and their wording in force on `on` (HLJ 48, `supervision.grades`)."""
    return {g["code"]: g["name"] for g in ctx.rules.get("supervision.grades", on).value}


def from_lists(
    session: Session, ctx: Context, subject_keys: Sequence[str], on: dt.date
) -> dict[str, Said]:
    said: dict[str, Said] = {}
    for chunk in _chunks(subject_keys, 500):
        rows = session.execute(
            select(ListEntry.subject_key, ListEntry.list_kind).where(
                ListEntry.subject_key.in_(chunk),
                ListEntry.state == "active",
                ListEntry.valid_until >= on,
                or_(ListEntry.valid_from.is_(None), ListEntry.valid_from <= on),
            )
        )
        for key, kind in rows:
            word = _LIST_CLASS.get(kind)
            if word is not None:
                said[key] = _cautious(said.get(key), word)
    return said


def classify_explained(
    session: Session, ctx: Context, subject_keys: Sequence[str], on: dt.date
) -> dict[str, Said]:
    """Each subject's class and the reason for it."""
    known = grades(ctx, on)
    found: dict[str, Said] = {}
    for source in (from_lists, *GRADE_SOURCES):
        for key, word in source(session, ctx, subject_keys, on).items():
            if word.supervision_class not in known:
                raise ValueError(f"unknown supervision class {word.supervision_class!r}")
            found[key] = _cautious(found.get(key), word)
    default = Said(ORDINARY, "无分级依据，按信用风险一般")
    return {key: found.get(key, default) for key in subject_keys}


def classify(
    session: Session, ctx: Context, subject_keys: Sequence[str], on: dt.date
) -> dict[str, str]:
    """key → class (`high_risk`, `ordinary`, `low_risk`), as HLJ 48 names them."""
    return {
        key: word.supervision_class
        for key, word in classify_explained(session, ctx, subject_keys, on).items()
    }


def _cautious(old: Said | None, new: Said) -> Said:
    if old is None:
        return new
    if ORDER.index(new.supervision_class) < ORDER.index(old.supervision_class):
        return new
    if new.supervision_class == old.supervision_class and new.reason not in old.reason:
        return Said(old.supervision_class, f"{old.reason}；{new.reason}")
    return old


def _chunks(keys: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]
