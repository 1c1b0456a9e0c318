"""Commitments through the real doors (issue 18): staff publish a matter over HTTP; the demo agency
files a commitment through the API with its real token (a natural person's: masked for the
public) and, in Chromium, through its page; the demo company files a voluntary one (主动型) from
its own page; the public finds both on the published list; the company's credit report shows
them in its 信用承诺 section with their fulfilment; a listed company is refused (HLJ 45 ¶1) and
the joint check says it may not promise."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser

from tests.web.conftest import browser, login_as, server  # noqa: F401 (fixtures)
from xinyong.demo.generate import synthetic_citizen_id
from xinyong.demo.seed import DEMO_COMPANY, DEMO_PASSWORD
from xinyong.lists.demo import DEMO_LISTED

pytestmark = pytest.mark.browser
PERSON = synthetic_citizen_id(8_180_001, ("230103",))
MATTER = {
    "code": "HRB-XK-018",
    "name": "公共场所卫生许可（演示）",
    "kind": "行政许可",
    "agency": "哈尔滨市卫生健康委员会",
    "legal_basis": "《公共场所卫生管理条例》第八条（演示）",
    "replaces": "卫生检测报告",
    "cure_days": 15,
}


def _token(http: httpx.Client, username: str) -> dict[str, str]:
    answer = http.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _promise(**extra: Any) -> dict[str, Any]:
    return {
        "commitment_type": "审批替代型",
        "matter_code": MATTER["code"],
        "reason": "申请公共场所卫生许可",
        "content": "本人承诺经营场所符合卫生要求，所提交材料真实有效",
        "liability": "如违反承诺，愿承担撤销许可等法律责任",
        **extra,
    }


def test_filed_by_api_page_and_subject_then_found_by_the_public_and_in_the_report(
    server: str,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    with httpx.Client(base_url=server) as http:
        staff, agency = _token(http, "staff"), _token(http, "agency")
        r = http.post("/api/commitment-matters", json=MATTER, headers=agency)
        assert r.status_code == 403, r.text  # only staff keep the list (HRB 17)
        r = http.post("/api/commitment-matters", json=MATTER, headers=staff)
        assert r.status_code == 201, r.text
        assert "平台设定，非法定" in r.json()["cure_days_note"]
        assert MATTER["code"] in [m["code"] for m in http.get("/api/commitment-matters").json()]

        # the agency's service system files a natural person's commitment
        body = _promise(subject_key=PERSON, subject_name="李承诺")
        r = http.post("/api/commitments", json=body, headers=agency)
        assert r.status_code == 201, r.text
        by_api = r.json()
        assert by_api["type_label"] == "审批替代型" and by_api["fulfilment_label"] == "待核查"
        assert len(by_api["number"]) == 20 and by_api["number"].startswith("230000")
        # a wrong check character is named; a listed company may not promise (HLJ 45 ¶1)
        wrong = PERSON[:17] + ("0" if PERSON[17] != "0" else "1")
        r = http.post("/api/commitments", json=body | {"subject_key": wrong}, headers=agency)
        assert r.status_code == 422 and "校验码应为" in r.json()["error"]["message"], r.text
        listed = _promise(subject_key=DEMO_LISTED, subject_name="被列入名单的公司")
        r = http.post("/api/commitments", json=listed, headers=agency)
        refusal = r.json()["error"]["message"]
        assert r.status_code in (400, 422) and "第四十五条第一款" in refusal, r.text
        check = {"scenario": "procurement", "subjects": [DEMO_LISTED, DEMO_COMPANY]}
        r = http.post("/api/checks", json=check, headers=agency)
        assert r.status_code in (200, 201), r.text
        lines = {x["subject_key"]: x["commitment"] for x in r.json()["results"]}
        assert lines[DEMO_LISTED]["eligible"] is False
        assert lines[DEMO_LISTED]["grounds"][0]["code"] == "serious_dishonesty"
        assert lines[DEMO_COMPANY]["eligible"] is True

    # the agency's page
    context, page = login_as(browser, server, "agency")
    page.goto(server + "/agency/commitments")
    page.fill("#subject_key", DEMO_COMPANY)
    page.fill("#subject_name", "哈尔滨示范科技有限公司（演示）")
    page.select_option("#commitment_type", "approval_substitute")
    page.select_option("#matter_code", MATTER["code"])
    page.fill("#reason", "申请公共场所卫生许可")
    page.fill("#content", "本单位承诺经营场所符合卫生要求")
    page.fill("#liability", "如违反承诺，愿承担撤销许可等法律责任")
    page.click("#file")
    by_page = page.locator("#filed a").inner_text()
    assert len(by_page) == 20
    context.close()

    # the company's voluntary commitment from its own page
    context, page = login_as(browser, server, "company")
    page.goto(server + "/me")
    page.fill("#commitment-reason", "综合信用承诺")
    page.fill("#commitment-content", "本单位承诺诚信经营，产品质量合格，接受社会监督")
    page.fill("#commitment-liability", "违反承诺愿承担相应法律责任")
    page.click("#commit")
    page.wait_for_url(lambda url: "/me" in url)
    mine = page.locator("#my-commitments").inner_text()
    assert "主动型" in mine and by_page in mine
    context.close()

    # the public finds them; the person is masked and not searchable by name
    public = browser.new_context()
    page = public.new_page()
    page.goto(server + "/commitments?q=" + DEMO_COMPANY)
    found = page.locator("#commitments").inner_text()
    assert by_page in found and "主动型" in found and "审批替代型" in found
    page.goto(server + "/commitments")
    everything = page.locator("#commitments").inner_text()
    assert by_api["number"] in everything and "李*" in everything and "李承诺" not in everything
    page.goto(server + "/commitments?q=李承诺")
    assert by_api["number"] not in page.locator("#commitments").inner_text()
    page.goto(server + "/commitments/matters")
    assert "平台设定，非法定" in page.locator("#matters").inner_text()
    page.goto(server + f"/subjects/{DEMO_COMPANY}")
    section = page.locator("#section-commitment").inner_text()
    assert by_page in section and "待核查" in section
    public.close()

    with httpx.Client(base_url=server) as http:
        listing = http.get("/api/commitments", params={"q": "主动型"}).json()
        assert listing["total"] >= 1 and "未核实" in listing["note"]
        company = _token(http, "company")
        r = http.post("/api/reports", json={"subject_key": DEMO_COMPANY}, headers=company)
        assert r.status_code == 201, r.text
        (section,) = [s for s in r.json()["content"]["sections"] if s["code"] == "commitment"]
        shown = {x["record_key"]: x for x in section["records"]}
        assert by_page in shown and shown[by_page]["fields"]["履行状态"] == "待核查"
        assert any(x["type_label"] == "主动型" for x in shown.values())
