"""The court-debtor sync over its door (POST /api/lists/court-debtors/sync, staff): a record the
court decided before the province's regulation (2022-07-01) is still a current listing by the
court, listed under the law in force on the day of the sync. It used to fail with
`law.not_in_force`: the related-persons rule (HLJ 33) and the prior notice were asked for as of
the court's decision date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import login
from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.demo.generate import synthetic_citizen_id, synthetic_uscc
from xinyong.demo.seed import load_demo
from xinyong.ingest.readers import read_json_records
from xinyong.ingest.service import ingest
from xinyong.lists.court_debtors import COURT_DEBTOR_ITEM
from xinyong.lists.models import ListEntry
from xinyong.subjects.models import SubjectLink
from xinyong.web.app import create_app

DEBTOR = synthetic_uscc(9_100_001, "230103")
BOSS = synthetic_citizen_id(9_100_002, ("230102",))
DECIDED = dt.date(2021, 5, 10)


@pytest.fixture
def client(ctx: Context) -> Iterator[TestClient]:
    load_demo(ctx, subjects=10, records=20)
    with TestClient(create_app(ctx)) as c:
        yield c


def test_a_debtor_the_court_listed_in_2021_is_listed_by_the_sync(
    ctx: Context, client: TestClient
) -> None:
    with ctx.sessions() as session, session.begin():
        session.add(
            SubjectLink(
                organisation_key=DEBTOR,
                person_key=BOSS,
                person_name="钱旧案（演示）",
                relation="legal_representative",
                valid_from=dt.date(2019, 1, 1),
                source="市场主体登记信息（演示）",
                recorded_at=ctx.clock.now(),
            )
        )
    row = {
        "被执行人名称": "哈尔滨旧案建材有限公司（演示）",
        "被执行人类别": "法人及非法人组织",
        "统一社会信用代码": DEBTOR,
        "案号": "（2021）黑01执55号",
        "执行法院": "哈尔滨市中级人民法院",
        "执行依据文号": "（2020）黑01民初9号",
        "失信情形": "有履行能力而拒不履行生效法律文书确定义务",
        "纳入日期": DECIDED.isoformat(),
    }
    receipt = ingest(  # the court's push, without the sync that follows a push through the API
        ctx,
        actor=SYSTEM,
        provider_code="HLJ-GY",
        item_code=COURT_DEBTOR_ITEM,
        rows=read_json_records([row]),
        source="api",
        after=None,
    )
    assert receipt.counts()["accepted"] == 1, receipt

    staff = login(client, "staff")
    assert client.post("/api/lists/court-debtors/sync").status_code == 401
    assert (
        client.post("/api/lists/court-debtors/sync", headers=login(client, "agency")).status_code
        == 403
    )
    r = client.post("/api/lists/court-debtors/sync", headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["added"] >= 1, r.text

    with ctx.sessions() as session:
        entries = {
            e.subject_key: e
            for e in session.scalars(
                select(ListEntry).where(ListEntry.subject_key.in_([DEBTOR, BOSS]))
            )
        }
    debtor, boss = entries[DEBTOR], entries[BOSS]
    assert debtor.basis_type == "court_debtor" and debtor.decided_on == DECIDED
    assert "（2021）黑01执55号" in debtor.basis_document
    assert boss.relation == "legal_representative" and boss.parent_id == debtor.id

    listed = client.get("/api/lists/serious", params={"q": "旧案建材"})
    assert listed.status_code == 200, listed.text
    again = client.post("/api/lists/court-debtors/sync", headers=staff)
    assert again.status_code == 200 and again.json() == {"added": 0, "removed": 0}, again.text


def test_the_api_names_old_court_entries_as_the_pages_do(ctx: Context, client: TestClient) -> None:
    """Issue 16: an entry an earlier sync stored with the subject's code as its name and the
    court's provider code as its authority was named by its code in GET /api/lists/serious
    (the pages named it from the register; a person's masked ID stood in the name column)."""
    from xinyong.common.identifiers import check_identifier
    from xinyong.demo.seed import DEMO_CITIZEN, DEMO_COMPANY
    from xinyong.lists.recognition import store_entry
    from xinyong.lists.schemas import RecognitionIn
    from xinyong.visibility.masking import mask_name

    today = ctx.today()
    with ctx.sessions() as session, session.begin():
        for key in (DEMO_COMPANY, DEMO_CITIZEN):
            body = RecognitionIn(
                subject_key=key,
                subject_name=key,  # what the old sync wrote when the record had no name
                entity_type="market" if len(key) == 18 else "person",
                authority="HLJ-GY",
                conduct_category="refusal_to_perform",
                basis_type="court_debtor",
                basis_document="哈尔滨市中级人民法院（（2024）黑01执7号）纳入失信被执行人名单",
                reasons="有履行能力而拒不履行生效法律文书确定义务",
                valid_until=today + dt.timedelta(days=365),
                removal_conditions="人民法院将其从失信被执行人名单中删除",
                remedies="可以向执行法院申请纠正",
                decided_on=today - dt.timedelta(days=30),
            )
            check = check_identifier(key, today)
            store_entry(
                session,
                ctx,
                SYSTEM,
                body,
                "serious",
                check,
                key,
                today - dt.timedelta(days=30),
                state="active",
                cites=[],
                valid_from=today - dt.timedelta(days=30),
            )
    r = client.get("/api/lists/serious")
    assert r.status_code == 200, r.text
    old = {e["subject_kind"]: e for e in r.json() if "（2024）黑01执7号" in e["basis_document"]}
    company, person = old["legal_person"], old["natural_person"]
    assert company["subject_key"] == DEMO_COMPANY
    assert company["subject_name"] == "哈尔滨示范科技有限公司（演示）"
    assert person["subject_name"] == mask_name("张示范（演示）")  # from the register, masked
    assert DEMO_CITIZEN[-4:] not in person["subject_name"]
    for e in (company, person):
        assert e["authority"] != "HLJ-GY" and "法院" in e["authority"], e
