"""Shared set-up for benchmarks: a fresh migrated database and a context on it."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from xinyong.cli import alembic_config
from xinyong.config import Settings
from xinyong.context import Context, build_context


def fresh_context() -> tuple[Context, Callable[[], None]]:
    folder = Path(tempfile.mkdtemp(prefix="xinyong-bench-"))
    base = os.environ.get("XINYONG_BENCH_DATABASE_URL")
    if base:
        name = f"xinyong_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(
                text(
                    f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
            )
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{folder / 'bench.db'}"
    command.upgrade(alembic_config(url), "head")
    ctx = build_context(
        Settings(data_dir=folder, database_url=url, secret_key="bench"),
    )

    def cleanup() -> None:
        ctx.engine.dispose()
        if base:
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    return ctx, cleanup


def median_seconds(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)
