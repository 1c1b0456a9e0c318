"""The evaluation's three doors over HTTP with real tokens (HLJ 47 ¶1): the subject reads its own
grade and explanation; staff read any; agencies and banks under agreement read with a purpose,
audited and shown in the subject's access log; nobody else, and never the public."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import client, login  # noqa: F401
from xinyong.demo.seed import DEMO_CITIZEN, DEMO_COMPANY


def test_the_three_doors(client: TestClient) -> None:  # noqa: F811
    staff = login(client, "staff")
    r = client.post("/api/evaluation/runs", headers=staff)
    assert r.status_code == 201, r.text
    assert r.json()["subjects"] >= 1

    company = login(client, "company")
    own = client.get("/api/me/evaluation", headers=company)
    assert own.status_code == 200, own.text
    body = own.json()
    assert body["subject_key"] == DEMO_COMPANY and body["grade"] in "ABCD"
    assert body["setting_note"] == "平台设定，非法定"
    # the explanation adds up: base score plus every indicator's points is the score
    total = body["base_score"] + sum(i["points"] for i in body["indicators"])
    assert round(total, 2) == body["score"]

    # a subject reads only its own; the public not at all
    other = client.get(f"/api/subjects/{DEMO_CITIZEN}/evaluation", headers=company)
    assert other.status_code == 403
    assert client.get(f"/api/subjects/{DEMO_COMPANY}/evaluation").status_code == 401

    # staff read any
    assert client.get(f"/api/subjects/{DEMO_COMPANY}/evaluation", headers=staff).status_code == 200

    # a bank and an agency must state a purpose; the read is in the subject's access log
    bank = login(client, "bank")
    refused = client.get(f"/api/subjects/{DEMO_COMPANY}/evaluation", headers=bank)
    assert refused.status_code == 422
    assert "第四十七条" in refused.json()["error"]["message"]
    read = client.get(
        f"/api/subjects/{DEMO_COMPANY}/evaluation", params={"purpose": "授信审查"}, headers=bank
    )
    assert read.status_code == 200, read.text
    agency = login(client, "agency")
    read = client.get(
        f"/api/subjects/{DEMO_COMPANY}/evaluation",
        params={"purpose": "分级分类监管"},
        headers=agency,
    )
    assert read.status_code == 200, read.text
    log = client.get("/api/me/accesses", headers=company).json()
    grade_reads = [e for e in log if e["action"] == "evaluation:grade:read"]
    assert {e["purpose"] for e in grade_reads} >= {"授信审查", "分级分类监管"}
    assert all(e["action_label"] == "查阅公共信用综合评价结果" for e in grade_reads)

    # /me shows the grade and what moved it
    page = client.get("/me", headers=company)
    assert page.status_code == 200
    assert 'id="evaluation-grade"' in page.text and "平台设定，非法定" in page.text

    # a natural person is not evaluated: no grade, said plainly
    citizen = login(client, "citizen")
    none = client.get("/api/me/evaluation", headers=citizen)
    assert none.status_code == 404
    assert "尚无" in none.json()["error"]["message"]
