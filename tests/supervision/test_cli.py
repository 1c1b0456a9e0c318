"""`xinyong supervision verify-draw NUMBER` against the database: a draw as drawn is verified; a
result altered afterwards is not (exit 1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from tests.conftest import NOW
from tests.supervision.test_stories import AGENCY_CODE, SupervisionStory
from xinyong.catalog.service import seed_catalog
from xinyong.cli import app
from xinyong.common.clock import FixedClock
from xinyong.common.roles import SYSTEM
from xinyong.config import get_settings
from xinyong.context import Context
from xinyong.providers.service import register_agency
from xinyong.supervision.models import InspectionPlan

runner = CliRunner()


@pytest.fixture
def env(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.setenv("XINYONG_DATABASE_URL", ctx.settings.resolved_database_url())
    monkeypatch.setenv("XINYONG_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("XINYONG_SECRET_KEY", ctx.settings.resolved_secret_key())
    get_settings.cache_clear()
    with ctx.sessions() as session, session.begin():
        seed_catalog(session, ctx, actor=SYSTEM)
        register_agency(session, ctx, actor=SYSTEM, uscc=AGENCY_CODE, name="某局", region="230100")
    yield ctx
    get_settings.cache_clear()


def test_verify_draw_by_number(env: Context, clock: FixedClock) -> None:
    story = SupervisionStory(env, clock)
    story.plans = {}
    for n in range(3):
        story.push(60 + n, **{"as": f"R{n}"})
    story.inspector("ZF-1", "张检查")
    story.plan(["1.0", "1.0", "1.0"], per_object=1, **{"as": "P"})
    story.objects("P", from_register=True)
    story.publish("P")
    story.at((NOW + dt.timedelta(days=1)).date())
    story.draw("P")
    number = story.plans["P"]
    ok = runner.invoke(app, ["supervision", "verify-draw", number])
    assert ok.exit_code == 0 and "核验通过" in ok.output, ok.output
    with env.sessions() as session, session.begin():
        session.execute(
            update(InspectionPlan)
            .where(InspectionPlan.number == number)
            .values(result_json='{"objects":[]}')
        )
    bad = runner.invoke(app, ["supervision", "verify-draw", number])
    assert bad.exit_code == 1 and "重算结果与公布结果一致：否" in bad.output, bad.output
    assert runner.invoke(app, ["supervision", "verify-draw", "SJ0"]).exit_code == 1
