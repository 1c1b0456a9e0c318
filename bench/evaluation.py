"""The comprehensive evaluation (issue 19) at scale: N organisations with 10×N credit records.

Measured in the same run, on the same rows:
- **baseline**: a bare `SELECT subject_key, COUNT(*) FROM credit_records GROUP BY subject_key`,
  every row fetched (median of 3);
- **feature query**: the evaluation's one feature query alone (features.feature_sql), fetched;
- **full run**: `service.run_all` — the feature query, the Arrow scoring in batches of 50,000,
  and one result row per organisation appended (one transaction);
- **re-evaluation**: one subject evaluated at once (`_reevaluate`, what a correction or repair
  triggers), median of 50, each in its own rolled-back transaction.
Peak memory is the process's maximum resident set (ru_maxrss) after each phase.

    PYTHONPATH=src:. .venv/bin/python -m bench.evaluation 100000
    XINYONG_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        PYTHONPATH=src:. .venv/bin/python -m bench.evaluation 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import time
from typing import Any

from sqlalchemy import insert, text

from bench._common import fresh_context, median_seconds
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.roles import SYSTEM
from xinyong.db import table_of
from xinyong.evaluation import features, service
from xinyong.evaluation.model import model_on
from xinyong.records import store
from xinyong.subjects.models import Subject

CHUNK = 50_000
SEVERITIES = ("minor", "general", "general", "serious")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _key(n: int) -> str:
    return f"9123010{n:011d}"  # a stand-in key: the evaluation never checks it


def load(ctx: Any, n: int, today: dt.date) -> None:
    now = dt.datetime.now(dt.UTC)
    subjects = table_of(Subject)
    with ctx.sessions() as session, session.begin():
        for start in range(0, n, CHUNK):
            session.connection().execute(
                insert(subjects),
                [
                    {
                        "subject_key": _key(i),
                        "kind": "legal_person",
                        "name": f"演示企业{i}",
                        "region_code": "230103",
                        "state": "active",
                        "synthetic": True,
                        "created_at": now,
                    }
                    for i in range(start, min(n, start + CHUNK))
                ],
            )
    total = 10 * n
    for start in range(0, total, CHUNK):
        rows = []
        for r in range(start, min(total, start + CHUNK)):
            kind = r % 10  # 6 in 10 dishonesty, 2 good, 2 registration
            nature = "dishonesty" if kind < 6 else "good" if kind < 8 else "registration"
            decided = today - dt.timedelta(days=(r * 7919) % 1500)
            rows.append(
                {
                    "subject_key": _key((r * 7) % n),
                    "provider_code": "BENCH",
                    "item_code": "HLJ-CF-001",
                    "item_version": 1,
                    "record_key": f"R{r}",
                    "version": 1,
                    "is_current": True,
                    "category": "administrative",
                    "nature": nature,
                    "severity": SEVERITIES[r % 4] if nature == "dishonesty" else None,
                    "title": "行政处罚",
                    "decided_on": decided,
                    "payload_json": "{}",
                    "payload_hash": "0" * 64,
                    "state": "active",
                    "change": "new",
                    "valid_from": decided,
                    "valid_to": None,
                    "recorded_at": now,
                    "superseded_at": None,
                    "batch_id": None,
                    "arrival_due_on": None,
                    "late": None,
                    "discovered_on": None,
                    "correction_due_on": None,
                    "correction_on_time": None,
                    "reason": None,
                    "synthetic": True,
                    "origin_platform": None,
                    "origin_version": None,
                }
            )
        with ctx.sessions() as session, session.begin():
            store.append_versions(session, rows)
    with ctx.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))
            connection.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    args = parser.parse_args()
    ctx, cleanup = fresh_context()
    try:
        today = ctx.today()
        backend = ctx.engine.dialect.name
        began = time.perf_counter()
        load(ctx, args.n, today)
        print(
            f"{backend}: {args.n:,} organisations, {10 * args.n:,} records loaded in "
            f"{time.perf_counter() - began:.1f} s"
        )
        print(f"  peak RSS after load: {_peak_mb():.0f} MB")

        def bare() -> int:
            with ctx.engine.connect() as c:
                return len(
                    c.execute(
                        text(
                            "SELECT subject_key, COUNT(*) FROM credit_records GROUP BY subject_key"
                        )
                    ).all()
                )

        def bare_rows() -> int:  # the same GROUP BY, reading the rows (not only the index)
            with ctx.engine.connect() as c:
                sql = "SELECT subject_key, COUNT(*), MAX(decided_on) FROM credit_records"
                return len(c.execute(text(sql + " GROUP BY subject_key")).all())

        baseline = median_seconds(bare)
        read_rows = median_seconds(bare_rows)
        model = model_on(today)
        now = dt.datetime.now(PLATFORM_TZ)

        def feature_query() -> int:
            with ctx.engine.connect() as c:
                sql = features.statement(features.feature_sql(model))
                return len(c.execute(sql, features.parameters(model, today, now)).all())

        query = median_seconds(feature_query)
        print(f"  baseline GROUP BY subject_key: {baseline:.2f} s")
        print(f"  the same, reading each row:    {read_rows:.2f} s")
        print(f"  feature query alone:           {query:.2f} s ({query / baseline:.2f}×)")
        began = time.perf_counter()
        done = service.run_all(ctx, actor=SYSTEM)
        full = time.perf_counter() - began
        print(
            f"  full run ({done['subjects']:,} graded, results written): {full:.2f} s "
            f"= {full / baseline:.2f}× the baseline, {full / read_rows:.2f}× the row-reading one; "
            f"{args.n / full:,.0f} organisations/s"
        )
        print(f"  peak RSS after the run: {_peak_mb():.0f} MB")
        times = []
        for i in range(50):
            key = _key((i * 997) % args.n)
            with ctx.sessions() as session:
                session.begin()
                start = time.perf_counter()
                service._reevaluate(session, key, dt.datetime.now(PLATFORM_TZ), "bench", "bench")
                session.flush()
                times.append(time.perf_counter() - start)
                session.rollback()
        print(
            f"  one subject's re-evaluation: median {statistics.median(times) * 1000:.1f} ms, "
            f"max {max(times) * 1000:.1f} ms (goal < 50 ms)"
        )
    finally:
        cleanup()


if __name__ == "__main__":
    main()
