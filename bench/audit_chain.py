"""Audit log: append rate vs. a plain insert of the same rows; verification rate (every run
recomputes the whole log and its Merkle tree from entry 1 and checks every signed head);
the cost of signing a tree head and of an inclusion proof.

    .venv/bin/python -m bench.audit_chain [ENTRIES]
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from sqlalchemy import insert

from bench._common import fresh_context
from xinyong.audit.models import AuditEvent
from xinyong.common.roles import Actor, Role

ACTOR = Actor(role=Role.STAFF, user_id=1, username="bench")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    ctx, cleanup = (
        fresh_context()
    )  # the baseline gets its own database: audit rows can't be deleted
    now = dt.datetime.now(dt.UTC)
    rows = [
        dict(
            id=1_000_000 + i,
            occurred_at=now,
            action="bench:plain:insert",
            actor_role="staff",
            personal_read=False,
            detail_json=f'{{"i":{i}}}',
            prev_hash="0" * 64,
            hash="0" * 64,
        )
        for i in range(n)
    ]
    began = time.perf_counter()
    with ctx.engine.begin() as conn:
        conn.execute(insert(AuditEvent), rows)
    baseline = time.perf_counter() - began
    cleanup()

    ctx, cleanup = fresh_context()
    ctx.audit.checkpoint_every = 10_000
    began = time.perf_counter()
    with ctx.sessions() as session, session.begin():
        for i in range(n):
            ctx.audit.record(
                session,
                clock=ctx.clock,
                actor=ACTOR,
                action="bench:chain:append",
                object_type="thing",
                object_id=i,
                detail={"i": i},
            )
    append = time.perf_counter() - began
    with ctx.sessions() as session:
        began = time.perf_counter()
        head = ctx.audit.sign_head(session, ctx.clock)
        t_head = time.perf_counter() - began
    with ctx.sessions() as session:
        began = time.perf_counter()
        full = ctx.audit.verify(session)
        t_full = time.perf_counter() - began
    with ctx.sessions() as session:
        from xinyong.audit.proofs import inclusion_of

        began = time.perf_counter()
        inclusion_of(session, ctx, n // 2)
        t_proof = time.perf_counter() - began
    cleanup()
    print(f"database: {ctx.engine.dialect.name}; {n:,} entries")
    print(f"baseline plain insert (one statement): {n / baseline:>9,.0f} rows/s")
    print(f"chained append (one transaction):      {n / append:>9,.0f} entries/s")
    rate = full.checked / t_full
    print(
        f"verify (whole log): {full.checked:>7,} entries in {t_full:.2f} s ({rate:,.0f}/s, "
        f"{1_000_000 / rate:.0f} s per million) ok={full.ok} heads={full.heads}"
    )
    print(f"sign a tree head: {t_head * 1000:.1f} ms (size {head.size if head else None})")
    print(f"inclusion proof of one entry: {t_proof:.2f} s (reads every leaf hash)")


if __name__ == "__main__":
    main()
