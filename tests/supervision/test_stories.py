"""Scenario stories of issue 19's graded supervision (HLJ 48, 49), told in YAML and run against a
real database on each backend. Each file in tests/supervision/stories/ is a list of stories:

    - name: 严重失信主体按较高比例抽取
      steps:
        - push: {index: 1, as: A}
        - list: {record: A, as: E}
        - inspector: {code: ZF-1, name: 张检查, field: 食品安全}
        - plan: {as: P, ratios: [1.0, 0.0, 0.0]}          # high, ordinary, low
        - objects: {plan: P, from_register: true}
        - publish: {plan: P}
          expect: {classes: {A: high_risk}}
        - at: 2026-11-24
        - draw: {plan: P}
          expect: {drawn: [A]}

The law stories' actions (at, push, list, ...) plus: red (a red-list entry), inspector,
conflict (`inspector`, `record`), plan (`ratios`, `per_object`, `draw_on`, `field`), objects
(`records` or `from_register`), publish (`classes` by alias), draw (`drawn`: aliases, sorted;
`inspectors`: alias → codes), rerun (the draw recomputed from the published seed and inputs,
and `verify`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.cases.helpers import STAFF
from tests.conftest import make_settings
from tests.law.test_stories import ACTIONS as LAW_ACTIONS
from tests.law.test_stories import Story, _subset
from tests.lists.conftest import decision
from xinyong.catalog.service import seed_catalog
from xinyong.common.clock import FixedClock
from xinyong.common.errors import DomainError
from xinyong.common.roles import SYSTEM, Actor, Role
from xinyong.context import Context, build_context
from xinyong.demo.generate import synthetic_uscc
from xinyong.law.rules import load_yaml
from xinyong.lists import criteria, recognition
from xinyong.lists.models import RedListCriteria
from xinyong.lists.schemas import CriteriaIn
from xinyong.providers.service import register_agency
from xinyong.supervision import draw, service
from xinyong.supervision.schemas import ConflictIn, InspectorIn, ObjectsIn, PlanIn

STORIES = Path(__file__).parent / "stories"
AGENCY_CODE = synthetic_uscc(7_000_001, "230100")
AGENCY = Actor(
    role=Role.AGENCY,
    user_id=2,
    username="agency",
    organisation="哈尔滨市市场监督管理局",
    agency_code=AGENCY_CODE,
)


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
        register_agency(
            session,
            context,
            actor=SYSTEM,
            uscc=AGENCY_CODE,
            name="哈尔滨市市场监督管理局",
            region="230100",
        )
    yield context
    context.engine.dispose()


class SupervisionStory(Story):
    plans: dict[str, str]

    def _alias(self, key: str) -> str:
        return next((a for a, r in self.records.items() if r.subject_key == key), key)

    def red(self, record: str) -> dict[str, Any]:
        """The subject of a pushed record on the red list, under published criteria (HLJ 25)."""
        key = self.records[record].subject_key
        with self.ctx.sessions() as session, session.begin():
            if not session.scalar(select(RedListCriteria.id)):
                criteria.define_criteria(
                    session,
                    self.ctx,
                    actor=STAFF,
                    body=CriteriaIn(
                        code="TAX-A",
                        authority="税务局",
                        industry="税务",
                        title="A级纳税人",
                        text="连续三年A级",
                        approval="哈政办〔2026〕3号",
                        published_on=dt.date(2026, 3, 1),
                    ),
                )
            entry = recognition.recognise(
                session,
                self.ctx,
                actor=STAFF,
                list_kind="red",
                body=decision(key, criteria_code="TAX-A"),
            )
            return {"state": entry.state}

    def inspector(self, code: str, name: str, field: str = "食品安全") -> dict[str, Any]:
        body = InspectorIn(code=code, name=name, enforcement_field=field)
        with self.ctx.sessions() as session, session.begin():
            row = service.register_inspector(session, self.ctx, actor=AGENCY, body=body)
            return {"code": row.code}

    def conflict(self, inspector: str, record: str) -> dict[str, Any]:
        body = ConflictIn(subject_key=self.records[record].subject_key, reason="近亲属在该企业任职")
        with self.ctx.sessions() as session, session.begin():
            service.add_conflict(
                session, self.ctx, actor=AGENCY, inspector_code=inspector, body=body
            )
        return {}

    def plan(
        self,
        ratios: list[str],
        field: str = "食品药品",
        per_object: int = 2,
        draw_on: dt.date | None = None,
        area: str = "230100",
        **alias: str,
    ) -> dict[str, Any]:
        today = self.ctx.today()
        body = PlanIn(
            matter="食品经营者监督检查",
            area_code=area,
            field=field,
            enforcement_field="食品安全",
            period_start=today,
            period_end=today + dt.timedelta(days=90),
            draw_on=draw_on or today + dt.timedelta(days=1),
            ratio_high=ratios[0],
            ratio_ordinary=ratios[1],
            ratio_low=ratios[2],
            inspectors_per_object=per_object,
        )
        with self.ctx.sessions() as session, session.begin():
            plan = service.create_plan(session, self.ctx, actor=AGENCY, body=body)
            shown = service.describe_plan(self.ctx, plan)
        self.plans[alias["as"]] = plan.number
        return shown

    def objects(
        self, plan: str, records: list[str] | None = None, from_register: bool = False
    ) -> dict[str, Any]:
        keys = [self.records[r].subject_key for r in records or []]
        body = ObjectsIn(subject_keys=keys, from_register=from_register)
        with self.ctx.sessions() as session, session.begin():
            added = service.add_objects(
                session, self.ctx, actor=AGENCY, number=self.plans[plan], body=body
            )
        return {"added": added}

    def publish(self, plan: str, seed_commitment: str | None = None) -> dict[str, Any]:
        with self.ctx.sessions() as session, session.begin():
            row = service.publish_plan(
                session,
                self.ctx,
                actor=AGENCY,
                number=self.plans[plan],
                seed_commitment=seed_commitment,
            )
            classes = {
                self._alias(o.subject_key): o.supervision_class for o in service.pool(session, row)
            }
            return {"state": row.state, "classes": classes, "seed_source": row.seed_source}

    def _drawn(self, session: Any, number: str) -> dict[str, Any]:
        plan = service.plan_for(session, AGENCY, number)
        by_token = {o.token: o.subject_key for o in service.pool(session, plan)}
        result = json.loads(plan.result_json or '{"objects": []}')["objects"]
        return {
            "state": plan.state,
            "drawn": sorted(self._alias(by_token[o["token"]]) for o in result),
            "inspectors": {
                self._alias(by_token[o["token"]]): sorted(o["inspectors"]) for o in result
            },
        }

    def draw(self, plan: str, seed: str | None = None) -> dict[str, Any]:
        with self.ctx.sessions() as session, session.begin():
            service.run_draw(session, self.ctx, actor=AGENCY, number=self.plans[plan], seed=seed)
        with self.ctx.sessions() as session:
            return self._drawn(session, self.plans[plan])

    def announce(self, plan: str) -> dict[str, Any]:
        with self.ctx.sessions() as session, session.begin():
            return {
                "state": service.announce(
                    session, self.ctx, actor=AGENCY, number=self.plans[plan]
                ).state
            }

    def rerun(self, plan: str) -> dict[str, Any]:
        """The draw recomputed from the published seed and inputs alone: the same list."""
        with self.ctx.sessions() as session:
            row = service.plan_for(session, AGENCY, self.plans[plan])
            stored = self._drawn(session, self.plans[plan])
            assert row.seed is not None and row.inputs_json is not None
            assert draw.digest(row.seed) == row.seed_commitment
            again = draw.run(row.seed, json.loads(row.inputs_json))
            checked = service.verify(row)
        same = draw.canonical(again) == row.result_json
        return {"same_list": same, "verified": checked["verified"], "drawn": stored["drawn"]}


ACTIONS = LAW_ACTIONS | {
    "red",
    "inspector",
    "conflict",
    "plan",
    "objects",
    "publish",
    "draw",
    "announce",
    "rerun",
}


@pytest.mark.parametrize("story", _stories())
def test_story(story: dict[str, Any], story_ctx: Context, clock: FixedClock) -> None:
    teller = SupervisionStory(story_ctx, clock)
    teller.plans = {}
    for number, step in enumerate(story["steps"], start=1):
        expect = dict(step.get("expect", {}))
        (action,) = set(step) - {"expect"}
        assert action in ACTIONS, f"step {number}: unknown action {action!r}"
        where = f"step {number} ({action})"
        args = step[action] or {}
        call = getattr(teller, action)
        refused = expect.get("refused")
        if refused:
            with pytest.raises(DomainError) as caught:
                call(**args) if isinstance(args, dict) else call(args)
            assert caught.value.code == refused, f"{where}: {caught.value.code}"
            continue
        answer = call(**args) if isinstance(args, dict) else call(args)
        if "never_assigned" in expect:  # {inspector: code, to: [aliases]}
            rule = expect.pop("never_assigned")
            for alias in rule["to"]:
                assert rule["inspector"] not in answer["inspectors"][alias], f"{where}: {alias}"
        if expect:
            _subset(expect, answer, where)
