"""Crash (issue 14, item 12): `xinyong ingest` killed with SIGKILL in the middle of a file, on
each database. Nothing committed is lost, the validation worker and multiprocessing's resource
tracker die with it, and on the next run the crashed batch is closed with an honest receipt,
the audit log verifies, and the re-run completes with exact counts and no duplicates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from xinyong.context import Context
from xinyong.demo.rows import PENALTY_COLUMNS, penalty_row
from xinyong.ingest.models import IngestBatch
from xinyong.ingest.service import PARALLEL_MIN_BYTES
from xinyong.records.models import CreditRecord

SRC = Path(__file__).resolve().parents[2] / "src"
ROWS = 7_000  # about 4.5 MB: read by the worker process, in four chunks
WAIT = 60.0  # seconds; every wait below ends as soon as its condition holds


def generated_csv(path: Path) -> Path:
    today = dt.date.today()  # the CLI runs on the real clock
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(PENALTY_COLUMNS))
    writer.writeheader()
    writer.writerows(penalty_row(200_000 + n, today) for n in range(ROWS))
    path.write_bytes(out.getvalue().encode("utf-8"))
    assert path.stat().st_size > PARALLEL_MIN_BYTES
    return path


def environment(db_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "XINYONG_DATABASE_URL": db_url,
        "XINYONG_DATA_DIR": str(data_dir),
        "XINYONG_SECRET_KEY": "test-secret-key",  # the fixtures' key: the audit log verifies
    }


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "xinyong.cli", *args]


def children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def batches(ctx: Context) -> list[IngestBatch]:
    with ctx.sessions() as session:
        return list(session.scalars(select(IngestBatch).order_by(IngestBatch.id)))


def test_kill_9_mid_ingest_then_restart(seeded: Context, db_url: str, tmp_path: Path) -> None:
    path = generated_csv(tmp_path / "处罚.csv")
    env = environment(db_url, tmp_path)
    args = command("ingest", str(path), "--provider", "HRB-SCJG", "--item", "HLJ-CF-001")
    victim = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # mid-file: the batch is open and at least one chunk, but not all, has committed
        wait_for(
            lambda: (
                any(b.state == "processing" and b.rows > 0 for b in batches(seeded))
                or victim.poll() is not None
            ),
            "a committed chunk",
        )
        helpers = children(victim.pid)  # the validation worker and the resource tracker
        victim.kill()
        victim.wait(timeout=WAIT)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert victim.returncode == -9, victim.stderr.read() if victim.stderr else ""
    assert helpers, "the file was meant to be validated in a worker process"
    wait_for(lambda: not any(alive(pid) for pid in helpers), "the workers to die with it")

    [crashed] = batches(seeded)
    assert crashed.state == "processing" and 0 < crashed.rows < ROWS
    with seeded.sessions() as session:
        committed = session.scalar(select(func.count()).where(CreditRecord.batch_id == crashed.id))
    assert committed == crashed.accepted == crashed.rows  # the running counts are the truth

    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"批次{crashed.id}的导入进程已意外终止" in again.stdout

    closed, rerun = batches(seeded)
    assert closed.state == "interrupted" and closed.finished_at is not None
    receipt = json.loads(closed.receipt_json)
    assert receipt["rows"] == receipt["accepted"] == committed
    assert receipt["error"]["code"] == "ingest.interrupted"
    assert f"已提交{committed}行" in receipt["error"]["message"]
    assert rerun.state == "done"
    assert (rerun.rows, rerun.accepted, rerun.unchanged, rerun.rejected) == (
        ROWS,
        ROWS - committed,
        committed,
        0,
    )
    with seeded.sessions() as session:
        current = session.scalar(select(func.count()).where(CreditRecord.is_current.is_(True)))
        keys = session.scalar(select(func.count(func.distinct(CreditRecord.record_key))))
        versions = session.scalar(select(func.count()).select_from(CreditRecord))
        processing = session.scalar(select(func.count()).where(IngestBatch.state == "processing"))
    assert current == keys == versions == ROWS  # exact: no duplicate, no second version
    assert processing == 0
    verified = subprocess.run(
        command("audit", "verify"), env=env, capture_output=True, text=True, timeout=120
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
