"""Issue 4's read paths against bare baselines measured in the same run.

    .venv/bin/python -m bench.profile_search [SUBJECTS] [RECORDS] [--pg URL [--only-pg]] [--http]
        [--keep DIR]

Builds a synthetic population (demo generator), then measures:
- a subject's profile through the visibility engine (with and without its audit entry) against
  the bare indexed SQL lookup of the same rows;
- name search p95 for 2- and 3-character queries;
- PDF report rendering (median);
- with --http and wrk installed: requests/s of the profile endpoint against a bare FastAPI
  JSON endpoint served the same way (uvicorn, 1 worker)."""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text

from bench.ingest import context, fresh_database
from xinyong.catalog.service import seed_catalog
from xinyong.common.roles import ANONYMOUS, SYSTEM
from xinyong.demo.generate import generate
from xinyong.fastpath import held_connection
from xinyong.reports import pdf
from xinyong.reports.service import generate as make_report
from xinyong.search.service import search
from xinyong.sharing.service import prepare_profile, profile
from xinyong.subjects.models import Subject
from xinyong.visibility.engine import Viewer


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def run(
    kind: str, pg: str | None, subjects: int, records: int, http: bool, keep: Path | None
) -> None:
    folder = keep or Path(tempfile.mkdtemp(prefix="xinyong-read-bench-"))
    built = folder / f"{kind}-{subjects}-{records}.url"
    if keep and built.exists():  # built by an earlier run with the same sizes
        url = built.read_text()
        ctx = context(url, folder)
        print(f"{kind}: reusing {subjects:,} subjects / {records:,} records from {folder}")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        url = fresh_database(kind, pg, folder)
        ctx = context(url, folder)
        with ctx.sessions() as session, session.begin():
            seed_catalog(session, ctx, actor=SYSTEM)
        began = time.perf_counter()
        generate(ctx, subjects=subjects, records=records, seed=42)
        took = time.perf_counter() - began
        print(f"{kind}: built {subjects:,} subjects / {records:,} records in {took:.0f} s")
        built.write_text(url)
    with ctx.sessions() as session:
        keys = list(
            session.scalars(
                select(Subject.subject_key).where(Subject.kind == "legal_person").limit(5000)
            )
        )
        names = list(
            session.scalars(select(Subject.name).where(Subject.kind == "legal_person").limit(5000))
        )
    rng = random.Random(1)
    sample = rng.sample(keys, min(300, len(keys)))
    bare, engine_only, full = [], [], []
    lookup = text("SELECT * FROM credit_records WHERE subject_key = :k AND is_current")
    with ctx.engine.connect() as conn:
        for key in sample:  # warm-up: the sampled rows in the page cache for both paths
            conn.execute(lookup, {"k": key}).all()
        for key in sample:
            t = time.perf_counter()
            conn.execute(lookup, {"k": key}).all()
            bare.append(time.perf_counter() - t)
    viewer = Viewer(actor=ANONYMOUS)
    own_connection = []
    for key in sample:  # warm-up, as for the bare lookup: the subjects' pages too
        prepare_profile(ctx, viewer=viewer, subject_key=key)
    for key in sample:  # the profile's read and the engine, without writing its audit entry,
        t = time.perf_counter()  # on the connection kept between requests, as the route has it
        with held_connection(ctx.engine) as conn:
            prepare_profile(ctx, viewer=viewer, subject_key=key, connection=conn)
        engine_only.append(time.perf_counter() - t)
    for key in sample:  # the same taking a connection from the pool for each read
        t = time.perf_counter()
        prepare_profile(ctx, viewer=viewer, subject_key=key)
        own_connection.append(time.perf_counter() - t)
    for key in sample:
        t = time.perf_counter()
        profile(ctx, viewer=viewer, subject_key=key)
        full.append(time.perf_counter() - t)
    print(
        f"{kind}: bare indexed lookup       p50 {pct(bare, 50):.2f} ms  p99 {pct(bare, 99):.2f} ms"
    )
    e50, e99 = pct(engine_only, 50), pct(engine_only, 99)
    print(f"{kind}: engine (no audit write)   p50 {e50:.2f} ms  p99 {e99:.2f} ms", end="")
    print(f"  = {e99 / pct(bare, 99):.1f}x p99")
    o50, o99 = pct(own_connection, 50), pct(own_connection, 99)
    print(f"{kind}: engine, pooled connection p50 {o50:.2f} ms  p99 {o99:.2f} ms", end="")
    print(f"  = {o99 / pct(bare, 99):.1f}x p99")
    print(
        f"{kind}: profile() incl. audit      p50 {pct(full, 50):.2f} ms  p99 {pct(full, 99):.2f} ms"
        f"  = {pct(full, 99) / pct(bare, 99):.1f}x p99"
    )
    for size in (2, 3):
        times = []
        queries = []
        for name in rng.sample(names, min(200, len(names))):
            start = rng.randrange(0, max(1, len(name) - size))
            queries.append(name[start : start + size])
        with ctx.sessions() as session:
            for q in queries:
                t = time.perf_counter()
                search(session, ctx, ANONYMOUS, q)
                times.append(time.perf_counter() - t)
        s50, s95 = pct(times, 50), pct(times, 95)
        print(f"{kind}: name search, {size} chars    p50 {s50:.2f} ms  p95 {s95:.2f} ms")
    report = make_report(ctx, viewer=viewer, subject_key=sample[0])
    renders = []
    for _ in range(15):
        t = time.perf_counter()
        pdf.render(report.content, report.number, report.code, report.digest)
        renders.append(time.perf_counter() - t)
    records_in = sum(len(s["records"]) for s in report.content["sections"])
    median = statistics.median(renders) * 1000
    print(f"{kind}: PDF report ({records_in} records) median {median:.0f} ms")
    if http:
        http_bench(url, folder, sample)


BARE_APP = """
from fastapi import FastAPI
app = FastAPI()
@app.get("/bare")
def bare() -> dict[str, object]:
    return {"status": "ok", "items": [1, 2, 3]}
@app.get("/bare-async")
async def bare_async() -> dict[str, object]:
    return {"status": "ok", "items": [1, 2, 3]}
"""


def _serve(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen([*args, "--port", str(port), "--log-level", "warning"], env=env)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, port


def _wrk(url: str, script: Path | None = None) -> float:
    args = ["wrk", "-t2", "-c32", "-d8s", *(["-s", str(script)] if script else []), url]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    line = next(row for row in out.splitlines() if row.startswith("Requests/sec"))
    return float(line.split()[1])


def http_bench(db_url: str, folder: Path, keys: list[str]) -> None:
    if shutil.which("wrk") is None:
        print("http: skipped (install Debian's wrk)")
        return
    (folder / "bare_app.py").write_text(BARE_APP)
    env = dict(os.environ, PYTHONPATH=str(folder))
    uvicorn = [sys.executable, "-m", "uvicorn", "--workers", "1"]
    bare, port = _serve([*uvicorn, "bare_app:app"], env)
    try:
        bare_rps = _wrk(f"http://127.0.0.1:{port}/bare")
        bare_async_rps = _wrk(f"http://127.0.0.1:{port}/bare-async")
    finally:
        bare.terminate()
        bare.wait()
    env = dict(
        os.environ,
        XINYONG_DATABASE_URL=db_url,
        XINYONG_DATA_DIR=str(folder),
        XINYONG_SECRET_KEY="bench",
    )
    # every request asks for another of the sampled subjects, in turn
    rotate = folder / "rotate_subjects.lua"
    rotate.write_text(
        "local keys = {" + ",".join(f'"{k}"' for k in keys) + "}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        '  return wrk.format("GET", "/api/subjects/" .. keys[(i % #keys) + 1] .. "/records")\n'
        "end\n"
    )
    factory = [*uvicorn, "--factory", "xinyong.web.app:create_app"]
    figures = {}
    variants = (
        ("public answers and views kept (the default)", None),
        ("nothing kept: XINYONG_PUBLIC_ANSWERS_KEPT=0", "0"),
    )
    for label, kept in variants:
        ours, port = _serve(factory, env | ({"XINYONG_PUBLIC_ANSWERS_KEPT": kept} if kept else {}))
        try:
            figures[label] = _wrk(f"http://127.0.0.1:{port}/", rotate)
        finally:
            ours.terminate()
            ours.wait()
    print(f"http: bare FastAPI: def {bare_rps:,.0f} req/s, async def {bare_async_rps:,.0f} req/s")
    for label, rps in figures.items():
        print(
            f"http: profile endpoint ({len(keys)} subjects in turn, {label}) {rps:,.0f} req/s"
            f" = {rps / bare_rps:.0%} of def, {rps / bare_async_rps:.0%} of async def"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("subjects", nargs="?", type=int, default=100_000)
    parser.add_argument("records", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--pg", default=os.environ.get("XINYONG_BENCH_DATABASE_URL"))
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--keep", type=Path, help="build the databases here once and reuse them")
    parser.add_argument("--only-pg", action="store_true", help="skip SQLite (needs --pg)")
    args = parser.parse_args()
    if not args.only_pg:
        run("sqlite", None, args.subjects, args.records, args.http, args.keep)
    if args.pg:
        run("postgresql", args.pg, args.subjects, args.records, args.http, args.keep)


if __name__ == "__main__":
    main()
