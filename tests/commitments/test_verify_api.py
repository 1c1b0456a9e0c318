"""The verification routes through HTTP with real tokens (issue 18, cverify): 容缺受理 and its
platform-set due day, the licence decided and its HLJ 46 clock, findings, rectification, the
sanction and its breach record, refusals naming the article, and the staff queue."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.commitments.verify_helpers import USCC, file_for_test
from tests.web.conftest import client, login  # noqa: F401  (the fixture)
from xinyong.common.clock import PLATFORM_TZ, FixedClock
from xinyong.context import Context


def _at(clock: FixedClock, day: dt.date) -> None:
    clock.set(dt.datetime.combine(day, dt.time(10), tzinfo=PLATFORM_TZ))


def test_a_false_commitment_from_decision_to_revocation(
    client: TestClient,  # noqa: F811
    ctx: Context,
    clock: FixedClock,
) -> None:
    _at(clock, dt.date(2026, 12, 31))
    staff = login(client, "staff")
    number = file_for_test(ctx)
    base = f"/api/commitments/{number}"

    assert client.post(f"{base}/decision", json={}).status_code == 401  # no token
    company = login(client, "company")
    assert client.post(f"{base}/decision", json={}, headers=company).status_code == 403

    r = client.post(f"{base}/decision", json={}, headers=staff)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decided_on"] == "2026-12-31" and body["verify_due_on"] == "2027-02-28"
    labels = [c["label"] for c in body["verify_citations"]]
    assert "《黑龙江省社会信用条例》第四十六条" in labels

    queue = client.get("/api/commitment-verifications", headers=staff).json()
    row = next(i for i in queue["items"] if i["number"] == number)
    assert row["due_on"] == "2027-02-28" and "第四十六条" in row["article"]
    assert "非法定" in queue["note"]
    assert client.get("/api/commitment-verifications", headers=company).status_code == 403

    _at(clock, dt.date(2027, 1, 20))
    staff = login(client, "staff")  # a token lasts a working day or so: a fresh one
    r = client.post(f"{base}/verification", json={"outcome": "false"}, headers=staff)
    assert r.status_code == 422 and "第四十六条" in r.json()["error"]["message"]
    r = client.post(
        f"{base}/verification",
        json={"outcome": "false", "measure": "rectify", "rectify_by": "2027-02-05"},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["fulfilment"] == "false" and body["rectify_by"] == "2027-02-05"
    assert body["breach_record"]["state"] == "active"
    assert body["breach_record"]["key"].endswith(f"|HLJ-CN-001|{number}")

    sanction = {
        "sanction": "revoked",
        "reason": "not_rectified",
        "document": "哈市监撤字〔2027〕1号",
    }
    r = client.post(f"{base}/sanction", json=sanction, headers=staff)
    assert r.status_code == 409 and "2027-02-05" in r.json()["error"]["message"]
    _at(clock, dt.date(2027, 2, 6))
    staff = login(client, "staff")
    r = client.post(f"{base}/sanction", json=sanction, headers=staff)
    assert r.status_code == 200, r.text
    assert [e["kind"] for e in r.json()["events"]][-1] == "licence_revoked"
    r = client.post(f"{base}/sanction", json=sanction, headers=staff)
    assert r.status_code == 409
    queue = client.get("/api/commitment-verifications", headers=staff).json()
    assert number not in [i["number"] for i in queue["items"]]
    # the company cannot promise any more, and the joint check tells the agency so (HLJ 45 ¶1)
    agency = login(client, "agency")
    check = client.post(
        "/api/checks",
        json={"scenario": "procurement", "subjects": [USCC], "matter": "核查承诺资格"},
        headers=agency,
    )
    assert check.status_code == 201, check.text
    line = check.json()["results"][0]["commitment"]
    assert line["eligible"] is False, line
    assert "虚假承诺" in str(line["grounds"]) or "未履行" in str(line["grounds"]), line
    refused = client.post(
        "/api/commitments",
        json={
            "subject_key": USCC,
            "subject_name": "哈尔滨示例食品有限公司",
            "commitment_type": "主动型",
            "reason": "再次承诺",
            "content": "承诺守法",
            "liability": "承担责任",
        },
        headers=agency,
    )
    assert refused.status_code in (403, 422), refused.text
    assert "第四十五条" in refused.json()["error"]["message"]


def test_cure_materials_in_time_decide_on_the_spot(
    client: TestClient,  # noqa: F811
    ctx: Context,
    clock: FixedClock,
) -> None:
    agency = login(client, "agency")
    _at(clock, dt.date(2026, 11, 23))
    number = file_for_test(ctx, commitment_type="cure")
    base = f"/api/commitments/{number}"
    r = client.post(f"{base}/decision", json={}, headers=agency)
    assert r.status_code == 422 and "第四十五条第二款" in r.json()["error"]["message"]
    r = client.post(f"{base}/missing-materials", json={"missing": "场所证明"}, headers=agency)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["materials_due_on"] == "2026-12-07" and "非法定" in body["cure_days_note"]
    queue = client.get("/api/commitment-verifications", headers=login(client, "staff"))
    row = next(i for i in queue.json()["items"] if i["number"] == number)
    assert "非法定" in row["stage"]
    _at(clock, dt.date(2026, 12, 1))
    agency = login(client, "agency")
    r = client.post(f"{base}/materials-received", headers=agency)
    assert r.status_code == 200, r.text
    assert r.json()["decided_on"] == "2026-12-01" and r.json()["verify_due_on"] == "2027-02-01"
    r = client.get(f"{base}/verification", headers=agency)
    assert [e["kind"] for e in r.json()["events"]] == [
        "materials_missing",
        "materials_received",
        "licence_decided",
    ]
    assert client.get("/api/commitments/CN-NONE/verification", headers=agency).status_code == 404
