"""Runs: `xinyong evaluation run` from the command line, the monthly step of `xinyong jobs run`
(only when the month has no scheduled run), and results appended, never overwritten."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.cases.helpers import push_penalty
from xinyong.catalog.service import seed_catalog
from xinyong.cli import app
from xinyong.common.roles import SYSTEM
from xinyong.config import get_settings
from xinyong.context import Context
from xinyong.evaluation.models import EvaluationResult, EvaluationRun
from xinyong.flows import run_jobs

runner = CliRunner()


@pytest.fixture
def env(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.setenv("XINYONG_DATABASE_URL", ctx.settings.resolved_database_url())
    monkeypatch.setenv("XINYONG_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("XINYONG_SECRET_KEY", ctx.settings.resolved_secret_key())
    get_settings.cache_clear()
    with ctx.sessions() as session, session.begin():
        seed_catalog(session, ctx, actor=SYSTEM)
    yield ctx
    get_settings.cache_clear()


def test_runs_from_the_command_line_and_monthly(env: Context) -> None:
    record = push_penalty(env, 0)
    result = runner.invoke(app, ["evaluation", "run"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["subjects"] == 1

    first = run_jobs(env)["evaluation"]
    assert first is not None and first["subjects"] == 1
    assert run_jobs(env)["evaluation"] is None  # the month has its run
    with env.sessions() as session:
        runs = session.scalars(select(EvaluationRun).order_by(EvaluationRun.id)).all()
        assert [r.kind for r in runs] == ["full", "full"]
        assert runs[1].monthly == env.today().strftime("%Y-%m")
        kept = session.scalar(
            select(func.count()).where(EvaluationResult.subject_key == record.subject_key)
        )
        assert kept == 2  # each run's result kept
