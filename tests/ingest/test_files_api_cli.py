"""Files through the worker process, the HTTP API and the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.ingest.conftest import TODAY, csv_bytes, mixed_rows
from xinyong.audit.models import AuditEvent
from xinyong.cli import app as cli
from xinyong.common.errors import DomainError
from xinyong.common.roles import SYSTEM
from xinyong.config import get_settings
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_PASSWORD, load_demo
from xinyong.flows import AFTER_PUSH
from xinyong.ingest.service import ingest_file
from xinyong.web.app import create_app


@pytest.mark.parametrize("parallel", [True, False])
def test_file_ingestion_in_a_worker_process_gives_the_same_receipt(
    seeded: Context, tmp_path: Path, parallel: bool
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_bytes(mixed_rows()))
    receipt = ingest_file(
        seeded,
        actor=SYSTEM,
        provider_code="HRB-SCJG",
        item_code="HLJ-CF-001",
        path=path,
        kind="csv",
        parallel=parallel,
        chunk_size=3,
        after=AFTER_PUSH,
    )
    assert receipt.counts() == {
        "rows": 7,
        "accepted": 3,
        "updated": 0,
        "unchanged": 1,
        "rejected": 3,
    }
    assert sorted(r["row"] for r in receipt.rejected) == [3, 5, 6]


def test_worker_errors_reach_the_caller(seeded: Context, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("处罚决定书文号,处罚决定书文号\na,b\n", encoding="utf-8")
    with pytest.raises(DomainError) as err:
        ingest_file(
            seeded,
            actor=SYSTEM,
            provider_code="HRB-SCJG",
            item_code="HLJ-CF-001",
            path=path,
            kind="csv",
            parallel=True,
            after=AFTER_PUSH,
        )
    assert err.value.code == "ingest.duplicate_column"


@pytest.fixture
def client(ctx: Context) -> TestClient:
    load_demo(ctx, subjects=5, records=5)
    return TestClient(create_app(ctx))


def token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_api_push_single_batch_file_and_quarantine(client: TestClient, ctx: Context) -> None:
    headers = token(client, "provider")
    # the demo's own quarantined row (demo/seed.py) is not this test's
    demo_rows = {r["id"] for r in client.get("/api/quarantine", headers=headers).json()["rows"]}
    one = client.post("/api/ingest/HLJ-CF-001/records", json=penalty_row(1, TODAY), headers=headers)
    assert one.status_code == 200 and one.json()["accepted"] == 1
    batch = client.post(
        "/api/ingest/HLJ-CF-001/records",
        json={"records": [penalty_row(i, TODAY) for i in range(2, 6)]},
        headers=headers,
    ).json()
    assert batch["accepted"] == 4 and batch["rows_accepted"] == [[1, 4]]
    upload = client.post(
        "/api/ingest/HLJ-CF-001/files",
        files={"file": ("处罚.csv", io.BytesIO(csv_bytes(mixed_rows())), "text/csv")},
        headers=headers,
    )
    body = upload.json()
    assert upload.status_code == 200 and body["rejected"] == 3
    assert (
        client.get(f"/api/ingest/batches/{body['batch_id']}", headers=headers).json()["state"]
        == "done"
    )
    open_rows = client.get("/api/quarantine", headers=headers).json()
    assert open_rows["total"] == 3 + len(demo_rows)
    open_rows["rows"] = [r for r in open_rows["rows"] if r["id"] not in demo_rows]
    qid = open_rows["rows"][0]["id"]
    fixed = client.post(
        f"/api/quarantine/{qid}/resubmit", json=penalty_row(50, TODAY), headers=headers
    )
    assert fixed.json()["accepted"] == 1
    gone = client.post(
        f"/api/quarantine/{open_rows['rows'][1]['id']}/withdraw",
        json={"reason": "误报"},
        headers=headers,
    )
    assert gone.json()["state"] == "withdrawn"
    history = client.get(
        f"/api/records/HLJ-CF-001/{penalty_row(1, TODAY)['处罚决定书文号']}/history",
        headers=headers,
    ).json()
    assert history[0]["version"] == 1
    key = penalty_row(1, TODAY)["处罚决定书文号"]
    assert history[0]["fields"]["处罚决定书文号"] == key  # through the visibility engine
    with ctx.sessions() as session:  # the unit's read is on the log (HLJ 35)
        logged = session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.action == "sharing:history:read")
        ).all()
    assert logged == [f"HRB-SCJG/HLJ-CF-001/{key}"]
    other = client.get(f"/api/records/HLJ-CF-001/{key}/history", headers=token(client, "company"))
    assert other.status_code == 403
    report = client.get("/api/providers/HRB-SCJG/timeliness", headers=headers).json()
    assert report["items"][0]["item"] == "HLJ-CF-001"


def test_api_refusals_are_coded(client: TestClient) -> None:
    bank = token(client, "bank")
    r = client.post("/api/ingest/HLJ-CF-001/records", json=penalty_row(1, TODAY), headers=bank)
    assert r.status_code == 403
    provider = token(client, "provider")
    r = client.post(
        "/api/ingest/HLJ-CF-001/records?provider=HLJ-SCJG",
        json=penalty_row(1, TODAY),
        headers=provider,
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.other_provider"
    r = client.post("/api/ingest/HLJ-SX-001/records", json={}, headers=provider)
    assert r.status_code == 403 and r.json()["error"]["code"] == "ingest.provider_not_allowed"
    assert r.json()["error"]["citations"][0]["article"] == 18
    r = client.post(
        "/api/ingest/HLJ-CF-001/files",
        files={"file": ("x.txt", b"a", "text/plain")},
        headers=provider,
    )
    assert r.json()["error"]["code"] == "ingest.file_type"


def test_catalog_api(client: TestClient) -> None:
    items = client.get("/api/catalog").json()
    assert len({i["category"] for i in items}) == 10
    item = client.get("/api/catalog/HLJ-CF-001").json()
    assert item["version"] == 1 and "unverified_notice" in item
    spec = client.get("/api/catalog/HLJ-BZ-001").json()
    spec.pop("version")
    spec["category"] = "gossip"
    assert (
        client.post("/api/catalog", json=spec, headers=token(client, "provider")).status_code == 403
    )
    r = client.post("/api/catalog", json=spec, headers=token(client, "staff"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "catalog.category_outside_hlj18"


def test_cli_ingest_prints_the_receipt(
    seeded: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XINYONG_DATABASE_URL", seeded.settings.resolved_database_url())
    monkeypatch.setenv("XINYONG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("XINYONG_SECRET_KEY", "test-secret-key")
    get_settings.cache_clear()
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_bytes(mixed_rows()))
    try:
        result = CliRunner().invoke(
            cli, ["ingest", str(path), "--provider", "HRB-SCJG", "--item", "HLJ-CF-001"]
        )
        listing = CliRunner().invoke(cli, ["quarantine", "list", "--provider", "HRB-SCJG"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "新增3" in result.output and "拒收3" in result.output and "简易程序" in result.output
    assert "共3条" in listing.output
