"""Scenario stories of issue 19 (the comprehensive evaluation, HLJ 47), told in YAML and run
against a real database on each backend. Each file in tests/evaluation/stories/ is a list of
stories with the law stories' actions (tests/law/test_stories.py: at, push, list, repair, decide,
objection, ...) plus:

    - evaluate: {}                      # a full run as of the clock's day (xinyong evaluation run)
      expect: {subjects: 1}
    - grade: R                          # the latest grade of R's subject and what moved it
      expect: {grade: B, score: 92.0, moved: {penalty_general: [R]}, runs: 1}
    - withdraw: R                       # the provider withdraws R (a correction, HLJ 38)

`moved` names, per indicator, the aliases of the records that moved the grade (every one, no
more); `runs` counts the subject's results (never overwritten)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.law.test_stories import ACTIONS as LAW_ACTIONS
from tests.law.test_stories import Story, _subset
from xinyong.catalog.service import seed_catalog
from xinyong.common.clock import FixedClock
from xinyong.common.errors import DomainError
from xinyong.common.roles import SYSTEM, Actor, Role
from xinyong.context import Context, build_context
from xinyong.evaluation import service
from xinyong.evaluation.models import EvaluationResult
from xinyong.law.rules import load_yaml
from xinyong.records.service import correct

STORIES = Path(__file__).parent / "stories"
PROVIDER = Actor(role=Role.STAFF, user_id=1, username="staff")


def _stories() -> list[Any]:
    return [
        pytest.param(story, id=f"{path.stem}: {story['name']}")
        for path in sorted(STORIES.glob("*.yaml"))
        for story in load_yaml(path)
    ]


@pytest.fixture
def story_ctx(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Context]:
    context = build_context(make_settings(tmp_path, db_url), clock=clock)
    with context.sessions() as session, session.begin():
        seed_catalog(session, context, actor=SYSTEM)
    yield context
    context.engine.dispose()


class EvaluationStory(Story):
    def evaluate(self) -> dict[str, Any]:
        return service.run_all(self.ctx, actor=SYSTEM)

    def grade(self, record: str) -> dict[str, Any]:
        key = self.records[record].subject_key
        aliases = {(r.record_key): alias for alias, r in self.records.items()}
        aliases.update({number: alias for alias, number in self.entries.items()})
        with self.ctx.sessions() as session:
            shown = service.explain(session, key)
            runs = session.scalar(select(func.count()).where(EvaluationResult.subject_key == key))
        return {
            "grade": shown["grade"],
            "score": shown["score"],
            "run_kind": shown["run_kind"],
            "runs": runs,
            "moved": {
                i["code"]: sorted(aliases.get(item["ref"], item["ref"]) for item in i["items"])
                for i in shown["indicators"]
            },
            "points": {i["code"]: i["points"] for i in shown["indicators"]},
        }

    def withdraw(self, record: str) -> dict[str, Any]:
        found = self.records[record]
        new = correct(
            self.ctx,
            actor=PROVIDER,
            provider_code=found.provider_code,
            item_code=found.item_code,
            record_key=found.record_key,
            discovered_on=self.ctx.today(),
            reason="处罚决定已被撤销",
        )
        return {"state": new.state}


ACTIONS = LAW_ACTIONS | {"evaluate", "grade", "withdraw"}


@pytest.mark.parametrize("story", _stories())
def test_story(story: dict[str, Any], story_ctx: Context, clock: FixedClock) -> None:
    teller = EvaluationStory(story_ctx, clock)
    for number, step in enumerate(story["steps"], start=1):
        expect = step.get("expect", {})
        (action,) = set(step) - {"expect"}
        assert action in ACTIONS, f"step {number}: unknown action {action!r}"
        where = f"step {number} ({action})"
        args = step[action]
        call = getattr(teller, action)
        if "refused" in expect:
            with pytest.raises(DomainError) as caught:
                call(**args) if isinstance(args, dict) else call(args)
            assert caught.value.code == expect["refused"], f"{where}: {caught.value.code}"
            continue
        answer = call(**args) if isinstance(args, dict) else call(args)
        if expect:
            _subset(expect, answer, where)
