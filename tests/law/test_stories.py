"""Scenario stories (issue 6's "done when"): statutory remedies told step by step in YAML, run
against a real database on each backend. Each file in tests/law/stories/ is a list of stories:

    - name: 一次信用修复同时终止两项惩戒措施
      platform: 230000            # optional; the province by default
      steps:
        - measure: {code: C-1, kind: no_facilitation, list: constraint}
        - push: {index: 200, as: R}        # a 行政处罚 decided index+1 days before today
        - check: {record: R, scenario: procurement}
          expect: {measures: [C-1, P-1]}
        ...

Actions: at (the clock's date), measure, push, list, check, repair, objection, pause,
complaint, import_calendar, clocks, decide, entry, view. `expect` checks the step's answer;
`refused: CODE` expects the step to be refused with that code (and `message_contains`). Dates
compare as ISO dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.cases.helpers import STAFF, list_serious, owner, publish_measure, push_penalty
from tests.conftest import make_settings
from xinyong.cases import service as cases
from xinyong.catalog.service import seed_catalog
from xinyong.common.clock import PLATFORM_TZ, FixedClock
from xinyong.common.errors import DomainError
from xinyong.common.roles import ANONYMOUS, SYSTEM, Actor, Role
from xinyong.context import Context, build_context
from xinyong.deadlines.service import clocks_of, import_calendar_notice, pause_clock
from xinyong.law.rules import load_yaml
from xinyong.law.workdays import Pause
from xinyong.lists import recognition
from xinyong.lists.check import run_check
from xinyong.records.models import CreditRecord
from xinyong.sharing.service import profile
from xinyong.visibility.engine import Viewer

STORIES = Path(__file__).parent / "stories"
FIXTURES = Path(__file__).parent.parent / "fixtures"
AGENCY = Actor(role=Role.AGENCY, user_id=2, username="agency")


def _stories() -> list[Any]:
    found = []
    for path in sorted(STORIES.glob("*.yaml")):
        for story in load_yaml(path):
            found.append(pytest.param(story, id=f"{path.stem}: {story['name']}"))
    return found


@pytest.fixture
def story_ctx(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path, clock: FixedClock
) -> Iterator[Context]:
    story = request.node.callspec.params["story"]
    settings = make_settings(tmp_path, db_url, platform=str(story.get("platform", "230000")))
    context = build_context(settings, clock=clock)
    with context.sessions() as session, session.begin():
        seed_catalog(session, context, actor=SYSTEM)
    yield context
    context.engine.dispose()


def _iso(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    return value


@dataclass
class Story:
    ctx: Context
    clock: FixedClock
    records: dict[str, CreditRecord] = field(default_factory=dict)
    entries: dict[str, str] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)

    # each action returns the answer its `expect` is checked against

    def at(self, day: dt.date) -> None:
        self.clock.set(dt.datetime.combine(day, dt.time(10, 0), tzinfo=PLATFORM_TZ))

    def measure(self, code: str, kind: str, list: str) -> None:
        publish_measure(self.ctx, code, kind, list)

    def push(self, index: int, **alias: str) -> dict[str, Any]:
        record = self.records[alias["as"]] = push_penalty(self.ctx, index)
        return {"decided_on": record.decided_on}

    def list(self, record: str, **alias: str) -> None:
        found = self.records[record]
        decided = found.decided_on or self.ctx.today()
        self.entries[alias["as"]] = list_serious(self.ctx, found, decided_on=decided)

    def check(self, record: str, scenario: str) -> dict[str, Any]:
        with self.ctx.sessions() as session:
            answer = run_check(
                session,
                self.ctx,
                actor=AGENCY,
                scenario=scenario,
                subject_keys=[self.records[record].subject_key],
            ).results[0]
        return {"measures": sorted(r["measure"] for r in answer["restrictions"])}

    def _case(self, alias: str, filed: Callable[[Any], Any]) -> dict[str, Any]:
        with self.ctx.sessions() as session, session.begin():
            case = filed(session)
            self.cases[alias] = case.number
            return self._described(session, case.number)

    def _described(self, session: Any, number: str) -> dict[str, Any]:
        described = cases.describe(session, self.ctx, cases.get_case(session, number))
        return {
            "state": described["state"],
            "clocks": {c["rule"]: c for c in described["clocks"]},
            "notices": sorted(n["kind"] for n in described["notices"]),
        }

    def repair(
        self,
        record: str,
        conditions: list[str],
        commitment: str = "",
        entry: str | None = None,
        **alias: str,
    ) -> dict[str, Any]:
        found = self.records[record]
        return self._case(
            alias.get("as", "_"),
            lambda session: cases.file_repair(
                session,
                self.ctx,
                actor=owner(found),
                record_id=found.id,
                request="已整改",
                conditions=conditions,
                commitment=commitment,
                entry_number=self.entries[entry] if entry else None,
            ),
        )

    def objection(self, record: str, request: str, **alias: str) -> dict[str, Any]:
        found = self.records[record]
        return self._case(
            alias["as"],
            lambda session: cases.file_objection(
                session, self.ctx, actor=owner(found), record_id=found.id, request=request
            ),
        )

    def pause(self, case: str, rule: str, start: dt.date, end: dt.date, reason: str) -> Any:
        with self.ctx.sessions() as session, session.begin():
            row = next(
                r for r in clocks_of(session, "case", self.cases[case]) if r.rule_key == rule
            )
            pause_clock(session, self.ctx, actor=STAFF, row=row, pause=Pause(start, end, reason))
            return self._described(session, self.cases[case])["clocks"]

    def complaint(self, subject: str, request: str, **alias: str) -> dict[str, Any]:
        citizen = Actor(role=Role.SUBJECT, username="citizen", subject_key=subject)
        return self._case(
            alias["as"],
            lambda session: cases.file_complaint(session, self.ctx, actor=citizen, request=request),
        )

    def import_calendar(self, file: str) -> None:
        with self.ctx.sessions() as session, session.begin():
            import_calendar_notice(session, self.ctx, actor=SYSTEM, path=FIXTURES / file)

    def clocks(self, case: str) -> dict[str, Any]:
        with self.ctx.sessions() as session:
            return self._described(session, self.cases[case])["clocks"]

    def decide(self, case: str, to: str, reasons: str | None = None) -> dict[str, Any]:
        with self.ctx.sessions() as session, session.begin():
            cases.transition(
                session, self.ctx, actor=STAFF, number=self.cases[case], to=to, reasons=reasons
            )
        with self.ctx.sessions() as session:
            return self._described(session, self.cases[case])

    def entry(self, entry: str) -> dict[str, Any]:
        with self.ctx.sessions() as session:
            found = recognition.get_entry(session, self.entries[entry])
            return {"state": found.state, "removal_reason": found.removal_reason}

    def view(self, record: str, by: str) -> dict[str, Any]:
        found = self.records[record]
        actor = ANONYMOUS if by == "public" else owner(found)
        shown = profile(self.ctx, viewer=Viewer(actor=actor), subject_key=found.subject_key)
        return {
            "records": len(shown.records),
            "states": [v.state for v in shown.records],
            "archived": [v.decision.archived for v in shown.records],
            "repair_from": [v.repair_from for v in shown.records],
            "publicity_ends_on": [v.publicity_ends_on for v in shown.records],
        }


ACTIONS = {
    "at",
    "measure",
    "push",
    "list",
    "check",
    "repair",
    "complaint",
    "objection",
    "pause",
    "import_calendar",
    "clocks",
    "decide",
    "entry",
    "view",
}


def _subset(expected: Any, got: Any, where: str) -> None:
    """Every expected key is in the answer with the expected value (nested dicts by subset)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{where}: expected a mapping, got {got!r}"
        for key, value in expected.items():
            assert key in got, f"{where}: no {key!r} in {sorted(got)}"
            _subset(value, got[key], f"{where}.{key}")
    else:
        assert _iso(expected) == _iso(got), f"{where}: expected {expected!r}, got {got!r}"


@pytest.mark.parametrize("story", _stories())
def test_story(story: dict[str, Any], story_ctx: Context, clock: FixedClock) -> None:
    teller = Story(story_ctx, clock)
    for number, step in enumerate(story["steps"], start=1):
        expect = step.get("expect", {})
        (action,) = set(step) - {"expect"}
        assert action in ACTIONS, f"step {number}: unknown action {action!r}"
        where = f"step {number} ({action})"
        args = step[action]
        call = getattr(teller, action)
        refused = expect.get("refused")
        if refused:
            with pytest.raises(DomainError) as caught:
                call(**args) if isinstance(args, dict) else call(args)
            assert caught.value.code == refused, f"{where}: {caught.value.code}"
            if "message_contains" in expect:
                assert expect["message_contains"] in caught.value.message, where
            continue
        answer = call(**args) if isinstance(args, dict) else call(args)
        if expect:
            _subset(expect, answer, where)
