"""A soak of mixed reads and writes against a real server on loopback, and what it proves.

`Platform` starts `xinyong serve` as a subprocess on a fresh database (SQLite in a temporary
folder, or a new PostgreSQL database), with the demo set loaded by the CLI; `soak()` runs N
concurrent clients for a few seconds (anonymous profile reads, a citizen's self-queries and
objections, a provider's pushes of JSON records and CSV files, an agency's reads and joint
checks, name search) while a poller asks /api/health twice a second; `check_writes()` then
looks in the database for every write the clients attempted: an acknowledged one must be there,
one refused (503) or failed must not. tests/reliability/test_soak.py asserts on it; run as a
script it prints, per database and number of clients, requests/s, p50/p99 per kind and errors:

    .venv/bin/python -m bench.soak                      # SQLite; 1, 10, 100 clients
    .venv/bin/python -m bench.soak --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.soak --clients 1,10,100,500 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import create_engine, text

from xinyong.db import create_utf8_database, drop_database
from xinyong.demo.rows import PENALTY_COLUMNS, PENALTY_ITEM, penalty_row
from xinyong.demo.seed import DEMO_CITIZEN, DEMO_PASSWORD

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "xinyong.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Platform:
    """A fresh database with the demo set, and `xinyong serve` on it on a free loopback port."""

    def __init__(self, pg_server: str | None = None, env: dict[str, str] | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="xinyong-soak-"))
        self.pg_server = pg_server
        self.pg_name = f"xinyong_soak_{uuid.uuid4().hex[:8]}" if pg_server else None
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.url = ""
        self.database_url = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        src = str(REPO / "src")
        path = os.environ.get("PYTHONPATH")
        return (
            os.environ
            | {
                "PYTHONPATH": f"{src}{os.pathsep}{path}" if path else src,
                "XINYONG_DATA_DIR": str(self.folder),
                "XINYONG_DATABASE_URL": self.database_url,
                "XINYONG_SECRET_KEY": "soak",
            }
            | self.extra_env
        )

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [*CLI, *args], env=self.env(), capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"xinyong {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> None:
        if self.pg_server and self.pg_name:
            self.database_url = create_utf8_database(self.pg_server, self.pg_name)
        else:
            self.database_url = f"sqlite:///{self.folder / 'xinyong.db'}"
        self.cli("db", "upgrade")
        self.cli("demo", "load")
        self.port = free_port()
        self.log = (self.folder / "server.log").open("wb")
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port)],
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.server_log()[-2000:]}")

    def server_log(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")

    def stop(self, timeout: float = 15) -> bool:
        """SIGTERM, then wait; True if the server stopped by itself within `timeout`."""
        stopped = True
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stopped = False
                self.process.kill()
                self.process.wait()
        return stopped

    def cleanup(self) -> None:
        self.stop()
        if self.pg_server and self.pg_name:
            drop_database(self.pg_server, self.pg_name)

    def query(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Setup:
    """What the clients need: tokens, and keys and ids to ask about."""

    tokens: dict[str, str]
    companies: list[str]
    citizen_record: int


def prepare(platform: Platform) -> Setup:
    tokens = {}
    for user in ("provider", "citizen", "agency"):
        r = httpx.post(
            f"{platform.base}/api/auth/token",
            data={"username": user, "password": DEMO_PASSWORD},
            timeout=30,
        )
        r.raise_for_status()
        tokens[user] = r.json()["access_token"]
    companies = [
        row[0]
        for row in platform.query(
            "SELECT subject_key FROM subjects WHERE kind = 'legal_person' ORDER BY id LIMIT 100"
        )
    ]
    (record,) = platform.query(
        "SELECT id FROM credit_records WHERE subject_key = :key AND is_current ORDER BY id LIMIT 1",
        key=DEMO_CITIZEN,
    )
    return Setup(tokens=tokens, companies=companies, citizen_record=int(record[0]))


@dataclass
class Outcome:
    kind: str
    status: int  # 0: no answer (timeout, connection error)
    seconds: float
    retry_after: bool = False
    error: str = ""


@dataclass
class Write:
    """A write attempted: how to find it in the database, and what its client was told."""

    kind: str
    markers: list[str]  # record keys, objection texts, check matters
    status: int


@dataclass
class Result:
    clients: int
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    health: list[Outcome] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[Outcome]]:
        kinds: dict[str, list[Outcome]] = defaultdict(list)
        for o in self.outcomes:
            kinds[o.kind].append(o)
        return dict(kinds)

    def statuses(self) -> Counter[int]:
        return Counter(o.status for o in self.outcomes)


Request = Callable[
    [httpx.AsyncClient, random.Random], Awaitable[tuple[httpx.Response, Write | None]]
]

#: (kind, weight): mostly reads, as the platform sees them
MIX = (
    ("profile", 40),
    ("self", 10),
    ("agency", 10),
    ("search", 10),
    ("push", 12),
    ("upload", 2),
    ("objection", 8),
    ("check", 8),
)

#: the same run's baseline: the platform's cheapest route that touches the database
BASELINE = (("health", 1),)


def requests_for(setup: Setup) -> dict[str, Request]:
    bearer = {user: {"Authorization": f"Bearer {t}"} for user, t in setup.tokens.items()}
    today = dt.date.today()

    def unique() -> str:
        return uuid.uuid4().hex[:12]

    def pushed_row(mark: str) -> dict[str, Any]:
        n = random.randrange(1, 10**6)
        return penalty_row(n, today) | {"处罚决定书文号": f"压测罚〔2026〕{mark}号"}

    async def profile(client: httpx.AsyncClient, rng: random.Random) -> Any:
        key = rng.choice(setup.companies)
        return await client.get(f"/api/subjects/{key}/records"), None

    async def self_query(client: httpx.AsyncClient, rng: random.Random) -> Any:
        return await client.get("/api/me/records", headers=bearer["citizen"]), None

    async def agency(client: httpx.AsyncClient, rng: random.Random) -> Any:
        key = rng.choice(setup.companies)
        return await client.get(
            f"/api/subjects/{key}/records",
            params={"purpose": "licensing"},
            headers=bearer["agency"],
        ), None

    async def search(client: httpx.AsyncClient, rng: random.Random) -> Any:
        q = rng.choice(("哈尔滨", "商贸", "示范科技", "有限公司"))
        return await client.get("/api/search", params={"q": q}), None

    async def push(client: httpx.AsyncClient, rng: random.Random) -> Any:
        mark = f"p{unique()}"
        r = await client.post(
            f"/api/ingest/{PENALTY_ITEM}/records", json=pushed_row(mark), headers=bearer["provider"]
        )
        return r, Write("push", [f"压测罚〔2026〕{mark}号"], r.status_code)

    async def upload(client: httpx.AsyncClient, rng: random.Random) -> Any:
        marks = [f"u{unique()}" for _ in range(3)]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=PENALTY_COLUMNS)
        writer.writeheader()
        for mark in marks:
            writer.writerow(pushed_row(mark))
        r = await client.post(
            f"/api/ingest/{PENALTY_ITEM}/files",
            files={"file": ("soak.csv", out.getvalue().encode("utf-8"), "text/csv")},
            headers=bearer["provider"],
        )
        return r, Write("push", [f"压测罚〔2026〕{m}号" for m in marks], r.status_code)

    async def objection(client: httpx.AsyncClient, rng: random.Random) -> Any:
        mark = f"压测异议{unique()}：该信息有误。"
        r = await client.post(
            "/api/me/objections",
            json={"record_id": setup.citizen_record, "request": mark},
            headers=bearer["citizen"],
        )
        return r, Write("objection", [mark], r.status_code)

    async def check(client: httpx.AsyncClient, rng: random.Random) -> Any:
        mark = f"压测核查{unique()}"
        r = await client.post(
            "/api/checks",
            json={
                "scenario": "procurement",
                "subjects": rng.sample(setup.companies, 3),
                "matter": mark,
            },
            headers=bearer["agency"],
        )
        return r, Write("check", [mark], r.status_code)

    async def health(client: httpx.AsyncClient, rng: random.Random) -> Any:
        return await client.get("/api/health"), None

    return {
        "health": health,
        "profile": profile,
        "self": self_query,
        "agency": agency,
        "search": search,
        "push": push,
        "upload": upload,
        "objection": objection,
        "check": check,
    }


async def _client_loop(
    client: httpx.AsyncClient,
    requests: dict[str, Request],
    mix: tuple[tuple[str, int], ...],
    until: float,
    result: Result,
    seed: int,
) -> None:
    rng = random.Random(seed)
    kinds = [k for k, _ in mix]
    weights = [w for _, w in mix]
    while time.monotonic() < until:
        kind = rng.choices(kinds, weights)[0]
        began = time.monotonic()
        try:
            response, write = await requests[kind](client, rng)
        except httpx.HTTPError as exc:
            result.outcomes.append(
                Outcome(kind, 0, time.monotonic() - began, error=type(exc).__name__)
            )
            continue  # a write with no answer: its outcome is unknown to the client
        seconds = time.monotonic() - began
        retry = "retry-after" in response.headers
        error = ""
        if response.status_code >= 400:
            error = response.text[:300]
        result.outcomes.append(Outcome(kind, response.status_code, seconds, retry, error))
        if write is not None:
            result.writes.append(write)
        if response.status_code == 503:  # as a polite client would: wait and retry
            await asyncio.sleep(min(float(response.headers.get("retry-after", 1)), 2))


async def _poll_health(base: str, until: float, result: Result, timeout: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as client:
        while time.monotonic() < until:
            began = time.monotonic()
            try:
                r = await client.get("/api/health")
                status = r.status_code
            except httpx.HTTPError:
                status = 0
            result.health.append(Outcome("health", status, time.monotonic() - began))
            await asyncio.sleep(0.5)


async def _soak(
    base: str,
    setup: Setup,
    clients: int,
    seconds: float,
    mix: tuple[tuple[str, int], ...],
    timeout: float,
    health_timeout: float,
) -> Result:
    result = Result(clients, seconds)
    requests = requests_for(setup)
    # One client object with a connection per simulated client: each AsyncClient of its own
    # built an SSL context (tens of ms of CPU), which at 100 clients took most of the run.
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        began = time.monotonic()
        until = began + seconds
        await asyncio.gather(
            _poll_health(base, until, result, health_timeout),
            *(_client_loop(client, requests, mix, until, result, seed) for seed in range(clients)),
        )
        result.seconds = time.monotonic() - began
    return result


def soak(
    platform: Platform,
    setup: Setup,
    *,
    clients: int,
    seconds: float,
    mix: tuple[tuple[str, int], ...] = MIX,
    timeout: float = 60,
    health_timeout: float = 5,
) -> Result:
    return asyncio.run(_soak(platform.base, setup, clients, seconds, mix, timeout, health_timeout))


@dataclass
class WriteCheck:
    acknowledged_missing: list[Write]
    refused_present: list[Write]
    unknown: int  # writes whose client got no answer
    acknowledged: int
    refused: int


def check_writes(platform: Platform, result: Result) -> WriteCheck:
    """Every write its client was told succeeded is in the database; none it was told failed."""
    keys = {row[0] for row in platform.query("SELECT record_key FROM credit_records")}
    objections = {row[0] for row in platform.query("SELECT request FROM cases")}
    checks = {row[0] for row in platform.query("SELECT matter FROM credit_checks")}
    found = {"push": keys, "objection": objections, "check": checks}
    missing, present = [], []
    acknowledged = refused = 0
    for write in result.writes:
        there = [m in found[write.kind] for m in write.markers]
        if 200 <= write.status < 300:
            acknowledged += 1
            if not all(there):
                missing.append(write)
        else:
            refused += 1
            if any(there):
                present.append(write)
    unknown = sum(
        1
        for o in result.outcomes
        if o.status == 0 and o.kind in ("push", "upload", "objection", "check")
    )
    return WriteCheck(missing, present, unknown, acknowledged, refused)


# -- the figures ------------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f}"


def _errors(counts: Counter[int]) -> str:
    return ", ".join(f"{status or 'no answer'}×{n}" for status, n in sorted(counts.items()))


def _row(database: str, clients: str, kind: str, outcomes: list[Outcome], seconds: float) -> str:
    ok = sum(1 for o in outcomes if 200 <= o.status < 300)
    bad = Counter(o.status for o in outcomes if not 200 <= o.status < 300)
    times = [o.seconds for o in outcomes]
    return (
        f"| {database} | {clients} | {kind} | {len(outcomes)} | {ok / seconds:.0f} | "
        f"{_ms(times, 0.5)} | {_ms(times, 0.99)} | {_errors(bad) or 0} |"
    )


def table(database: str, result: Result) -> list[str]:
    """Rows of the figures' table: all requests, then each kind, then the health poller."""
    lines = [_row(database, str(result.clients), "all", result.outcomes, result.seconds)]
    for kind, outcomes in sorted(result.by_kind().items()):
        lines.append(_row("", "", kind, outcomes, result.seconds))
    health = result.health
    slowest = max((o.seconds for o in health), default=0) * 1000
    failed = sum(1 for o in health if o.status != 200)
    lines.append(
        f"| | | health poller | {len(health)} | - | {_ms([o.seconds for o in health], 0.5)} | "
        f"max {slowest:.0f} | {failed} |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("XINYONG_BENCH_DATABASE_URL"),
        help="PostgreSQL server URL (default $XINYONG_BENCH_DATABASE_URL); a fresh database is "
        "made on it and dropped afterwards",
    )
    parser.add_argument("--clients", default="1,10,100", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--baseline", type=float, default=5, help="seconds of /api/health only")
    args = parser.parse_args()
    platform = Platform(args.pg)
    database = "PostgreSQL" if args.pg else "SQLite"
    platform.start()
    try:
        setup = prepare(platform)
        print("| database | clients | kind | requests | ok/s | p50 ms | p99 ms | errors |")
        print("|---|---|---|---|---|---|---|---|")
        for clients in (int(c) for c in args.clients.split(",")):
            base = soak(platform, setup, clients=clients, seconds=args.baseline, mix=BASELINE)
            print(
                _row(
                    database,
                    str(clients),
                    "baseline: /api/health only",
                    base.outcomes,
                    base.seconds,
                ),
                flush=True,
            )
            result = soak(platform, setup, clients=clients, seconds=args.seconds)
            for line in table(database, result):
                print(line, flush=True)
            check = check_writes(platform, result)
            print(
                f"| | | writes | {check.acknowledged} acknowledged, {check.refused} refused, "
                f"{check.unknown} unanswered | | | | acknowledged but missing "
                f"{len(check.acknowledged_missing)}, refused but present "
                f"{len(check.refused_present)} |",
                flush=True,
            )
        left = platform.query("SELECT count(*) FROM ingest_batches WHERE state = 'processing'")
        print(f"batches left processing: {left[0][0]}")
        print("audit verify --full:", platform.cli("audit", "verify", "--full").strip())
        print("stopped on SIGTERM:", platform.stop())
    finally:
        platform.cleanup()


if __name__ == "__main__":
    main()
