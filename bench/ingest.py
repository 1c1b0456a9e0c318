"""Ingestion throughput and memory, against a raw bulk insert of the same rows (same table,
same indexes) measured in the same run: executemany on SQLite, binary COPY on PostgreSQL.

    .venv/bin/python -m bench.ingest [ROWS] [--pg URL]

Generates ROWS (default 1,000,000) 行政处罚 rows as a CSV file, then for each database runs, each
in its own process (so peak memory is its own): the baseline, and `xinyong` ingestion of the file
(validation, identifiers, versioning, subjects, audit). Prints rows/s and peak RSS."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from xinyong.demo.rows import PENALTY_COLUMNS, penalty_row

TODAY = dt.date(2026, 11, 23)
ITEM, PROVIDER = "HLJ-CF-001", "HRB-SCJG"


def make_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=PENALTY_COLUMNS)
        writer.writeheader()
        for i in range(rows):
            writer.writerow(penalty_row(i, TODAY))


def fresh_database(kind: str, pg_base: str | None, folder: Path) -> str:
    from alembic import command

    from xinyong.cli import alembic_config
    from xinyong.db import create_utf8_database

    if kind == "sqlite":
        url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.db'}"
    else:
        assert pg_base
        url = create_utf8_database(pg_base, f"xinyong_bench_{uuid.uuid4().hex[:8]}")
    command.upgrade(alembic_config(url), "head")
    return url


def context(url: str, folder: Path):  # type: ignore[no-untyped-def]
    from xinyong.common.clock import FixedClock
    from xinyong.config import Settings
    from xinyong.context import build_context

    return build_context(
        Settings(data_dir=folder, database_url=url, secret_key="bench"), clock=FixedClock(TODAY)
    )


def phase_ingest(url: str, csv_path: Path, folder: Path) -> dict[str, float]:
    from xinyong.catalog.service import seed_catalog
    from xinyong.common.roles import SYSTEM
    from xinyong.flows import AFTER_PUSH
    from xinyong.ingest.service import ingest_file

    ctx = context(url, folder)
    with ctx.sessions() as session, session.begin():
        seed_catalog(session, ctx, actor=SYSTEM)
    began = time.perf_counter()
    receipt = ingest_file(
        ctx,
        actor=SYSTEM,
        provider_code=PROVIDER,
        item_code=ITEM,
        path=csv_path,
        kind="csv",
        after=AFTER_PUSH,
    )
    took = time.perf_counter() - began
    counts = receipt.counts()
    assert counts["accepted"] == counts["rows"], counts
    return {"seconds": took, "rows": counts["rows"]}


def phase_baseline(url: str, csv_path: Path, folder: Path) -> dict[str, float]:
    """The same rows as ingestion stores them, bulk-inserted with no validation or versioning."""
    import hashlib

    from sqlalchemy import insert

    from xinyong.db import table_of
    from xinyong.records.models import CreditRecord

    ctx = context(url, folder)
    now = ctx.clock.now()
    table = table_of(CreditRecord)
    columns = [c.name for c in table.columns if c.name != "id"]

    def rows():  # type: ignore[no-untyped-def]
        with csv_path.open(encoding="utf-8-sig", newline="") as fh:
            for i, raw in enumerate(csv.DictReader(fh)):
                body = json.dumps(raw, ensure_ascii=False, sort_keys=True)
                decided = dt.date.fromisoformat(raw["处罚决定日期"])
                yield {
                    "subject_key": raw["统一社会信用代码"],
                    "provider_code": PROVIDER,
                    "item_code": ITEM,
                    "item_version": 1,
                    "record_key": raw["处罚决定书文号"],
                    "version": 1,
                    "is_current": True,
                    "category": "administrative",
                    "nature": "dishonesty",
                    "severity": "general",
                    "title": f"行政处罚信息（{raw['处罚决定书文号']}）",
                    "decided_on": decided,
                    "payload_json": body,
                    "payload_hash": hashlib.sha256(body.encode()).hexdigest(),
                    "state": "active",
                    "change": "new",
                    "valid_from": decided,
                    "valid_to": None,
                    "recorded_at": now,
                    "superseded_at": None,
                    "batch_id": 1,
                    "arrival_due_on": None,
                    "late": None,
                    "discovered_on": None,
                    "correction_due_on": None,
                    "correction_on_time": None,
                    "reason": None,
                    "synthetic": False,
                } | {"_i": i}

    began = time.perf_counter()
    count = 0
    if ctx.engine.dialect.name == "postgresql":
        raw_conn = ctx.engine.raw_connection()
        try:
            cursor = raw_conn.cursor()
            with cursor.copy(
                f"COPY credit_records ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:  # type: ignore[attr-defined]
                copy.set_types(
                    [
                        table.c[c]
                        .type.compile(ctx.engine.dialect)
                        .lower()
                        .split("(")[0]
                        .replace("datetime", "timestamptz")
                        for c in columns
                    ]
                )
                for row in rows():
                    copy.write_row([row[c] for c in columns])
                    count += 1
            raw_conn.commit()
        finally:
            raw_conn.close()
    else:
        batch: list[dict[str, object]] = []
        with ctx.engine.begin() as conn:
            for row in rows():
                row.pop("_i")
                batch.append(row)
                if len(batch) == 10_000:
                    conn.execute(insert(table), batch)
                    count += len(batch)
                    batch = []
            if batch:
                conn.execute(insert(table), batch)
                count += len(batch)
    return {"seconds": time.perf_counter() - began, "rows": count}


def child(phase: str, url: str, csv_path: Path, folder: Path) -> None:
    result = (phase_ingest if phase == "ingest" else phase_baseline)(url, csv_path, folder)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the validation worker of a two-stage ingestion is a child process
    result["worker_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def run(phase: str, url: str, csv_path: Path, folder: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--child", phase, url, str(csv_path), str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--pg", default=os.environ.get("XINYONG_BENCH_DATABASE_URL"))
    parser.add_argument("--child", nargs=4)
    args = parser.parse_args()
    if args.child:
        phase, url, csv_path, folder = args.child
        child(phase, url, Path(csv_path), Path(folder))
        return
    folder = Path(tempfile.mkdtemp(prefix="xinyong-ingest-bench-"))
    csv_path = folder / "penalties.csv"
    began = time.perf_counter()
    make_csv(csv_path, args.rows)
    size, took = csv_path.stat().st_size / 1e6, time.perf_counter() - began
    print(f"{args.rows:,} 行政处罚 rows, {size:,.0f} MB CSV, made in {took:.0f} s")
    kinds = ["sqlite"] + (["postgresql"] if args.pg else [])
    for kind in kinds:
        base = run("baseline", fresh_database(kind, args.pg, folder), csv_path, folder)
        ours = run("ingest", fresh_database(kind, args.pg, folder), csv_path, folder)
        b_rate, o_rate = base["rows"] / base["seconds"], ours["rows"] / ours["seconds"]
        label = "binary COPY" if kind == "postgresql" else "executemany"
        print(f"{kind}: baseline ({label}) {b_rate:,.0f} rows/s, peak {base['peak_rss_mb']:.0f} MB")
        peak, worker = ours["peak_rss_mb"], ours["worker_peak_rss_mb"]
        print(
            f"{kind}: xinyong ingest         {o_rate:,.0f} rows/s, peak {peak:.0f} MB"
            f" (+ worker {worker:.0f} MB)  = {o_rate / b_rate:.0%} of baseline"
        )
    if not args.pg:
        print("postgresql: skipped (set XINYONG_BENCH_DATABASE_URL or --pg)")


if __name__ == "__main__":
    main()
