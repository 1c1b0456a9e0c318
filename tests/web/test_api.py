"""The HTTP API end to end (TestClient over the real app and database)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import login


def test_health(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["platform"] == "230000"
    assert body["platform_name"] == "黑龙江省公共信用信息平台"


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/law/{key}" in paths
    records = paths["/api/subjects/{key}/records"]["get"]  # its parameters, read by the route
    assert [p["name"] for p in records["parameters"]] == ["key", "purpose"]


def test_law_endpoint_for_harbin(client: TestClient) -> None:
    body = client.get("/api/law/objection.decide", params={"platform": "harbin"}).json()
    assert body["value"] == 3 and body["unit"] == "working_day"
    assert body["citations"][0]["label"] == "《黑龙江省社会信用条例》第三十九条第二款"
    assert any(not c["applied"] and c["value"] == 5 for c in body["contributions"])


def test_law_errors_are_coded_and_chinese(client: TestClient) -> None:
    r = client.get("/api/law/objection.decide", params={"on": "2020-01-01"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "law.not_in_force"
    r = client.get("/api/law/objection.decide", params={"on": "not-a-date"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "request.invalid"


def test_workdays_and_calendar(client: TestClient) -> None:
    body = client.get("/api/workdays/add", params={"start": "2026-09-30", "days": 3}).json()
    assert body["due"] == "2026-10-10" and body["provisional"] is False
    body = client.get(
        "/api/workdays/add",
        params={"start": "2026-11-23", "days": 3, "pause": "2026-11-24..2026-11-25"},
    ).json()
    assert body["due"] == "2026-11-30" and body["paused_workdays"] == 2
    assert client.get("/api/calendar/2027").json()["official"] is False
    bad = client.get(
        "/api/workdays/add", params={"start": "2026-11-23", "days": 3, "pause": "x..y"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "workdays.bad_pause"


def test_identifier_check(client: TestClient) -> None:
    body = client.get("/api/identifiers/91350100M000100Y44").json()
    assert body["valid"] is False and body["failures"][0]["rule"] == "check_character"


def test_login_me_and_roles(client: TestClient) -> None:
    assert client.get("/api/me").json()["role"] == "public"
    me = client.get("/api/me", headers=login(client, "company")).json()
    assert me["role"] == "subject" and me["subject_key"]
    r = client.post("/api/auth/token", data={"username": "company", "password": "nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.required"
    bad = client.get("/api/me", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401


def test_api_key_for_provider_units(client: TestClient) -> None:
    headers = login(client, "provider")
    key = client.post("/api/auth/api-keys", json={"label": "推送"}, headers=headers).json()[
        "api_key"
    ]
    assert client.get("/api/me", headers={"X-API-Key": key}).json()["username"] == "provider"
    r = client.post("/api/auth/api-keys", json={"label": "x"}, headers=login(client, "citizen"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.role"


def test_audit_verify_is_for_staff(client: TestClient) -> None:
    assert client.get("/api/audit/verify").status_code == 401
    assert client.get("/api/audit/verify", headers=login(client, "bank")).status_code == 403
    body = client.get("/api/audit/verify", headers=login(client, "staff")).json()
    assert body["ok"] is True and body["checked"] > 7


def test_landing_and_rules_pages(client: TestClient) -> None:
    page = client.get("/").text
    assert "黑龙江省公共信用信息平台" in page and "社会公众" in page
    rules = client.get("/rules").text
    assert "objection.decide" in rules and "未核实" in rules
