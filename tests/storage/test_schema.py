"""Migrating an empty database to head yields exactly the models' schema, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from xinyong.context import Context
from xinyong.models import Base


def test_migrations_equal_models(ctx: Context) -> None:
    with ctx.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_every_model_table_exists(ctx: Context) -> None:
    from sqlalchemy import inspect

    tables = set(inspect(ctx.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_sqlite_runs_in_wal_mode(ctx: Context) -> None:
    if ctx.engine.dialect.name != "sqlite":
        return
    with ctx.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_postgresql_database_is_utf8_for_chinese_search(ctx: Context) -> None:
    if ctx.engine.dialect.name != "postgresql":
        return
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SHOW server_encoding")).scalar() == "UTF8"
        assert conn.execute(text("SHOW lc_ctype")).scalar() == "C.UTF-8"
