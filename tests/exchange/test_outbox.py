"""The transactional outbox (issue 17): every record version a push writes is queued for the
upper platform in the same transaction, pushed through the door a provider uses (HTTP with a
real token); a node without an upper platform queues nothing; peers are registered by the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.ingest.conftest import TODAY, seed_catalog_and_unit
from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.exchange import peers
from xinyong.exchange.models import OutboxItem
from xinyong.exchange.outbox import record_ref
from xinyong.exchange.signing import public_key_hex
from xinyong.records.models import CreditRecord
from xinyong.web.app import create_app

PASSWORD = "unit-password-1"


def _token(client: TestClient) -> str:
    answer = client.post("/api/auth/token", data={"username": "unit", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _push(client: TestClient, token: str, rows: list[dict[str, str]]) -> dict[str, object]:
    answer = client.post(
        "/api/ingest/HLJ-CF-001/records",
        json={"records": rows},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _register_upper(ctx: Context) -> None:
    with ctx.sessions() as session, session.begin():
        peers.add(
            session,
            ctx,
            actor=SYSTEM,
            code="100000",
            name="全国信用信息共享平台",
            relation="upper",
            url="http://127.0.0.1:9",
            public_key=public_key_hex(ctx.settings),
        )


def test_every_version_pushed_is_queued_for_the_upper_platform(ctx: Context) -> None:
    seed_catalog_and_unit(ctx, PASSWORD)
    client = TestClient(create_app(ctx))
    token = _token(client)
    _push(client, token, [penalty_row(0, TODAY)])  # before a peer: nothing to queue
    _register_upper(ctx)
    rows = [penalty_row(i, TODAY) for i in range(1, 4)]
    receipt = _push(client, token, rows)
    assert receipt["accepted"] == 3
    changed = dict(rows[0], 处罚内容="罚款人民币二千元")
    receipt = _push(client, token, [changed, rows[1]])  # one update, one unchanged
    assert receipt["updated"] == 1 and receipt["unchanged"] == 1
    with ctx.sessions() as session:
        queued = session.scalars(select(OutboxItem).order_by(OutboxItem.id)).all()
        versions = session.execute(
            select(
                CreditRecord.provider_code,
                CreditRecord.item_code,
                CreditRecord.record_key,
                CreditRecord.version,
            )
            .where(CreditRecord.recorded_at.is_not(None))
            .order_by(CreditRecord.id)
        ).all()
    # the first record (pushed before the peer) is not queued; every later version is, once
    assert [(q.ref, q.ref_version) for q in queued] == [
        (record_ref(p, i, k), v) for p, i, k, v in versions[1:]
    ]
    assert all(q.peer_code == "100000" and q.state == "pending" for q in queued)
    assert {q.aggregated_on for q in queued} == {TODAY}


def test_a_refused_push_queues_nothing(ctx: Context) -> None:
    seed_catalog_and_unit(ctx, PASSWORD)
    _register_upper(ctx)
    client = TestClient(create_app(ctx))
    token = _token(client)
    bad = dict(penalty_row(7, TODAY), 统一社会信用代码="abc")
    receipt = _push(client, token, [bad])
    assert receipt["rejected"] == 1
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 0


def test_peers_are_registered_listed_and_removed_by_the_cli(tmp_path: Path) -> None:
    env = dict(os.environ, XINYONG_DATA_DIR=str(tmp_path), XINYONG_PLATFORM="230100")
    env.pop("XINYONG_DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "xinyong.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("db", "upgrade").returncode == 0
    key = run("exchange", "public-key").stdout.strip()
    assert len(key) == 64
    added = run(
        "peers",
        "add",
        "230000",
        "黑龙江省公共信用信息平台",
        "--url",
        "http://127.0.0.1:9",
        "--public-key",
        key,
    )
    assert added.returncode == 0, added.stderr
    assert "已登记上级平台" in added.stdout
    listed = run("peers", "list")
    assert "230000" in listed.stdout and "上级平台" in listed.stdout
    second = run(
        "peers", "add", "100000", "全国平台", "--url", "http://127.0.0.1:9", "--public-key", key
    )
    assert second.returncode != 0 and "只有一个上级平台" in second.stderr
    bad = run("peers", "add", "23010", "x", "--url", "http://x", "--public-key", key)
    assert bad.returncode != 0 and "6位行政区划代码" in bad.stderr
    assert run("peers", "remove", "230000").returncode == 0
    assert "尚未登记" in run("peers", "list").stdout
