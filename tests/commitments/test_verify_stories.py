"""Stories of what happens to a commitment after it is accepted (issue 18, cverify): 容缺受理
(HLJ 45 ¶2), the two-month verification (HLJ 46) and a broken promise's record (HLJ 18 (3),
HLJ 45 ¶1) until repaired; told in tests/commitments/stories/verify.yaml, run on a real
database on each backend.

Actions: at, file, incomplete, materials, lapse, decide, verify, rectified, sanction,
eligibility, repair, objection, grant (a case's transitions, comma-separated), show,
verify_repair (the repair's own commitment).
`expect` checks a subset of the step's answer; `refused: CODE` expects a refusal with that code
(and `message_contains`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.commitments.verify_helpers import file_for_test
from tests.conftest import make_settings
from xinyong.cases import service as cases
from xinyong.catalog.service import seed_catalog
from xinyong.commitments import verification as v
from xinyong.commitments.eligibility import eligibility
from xinyong.commitments.models import Commitment
from xinyong.common.clock import PLATFORM_TZ, FixedClock
from xinyong.common.errors import DomainError
from xinyong.common.roles import SYSTEM, Actor, Role
from xinyong.context import Context, build_context
from xinyong.flows import run_jobs
from xinyong.law.rules import load_yaml

STORY_FILE = Path(__file__).parent / "stories" / "verify.yaml"
STAFF = Actor(role=Role.STAFF, user_id=1, username="staff")


def _stories() -> list[Any]:
    return [pytest.param(s, id=s["name"]) for s in load_yaml(STORY_FILE)]


@pytest.fixture
def story_ctx(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Context]:
    context = build_context(make_settings(tmp_path, db_url), clock=clock)
    with context.sessions() as session, session.begin():
        seed_catalog(session, context, actor=SYSTEM)
    yield context
    context.engine.dispose()


def _iso(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(x) for x in value]
    if isinstance(value, dict):
        return {k: _iso(x) for k, x in value.items()}
    return value


class Runner:
    def __init__(self, ctx: Context, clock: FixedClock) -> None:
        self.ctx, self.clock = ctx, clock
        self.names: dict[str, str] = {}

    def _write(self, work: Callable[[Any], Any]) -> Any:
        with self.ctx.sessions() as session, session.begin():
            return work(session)

    def _answer(self, alias: str) -> dict[str, Any]:
        with self.ctx.sessions() as session:
            c = v.get_commitment(session, self.names[alias])
            record = v.breach_record_of(session, c)
            return {
                "fulfilment": c.fulfilment,
                "decided_on": c.decided_on,
                "verify_due_on": c.verify_due_on,
                "materials_due_on": c.materials_due_on,
                "events": [e.kind for e in v.events_of(session, c)],
                "record": None
                if record is None
                else {"state": record.state, "nature": record.nature, "item": record.item_code},
            }

    def at(self, day: dt.date) -> None:
        self.clock.set(dt.datetime.combine(day, dt.time(10), tzinfo=PLATFORM_TZ))

    def file(self, type: str, **alias: str) -> dict[str, Any]:
        self.names[alias["as"]] = file_for_test(self.ctx, commitment_type=type)
        return self._answer(alias["as"])

    def incomplete(self, commitment: str, missing: str) -> dict[str, Any]:
        self._write(
            lambda s: v.accept_incomplete(
                s, self.ctx, actor=STAFF, number=self.names[commitment], missing=missing
            )
        )
        return self._answer(commitment)

    def materials(self, commitment: str) -> dict[str, Any]:
        self._write(
            lambda s: v.receive_materials(s, self.ctx, actor=STAFF, number=self.names[commitment])
        )
        return self._answer(commitment)

    def lapse(self, commitment: str) -> dict[str, Any]:
        """The nightly jobs (`xinyong jobs run`), which lapse overdue missing materials."""
        done = run_jobs(self.ctx)
        return self._answer(commitment) | {"lapsed": done["commitments_lapsed"]}

    def decide(self, commitment: str) -> dict[str, Any]:
        self._write(lambda s: v.decide(s, self.ctx, actor=STAFF, number=self.names[commitment]))
        return self._answer(commitment)

    def verify(self, commitment: str, **args: Any) -> dict[str, Any]:
        self._write(
            lambda s: v.verify(s, self.ctx, actor=STAFF, number=self.names[commitment], **args)
        )
        return self._answer(commitment)

    def rectified(self, commitment: str, result: str) -> dict[str, Any]:
        self._write(
            lambda s: v.rectified(
                s, self.ctx, actor=STAFF, number=self.names[commitment], result=result
            )
        )
        return self._answer(commitment)

    def sanction(self, commitment: str, **args: Any) -> dict[str, Any]:
        self._write(
            lambda s: v.sanction(s, self.ctx, actor=STAFF, number=self.names[commitment], **args)
        )
        return self._answer(commitment)

    def show(self, commitment: str) -> dict[str, Any]:
        return self._answer(commitment)

    def verify_repair(self, case: str, outcome: str) -> dict[str, Any]:
        """Verify the 信用修复型 commitment filed with repair case `case`."""
        alias = case + ".commitment"
        self._write(
            lambda s: v.verify(s, self.ctx, actor=STAFF, number=self.names[alias], outcome=outcome)
        )
        return self._answer(alias)

    def eligibility(self, commitment: str) -> dict[str, Any]:
        with self.ctx.sessions() as session:
            key = v.get_commitment(session, self.names[commitment]).subject_key
            answer = eligibility(session, self.ctx.rules, key, self.ctx.today())
            return {
                "eligible": answer.eligible,
                "reasons": [code for code, _, _ in answer.reasons],
                "citations": [c.label() for c in answer.citations],
            }

    def repair(self, commitment: str, **alias: str) -> dict[str, Any]:
        def work(session: Any) -> dict[str, Any]:
            c = v.get_commitment(session, self.names[commitment])
            record = v.breach_record_of(session, c)
            assert record is not None
            owner = Actor(role=Role.SUBJECT, user_id=9, username="owner", subject_key=c.subject_key)
            case = cases.file_repair(
                session,
                self.ctx,
                actor=owner,
                record_id=record.id,
                request="已整改完毕并接受处理",
                conditions=["conduct_corrected", "public_commitment"],
                commitment="本单位承诺今后如实承诺、按期履行",
            )
            self.names[alias["as"]] = case.number
            filed = session.query(Commitment).filter_by(case_number=case.number).one()
            self.names[alias["as"] + ".commitment"] = filed.number
            return {
                "case": case.state,
                "commitment": {"type": filed.commitment_type, "publicity": filed.publicity},
            }

        return dict(self._write(work))

    def objection(self, commitment: str, **alias: str) -> dict[str, Any]:
        def work(session: Any) -> dict[str, Any]:
            c = v.get_commitment(session, self.names[commitment])
            record = v.breach_record_of(session, c)
            assert record is not None
            owner = Actor(role=Role.SUBJECT, user_id=9, username="owner", subject_key=c.subject_key)
            case = cases.file_objection(
                session,
                self.ctx,
                actor=owner,
                record_id=record.id,
                request="材料已按期邮寄，受理机关登记有误",
            )
            self.names[alias["as"]] = case.number
            return {"case": case.state}

        return dict(self._write(work))

    def grant(self, case: str, to: str = "approved") -> dict[str, Any]:
        def work(session: Any) -> dict[str, Any]:
            row = cases.get_case(session, self.names[case])
            for state in to.split(","):
                cases.transition(
                    session, self.ctx, actor=STAFF, number=row.number, to=state, reasons="属实"
                )
            return {"state": row.state}

        return dict(self._write(work))


def _subset(expected: Any, got: Any, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{where}: {got!r}"
        for key, value in expected.items():
            assert key in got, f"{where}: no {key} in {got!r}"
            _subset(value, got[key], f"{where}.{key}")
    else:
        assert _iso(expected) == _iso(got), f"{where}: expected {expected!r}, got {got!r}"


@pytest.mark.parametrize("story", _stories())
def test_story(story: dict[str, Any], story_ctx: Context, clock: FixedClock) -> None:
    runner = Runner(story_ctx, clock)
    runner.at(dt.date(2026, 11, 23))
    for n, step in enumerate(story["steps"]):
        expect = dict(step.get("expect") or {})
        ((action, args),) = ((k, x) for k, x in step.items() if k != "expect")
        where = f"step {n + 1} ({action})"
        call = getattr(runner, action)
        refused = expect.pop("refused", None)
        contains = expect.pop("message_contains", None)
        if refused:
            with pytest.raises(DomainError) as caught:
                call(**args) if isinstance(args, dict) else call(args)
            assert caught.value.code == refused, f"{where}: {caught.value.as_dict()}"
            if contains:
                message = caught.value.message
                assert str(_iso(contains)) in message, f"{where}: {message}"
            continue
        answer = call(**args) if isinstance(args, dict) else call(args)
        if expect:
            _subset(expect, answer, where)
