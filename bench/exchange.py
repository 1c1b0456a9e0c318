"""Forwarding between two platforms on loopback, against the receiving node's own validated
ingestion of the same rows measured in the same run, and the lag from a change at the city to
its application at the province under a steady push load.

    PYTHONPATH=src:. .venv/bin/python -m bench.exchange [ROWS] [--pg URL] [--lag-seconds S]

For each receiving database (a temporary SQLite file, then PostgreSQL with --pg):
  1. baseline: a province node (`xinyong serve` in its own process, fresh database) receives ROWS
     行政处罚 rows pushed by its provider unit through POST /api/ingest/HLJ-CF-001/records, in
     requests of `exchange_batch_items` rows (ingestion's validation, versioning, subjects, audit,
     the after-push flows): rows/s.
  2. forwarding: a city node (230100, SQLite, in this process) holds the same ROWS rows (ingested
     beforehand, not timed: its outbox fills in the same transactions), and `forwarder.run` sends
     them to a second fresh province node (signed messages of `exchange_batch_items` items, the
     province validating and applying them, signed receipts settling the city's outbox): rows/s,
     and the ratio to the baseline (goal >= 0.8).
  3. lag: a pusher thread pushes RATE rows/s into the city (batches every 0.1 s) for S seconds
     while the forwarder runs in rounds as `exchange run --follow` does (a round, then a short
     poll when nothing was pending); the lag of each row is its `recorded_at` at the province
     minus its `recorded_at` at the city (one machine, one clock): p50 / p99 / max."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from xinyong.demo.rows import penalty_row

TODAY = dt.date(2026, 11, 23)
ITEM, PROVIDER = "HLJ-CF-001", "HRB-SCJG"
CITY, PROVINCE = "230100", "230000"
PASSWORD = "bench-unit-password-1"
REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "xinyong.cli"]


def fresh_url(kind: str, pg: str | None, folder: Path) -> str:
    from alembic import command

    from xinyong.cli import alembic_config
    from xinyong.db import create_utf8_database

    if kind == "sqlite":
        url = f"sqlite:///{folder / 'xinyong.db'}"
    else:
        assert pg
        url = create_utf8_database(pg, f"xinyong_bench_{uuid.uuid4().hex[:8]}")
    command.upgrade(alembic_config(url), "head")
    return url


def node_context(folder: Path, url: str, platform: str) -> Any:
    from xinyong.config import Settings
    from xinyong.context import build_context

    return build_context(
        Settings(data_dir=folder, database_url=url, secret_key="bench", platform=platform)
    )


def seed(ctx: Any) -> None:
    from xinyong.accounts.service import create_user
    from xinyong.catalog.service import seed_catalog
    from xinyong.common.roles import SYSTEM, Role

    with ctx.sessions() as session, session.begin():
        seed_catalog(session, ctx, actor=SYSTEM)
        create_user(
            session,
            ctx,
            actor=SYSTEM,
            username="unit",
            password=PASSWORD,
            role=Role.PROVIDER,
            display_name="哈尔滨市市场监督管理局",
            provider_code=PROVIDER,
        )


def register(ctx: Any, code: str, name: str, relation: str, url: str, key: str) -> None:
    from xinyong.common.roles import SYSTEM
    from xinyong.exchange import peers

    with ctx.sessions() as session, session.begin():
        peers.add(
            session,
            ctx,
            actor=SYSTEM,
            code=code,
            name=name,
            relation=relation,
            url=url,
            public_key=key,
        )


def http(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=600) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as err:
        return int(err.code), err.read()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Province:
    """A province node: a fresh database, seeded, served by `xinyong serve` in its own process."""

    def __init__(self, kind: str, pg: str | None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="xinyong-exchange-bench-"))
        self.pg = pg if kind == "postgresql" else None
        self.url = fresh_url(kind, pg, self.folder)
        self.ctx = node_context(self.folder, self.url, PROVINCE)
        seed(self.ctx)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        src = str(REPO / "src")
        path = os.environ.get("PYTHONPATH")
        env = os.environ | {
            "PYTHONPATH": f"{src}{os.pathsep}{path}" if path else src,
            "XINYONG_DATA_DIR": str(self.folder),
            "XINYONG_DATABASE_URL": self.url,
            "XINYONG_SECRET_KEY": "bench",
            "XINYONG_PLATFORM": PROVINCE,
            "XINYONG_MAX_PUSH_BODY_BYTES": str(64 << 20),
        }
        log = (self.folder / "server.log").open("wb")
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port)], env=env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if http(f"{self.base}/api/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError((self.folder / "server.log").read_text(errors="replace")[-2000:])

    def count(self) -> int:
        from sqlalchemy import func, select

        from xinyong.records.models import CreditRecord

        with self.ctx.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(CreditRecord)) or 0)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.ctx.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.pg:
            from xinyong.db import drop_database

            drop_database(self.pg, self.url.rsplit("/", 1)[1])


def baseline(kind: str, pg: str | None, rows: int, batch: int) -> float:
    """Rows/s of the province's own ingestion path, pushed over HTTP in `batch`-row requests."""
    node = Province(kind, pg)
    node.start()
    try:
        form = urllib.parse.urlencode({"username": "unit", "password": PASSWORD}).encode()
        status, token = http(f"{node.base}/api/auth/token", form)
        assert status == 200, token[:500]
        headers = {
            "Authorization": f"Bearer {json.loads(token)['access_token']}",
            "Content-Type": "application/json",
        }
        bodies = [
            json.dumps(
                [penalty_row(i, TODAY) for i in range(start, min(rows, start + batch))],
                ensure_ascii=False,
            ).encode()
            for start in range(0, rows, batch)
        ]
        began = time.perf_counter()
        for body in bodies:
            status, answer = http(f"{node.base}/api/ingest/{ITEM}/records", body, headers)
            assert status == 200, answer[:500]
            assert json.loads(answer)["accepted"] == body.count(b"{"), answer[:500]
        took = time.perf_counter() - began
        assert node.count() == rows
        return rows / took
    finally:
        node.stop()


def city_node(folder: Path, province: Province) -> Any:
    from xinyong.exchange.signing import public_key_hex

    url = fresh_url("sqlite", None, folder)
    ctx = node_context(folder, url, CITY)
    seed(ctx)
    register(
        ctx, PROVINCE, "黑龙江省公共信用信息平台", "upper", province.base,
        public_key_hex(province.ctx.settings),
    )  # fmt: skip
    register(
        province.ctx, CITY, "哈尔滨市信用信息共享平台", "lower", "http://127.0.0.1:9",
        public_key_hex(ctx.settings),
    )  # fmt: skip
    return ctx


def push_city(ctx: Any, start: int, count: int) -> None:
    from xinyong.common.roles import SYSTEM
    from xinyong.ingest.service import ingest

    receipt = ingest(
        ctx,
        actor=SYSTEM,
        provider_code=PROVIDER,
        item_code=ITEM,
        rows=(
            (i + 2, {k: str(v) for k, v in penalty_row(i, TODAY).items()})
            for i in range(start, start + count)
        ),
        source="api",
        after=None,
    )
    assert receipt.counts()["accepted"] == count, receipt.counts()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def forwarding(
    kind: str, pg: str | None, rows: int, lag_seconds: float, rate: int
) -> dict[str, float]:
    from sqlalchemy import select

    from xinyong.exchange import forwarder
    from xinyong.records.models import CreditRecord

    province = Province(kind, pg)
    city_folder = Path(tempfile.mkdtemp(prefix="xinyong-exchange-bench-city-"))
    city = city_node(city_folder, province)
    province.start()
    try:
        began = time.perf_counter()
        push_city(city, 0, rows)
        city_rate = rows / (time.perf_counter() - began)
        began = time.perf_counter()
        report = forwarder.run(city)
        took = time.perf_counter() - began
        sent = report.peers[0]
        assert sent.error is None and sent.applied == rows, report.lines()
        assert province.count() == rows

        # lag under a steady push load
        stop = threading.Event()
        pushed = [rows]
        per_tick = max(1, rate // 10)

        def pusher() -> None:
            tick = time.perf_counter()
            while not stop.is_set():
                push_city(city, pushed[0], per_tick)
                pushed[0] += per_tick
                tick += 0.1
                time.sleep(max(0.0, tick - time.perf_counter()))

        thread = threading.Thread(target=pusher, daemon=True)
        push_began = time.perf_counter()
        thread.start()
        rounds = 0
        until = time.perf_counter() + lag_seconds
        while True:
            done = time.perf_counter() >= until
            if done and not stop.is_set():
                stop.set()
                thread.join()
                push_seconds = time.perf_counter() - push_began
            result = forwarder.run(city, max_messages=1)  # the deadline is checked each message
            rounds += 1
            if done and not any(p.messages for p in result.peers):
                break
            if not any(p.messages for p in result.peers):
                time.sleep(0.2)  # the follow loop's poll (exchange_poll_seconds, shortened)
        lagged = pushed[0] - rows

        def recorded(ctx: Any) -> dict[str, dt.datetime]:
            with ctx.sessions() as session:
                return dict(
                    session.execute(
                        select(CreditRecord.record_key, CreditRecord.recorded_at).where(
                            CreditRecord.id > 0
                        )
                    ).all()
                )

        at_city, at_province = recorded(city), recorded(province.ctx)
        keys_new = sorted(at_city, key=lambda k: at_city[k])[rows:]
        lags = [(at_province[k] - at_city[k]).total_seconds() for k in keys_new]
        assert len(lags) == lagged, (len(lags), lagged)
        return {
            "city_ingest": city_rate,
            "forward": rows / took,
            "messages": sent.messages,
            "lag_rows": lagged,
            "lag_rate": lagged / push_seconds,
            "push_seconds": push_seconds,
            "rounds": rounds,
            "lag_p50": statistics.median(lags),
            "lag_p99": percentile(lags, 0.99),
            "lag_max": max(lags),
        }
    finally:
        province.stop()
        city.engine.dispose()
        shutil.rmtree(city_folder, ignore_errors=True)


def main() -> None:
    from xinyong.config import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=20_000)
    parser.add_argument("--pg", default=os.environ.get("XINYONG_BENCH_DATABASE_URL"))
    parser.add_argument("--lag-seconds", type=float, default=20.0)
    parser.add_argument("--lag-rate", type=int, default=200, help="rows/s pushed at the city")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    batch = Settings().exchange_batch_items
    kinds = ["sqlite"] + (["postgresql"] if args.pg else [])
    if args.only:
        kinds = [args.only]
    with open("/proc/loadavg") as fh:
        print(f"load average before: {fh.read().split()[:3]}")
    for kind in kinds:
        base = baseline(kind, args.pg, args.rows, batch)
        print(f"{kind}: baseline, push {args.rows:,} rows to the province ({batch}/request): "
              f"{base:,.0f} rows/s")  # fmt: skip
        got = forwarding(kind, args.pg, args.rows, args.lag_seconds, args.lag_rate)
        print(
            f"{kind}: forward city -> province {got['forward']:,.0f} rows/s "
            f"({got['messages']:.0f} messages) = {got['forward'] / base:.2f}x baseline"
            f"  [city's own ingest of the rows: {got['city_ingest']:,.0f} rows/s]"
        )
        print(
            f"{kind}: lag under {got['lag_rate']:,.0f} rows/s pushed at the city for "
            f"{got['push_seconds']:.0f} s ({got['lag_rows']:,.0f} rows, "
            f"{got['rounds']:.0f} rounds): "
            f"p50 {got['lag_p50']:.2f} s, p99 {got['lag_p99']:.2f} s, max {got['lag_max']:.2f} s"
        )
    with open("/proc/loadavg") as fh:
        print(f"load average after: {fh.read().split()[:3]}")
    if not args.pg:
        print("postgresql: skipped (set XINYONG_BENCH_DATABASE_URL or --pg)")


if __name__ == "__main__":
    main()
