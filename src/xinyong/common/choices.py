"""Codes a request may name by their Chinese label (issue 16).

Every code a form or an API body carries (a measure's kind, a link's relation, a pause's reason,
a consent's class, ...) has a Chinese label; people type the label, programs send the code.
`choice(labels)` is a Pydantic `BeforeValidator` that accepts either and hands the code on:

    Relation = Annotated[Key, choice(RELATIONS, aliases={"directly_responsible": ...})]

An unknown value is refused with the allowed labels in the message (422 `request.invalid`,
"应为以下之一：法定代表人、主要负责人、…"), unless `strict=False`: then it passes through
unchanged so the service refuses it itself, citing the article and the date's list.

`labels` (and `aliases`, other text -> code) is a map, or a function returning one (read once,
on first use: the law packs' lists, which the schemas must not load at import)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

Labels = Mapping[str, str] | Callable[[], Mapping[str, str]]


def choice(
    labels: Labels, *, aliases: Labels | None = None, strict: bool = True
) -> BeforeValidator:
    """A validator mapping a label (or an alias: a former code, a common synonym) to its code."""

    @cache
    def tables() -> tuple[dict[str, str], dict[str, str]]:
        codes = dict(labels() if callable(labels) else labels)
        lookup = {label: code for code, label in codes.items()}
        lookup.update((aliases() if callable(aliases) else aliases) or {})
        lookup.update({code: code for code in codes})
        return codes, lookup

    def to_code(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        codes, lookup = tables()
        text = value.strip()
        if text in lookup:
            return lookup[text]
        if not strict:
            return value
        raise PydanticCustomError(
            "literal_error", "应为以下之一：{expected}", {"expected": "、".join(codes.values())}
        )

    return BeforeValidator(to_code)


def label_of(labels: Mapping[str, str], code: str | None) -> str:
    """A code's label for a page; a code no map knows is shown as 其他 (never the code)."""
    if not code:
        return ""
    return labels.get(code, "其他")
