"""Chapter 4 over HTTP: roles on every route, coded Chinese refusals, stored checks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import login
from xinyong.audit.tags import AuditTag
from xinyong.demo.seed import DEMO_COMPANY
from xinyong.lists.demo import DEMO_LISTED


def test_public_lists_and_measures(client: TestClient) -> None:
    everyone = client.get("/api/lists/serious").json()
    listed = [e for e in everyone if e["subject_key"] == DEMO_LISTED]
    assert len(listed) == 1
    court = [e for e in everyone if e["basis_type"] == "court_debtor"]
    assert all("失信被执行人" in e["basis_document"] for e in court)
    assert {"reasons", "basis_document", "valid_until", "removal_conditions", "remedies"} <= set(
        listed[0]
    )
    decision = client.get(f"/api/list-entries/{listed[0]['number']}").json()
    assert decision["in_force"] is True
    codes = {m["code"] for m in client.get("/api/measures").json()}
    assert "DEMO-PUN-PROCUREMENT" in codes


def test_recognition_needs_staff_and_every_element(client: TestClient) -> None:
    body = {
        "subject_key": DEMO_COMPANY,
        "authority": "测试部门",
        "conduct_category": "market_order",
        "basis_type": "administrative_penalty",
        "basis_document": "测罚〔2026〕1号",
        "reasons": "测试",
        "valid_until": "2027-01-01",
        "removal_conditions": "期限届满",
    }
    assert client.post("/api/lists/serious", json=body).status_code == 401
    agency = login(client, "agency")
    assert client.post("/api/lists/serious", json=body, headers=agency).status_code == 403
    staff = login(client, "staff")
    r = client.post("/api/lists/serious", json=body, headers=staff)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "lists.decision_incomplete" and "救济途径" in error["message"]
    assert error["citations"][0]["label"] == "《黑龙江省社会信用条例》第二十八条第二款"
    r = client.post("/api/lists/serious", json=body | {"remedies": "行政复议"}, headers=staff)
    assert r.status_code == 201 and r.json()["state"] == "active"


def test_checks_are_for_agencies_and_stored(client: TestClient) -> None:
    body = {"scenario": "procurement", "subjects": [DEMO_LISTED, DEMO_COMPANY]}
    assert client.post("/api/checks", json=body).status_code == 401
    assert client.post("/api/checks", json=body, headers=login(client, "bank")).status_code == 403
    agency = login(client, "agency")
    r = client.post("/api/checks", json=body, headers=agency)
    assert r.status_code == 201
    answer = r.json()
    listed, company = answer["results"]
    assert [i["measure"] for i in listed["restrictions"]] == ["DEMO-PUN-PROCUREMENT"]
    assert [i["measure"] for i in company["incentives"]] == ["DEMO-INC-PROCUREMENT"]
    stored = client.get(f"/api/checks/{answer['check_id']}", headers=agency).json()
    assert stored["digest"] == answer["digest"] and stored["results"] == answer["results"]
    csv = client.get(f"/api/checks/{answer['check_id']}/csv", headers=agency)
    assert csv.headers["content-type"].startswith("text/csv") and DEMO_LISTED in csv.text
    r = client.post("/api/checks", json=body | {"scenario": "gossip"}, headers=agency)
    assert r.status_code == 422 and r.json()["error"]["code"] == "checks.scenario"
    company_session = login(client, "company")
    log = client.get("/api/me/accesses", headers=company_session).json()
    assert any(e["action"] == AuditTag.LISTS_CHECK_RUN and e["who"] == "agency" for e in log)


def test_court_debtor_entries_have_a_complete_basis_name_and_authority(
    client: TestClient,
) -> None:
    """Issue 16: the court sync wrote "（）纳入失信被执行人名单；执行依据", the code as the name
    and the provider's code as the authority when the court record lacked those fields."""
    court = [
        e for e in client.get("/api/lists/serious").json() if e["basis_type"] == "court_debtor"
    ]
    assert court
    for e in court:
        basis = e["basis_document"]
        assert "（）" not in basis and not basis.endswith("执行依据") and basis[0] != "（"
        assert "失信被执行人名单" in basis
        assert not e["authority"].startswith("HLJ-")
        assert e["subject_name"] != e["subject_key"] and not e["subject_name"][0].isdigit()


def test_court_basis_from_the_records_fields() -> None:
    from xinyong.lists.court_debtors import court_basis

    full = {"案号": "（2026）黑01执1号", "执行依据文号": "（2025）黑01民初2号"}
    assert (
        court_basis("哈尔滨市中级人民法院", full, "K")
        == "哈尔滨市中级人民法院（（2026）黑01执1号）纳入失信被执行人名单；"
        "执行依据（2025）黑01民初2号"
    )
    assert court_basis("某法院", {"文书号": "演示〔2026〕1号"}, "DEMO-1") == (
        "某法院（DEMO-1）纳入失信被执行人名单；执行依据演示〔2026〕1号"
    )
    assert court_basis("某法院", {}, "") == "某法院纳入失信被执行人名单"
