"""The joint check in batch (issue 5): subjects checked per second, in process, against the bare
SQL lookups of the same rows measured in the same run.

    .venv/bin/python -m bench.checks [SUBJECTS] [LISTED] [BATCH] [--pg URL]

Builds SUBJECTS (default 1,000,000) organisations and LISTED (default 50,000) serious-dishonesty
entries with Core bulk inserts, publishes two measures, then checks BATCH (default 20,000) random
subjects (listed ones among them in proportion) for the procurement scenario: `run_check`
(lookups, measure matching, per-subject answers, digest, stored results, one audit entry)
against the same IN (...) lookups without anything else."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from bench.ingest import context, fresh_database
from xinyong.common.roles import Actor, Role
from xinyong.db import table_of
from xinyong.demo.generate import synthetic_uscc
from xinyong.lists import measures
from xinyong.lists.check import chunk_size, key_filter, run_check
from xinyong.lists.models import ListEntry
from xinyong.lists.schemas import MeasureIn
from xinyong.subjects.models import Subject

STAFF = Actor(role=Role.STAFF, username="bench-staff")
AGENCY = Actor(role=Role.AGENCY, username="bench-agency")


def build(ctx, subjects: int, listed: int) -> list[str]:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    today = ctx.today()
    keys = [synthetic_uscc(i, "230103") for i in range(subjects)]
    subject_table, entry_table = table_of(Subject), table_of(ListEntry)
    with ctx.engine.begin() as conn:
        for i in range(0, subjects, 50_000):
            conn.execute(
                insert(subject_table),
                [
                    {
                        "subject_key": k,
                        "kind": "legal_person",
                        "name": f"基准测试企业{n}",
                        "region_code": "230103",
                        "state": "active",
                        "synthetic": True,
                        "created_at": now,
                    }
                    for n, k in enumerate(keys[i : i + 50_000], start=i)
                ],
            )
        cites = json.dumps([{"label": "《黑龙江省社会信用条例》第二十九条"}], ensure_ascii=False)
        rows = [
            {
                "number": f"YZB{n:09d}",
                "list_kind": "serious",
                "subject_key": keys[n * (subjects // listed)],
                "subject_name": f"基准测试企业{n}",
                "subject_kind": "legal_person",
                "entity_type": "market",
                "authority": "基准测试部门",
                "conduct_category": "market_order",
                "basis_type": "administrative_penalty",
                "basis_document": f"基准罚〔2026〕{n}号",
                "reasons": "基准",
                "removal_conditions": "期限届满",
                "remedies": "行政复议",
                "decided_on": today,
                "valid_from": today,
                "valid_until": today + dt.timedelta(days=365),
                "state": "active",
                "recognised_by": "bench",
                "citations": cites,
                "measure_codes": "[]",
                "created_at": now,
            }
            for n in range(listed)
        ]
        for i in range(0, listed, 10_000):
            conn.execute(insert(entry_table), rows[i : i + 10_000])
    with ctx.sessions() as session, session.begin():
        for code, kind, list_kind in (
            ("B-CON", "no_facilitation", "constraint"),
            ("B-PUN", "procurement_restriction", "punishment"),
        ):
            measures.define_measure(
                session,
                ctx,
                actor=STAFF,
                body=MeasureIn(
                    code=code,
                    list_kind=list_kind,
                    kind=kind,
                    name=code,
                    legal_basis="基准",
                    scenarios=["procurement"],
                    conduct_categories=["market_order"],
                    implementing_agency="基准",
                    term_amount=1 if list_kind == "punishment" else None,
                    term_unit="year" if list_kind == "punishment" else None,
                ),
            )
            measures.publish_measure(session, ctx, actor=STAFF, code=code, on=today)
    return keys


def bare(ctx, batch: list[str]) -> float:  # type: ignore[no-untyped-def]
    """The same two lookups run_check makes (same key filter, same chunks), and nothing else."""
    today = ctx.today()
    ordered = sorted(batch)  # the same access order as run_check
    began = time.perf_counter()
    with ctx.sessions() as session:
        size = chunk_size(session)
        for i in range(0, len(batch), size):
            chunk = ordered[i : i + size]
            session.execute(
                select(Subject.subject_key).where(key_filter(session, Subject.subject_key, chunk))
            ).all()
            session.execute(
                select(ListEntry.__table__).where(
                    key_filter(session, ListEntry.subject_key, chunk),
                    ListEntry.state == "active",
                    ListEntry.valid_from <= today,
                    ListEntry.valid_until >= today,
                )
            ).all()
    return time.perf_counter() - began


def run(kind: str, pg: str | None, subjects: int, listed: int, size: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="xinyong-check-bench-"))
    url = fresh_database(kind, pg, folder)
    ctx = context(url, folder)
    began = time.perf_counter()
    keys = build(ctx, subjects, listed)
    took = time.perf_counter() - began
    print(f"{kind}: built {subjects:,} subjects / {listed:,} listed in {took:.0f} s")
    rng = random.Random(5)
    for attempt in range(3):
        batch = rng.sample(keys, size)
        base = bare(ctx, batch)
        t = time.perf_counter()
        with ctx.sessions() as session, session.begin():
            answer = run_check(
                session, ctx, actor=AGENCY, scenario="procurement", subject_keys=batch
            )
        took = time.perf_counter() - t
        print(
            f"{kind}: run {attempt + 1}: check {size:,} subjects in {took:.2f} s = "
            f"{size / took:,.0f} subjects/s ({answer.check.with_measures:,} with measures); "
            f"bare lookups {base:.2f} s = {size / base:,.0f} subjects/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("subjects", nargs="?", type=int, default=1_000_000)
    parser.add_argument("listed", nargs="?", type=int, default=50_000)
    parser.add_argument("batch", nargs="?", type=int, default=20_000)
    parser.add_argument("--pg", default=os.environ.get("XINYONG_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    run("sqlite", None, args.subjects, args.listed, args.batch)
    if args.pg:
        run("postgresql", args.pg, args.subjects, args.listed, args.batch)


if __name__ == "__main__":
    main()
