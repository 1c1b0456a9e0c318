"""Integrity points through the doors (HLJ 26 ¶2), with real tokens: a citizen joins, an agency
reads for a published incentive (audited, in the citizen's access log); a banned scenario is
refused with the article, whoever asks; a person not in the scheme has no points anyone reads;
points only add; a benefit in a basic public service's area is refused when staff publish it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import client, login  # noqa: F401  (the fixture)
from xinyong.demo.seed import DEMO_CITIZEN

ARTICLE = "《黑龙江省社会信用条例》第二十六条第二款"
LIBRARY = {
    "code": "library",
    "name": "图书馆免押金借阅",
    "description": "积分达到门槛的读者借书免交押金",
    "provider": "哈尔滨市图书馆（演示）",
    "service_area": "culture",
    "min_points": 0,
}


def test_join_read_for_an_incentive_audited_and_banned_uses_refused(
    client: TestClient,  # noqa: F811
) -> None:
    staff = login(client, "staff")
    citizen = login(client, "citizen")
    agency = login(client, "agency")
    bank = login(client, "bank")
    r = client.post("/api/points/benefits", json=LIBRARY, headers=staff)
    assert r.status_code == 201, r.text
    # a benefit that would condition a basic public service is refused with the article
    r = client.post(
        "/api/points/benefits",
        json=LIBRARY | {"code": "school", "name": "积分优先入学", "service_area": "education"},
        headers=staff,
    )
    assert r.status_code == 403 and ARTICLE in r.json()["error"]["message"], r.text
    r = client.post(
        "/api/points/benefits",
        json=LIBRARY | {"code": "bus", "description": "积分不足者不予办理乘车卡"},
        headers=staff,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "points.restricting_benefit"

    url = f"/api/subjects/{DEMO_CITIZEN}/points"
    # not in the scheme: nobody reads any points
    for who in (agency, bank, staff):
        r = client.get(url, params={"scenario": "library"}, headers=who)
        assert r.status_code == 404, r.text
    mine = client.get("/api/me/points", headers=citizen).json()
    assert mine["joined"] is False and mine["total"] == 0 and mine["lines"] == []

    r = client.post("/api/me/points/join", headers=citizen)
    assert r.status_code == 200 and r.json()["joined"] is True, r.text
    assert client.post("/api/me/points/join", headers=citizen).status_code == 409
    before = r.json()["total"]
    assert all(line["points"] > 0 for line in r.json()["lines"])  # only adds

    r = client.get(url, params={"scenario": "library"}, headers=agency)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == before and r.json()["provider"] == LIBRARY["provider"]
    log = client.get("/api/me/accesses", headers=citizen).json()
    reads = [e for e in log if e["action"] == "points:points:read"]
    assert reads and reads[0]["purpose"] == "library" and ARTICLE in reads[0]["legal_basis"]

    # a banned scenario, whoever asks, even for a joined person: 4xx naming the article
    for who in (agency, bank, staff):
        for scenario in ("education", "medical_care", "household_registration"):
            r = client.get(url, params={"scenario": scenario}, headers=who)
            assert r.status_code == 403, r.text
            body = r.json()["error"]
            assert body["code"] == "points.banned_use" and ARTICLE in body["message"]
            assert body["citations"][0]["article"] == 26
    # an unpublished scenario is no purpose at all
    r = client.get(url, params={"scenario": "anything"}, headers=agency)
    assert r.status_code == 422 and r.json()["error"]["code"] == "points.unknown_scenario"
    # the public and other subjects are not readers
    assert client.get(url, params={"scenario": "library"}).status_code == 401

    # leaving stops it, the history kept
    r = client.post("/api/me/points/leave", headers=citizen)
    assert r.status_code == 200 and r.json()["joined"] is False
    assert len(r.json()["history"]) == 1 and r.json()["history"][0]["left_at"]
    r = client.get(url, params={"scenario": "library"}, headers=agency)
    assert r.status_code == 404


def test_the_public_page_shows_rules_benefits_and_the_ban(client: TestClient) -> None:  # noqa: F811
    page = client.get("/points")
    assert page.status_code == 200
    for text in ("加分规则", "平台设定，非法定", ARTICLE, "户籍登记", "非条例原文"):
        assert text in page.text
