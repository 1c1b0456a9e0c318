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
