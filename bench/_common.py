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

from xinyong.cli import alembic_config
from xinyong.config import Settings
from xinyong.context import Context, build_context
from xinyong.db import create_utf8_database, drop_database


def fresh_context() -> tuple[Context, Callable[[], None]]:
    folder = Path(tempfile.mkdtemp(prefix="xinyong-bench-"))
    base = os.environ.get("XINYONG_BENCH_DATABASE_URL")
    name = f"xinyong_bench_{uuid.uuid4().hex[:8]}"
    url = create_utf8_database(base, name) if base else f"sqlite:///{folder / 'bench.db'}"
    command.upgrade(alembic_config(url), "head")
    ctx = build_context(
        Settings(data_dir=folder, database_url=url, secret_key="bench"),
    )

    def cleanup() -> None:
        ctx.engine.dispose()
        if base:
            drop_database(base, name)

    return ctx, cleanup


def median_seconds(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)
