"""Issue 16, providers: a quarantined row is fixed in place (only the corrected fields are sent,
the rest of the row is kept), and re-pushing the same bad rows keeps one open quarantine row per
source row with an attempt count. Through HTTP with a real token, on both databases."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.ingest.conftest import TODAY, csv_bytes, flip_check
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_PASSWORD, load_demo
from xinyong.ingest.models import QuarantinedRow
from xinyong.web.app import create_app

ITEM = "HLJ-CF-001"


@pytest.fixture
def client(ctx: Context) -> TestClient:
    load_demo(ctx, subjects=5, records=5)
    return TestClient(create_app(ctx))


def token(client: TestClient, username: str = "provider") -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def bad_row(n: int) -> tuple[dict[str, str], str]:
    row = dict(penalty_row(n, TODAY))
    good = row["统一社会信用代码"]
    row["统一社会信用代码"] = flip_check(good)
    return row, good


def push_bad(client: TestClient, headers: dict[str, str], rows: list[dict[str, str]]) -> dict:  # type: ignore[type-arg]
    r = client.post(f"/api/ingest/{ITEM}/records", json={"records": rows}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def open_rows(ctx: Context) -> int:
    with ctx.sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(QuarantinedRow)
                .where(QuarantinedRow.state == "open")
            )
            or 0
        )


@pytest.mark.parametrize("path", ["resubmit", "fix"])
def test_resubmitting_only_the_corrected_field_keeps_the_rest_of_the_row(
    client: TestClient, ctx: Context, path: str
) -> None:
    headers = token(client)
    before = open_rows(ctx)
    row, good = bad_row(700)
    receipt = push_bad(client, headers, [row])
    qid = receipt["rows_rejected"][0]["quarantine_id"]
    body = {"统一社会信用代码": good}
    r = client.post(
        f"/api/quarantine/{qid}/{path}",
        json={"fields": body} if path == "fix" else body,
        headers=headers,
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["accepted"] == 1 and answer["rejected"] == 0, answer  # not "缺少必填字段"
    listed = client.get("/api/quarantine?state=", headers=headers).json()["rows"]
    fixed = next(q for q in listed if q["id"] == qid)
    assert fixed["state"] == "resubmitted"
    assert fixed["payload"]["统一社会信用代码"] == good
    assert fixed["payload"]["处罚决定书文号"] == row["处罚决定书文号"]
    assert open_rows(ctx) == before
    key = row["处罚决定书文号"]
    history = client.get(f"/api/records/{ITEM}/{key}/history", headers=headers).json()
    assert history[0]["fields"]["违法行为类型"] == row["违法行为类型"]


def test_a_fix_still_wrong_keeps_the_same_row_open_with_new_reasons(
    client: TestClient, ctx: Context
) -> None:
    headers = token(client)
    row, _good = bad_row(701)
    qid = push_bad(client, headers, [row])["rows_rejected"][0]["quarantine_id"]
    r = client.post(
        f"/api/quarantine/{qid}/fix",
        json={"fields": {"统一社会信用代码": "abc"}},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["rejected"] == 1
    assert r.json()["rows_rejected"][0]["quarantine_id"] == qid
    one = client.get(f"/api/quarantine/{qid}", headers=headers).json()
    assert one["state"] == "open" and one["attempts"] == 2
    assert one["payload"]["统一社会信用代码"] == "abc"
    assert all(reason["code"] != "ingest.required" for reason in one["reasons"])
    gone = client.post(
        f"/api/quarantine/{qid}/withdraw", json={"reason": "该决定已撤销"}, headers=headers
    )
    assert gone.json()["state"] == "withdrawn"


def test_repushing_the_same_bad_rows_keeps_one_open_row_each_with_attempts(
    client: TestClient, ctx: Context
) -> None:
    headers = token(client)
    before = open_rows(ctx)
    keyed, _ = bad_row(702)
    keyless = dict(penalty_row(703, TODAY), 处罚决定书文号="")  # no record key: by content
    first = push_bad(client, headers, [keyed, keyless])
    assert first["rejected"] == 2
    ids = sorted(r["quarantine_id"] for r in first["rows_rejected"])
    upload = client.post(
        f"/api/ingest/{ITEM}/files",
        files={"file": ("again.csv", io.BytesIO(csv_bytes([keyed, keyless])), "text/csv")},
        headers=headers,
    ).json()
    assert upload["rejected"] == 2
    assert sorted(r["quarantine_id"] for r in upload["rows_rejected"]) == ids
    assert open_rows(ctx) == before + 2
    listed = client.get("/api/quarantine", headers=headers).json()["rows"]
    attempts = {q["id"]: q["attempts"] for q in listed}
    assert attempts[ids[0]] == 2 and attempts[ids[1]] == 2
    # the same key with other mistakes is the same source row
    keyed_other = dict(keyed, 适用程序="简易程序")
    third = push_bad(client, headers, [keyed_other])
    assert third["rows_rejected"][0]["quarantine_id"] == ids[0]
    assert client.get(f"/api/quarantine/{ids[0]}", headers=headers).json()["attempts"] == 3
    assert open_rows(ctx) == before + 2


def test_me_names_the_unit_and_batches_are_listed_newest_first(
    client: TestClient, ctx: Context
) -> None:
    headers = token(client)
    me = client.get("/api/me", headers=headers).json()
    assert me["provider"]["code"] == "HRB-SCJG" and "市场监督管理局" in me["provider"]["name"]
    assert client.get("/api/me", headers=token(client, "company")).json()["provider"] is None
    row, _ = bad_row(710)
    newest = push_bad(client, headers, [row])["batch_id"]
    listed = client.get(f"/api/ingest/batches?item={ITEM}&limit=2", headers=headers).json()
    assert listed["total"] >= 2 and listed["batches"][0]["batch_id"] == newest
    assert listed["batches"][0]["state"] == "done" and listed["batches"][0]["rejected"] == 1
    none = client.get(f"/api/ingest/batches?state=processing&item={ITEM}", headers=headers)
    assert none.json() == {"total": 0, "batches": []}
    other = client.get("/api/ingest/batches?provider=HRB-GS", headers=headers)
    assert other.status_code == 403


def test_the_upload_form_without_javascript_lands_on_the_receipt(
    client: TestClient, ctx: Context
) -> None:
    form = client.get("/login").text
    csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
    login = client.post(
        "/login",
        data={"username": "provider", "password": DEMO_PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert login.status_code == 303 and login.headers["location"] == "/provider"
    page = client.get("/provider/upload")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    row, _ = bad_row(720)
    sent = client.post(
        "/provider/upload",
        data={"item": ITEM, "csrf_token": csrf},
        files={"file": ("处罚.csv", io.BytesIO(csv_bytes([row])), "text/csv")},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith("/provider/batches/")
    receipt = client.get(sent.headers["location"])
    assert '拒收 <strong id="r-rejected">1</strong>' in receipt.text
