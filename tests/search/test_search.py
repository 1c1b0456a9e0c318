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


def test_bigrams_present_but_apart_do_not_match(named: Context) -> None:
    push_as_system(named, [penalty_row(30, TODAY) | {"行政相对人名称": "哈尔西尔滨贸易有限公司"}])
    assert "哈尔西尔滨贸易有限公司" not in names(named, "哈尔滨")
    assert names(named, "尔西尔") == ["哈尔西尔滨贸易有限公司"]


def test_a_bigram_every_name_shares_returns_the_first_page_in_rank_order(named: Context) -> None:
    many = [f"{'兴' * (i % 7)}安{i:02d}有限公司" for i in range(45)]
    push_as_system(
        named, [penalty_row(40 + i, TODAY) | {"行政相对人名称": n} for i, n in enumerate(many)]
    )
    page = names(named, "有限")
    assert len(page) == 20
    every = [n for n in names_in_db(named) if "有限" in n]
    assert page == sorted(every, key=len)[:20]  # shortest first; ties by age (stable sort)
    assert names(named, "兴兴兴安") == sorted((n for n in many if "兴兴兴安" in n), key=len)[:20]


def names_in_db(ctx: Context) -> list[str]:
    from sqlalchemy import select

    from xinyong.subjects.models import Subject

    with ctx.sessions() as session:
        return list(
            session.scalars(
                select(Subject.name).where(Subject.kind != "natural_person").order_by(Subject.id)
            )
        )


def test_migration_rebuilds_the_ranked_index(tmp_path: object) -> None:
    """A database indexed by the old layout (0009) is searchable after upgrading to head."""
    from pathlib import Path

    from alembic import command
    from sqlalchemy import create_engine, text

    from xinyong.cli import alembic_config

    assert isinstance(tmp_path, Path)
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0009")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subjects (id, subject_key, kind, name, state, synthetic, created_at)"
                " VALUES (1, '91230100MA1AAAAA0X', 'legal_person', '哈尔滨龙江乳业有限公司',"
                " 'active', 0, '2026-11-23 00:00:00'), (2, '230102199001011234',"
                " 'natural_person', '龙江王某', 'active', 0, '2026-11-23 00:00:00')"
            )
        )
        conn.execute(text("INSERT INTO search_state (id, indexed_upto) VALUES (1, 2)"))
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT gram, name_len, subject_id FROM subject_name_grams WHERE gram = '龙江'")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("龙江", 11, 1)]


def test_posting_counts_follow_each_batch_and_pick_the_rarest_bigram(named: Context) -> None:
    from sqlalchemy import select

    from xinyong.search.models import SubjectNameGramCount

    short = [f"龙腾{i:02d}有限公司" for i in range(30)]
    long_ = [f"龙腾{i:02d}建筑工程有限责任公司" for i in range(5)]
    push_as_system(
        named,
        [penalty_row(100 + i, TODAY) | {"行政相对人名称": n} for i, n in enumerate(short + long_)],
    )
    with named.sessions() as session:
        counts = dict(
            session.execute(select(SubjectNameGramCount.gram, SubjectNameGramCount.postings)).all()
        )
    every = names_in_db(named)
    for gram in ("有限", "限责", "龙腾", "龙江"):
        assert counts[gram] == sum(gram in n for n in every)
    # 限责 is rarer than 有限, whose shortest names hold no 有限责: the answer is the same
    assert names(named, "有限责") == sorted((n for n in every if "有限责" in n), key=len)[:20]
    assert names(named, "限责任公") == names(named, "有限责")
    assert names(named, "龙腾江") == []  # no name holds 腾江: answered from the counts alone


def test_totals_and_pages(named: Context) -> None:
    from xinyong.search.service import LIMIT, search_page

    push_as_system(
        named,
        [
            penalty_row(100 + i, TODAY) | {"行政相对人名称": f"松北{i:02d}号贸易有限公司"}
            for i in range(45)
        ],
    )
    with named.sessions() as session, session.begin():
        first = search_page(session, named, ANONYMOUS, "松北")
        third = search_page(session, named, ANONYMOUS, "号贸易有", page=3)
        seen = [
            r["name"]
            for p in (1, 2, 3)
            for r in search_page(session, named, ANONYMOUS, "号贸易有", page=p)["results"]
        ]
    assert first["total"] == 45 and first["pages"] == 3 and len(first["results"]) == LIMIT
    assert third["total"] == 45 and len(third["results"]) == 5
    assert len(set(seen)) == 45  # every name once across the pages


def test_a_code_with_a_wrong_check_character_says_so(named: Context) -> None:
    """Issue 16: a mistyped code was searched as a name and answered 未找到."""
    from xinyong.common.identifiers import ric_check_character, uscc_check_character
    from xinyong.search.service import search_page

    company = penalty_row(0, TODAY)["统一社会信用代码"]
    wrong = company[:17] + ("0" if company[17] != "0" else "1")
    person = penalty_row(9, TODAY, person=True)["证件号码"]
    bad_person = person[:17] + ("0" if person[17] != "0" else "1")
    unknown = "230103199001011230"
    unknown = unknown[:17] + ("0" if ric_check_character(unknown[:17]) != "0" else "1")
    with named.sessions() as session, session.begin():
        answer = search_page(session, named, ANONYMOUS, wrong)
        assert answer["results"] == []
        assert (
            f"统一社会信用代码校验码应为{uscc_check_character(company[:17])}" in answer["problem"]
        )
        held = search_page(session, named, ANONYMOUS, bad_person)["problem"]
        not_held = search_page(session, named, ANONYMOUS, unknown)["problem"]
    assert held.startswith("公民身份号码校验码应为")
    assert not_held.startswith("公民身份号码校验码应为")  # the same words: nothing told
    client = TestClient(create_app(named))
    page = client.get("/search", params={"q": wrong}).text
    assert "校验码应为" in page
    page = client.get("/search", params={"q": person}).text
    assert person not in page  # refused, and the number typed is not echoed back
