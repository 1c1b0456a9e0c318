"""Scenario stories of issue 18 (filing, who may not promise, publicity), told in YAML and run
against a real database on each backend. Each file in tests/commitments/stories/ with stories for
this runner (cverify's verification stories have their own runner) is a list of stories:

    - name: 列入严重失信名单的企业承诺被拒绝，信用修复完成后即可承诺
      steps:
        - matter: {code: XK-001, name: 食品经营许可, cure_days: 10}
        - push: {index: 200, as: R}
        - list: {record: R, as: E}
        - commit: {record: R, type: 审批替代型, matter: XK-001}
          expect: {refused: commitments.ineligible}

The law stories' actions (tests/law/test_stories.py: at, measure, push, list, repair, decide,
entry, view, ...) plus: matter, change_matter, retire_matter (staff keep the list, HRB 17);
commit (an agency files, HLJ 45; `record:` names the subject of a pushed record, or `subject:`
and `name:` any code); commit_own (the subject files its own, HRB 15 ¶2); check (the joint check:
`eligible` and the `grounds` of HLJ 45 ¶1, besides `measures`); published (the public list,
HLJ 50: `numbers` by alias)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.law.test_stories import ACTIONS as LAW_ACTIONS
from tests.law.test_stories import Story, _subset
from xinyong.catalog.service import seed_catalog
from xinyong.commitments import filing, matters
from xinyong.commitments.schemas import CommitmentIn, MatterIn, VoluntaryIn
from xinyong.common.clock import FixedClock
from xinyong.common.errors import DomainError
from xinyong.common.roles import ANONYMOUS, SYSTEM, Actor, Role
from xinyong.context import Context, build_context
from xinyong.law.rules import load_yaml
from xinyong.lists.check import run_check

STORIES = Path(__file__).parent / "stories"
RUNS = ("filing.yaml",)  # the files this runner tells
STAFF = Actor(role=Role.STAFF, user_id=1, username="staff")
AGENCY = Actor(
    role=Role.AGENCY,
    user_id=2,
    username="agency",
    organisation="哈尔滨市市场监督管理局",
    agency_code="11230100MB1234567X",
)


def _stories() -> list[Any]:
    return [
        pytest.param(story, id=f"{name}: {story['name']}")
        for name in RUNS
        for story in load_yaml(STORIES / name)
    ]


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


class CommitmentStory(Story):
    commitments: dict[str, str]

    def _number(self, alias: str) -> str:
        return self.commitments[alias]

    def matter(
        self, code: str, name: str, kind: str = "licensing", cure_days: int | None = None
    ) -> dict[str, Any]:
        body = MatterIn(
            code=code,
            name=name,
            kind=kind,
            agency="哈尔滨市市场监督管理局",
            legal_basis="《中华人民共和国食品安全法》第三十五条（演示）",
            replaces="营业场所证明材料",
            cure_days=cure_days,
        )
        with self.ctx.sessions() as session, session.begin():
            return matters.describe(matters.create(session, self.ctx, actor=STAFF, body=body))

    def change_matter(self, code: str, name: str) -> dict[str, Any]:
        with self.ctx.sessions() as session, session.begin():
            old = matters.describe(matters.current(session, code))  # type: ignore[arg-type]
            body = MatterIn(
                **{k: old[k] for k in ("code", "kind", "agency", "legal_basis", "replaces")},
                name=name,
                cure_days=old["cure_days"],
                reason="更名",
            )
            return matters.describe(
                matters.change(session, self.ctx, actor=STAFF, code=code, body=body)
            )

    def retire_matter(self, code: str, basis: str) -> dict[str, Any]:
        with self.ctx.sessions() as session, session.begin():
            return matters.describe(
                matters.retire(session, self.ctx, actor=STAFF, code=code, basis=basis)
            )

    def commit(
        self,
        type: str,
        record: str | None = None,
        subject: str | None = None,
        name: str = "某公司",
        matter: str | None = None,
        publicity: str = "public",
        **alias: str,
    ) -> dict[str, Any]:
        key = self.records[record].subject_key if record else str(subject)
        body = CommitmentIn(
            subject_key=key,
            subject_name=name,
            commitment_type=type,
            matter_code=matter,
            reason="申请办理许可",
            content="本单位承诺所提供材料真实有效，并符合许可条件",
            liability="如违反承诺，愿承担撤销许可等法律责任",
            publicity=publicity,
        )
        with self.ctx.sessions() as session, session.begin():
            row = filing.file(session, self.ctx, actor=AGENCY, body=body)
            shown = filing.describe(row, AGENCY, filing.matter_names(session, [row]))
        if "as" in alias:
            self.commitments[alias["as"]] = shown["number"]
        return shown

    def commit_own(self, record: str, type: str = "voluntary", **alias: str) -> dict[str, Any]:
        subject = Actor(
            role=Role.SUBJECT, username="owner", subject_key=self.records[record].subject_key
        )
        body = VoluntaryIn(
            commitment_type=type,
            reason="主动公示",
            content="本单位承诺诚信经营，接受社会监督",
            liability="违反承诺愿承担相应责任",
        )
        with self.ctx.sessions() as session, session.begin():
            row = filing.file_own(session, self.ctx, actor=subject, body=body)
            shown = filing.describe(row, subject)
        if "as" in alias:
            self.commitments[alias["as"]] = shown["number"]
        return shown

    def check(self, record: str, scenario: str) -> dict[str, Any]:
        with self.ctx.sessions() as session, session.begin():
            answer = run_check(
                session,
                self.ctx,
                actor=AGENCY,
                scenario=scenario,
                subject_keys=[self.records[record].subject_key],
            ).results[0]
        promise = answer["commitment"]
        return {
            "measures": sorted(r["measure"] for r in answer["restrictions"]),
            "eligible": promise["eligible"],
            "grounds": [g["code"] for g in promise["grounds"]],
        }

    def published(self, q: str | None = None) -> dict[str, Any]:
        names = {number: alias for alias, number in self.commitments.items()}
        with self.ctx.sessions() as session:
            found = filing.published(session, q=q)
            shown = [filing.describe(r, ANONYMOUS) for r in found.rows]
        return {"numbers": [names.get(s["number"], s["number"]) for s in shown]}


ACTIONS = LAW_ACTIONS | {
    "matter",
    "change_matter",
    "retire_matter",
    "commit",
    "commit_own",
    "published",
}


@pytest.mark.parametrize("story", _stories())
def test_story(story: dict[str, Any], story_ctx: Context, clock: FixedClock) -> None:
    teller = CommitmentStory(story_ctx, clock)
    teller.commitments = {}
    for number, step in enumerate(story["steps"], start=1):
        expect = step.get("expect", {})
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
            if "message_contains" in expect:
                assert expect["message_contains"] in caught.value.message, (
                    f"{where}: {caught.value.message}"
                )
            continue
        answer = call(**args) if isinstance(args, dict) else call(args)
        if expect:
            _subset(expect, answer, where)
