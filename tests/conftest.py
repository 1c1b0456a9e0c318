"""Shared fixtures. Storage tests run on SQLite and, when XINYONG_TEST_DATABASE_URL is set, on
PostgreSQL too (a fresh UTF-8 database per run, dropped afterwards)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alembic import command
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from xinyong.audit.service import ensure_head
from xinyong.cli import alembic_config
from xinyong.common.clock import PLATFORM_TZ, FixedClock
from xinyong.config import Settings
from xinyong.context import Context, build_context
from xinyong.db import create_utf8_database, drop_database, make_engine
from xinyong.models import Base

# No per-example deadline: timing is for bench/, and a cold cache on a busy CI machine must not
# turn a correct property into a failure.
hypothesis_settings.register_profile("xinyong", deadline=None)
hypothesis_settings.load_profile("xinyong")

PG_ENV = "XINYONG_TEST_DATABASE_URL"
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=PLATFORM_TZ)
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "head")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests skipped: {PG_ENV} is not set (.ci/run sets it)")
    name = f"xinyong_test_{uuid.uuid4().hex[:10]}"
    url = create_utf8_database(base, name)
    command.upgrade(alembic_config(url), "head")
    yield url
    drop_database(base, name)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "xinyong.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_url")
    yield url
    empty_postgresql(url)


def empty_postgresql(url: str) -> None:
    """Leave a session's PostgreSQL test database empty for the next test; the reference data
    written by migrations stays."""
    engine = make_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "gram_positions")
    with engine.begin() as conn:  # (replica: past the audit tables' TRUNCATE triggers)
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    with Session(engine) as session, session.begin():
        ensure_head(session.connection())
    engine.dispose()


def make_settings(tmp_path: Path, url: str, platform: str = "230000") -> Settings:
    return Settings(
        platform=platform,
        data_dir=tmp_path,
        database_url=url,
        secret_key="test-secret-key",
    )


@pytest.fixture
def ctx(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Context]:
    from xinyong.sharing.reads import clear_caches

    clear_caches()  # truncated tables may reuse (item, version) with other content
    context = build_context(make_settings(tmp_path, db_url), clock=clock)
    yield context
    context.engine.dispose()


@contextmanager
def tampering(engine: Engine) -> Iterator[Connection]:
    """A connection that bypasses the append-only triggers, as an attacker with DDL or superuser
    rights could: the audit chain must still expose what it does."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        yield conn


@pytest.fixture
def seeded(ctx: Context) -> Context:
    """A context whose database holds the seed catalog and its provider units."""
    from xinyong.catalog.service import seed_catalog
    from xinyong.common.roles import SYSTEM

    with ctx.sessions() as session, session.begin():
        seed_catalog(session, ctx, actor=SYSTEM)
    return ctx


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` served by a real uvicorn on a loopback port it holds from the start, in a thread;
    yields the base URL once the server accepts connections, and stops it afterwards."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
