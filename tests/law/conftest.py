"""A small pytest plugin: every tests/law/scenarios/*.yaml file is a list of scenarios.

Each scenario has a `name`, one question, and `expect`:
- `rule: KEY` (+ `platform`, `date`) expects `value`, `unit`, `cites` ("黑龙江省社会信用条例 39.2"),
  and optionally `unverified`, `not_applied`;
- `workdays_add: {start, days, pauses}` expects `due` and `provisional`;
- `period_add: {start, amount, unit}` expects `end`;
- `identifier: VALUE` expects `valid` and, when invalid, the first failing `rule`;
- `deadline: {rule, start, pauses}` (+ `platform`): a statutory clock started on `start` as the
  case engine starts it (the rule in force that day, working days, start not counted) expects
  `due`, `provisional` and optionally `amount`;
- `publicity: {severity, decided_on}` expects `max_end`, `min_end` and `public: {DATE: bool}`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xinyong.common.errors import Citation
from xinyong.common.identifiers import check_identifier
from xinyong.law.rules import default_library, load_yaml
from xinyong.law.workdays import Pause, WorkdayCalendar, add_period
from xinyong.visibility.publicity import publicity_window

SCENARIO_KEYS = {
    "name",
    "platform",
    "date",
    "rule",
    "workdays_add",
    "period_add",
    "identifier",
    "deadline",
    "publicity",
    "expect",
}


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        data = load_yaml(self.path)
        if not isinstance(data, list):
            raise pytest.UsageError(f"{self.path}: a scenario file is a list")
        for raw in data:
            unknown = set(raw) - SCENARIO_KEYS
            if unknown or "name" not in raw or "expect" not in raw:
                raise pytest.UsageError(f"{self.path}: bad scenario {raw.get('name')!r} {unknown}")
            yield ScenarioItem.from_parent(self, name=raw["name"], spec=raw)


def _cite(c: Citation) -> str:
    parts = [str(c.article)] if c.article else []
    if c.paragraph:
        parts.append(str(c.paragraph))
    return f"{c.instrument} {'.'.join(parts)}".strip()


class ScenarioItem(pytest.Item):
    def __init__(self, *, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self) -> None:
        spec, expect = self.spec, self.spec["expect"]
        on = spec.get("date", dt.date(2026, 11, 23))
        if "rule" in spec:
            answer = default_library().ruleset(spec.get("platform", "230000")).get(spec["rule"], on)
            if "value" in expect:
                assert answer.value == expect["value"], answer.summary()
            if "unit" in expect:
                assert answer.unit == expect["unit"]
            if "cites" in expect:
                assert sorted(_cite(c) for c in answer.citations) == sorted(expect["cites"])
            if "unverified" in expect:
                assert answer.unverified is expect["unverified"]
            if "not_applied" in expect:
                got = sorted(
                    f"{_cite(x)} = {c.value}"
                    for c in answer.contributions
                    if not c.applied
                    for x in c.citations
                )
                assert got == sorted(expect["not_applied"])
        elif "workdays_add" in spec:
            q = spec["workdays_add"]
            pauses = [Pause(p[0], p[1]) for p in q.get("pauses", [])]
            due = WorkdayCalendar().add_working_days(q["start"], q["days"], pauses)
            assert due.due == expect["due"]
            assert due.provisional is expect.get("provisional", False)
        elif "period_add" in spec:
            q = spec["period_add"]
            assert add_period(q["start"], q["amount"], q["unit"]) == expect["end"]
        elif "deadline" in spec:
            q = spec["deadline"]
            rule = (
                default_library().ruleset(spec.get("platform", "230000")).get(q["rule"], q["start"])
            )
            pauses = [Pause(p[0], p[1]) for p in q.get("pauses", [])]
            due = WorkdayCalendar().add_working_days(q["start"], int(rule.value), pauses)
            assert due.due == expect["due"], (rule.summary(), due)
            assert due.provisional is expect.get("provisional", False)
            if "amount" in expect:
                assert rule.value == expect["amount"]
        elif "publicity" in spec:
            q = spec["publicity"]
            rules = default_library().ruleset(spec.get("platform", "230000"))
            window = publicity_window(rules, q["severity"], q["decided_on"])
            assert window.max_end == expect["max_end"]
            if "min_end" in expect:
                assert window.min_end == expect["min_end"]
            for day, public in expect.get("public", {}).items():
                assert window.public_on(day) is public, day
        elif "identifier" in spec:
            result = check_identifier(str(spec["identifier"]), on)
            assert result.valid is expect["valid"], result.as_dict()
            if "rule" in expect:
                assert result.failures[0].rule == expect["rule"]
        else:
            raise AssertionError("scenario asks nothing")

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"
