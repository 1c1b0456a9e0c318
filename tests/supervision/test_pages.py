"""The agency's supervision pages over HTTP (staff acting for an agency, with a real token): forms
create a plan, register inspectors, fill the pool, publish, draw and announce; a refusal comes
back on the page in Chinese; the public plan page shows the result."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from tests.conftest import NOW
from tests.web.conftest import client, login  # noqa: F401 (fixture)
from xinyong.common.clock import FixedClock
from xinyong.common.roles import SYSTEM
from xinyong.context import Context
from xinyong.demo.generate import synthetic_uscc
from xinyong.providers.service import register_agency

AGENCY = synthetic_uscc(7_200_001, "230100")


def test_the_agency_pages_from_plan_to_published_results(
    client: TestClient,  # noqa: F811
    ctx: Context,
    clock: FixedClock,
) -> None:
    with ctx.sessions() as session, session.begin():
        register_agency(
            session, ctx, actor=SYSTEM, uscc=AGENCY, name="哈尔滨市应急管理局", region="230100"
        )
    staff = login(client, "staff")
    r = client.get(f"/agency/supervision?agency_code={AGENCY}", headers=staff)
    assert r.status_code == 200 and "制定抽查计划" in r.text
    for code in ("AJ-1", "AJ-2"):
        form = {
            "agency_code": AGENCY,
            "code": code,
            "name": f"检查员{code}",
            "enforcement_field": "安全生产",
        }
        r = client.post(
            "/agency/supervision/inspectors", data=form, headers=staff, follow_redirects=False
        )
        assert r.status_code == 303 and "error" not in r.headers["location"], r.headers
    today = NOW.date()
    plan = {
        "agency_code": AGENCY,
        "matter": "危险化学品经营单位检查",
        "area_code": "230100",
        "field": "work_safety",
        "enforcement_field": "安全生产",
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=30)).isoformat(),
        "draw_on": (today + dt.timedelta(days=2)).isoformat(),
        "ratio_high": "1",
        "ratio_ordinary": "0.5",
        "ratio_low": "0.1",
        "inspectors_per_object": "1",
    }
    r = client.post("/agency/supervision/plans", data=plan, headers=staff, follow_redirects=False)
    assert r.status_code == 303, r.text
    where = r.headers["location"]
    match = re.fullmatch(r"/agency/supervision/(SJ\w+)", where)
    assert match, where
    number = match[1]
    r = client.post(f"{where}/objects", data={"from_register": "1"}, headers=staff)
    assert r.status_code == 200 and "公布计划和种子承诺值" in r.text
    assert r.text.count("<code>") >= 2  # the pool, by random token
    r = client.post(f"{where}/draw", data={}, headers=staff)
    assert "只有已公布的计划可以抽取" in r.text  # a refusal, on the page
    r = client.post(f"{where}/publish", data={"seed_commitment": ""}, headers=staff)
    assert r.status_code == 200 and "种子承诺值" in r.text
    assert client.get(f"/supervision/plans/{number}").status_code == 200
    clock.set(NOW + dt.timedelta(days=2))
    staff = login(client, "staff")
    r = client.post(f"{where}/draw", data={}, headers=staff)
    assert r.status_code == 200 and 'id="drawn"' in r.text, r.text
    r = client.post(f"{where}/announce", data={}, headers=staff)
    assert r.status_code == 200 and "抽取结果" in r.text and "按公布的种子和名录重新计算" in r.text
    r = client.get(f"/supervision/plans/{number}?recompute=1")
    assert "核验通过" in r.text
    assert number in client.get("/supervision").text
