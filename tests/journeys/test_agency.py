"""The agency's journey, through the real doors: staff register a company's legal representative
and list the company over HTTP; in Chromium the demo agency runs a procurement check with a
mistyped code, `abc`, a valid code the platform does not hold, the listed company and its legal
representative; every line has its own answer, none a misleading "no record"; the result names
the check (number, Beijing time, scenario, 事项); the CSV, downloaded over HTTP with the browser's
session, is what a procurement file needs. The page is checked at 1366 and 390 px for overflow."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.web.conftest import browser, login_as, server  # noqa: F401 (fixtures)
from xinyong.common.identifiers import uscc_check_character
from xinyong.demo.generate import synthetic_citizen_id, synthetic_uscc
from xinyong.demo.seed import DEMO_PASSWORD
from xinyong.lists.check import CSV_COLUMNS
from xinyong.lists.demo import DEMO_LISTED

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "agency"
COMPANY = synthetic_uscc(8_100_001, "230103")
BOSS = synthetic_citizen_id(8_100_001, ("230103",))
NOT_HELD = synthetic_uscc(8_100_002, "230104")
TYPO = DEMO_LISTED[:17] + ("0" if DEMO_LISTED[17] != "0" else "1")


def overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _staff_lists_a_company_with_its_legal_representative(server: str) -> None:  # noqa: F811
    with httpx.Client(base_url=server) as http:
        token = http.post(
            "/api/auth/token", data={"username": "staff", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        staff = {"Authorization": f"Bearer {token}"}
        link = {
            "person_key": BOSS,
            "person_name": "赵示范",
            "relation": "legal_representative",
            "valid_from": "2020-01-01",
            "source": "市场主体登记信息（演示）",
        }
        r = http.post(f"/api/subjects/{COMPANY}/links", json=link, headers=staff)
        assert r.status_code == 201, r.text
        decision = {
            "subject_key": COMPANY,
            "subject_name": "哈尔滨串标示范建设有限公司",
            "authority": "哈尔滨市市场监督管理局",
            "conduct_category": "market_order",
            "basis_type": "administrative_penalty",
            "basis_document": "哈市监罚〔2026〕99号行政处罚决定书",
            "reasons": "在政府采购项目中串通投标，情节严重",
            "valid_until": "2029-11-23",
            "removal_conditions": "期限届满",
            "remedies": "可以依法申请行政复议或者提起行政诉讼",
        }
        r = http.post("/api/lists/serious", json=decision, headers=staff)
        assert r.status_code == 201, r.text


def test_agency_checks_a_typo_an_unknown_a_listed_company_and_its_representative(
    server: str,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    _staff_lists_a_company_with_its_legal_representative(server)
    context, page = login_as(browser, server, "agency")
    page.goto(server + "/agency/check")
    page.select_option("#scenario", "procurement")
    page.fill("#matter", "松北区道路工程施工招标（HRB-2026-017）")
    page.fill("#codes", "\n".join([TYPO, "abc", NOT_HELD, COMPANY, BOSS, DEMO_LISTED]))
    page.click("#check-submit")

    statuses = page.locator("#results tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"
    )
    assert statuses[:4] == ["invalid", "invalid", "not_held", "measures"]
    assert statuses[4] in ("no_measures", "measures") and statuses[5] == "measures"
    rows = page.locator("#results tbody tr")
    typo = rows.nth(0).inner_text()
    expected = uscc_check_character(DEMO_LISTED[:17])
    assert f"统一社会信用代码校验码应为{expected}" in typo and "平台有记录" not in typo
    assert "18位" in rows.nth(1).inner_text()
    assert "平台无该主体信息" in rows.nth(2).inner_text()
    listed = rows.nth(3).inner_text()
    assert "哈尔滨串标示范建设有限公司" in listed and "限制参加政府采购" in listed
    assert "哈市监罚〔2026〕99号" in listed and "第" in listed  # basis and article
    assert "赵示范" in rows.nth(4).inner_text()  # the legal representative, by name
    assert page.locator("#invalid-note").is_visible()

    summary = page.locator("#summary").inner_text()
    check_id = page.locator("#check-number").inner_text().strip()
    when = page.locator("#check-time").inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）", when)
    assert "政府采购" in summary and "松北区道路工程施工招标" in summary
    assert "procurement" not in page.locator("main").inner_text()

    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"check-{width}.png"), full_page=True)
        assert overflow(page) <= 0, f"the check page overflows at {width} px"

    cookies = {c["name"]: c["value"] for c in context.cookies()}
    href = page.locator("#download").get_attribute("href")
    assert href == f"/api/checks/{check_id}/csv"
    with httpx.Client(base_url=server, cookies=cookies) as http:
        r = http.get(href)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    head = {row[0]: row[1] for row in table[:9] if len(row) == 2}
    assert head["核查编号"] == check_id
    assert head["核查场景"].startswith("政府采购")
    assert head["事项"] == "松北区道路工程施工招标（HRB-2026-017）"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", head["核查时间（北京时间）"])
    assert head["核查机关"]
    at = table.index(CSV_COLUMNS)
    body = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in table[at + 1 :]]
    assert [b["输入的代码"] for b in body[:3]] == [TYPO, "ABC", NOT_HELD]
    assert body[0]["核查结论"] == "代码无效" and f"校验码应为{expected}" in body[0]["说明"]
    assert body[2]["核查结论"] == "平台无该主体信息"
    company = [b for b in body if b["输入的代码"] == COMPANY]
    assert company and all(b["主体名称"] == "哈尔滨串标示范建设有限公司" for b in company)
    assert {b["措施名称"] for b in company} >= {"限制参加政府采购和公共资源交易（演示）"}
    assert all(b["认定依据"] and b["法律依据"] and b["适用至"] for b in company)
    assert len({b["序号"] for b in body}) == 6  # every line answered once
    context.close()
