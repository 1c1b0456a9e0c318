"""The exchange's faults, survived by real platforms (issue 17): Harbin's city platform (230100,
SQLite), the province's (230000, on each backend) and the national one (100000, SQLite), each
`xinyong serve` in its own process with its own database, data folder and exchange key, the
peers registered with `xinyong peers add` from each other's `xinyong exchange public-key`, and
records pushed by a provider unit's account (`xinyong accounts create`) over HTTP.

The faults: the province down while the city keeps accepting pushes, then back (the backlog
drained by `xinyong exchange run`); the same items delivered twice; versions out of order; the
forwarder killed with SIGKILL in the middle of a backlog; a replayed and a tampered message;
two forwarders at once; and a city record that reaches the national platform through the
province, which validates it under the law of its origin.

The three servers are started once per backend and shared by the tests; each test pushes its
own records (its own `penalty_row` numbers) and looks only at them, and leaves every outbox
settled and the province running."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.conftest import BACKENDS, PG_ENV
from xinyong.audit.models import AuditEvent
from xinyong.audit.tags import AuditTag
from xinyong.catalog.service import seed_catalog
from xinyong.common.roles import SYSTEM
from xinyong.config import Settings
from xinyong.context import build_context
from xinyong.db import create_utf8_database, drop_database, make_engine
from xinyong.demo.rows import penalty_row
from xinyong.exchange import forwarder, service
from xinyong.exchange.models import OutboxItem, Peer
from xinyong.exchange.outbox import record_ref
from xinyong.exchange.signing import SENDER_HEADER, SIGNATURE_HEADER
from xinyong.records.models import CreditRecord

SRC = Path(__file__).resolve().parents[2] / "src"
CLI = [sys.executable, "-m", "xinyong.cli"]
SECRET = "test-secret-key"
PASSWORD = "unit-password-1"
CITY, PROVINCE, NATIONAL = "230100", "230000", "100000"
ITEM, PROVIDER = "HLJ-CF-001", "HRB-SCJG"
WAIT = 60.0  # seconds; every wait ends as soon as its condition holds
SETTLED = {"applied", "unchanged"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Answer:
    status: int
    text: str

    def json(self) -> dict[str, object]:
        return dict(json.loads(self.text))


def http(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return Answer(answer.status, answer.read().decode())
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.read().decode())


def wait_for(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@dataclass
class Node:
    """One platform: its database, data folder, port and (while it runs) its server process."""

    code: str
    name: str
    folder: Path
    database_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    engine: Engine | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(SRC),
            "PYTHONUNBUFFERED": "1",
            "XINYONG_PLATFORM": self.code,
            "XINYONG_DATA_DIR": str(self.folder),
            "XINYONG_DATABASE_URL": self.database_url,
            "XINYONG_SECRET_KEY": SECRET,
            **extra,
        }

    def command(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*CLI, *args],
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def cli(self, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*CLI, *args], env=self.env(**env), capture_output=True, text=True, timeout=120
        )
        if ok:
            assert done.returncode == 0, f"xinyong {' '.join(args)}: {done.stderr[-2000:]}"
        return done

    def start(self) -> None:
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port)],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def wait_healthy(self) -> None:
        def answers() -> bool:
            assert self.process is not None and self.process.poll() is None, self.server_log()
            try:
                return http(f"{self.url}/api/health").status == 200
            except OSError:
                return False

        wait_for(answers, f"{self.code} to answer /api/health")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def server_log(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")[-3000:]

    def session(self) -> Session:
        if self.engine is None:
            self.engine = make_engine(self.database_url)
        return Session(self.engine)

    # -- what the tests look at ------------------------------------------------------------

    def held(self, keys: set[str]) -> list[tuple[str, int, str | None, int | None, bool]]:
        """(record key, version, origin platform, origin version, current) of `keys`' versions."""
        with self.session() as session:
            return [
                (r.record_key, r.version, r.origin_platform, r.origin_version, r.is_current)
                for r in session.scalars(
                    select(CreditRecord)
                    .where(CreditRecord.record_key.in_(keys))
                    .order_by(CreditRecord.record_key, CreditRecord.version)
                )
            ]

    def outbox(self, keys: set[str] | None = None) -> list[str]:
        """The states of the outbox rows (of `keys`' versions, or all), oldest first."""
        with self.session() as session:
            rows = session.scalars(select(OutboxItem).order_by(OutboxItem.id))
            return [r.state for r in rows if keys is None or r.ref.rsplit("|", 1)[1] in keys]

    def refusals(self) -> int:
        with self.session() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == AuditTag.EXCHANGE_MESSAGE_REFUSE)
                )
                or 0
            )


@dataclass
class Trio:
    city: Node
    province: Node
    national: Node
    token: str = ""

    def push(self, rows: list[dict[str, str]]) -> dict[str, int]:
        """A push by the city's provider unit, over HTTP with its bearer token; the keys."""
        answer = http(
            f"{self.city.url}/api/ingest/{ITEM}/records",
            json.dumps({"records": rows}).encode(),
            {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        assert answer.status == 200, answer.text
        return {k: int(v) for k, v in answer.json().items() if isinstance(v, int)}

    def forward(self, node: Node, *args: str, ok: bool = True, **env: str) -> str:
        return node.cli("exchange", "run", *args, ok=ok, **env).stdout

    def all_settled(self) -> None:
        """The province passes on what it holds; then every outbox row is settled."""
        self.forward(self.province, "--force")
        for node in (self.city, self.province):
            states = node.outbox()
            assert states and set(states) <= SETTLED, (node.code, states)


def keys_of(rows: list[dict[str, str]]) -> set[str]:
    return {str(r["处罚决定书文号"]) for r in rows}


def rows(numbers: range) -> list[dict[str, str]]:
    return [penalty_row(n, dt.date.today()) for n in numbers]  # the servers' real clock


def run_all(processes: list[subprocess.Popen[str]]) -> list[str]:
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{process.args}: {out[-2000:]} {err[-2000:]}"
        outputs.append(out)
    return outputs


def seed(node: Node) -> None:
    """The province's seed catalog, what every node validates the records against. The national
    platform's own law packs have no catalog rules: the province's catalog is defined there
    under the province's law, as the province would hand it over."""
    settings = Settings(
        platform=PROVINCE if node.code == NATIONAL else node.code,
        data_dir=node.folder,
        database_url=node.database_url,
        secret_key=SECRET,
    )
    ctx = build_context(settings)
    with ctx.sessions() as session, session.begin():
        seed_catalog(session, ctx, actor=SYSTEM)
    ctx.engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def trio(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> Iterator[Trio]:
    backend = request.param
    pg_server = os.environ.get(PG_ENV) if backend == "postgresql" else None
    if backend == "postgresql" and not pg_server:
        pytest.skip(f"PostgreSQL tests skipped: {PG_ENV} is not set (.ci/run sets it)")
    base = tmp_path_factory.mktemp(f"exchange-{backend}")
    made: dict[str, Node] = {}
    for code, name in (
        (CITY, "哈尔滨市信用信息共享平台"),
        (PROVINCE, "黑龙江省公共信用信息平台"),
        (NATIONAL, "全国信用信息共享平台"),
    ):
        folder = base / code
        folder.mkdir()
        url = f"sqlite:///{folder / 'xinyong.db'}"
        if code == PROVINCE and pg_server:
            url = create_utf8_database(pg_server, f"xinyong_faults_{uuid.uuid4().hex[:10]}")
        else:
            shutil.copy(sqlite_template, folder / "xinyong.db")
        made[code] = Node(code, name, folder, url)
    city, province, national = made[CITY], made[PROVINCE], made[NATIONAL]
    try:
        if pg_server:
            province.cli("db", "upgrade")
        for node in (city, province, national):
            seed(node)
        keys = run_all(
            [node.command("exchange", "public-key") for node in (city, province, national)]
            + [
                city.command(
                    "accounts",
                    "create",
                    "unit",
                    "provider",
                    "哈尔滨市市场监督管理局",
                    "--password",
                    PASSWORD,
                    "--provider-code",
                    "HRB-SCJG",
                )
            ]
        )
        key = {n.code: k.strip() for n, k in zip((city, province, national), keys, strict=False)}

        def add(node: Node, peer: Node, relation: str) -> subprocess.Popen[str]:
            return node.command(
                "peers",
                "add",
                peer.code,
                peer.name,
                "--url",
                peer.url,
                "--public-key",
                key[peer.code],
                "--relation",
                relation,
            )

        run_all(
            [
                add(city, province, "upper"),
                add(province, city, "lower"),
                add(province, national, "upper"),
                add(national, province, "lower"),
            ]
        )
        for node in (city, province, national):
            node.start()
        for node in (city, province, national):
            node.wait_healthy()
        answer = http(
            f"{city.url}/api/auth/token",
            urllib.parse.urlencode({"username": "unit", "password": PASSWORD}).encode(),
        )
        assert answer.status == 200, answer.text
        yield Trio(city, province, national, str(answer.json()["access_token"]))
    finally:
        for node in (city, province, national):
            node.stop()
            if node.engine is not None:
                node.engine.dispose()
        if pg_server:
            drop_database(pg_server, province.database_url.rsplit("/", 1)[1])


def test_a_city_record_reaches_the_national_platform_through_the_province(trio: Trio) -> None:
    pushed = rows(range(0, 3))
    keys = keys_of(pushed)
    assert trio.push(pushed)["accepted"] == 3
    changed = dict(pushed[0], 处罚内容="罚款人民币二千元。")
    assert trio.push([changed])["updated"] == 1
    out = trio.forward(trio.city)
    assert "已应用4条" in out, out
    # the province's copies are queued for its upper platform as they are written
    assert trio.province.outbox(keys) == ["pending"] * 4
    out = trio.forward(trio.province)
    assert f"{NATIONAL}：发送报文1份，已应用4条" in out, out
    first = str(pushed[0]["处罚决定书文号"])
    for node in (trio.province, trio.national):
        held = node.held(keys)
        assert len(held) == 4
        # the origin stays the city, with the city's version numbers
        assert {origin for _, _, origin, _, _ in held} == {CITY}
        assert [(v, o, c) for k, v, _, o, c in held if k == first] == [
            (1, 1, False),
            (2, 2, True),
        ]
    # the national platform does not send a copy back down, nor anywhere else
    with trio.national.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 0
    trio.all_settled()


def test_the_province_down_then_back_gets_the_backlog_once(trio: Trio) -> None:
    trio.province.stop()
    try:
        pushed = rows(range(100, 105))
        keys = keys_of(pushed)
        assert trio.push(pushed)["accepted"] == 5  # the city keeps accepting pushes
        failed = trio.forward(trio.city, ok=False)
        assert "无法连接" in failed, failed
        assert trio.city.outbox(keys) == ["pending"] * 5
        # waiting out its backoff: nothing sent before then without --force
        assert "没有到期待推送的信息" in trio.forward(trio.city)
    finally:
        trio.province.start()
        trio.province.wait_healthy()
    out = trio.forward(trio.city, "--force")
    assert "已应用5条" in out, out
    assert trio.city.outbox(keys) == ["applied"] * 5
    held = trio.province.held(keys)
    assert [(v, o, c) for _, v, _, o, c in held] == [(1, 1, True)] * 5

    # the same items delivered twice (the receipt lost on the way back): unchanged, nothing new
    with trio.city.session() as session, session.begin():
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.ref.in_([record_ref(PROVIDER, ITEM, k) for k in keys]))
            .values(state="pending")
        )
    out = trio.forward(trio.city, "--force")
    assert "已应用0条" in out and "被拒收0条" in out, out
    assert trio.province.held(keys) == held
    trio.all_settled()


def test_versions_out_of_order_keep_the_newest(trio: Trio) -> None:
    [row] = rows(range(200, 201))
    keys = keys_of([row])
    trio.push([row])
    trio.push([dict(row, 处罚内容="罚款人民币三千元。")])
    # version 1 held back (as a slow path would), version 2 travels first
    with trio.city.session() as session, session.begin():
        first = session.scalars(
            select(OutboxItem)
            .where(OutboxItem.ref.endswith(next(iter(keys))))
            .order_by(OutboxItem.id)
        ).first()
        assert first is not None and first.ref_version == 1
        first.next_attempt_at = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    assert "已应用1条" in trio.forward(trio.city)
    assert trio.province.held(keys) == [(next(iter(keys)), 1, CITY, 2, True)]
    out = trio.forward(trio.city, "--force")  # version 1 arrives late: unchanged
    assert "已应用0条，无变化1条" in out, out
    assert trio.province.held(keys) == [(next(iter(keys)), 1, CITY, 2, True)]
    trio.all_settled()
    assert trio.national.held(keys) == [(next(iter(keys)), 1, CITY, 2, True)]


def test_the_forwarder_killed_mid_backlog_loses_nothing_and_applies_nothing_twice(
    trio: Trio,
) -> None:
    pushed = rows(range(1000, 1150))
    keys = keys_of(pushed)
    assert trio.push(pushed)["accepted"] == 150
    assert trio.push([dict(r, 处罚内容="罚款人民币一千元。") for r in pushed[:50]])["updated"] == 50
    total = 200
    follower = trio.city.command("exchange", "run", "--follow", XINYONG_EXCHANGE_BATCH_ITEMS="3")
    try:
        wait_for(
            lambda: (
                any(s in SETTLED for s in trio.city.outbox(keys)) or follower.poll() is not None
            ),
            "the first receipts",
        )
        follower.send_signal(signal.SIGKILL)
        follower.wait(timeout=WAIT)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == -9, follower.stderr.read() if follower.stderr else ""
    states = trio.city.outbox(keys)
    settled = sum(1 for s in states if s in SETTLED)
    assert 0 < settled < total, settled

    out = trio.forward(trio.city, "--force")
    states = trio.city.outbox(keys)
    assert len(states) == total and set(states) <= SETTLED, states
    # nothing lost, nothing applied twice: each of the city's versions once, the newest current
    held = trio.province.held(keys)
    assert len(held) == total, out
    by_key: dict[str, list[tuple[int, int | None, bool]]] = {}
    for key, version, origin, origin_version, current in held:
        assert origin == CITY
        by_key.setdefault(key, []).append((version, origin_version, current))
    updated = keys_of(pushed[:50])
    for key, versions in by_key.items():
        if key in updated:
            assert versions == [(1, 1, False), (2, 2, True)], (key, versions)
        else:
            assert versions == [(1, 1, True)], (key, versions)
    trio.all_settled()
    assert len(trio.national.held(keys)) == total


def test_replayed_and_tampered_messages_are_refused_and_logged(trio: Trio) -> None:
    pushed = rows(range(300, 302))
    keys = keys_of(pushed)
    trio.push(pushed)
    # a message the city's forwarder would send, built and signed with the city's own key
    ctx = build_context(
        Settings(
            platform=CITY,
            data_dir=trio.city.folder,
            database_url=trio.city.database_url,
            secret_key=SECRET,
        )
    )
    try:
        with ctx.sessions() as session, session.begin():
            peer = session.get(Peer, PROVINCE)
            assert peer is not None
            out = service.build(session, ctx, peer, limit=100)
    finally:
        ctx.engine.dispose()
    assert out is not None
    before = trio.province.refusals()

    def post(body: bytes) -> Answer:
        return http(
            trio.province.url + forwarder.PATH,
            body,
            {
                "Content-Type": "application/json",
                SENDER_HEADER: CITY,
                SIGNATURE_HEADER: out.signature,
            },
        )

    assert post(out.body).status == 200  # its receipt never reaches the city
    replayed = post(out.body)
    assert replayed.status == 409 and "重放" in replayed.text, replayed.text
    tampered = post(out.body.replace("罚款人民币".encode(), "罚款美元".encode(), 1))
    assert tampered.status == 401 and "签名" in tampered.text, tampered.text
    assert trio.province.refusals() == before + 2
    assert len(trio.province.held(keys)) == 2  # applied once, the tampered content nowhere
    with trio.province.session() as session:
        assert not session.scalar(
            select(func.count()).where(CreditRecord.payload_json.contains("罚款美元"))
        )
    verified = trio.province.cli("audit", "verify", ok=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # the city, never told, sends the items again: answered unchanged, settled
    again = trio.forward(trio.city, "--force")
    assert "已应用0条，无变化2条" in again, again
    trio.all_settled()


def test_two_forwarders_at_once_send_in_turn(trio: Trio) -> None:
    """`xinyong exchange run --follow` and `xinyong jobs run` (whose forwarder step is the same)
    may run together: one sends a peer its items at a time, and the peer refuses nothing."""
    pushed = rows(range(2000, 2060))
    keys = keys_of(pushed)
    assert trio.push(pushed)["accepted"] == 60
    before = trio.province.refusals()
    both = [trio.city.command("exchange", "run", XINYONG_EXCHANGE_BATCH_ITEMS="2") for _ in "ab"]
    outputs = run_all(both)
    assert trio.province.refusals() == before, outputs
    assert trio.city.outbox(keys) == ["applied"] * 60, outputs
    assert [(v, o, c) for _, v, _, o, c in trio.province.held(keys)] == [(1, 1, True)] * 60
    trio.all_settled()
