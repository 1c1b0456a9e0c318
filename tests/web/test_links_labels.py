"""Issue 16 (staff): codes named by their Chinese label over HTTP, HLJ 33 links registered before
and after a listing, one relation code, duplicate links refused. Both databases (`client`)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import login
from xinyong.context import Context
from xinyong.demo.generate import synthetic_citizen_id, synthetic_uscc
from xinyong.demo.seed import DEMO_COMPANY
from xinyong.records.models import CreditRecord

PERSON = synthetic_citizen_id(7_100_001, ("230103",))
OTHER = synthetic_citizen_id(7_100_002, ("230103",))


def _link(relation: str, person: str = PERSON, name: str = "李法人") -> dict[str, Any]:
    return {
        "person_key": person,
        "person_name": name,
        "relation": relation,
        "valid_from": "2020-01-01",
        "source": "市场主体登记信息",
    }


def _recognise(client: TestClient, staff: dict[str, str], company: str) -> dict[str, Any]:
    body = {
        "subject_key": company,
        "subject_name": "哈尔滨关联测试有限公司",
        "authority": "哈尔滨市市场监督管理局",
        "conduct_category": "市场秩序",  # a name for a pack code: mapped, or the cited refusal
        "basis_type": "administrative_penalty",
        "basis_document": "哈市监罚〔2026〕9号",
        "reasons": "严重扰乱市场秩序",
        "valid_until": "2029-01-01",
        "removal_conditions": "期限届满",
        "remedies": "行政复议或行政诉讼",
    }
    r = client.post("/api/lists/serious", json=body, headers=staff)
    if r.status_code != 201:  # the category by its code
        r = client.post(
            "/api/lists/serious", json=body | {"conduct_category": "market_order"}, headers=staff
        )
    assert r.status_code == 201, r.text
    return r.json()


def _entries_of(client: TestClient, staff: dict[str, str], number: str) -> dict[str, Any]:
    r = client.get(f"/api/list-entries/{number}", headers=staff)
    assert r.status_code == 200, r.text
    return r.json()


def _derived(ctx: Context, parent: str) -> list[tuple[str, str | None, str]]:
    from xinyong.lists.models import ListEntry

    with ctx.sessions() as session:
        parent_id = session.scalar(select(ListEntry.id).where(ListEntry.number == parent))
        return [
            (e.subject_key, e.relation, e.state)
            for e in session.scalars(select(ListEntry).where(ListEntry.parent_id == parent_id))
        ]


def test_a_relation_by_its_chinese_name_is_accepted(client: TestClient) -> None:
    """`"relation":"法定代表人"` was refused (422) before issue 16."""
    provider = login(client, "provider")
    r = client.post(
        f"/api/subjects/{DEMO_COMPANY}/links", json=_link("法定代表人"), headers=provider
    )
    assert r.status_code == 201, r.text
    assert r.json()["relation"] == "legal_representative"
    shown = client.get(f"/api/subjects/{DEMO_COMPANY}/links", headers=provider).json()
    assert [s["relation_label"] for s in shown] == ["法定代表人"]


def test_an_unknown_relation_lists_the_names_in_chinese(client: TestClient) -> None:
    r = client.post(
        f"/api/subjects/{DEMO_COMPANY}/links", json=_link("朋友"), headers=login(client, "staff")
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "request.invalid"
    assert "relation" in error["message"]
    assert "法定代表人、主要负责人、实际控制人、影响债务履行的直接责任人" in error["message"]


def test_the_former_code_is_an_alias_of_the_packs(client: TestClient) -> None:
    """`directly_responsible` (the API's code) was stored as is and ignored by the listing."""
    staff = login(client, "staff")
    r = client.post(
        f"/api/subjects/{DEMO_COMPANY}/links",
        json=_link("directly_responsible", OTHER, "赵责任"),
        headers=staff,
    )
    assert r.status_code == 201, r.text
    assert r.json()["relation"] == "responsible_person"
    again = client.post(
        f"/api/subjects/{DEMO_COMPANY}/links",
        json=_link("直接责任人", OTHER, "赵责任"),
        headers=staff,
    )
    assert again.status_code == 409  # the same relation under its other names


def test_a_duplicate_link_is_refused_in_chinese(client: TestClient) -> None:
    staff = login(client, "staff")
    url = f"/api/subjects/{DEMO_COMPANY}/links"
    assert client.post(url, json=_link("legal_representative"), headers=staff).status_code == 201
    r = client.post(url, json=_link("法定代表人"), headers=staff)
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "subjects.link_exists" and "不能重复登记" in error["message"]
    # another relation of the same person is a different link
    assert client.post(url, json=_link("实际控制人"), headers=staff).status_code == 201


def test_a_link_registered_before_the_listing_reaches_the_person(
    client: TestClient, ctx: Context
) -> None:
    company = synthetic_uscc(7_100_010, "230103")
    staff = login(client, "staff")
    r = client.post(
        f"/api/subjects/{company}/links", json=_link("影响债务履行的直接责任人"), headers=staff
    )
    assert r.status_code == 201 and r.json()["listed"] == []
    entry = _recognise(client, staff, company)
    assert _derived(ctx, entry["number"]) == [(PERSON, "responsible_person", entry["state"])]


def test_a_link_registered_after_the_listing_reaches_the_person(
    client: TestClient, ctx: Context
) -> None:
    """HLJ 33: before issue 16 a legal representative registered after the recognition was
    never reached (the persons were decided at recognition only)."""
    company = synthetic_uscc(7_100_011, "230103")
    staff = login(client, "staff")
    entry = _recognise(client, staff, company)
    assert _derived(ctx, entry["number"]) == []
    r = client.post(f"/api/subjects/{company}/links", json=_link("法定代表人"), headers=staff)
    assert r.status_code == 201, r.text
    listed = r.json()["listed"]
    assert len(listed) == 1
    assert _derived(ctx, entry["number"]) == [(PERSON, "legal_representative", entry["state"])]
    person = _entries_of(client, staff, listed[0])
    assert person["relation"] == "legal_representative"
    assert entry["number"] in person["basis_document"] and "法定代表人" in person["reasons"]
    # a second link of the same person in another relation: its own entry; none twice
    r = client.post(f"/api/subjects/{company}/links", json=_link("主要负责人"), headers=staff)
    assert len(r.json()["listed"]) == 1
    assert len(_derived(ctx, entry["number"])) == 2


def _objection(client: TestClient, ctx: Context) -> str:
    with ctx.sessions() as session:
        record_id = session.scalar(
            select(CreditRecord.id)
            .where(CreditRecord.subject_key == DEMO_COMPANY, CreditRecord.is_current.is_(True))
            .order_by(CreditRecord.id)
            .limit(1)
        )
    assert record_id is not None
    r = client.post(
        "/api/me/objections",
        json={"record_id": record_id, "request": "该处罚信息有误"},
        headers=login(client, "company"),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["number"])


def test_a_pause_reason_by_its_chinese_name_is_accepted(client: TestClient, ctx: Context) -> None:
    """`"reason":"检验"` was refused (422) before issue 16."""
    number = _objection(client, ctx)
    staff = login(client, "staff")
    body = {"start": "2026-11-24", "end": "2026-11-25", "reason": "检验"}
    r = client.post(f"/api/cases/{number}/pauses", json=body, headers=staff)
    assert r.status_code == 200, r.text
    wrong = client.post(
        f"/api/cases/{number}/pauses", json=body | {"reason": "休假"}, headers=staff
    )
    assert wrong.status_code == 422
    assert "检验、检测、检疫、鉴定、专家评审" in wrong.json()["error"]["message"]


def test_a_consent_class_by_its_chinese_name_or_alias(client: TestClient, ctx: Context) -> None:
    from xinyong.consents.models import Consent

    body = {
        "subject_key": PERSON,
        "item_code": "HLJ-QS-001",
        "classes": ["纳税数额", "工资"],  # a name and an alias the pack gives
        "purpose": "纳税信用评价",
        "informed": True,
        "written": True,
        "adverse_consequences_told": True,
        "document": "书面同意书2026-12",
        "valid_from": "2026-01-01",
    }
    r = client.post("/api/consents", json=body, headers=login(client, "staff"))
    assert r.status_code == 201, r.text
    with ctx.sessions() as session:
        stored = session.get(Consent, r.json()["id"])
        assert stored is not None and stored.classes_json == '["income", "tax_amount"]'
    wrong = client.post(
        "/api/consents", json=body | {"classes": ["体重"]}, headers=login(client, "staff")
    )
    assert wrong.status_code == 422 and "收入、存款" in wrong.json()["error"]["message"]
