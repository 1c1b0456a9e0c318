"""The command line, as the README shows it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from tests.conftest import tampering
from xinyong.audit.models import AuditEvent
from xinyong.cli import app
from xinyong.common.roles import SYSTEM
from xinyong.config import get_settings
from xinyong.context import Context

runner = CliRunner()
FIXTURE = Path(__file__).parent.parent / "fixtures" / "calendar-2027-test.yaml"


@pytest.fixture
def env(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    """Point the CLI at the test database."""
    monkeypatch.setenv("XINYONG_DATABASE_URL", ctx.settings.resolved_database_url())
    monkeypatch.setenv("XINYONG_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("XINYONG_SECRET_KEY", ctx.settings.resolved_secret_key())
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


def test_law_show_harbin_objection() -> None:
    result = runner.invoke(
        app, ["law", "show", "objection.decide", "--platform", "harbin", "--on", "2026-11-23"]
    )
    assert result.exit_code == 0, result.output
    assert "3个工作日" in result.output
    assert "《黑龙江省社会信用条例》第三十九条第二款" in result.output
    assert "哈尔滨市社会信用体系建设促进条例" in result.output and "5" in result.output


def test_law_show_unknown_key_fails_clearly() -> None:
    result = runner.invoke(app, ["law", "show", "no.such.rule"])
    assert result.exit_code == 1 and "law.unknown_key" in result.output


def test_law_check() -> None:
    result = runner.invoke(app, ["law", "check"])
    assert result.exit_code == 0 and "规则包校验通过" in result.output


def test_workdays_add_prints_the_adjusted_saturday(env: Context) -> None:
    result = runner.invoke(app, ["workdays", "add", "2026-09-30", "3"])
    assert result.exit_code == 0 and result.output.strip() == "2026-10-10"
    result = runner.invoke(app, ["workdays", "add", "2026-12-30", "3"])
    assert "暂定" in result.output


def test_calendar_import_then_2027_is_official(env: Context) -> None:
    result = runner.invoke(app, ["calendar", "import", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["workdays", "add", "2026-12-31", "3"])
    assert result.output.strip() == "2027-01-08"
    assert "正式" in runner.invoke(app, ["calendar", "show", "2027"]).output


def test_audit_verify_names_the_edited_entry(env: Context) -> None:
    with env.sessions() as session, session.begin():
        for i in range(5):
            env.audit.record(
                session, clock=env.clock, actor=SYSTEM, action="test:entry:write", detail={"i": i}
            )
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "完整" in ok.output
    with tampering(env.engine) as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == 3).values(detail_json='{"i":99}'))
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 2
    assert "第3条被修改" in bad.output


def test_id_check_names_the_failing_rule() -> None:
    result = runner.invoke(app, ["id", "check", "91350100M000100Y44"])
    assert result.exit_code == 1 and "check_character" in result.output
    assert runner.invoke(app, ["id", "check", "91350100M000100Y43"]).exit_code == 0


def test_demo_generate_reports_counts(env: Context) -> None:
    result = runner.invoke(
        app, ["demo", "generate", "--subjects", "40", "--records", "100", "--seed", "9"]
    )
    assert result.exit_code == 0, result.output
    assert "主体40个" in result.output and "记录100条" in result.output
