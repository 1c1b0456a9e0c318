"""Demo data generation rate vs. a bare executemany of the same rows (the physical baseline).

.venv/bin/python bench/demo_generate.py [SUBJECTS] [RECORDS]
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import insert

from bench._common import fresh_context
from xinyong.demo.generate import generate, stream
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject


def main() -> None:
    subjects = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    records = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    rows = subjects + records

    ctx, cleanup = fresh_context()
    try:
        began = time.perf_counter()
        data = list(stream(11, subjects, records, ctx.today(), ctx.clock.now()))
        build = time.perf_counter() - began
        subj = [s for s, _ in data]
        recs = [r for _, rs in data for r in rs]
        began = time.perf_counter()
        with ctx.engine.begin() as conn:
            for i in range(0, len(subj), 5000):
                conn.execute(insert(Subject), subj[i : i + 5000])
            for i in range(0, len(recs), 50_000):
                conn.execute(insert(CreditRecord), recs[i : i + 50_000])
        baseline = time.perf_counter() - began
    finally:
        cleanup()

    ctx, cleanup = fresh_context()
    try:
        began = time.perf_counter()
        counts = generate(ctx, subjects=subjects, records=records, seed=12)
        took = time.perf_counter() - began
    finally:
        cleanup()

    print(f"database: {ctx.engine.dialect.name}; {subjects:,} subjects + {records:,} records")
    print(f"row building only:            {rows / build:>10,.0f} rows/s")
    print(f"baseline (bare executemany):  {rows / baseline:>10,.0f} rows/s  ({baseline:.1f} s)")
    print(
        f"xinyong demo generate:        {rows / took:>10,.0f} rows/s  ({took:.1f} s, "
        f"{counts.subjects + counts.records:,} rows, batches committed + audited)"
    )


if __name__ == "__main__":
    main()
