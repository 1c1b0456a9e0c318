"""Search on both databases: two-character Chinese queries, codes, natural persons protected."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.ingest.conftest import TODAY, push_as_system
from xinyong.common.errors import DomainError
from xinyong.common.roles import ANONYMOUS, Actor, Role
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.search.service import refresh_index, search
from xinyong.web.app import create_app


@pytest.fixture
def named(seeded: Context) -> Context:
    names = [
        "哈尔滨龙江乳业有限公司",
        "黑龙江省龙江森工集团",
        "大庆石化配套服务有限公司",
        "哈尔滨50%折扣商店",
    ]
    rows = [penalty_row(i, TODAY) | {"行政相对人名称": n} for i, n in enumerate(names)]
    rows.append(penalty_row(9, TODAY, person=True) | {"行政相对人名称": "龙江王某"})
    push_as_system(seeded, rows)
    return seeded


def names(ctx: Context, q: str, actor: Actor = ANONYMOUS) -> list[str]:
    with ctx.sessions() as session, session.begin():
        return [r["name"] for r in search(session, ctx, actor, q)]


def test_two_character_queries_find_organisations_not_people(named: Context) -> None:
    assert names(named, "龙江") == [
        "黑龙江省龙江森工集团",
        "哈尔滨龙江乳业有限公司",
    ]  # shorter first
    assert names(named, "哈尔滨") == ["哈尔滨50%折扣商店", "哈尔滨龙江乳业有限公司"]
    assert names(named, "石化配套") == ["大庆石化配套服务有限公司"]
    assert names(named, "50%") == ["哈尔滨50%折扣商店"]  # % is a character, not a wildcard
    assert names(named, "天津") == []


def test_queries_shorter_than_two_characters_are_refused(named: Context) -> None:
    with pytest.raises(DomainError) as err:
        names(named, "龙")
    assert err.value.code == "search.too_short"


def test_codes_and_citizen_ids(named: Context) -> None:
    company = penalty_row(0, TODAY)["统一社会信用代码"]
    assert names(named, company) == ["哈尔滨龙江乳业有限公司"]
    person = penalty_row(9, TODAY, person=True)["证件号码"]
    with pytest.raises(DomainError) as err:
        names(named, person)
    assert err.value.code == "search.natural_person"
    assert names(named, person, Actor(role=Role.AGENCY, username="a")) == ["龙江王某"]


def test_new_subjects_become_searchable_after_each_batch(named: Context) -> None:
    push_as_system(named, [penalty_row(20, TODAY) | {"行政相对人名称": "牡丹江新材料有限公司"}])
    assert names(named, "丹江") == ["牡丹江新材料有限公司"]
    with named.sessions() as session, session.begin():
        assert refresh_index(session) == 0  # nothing left to index


def test_search_api(named: Context) -> None:
    client = TestClient(create_app(named))
    body = client.get("/api/search", params={"q": "龙江"}).json()
    assert body["results"][0]["name"] == "黑龙江省龙江森工集团"
    assert client.get("/api/search", params={"q": "龙"}).status_code == 422
