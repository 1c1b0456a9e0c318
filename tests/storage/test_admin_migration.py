"""Migration 0017_admin on a platform already in use: the users and provider_units it extends
are referenced by other rows (a provider account with an API key), which a SQLite table rebuild
(batch mode) cannot drop; the columns are added in place."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from xinyong.cli import alembic_config
from xinyong.db import make_engine

AT = "'2026-01-01 00:00:00.000000'"


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
