"""Migration 0017_admin on a platform already in use: the users and provider_units it extends
are referenced by other rows (a provider account with an API key), which a SQLite table rebuild
(batch mode) cannot drop; the columns are added in place."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from xinyong.cli import alembic_config
from xinyong.db import make_engine

AT = "'2026-01-01 00:00:00.000000'"
SRC = str(Path(__file__).resolve().parents[2] / "src")


def cli(folder: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`xinyong ...` as an operator runs it, on the database at `url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINYONG_")}
    env |= {
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "XINYONG_DATA_DIR": str(folder),
        "XINYONG_DATABASE_URL": url,
    }
    return subprocess.run(
        [sys.executable, "-m", "xinyong.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )


def test_upgrade_keeps_referenced_accounts_and_units(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'xinyong.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0016_links")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO provider_units (code, name, level, region, state, created_at) "
                f"VALUES ('P1', '某局', 'city', '230100', 'active', {AT})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, password_hash, "
                "provider_code, active, synthetic, created_at) "
                f"VALUES (1, 'p', '某局', 'provider', 'x', 'P1', 1, 0, {AT})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO api_keys (user_id, prefix, key_hash, label, created_at) "
                f"VALUES (1, 'xyk_', 'h', '对接', {AT})"
            )
        )
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT username, provider_code, agency_code, must_change_password FROM users")
        ).one()
        assert tuple(row) == ("p", "P1", None, 0)
    engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_downgrade_through_0017_with_accounts_the_console_made(db_url: str, tmp_path: Path) -> None:
    """`xinyong db downgrade` back through 0017_admin on a platform in use: an administrator
    registered a unit (with its USCC) and an agency, made a provider account (temporary password,
    to change at first login) bound to the unit, with an API key, and an agency account bound
    to the agency. The downgrade used to fail on SQLite: rebuilding `users` (batch mode) drops
    a table other rows reference."""
    from tests.conftest import make_settings
    from xinyong.accounts.service import create_account, create_api_key
    from xinyong.common.roles import Actor, Role
    from xinyong.context import build_context
    from xinyong.demo.generate import synthetic_uscc
    from xinyong.providers.service import register_agency, register_unit

    admin = Actor(role=Role.ADMIN, user_id=None, username="admin")
    ctx = build_context(make_settings(tmp_path, db_url))
    with ctx.sessions() as session, session.begin():
        register_unit(
            session,
            ctx,
            actor=admin,
            code="HRB-TEST",
            name="哈尔滨市测试局",
            uscc=synthetic_uscc(8_800_001, "230100"),
            level="city",
            region="230100",
        )
        agency_uscc = synthetic_uscc(8_800_002, "230100")
        register_agency(
            session, ctx, actor=admin, uscc=agency_uscc, name="测试机关", region="230100"
        )
        provider, temporary = create_account(
            session,
            ctx,
            actor=admin,
            username="unit-1",
            role=Role.PROVIDER,
            display_name="测试局对接人",
            provider_code="HRB-TEST",
        )
        assert temporary and provider.must_change_password
        create_api_key(session, ctx, actor=admin, user=provider, label="对接", days=30)
        create_account(
            session,
            ctx,
            actor=admin,
            username="agency-1",
            role=Role.AGENCY,
            display_name="测试机关经办人",
            agency_code=agency_uscc,
        )
    ctx.engine.dispose()

    down = cli(tmp_path, db_url, "db", "downgrade", "0016_links")
    assert down.returncode == 0, down.stderr[-3000:]
    assert "数据库已回退至 0016_links" in down.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT username, provider_code FROM users ORDER BY username"))
        assert [tuple(r) for r in rows] == [("agency-1", None), ("unit-1", "HRB-TEST")]
        assert conn.execute(text("SELECT count(*) FROM api_keys")).scalar() == 1
        columns = {c["name"] for c in inspect(conn).get_columns("users")}
        assert not {"agency_code", "must_change_password", "disabled_at"} & columns
        assert "agencies" not in inspect(conn).get_table_names()
    engine.dispose()

    up = cli(tmp_path, db_url, "db", "upgrade")
    assert up.returncode == 0, up.stderr[-3000:]
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT username, agency_code FROM users ORDER BY username"))
        assert [tuple(r) for r in rows] == [("agency-1", None), ("unit-1", None)]
    engine.dispose()
