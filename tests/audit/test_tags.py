"""Audit tags come from one enumeration (audit/tags.py): no module writes or queries a tag as a
literal string, every tag has three parts, and every tag a state can build has a member."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import xinyong
from xinyong.audit.tags import AuditTag, case_tag, list_tag, record_tag
from xinyong.cases.service import FLOWS, OUTCOMES

SRC = Path(xinyong.__file__).parent
TAGS = SRC / "audit" / "tags.py"
SHAPE = re.compile(r"^[a-z_-]+:[a-z_-]+:[a-z_-]+$")


def literal_tags(source: str) -> list[tuple[int, str]]:
    """String constants that are, or look like, an audit tag; and `action=` given an f-string."""
    found: list[tuple[int, str]] = []
    values = {tag.value for tag in AuditTag}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in values or SHAPE.match(node.value):
                found.append((node.lineno, node.value))
        elif (
            isinstance(node, ast.keyword)
            and node.arg == "action"
            and isinstance(node.value, ast.JoinedStr)
        ):
            found.append((node.value.lineno, "f-string"))
    return found


def test_no_module_writes_or_queries_a_literal_tag() -> None:
    offences = [
        f"{path.relative_to(SRC)}:{line}: {text}"
        for path in sorted(SRC.rglob("*.py"))
        if path != TAGS
        for line, text in literal_tags(path.read_text(encoding="utf-8"))
    ]
    assert offences == [], "use xinyong.audit.tags.AuditTag:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "source",
    [
        'ctx.log(session, actor=a, action="lists:entry:read")',
        'rows = select(E).where(E.action == "sharing:profile:read")',
        'ctx.log(session, actor=a, action=f"cases:{kind}:{state}")',
    ],
)
def test_the_check_sees_a_literal_tag(source: str) -> None:
    assert literal_tags(source)


def test_every_tag_has_three_parts_and_is_unique() -> None:
    assert all(SHAPE.match(tag.value) for tag in AuditTag)
    assert len({tag.value for tag in AuditTag}) == len(list(AuditTag))


def test_every_state_a_case_can_enter_has_a_tag() -> None:
    for kind, flow in FLOWS.items():
        states = {flow.first} | {t for targets in flow.transitions.values() for t in targets}
        for state in states:
            assert case_tag(kind, state).source == "cases"
    for outcome in OUTCOMES.values():
        assert record_tag(outcome.change).source == "records"
    for kind in ("red", "serious"):
        assert list_tag(kind, exempt=True) and list_tag(kind, exempt=False)
    with pytest.raises(LookupError):
        case_tag("objection", "no-such-state")
