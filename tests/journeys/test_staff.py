"""The staff journey through the real doors (issue 16): a subject files an objection with a real
PDF over HTTP multipart; staff open the queue (names, Chinese clock labels, working days left),
open the case page, are refused a decision without a choice, decide with a choice, reasons and a
confirmation, download the evidence; then register a paper application received at a service
window with a past date, and see its due dates counted from that date."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests as httpx
from playwright.sync_api import Browser

from tests.conftest import NOW, make_settings, serving
from tests.ingest.conftest import push_as_system
from tests.web.conftest import browser, login_as  # noqa: F401  (the browser fixture)
from xinyong.common.clock import FixedClock
from xinyong.context import build_context
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_COMPANY, DEMO_PASSWORD, load_demo
from xinyong.web.app import create_app

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OWN = penalty_row(200, NOW.date()) | {
    "行政相对人名称": "哈尔滨示范科技有限公司（演示）",
    "统一社会信用代码": DEMO_COMPANY,
}
OTHER = penalty_row(201, NOW.date()) | {
    "行政相对人名称": "哈尔滨示范科技有限公司（演示）",
    "统一社会信用代码": DEMO_COMPANY,
}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("desk")
    shutil.copy(sqlite_template, folder / "xinyong.db")
    clock = FixedClock(NOW - dt.timedelta(days=14))  # the records arrive two weeks earlier
    ctx = build_context(make_settings(folder, f"sqlite:///{folder / 'xinyong.db'}"), clock=clock)
    load_demo(ctx, subjects=10, records=20)
    push_as_system(ctx, [OWN, OTHER], item="HLJ-CF-001", provider="HRB-SCJG")
    clock.set(NOW)
    with serving(create_app(ctx)) as url:
        yield url


def _token(url: str, username: str) -> dict[str, str]:
    r = httpx.post(url + "/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _record_id(url: str, headers: dict[str, str], record_key: str) -> int:
    r = httpx.get(url + "/api/me/records", headers=headers)
    assert r.status_code == 200, r.text
    return next(x["record_id"] for x in r.json()["records"] if x["record_key"] == record_key)


def test_staff_desk_journey(desk: str, browser: Browser) -> None:  # noqa: F811
    company = _token(desk, "company")
    record_id = _record_id(desk, company, OWN["处罚决定书文号"])
    r = httpx.post(
        desk + "/api/me/objections",
        json={"record_id": record_id, "request": "该处罚决定已被复议机关撤销"},
        headers=company,
    )
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    # a file named .pdf that is not a PDF is refused by its content
    bad = httpx.post(
        desk + f"/api/cases/{number}/attachments",
        files={"file": ("复议决定书.pdf", b"MZ not a pdf", "application/pdf")},
        headers=company,
    )
    assert bad.status_code == 422 and "PDF" in bad.json()["error"]["message"]
    up = httpx.post(
        desk + f"/api/cases/{number}/attachments",
        files={"file": ("../../复议决定书.pdf", PDF, "application/pdf")},
        headers=company,
    )
    assert up.status_code == 201, up.text
    attachment = up.json()["id"]
    assert up.json()["name"] == "复议决定书.pdf"
    # another subject cannot download it
    other = httpx.get(
        desk + f"/api/cases/{number}/attachments/{attachment}", headers=_token(desk, "citizen")
    )
    assert other.status_code in (403, 404)

    context, page = login_as(browser, desk, "staff")
    page.goto(desk + "/staff/cases")
    row = page.locator(f"#case-{number}")
    text = row.inner_text()
    assert "哈尔滨示范科技有限公司（演示）" in text  # the subject's name, not its code
    assert "行政处罚" in text or "处罚" in text  # the record's item
    assert OWN["处罚决定书文号"] in text
    assert "作出异议标注的时限" in text and "objection.mark" not in text
    assert "个工作日" in row.locator(".left").inner_text()
    row.locator("a.open").click()
    page.wait_for_url(desk + f"/staff/cases/{number}")
    assert "该处罚决定已被复议机关撤销" in page.locator("#statement").inner_text()
    assert "复议决定书.pdf" in page.locator("#attachments").inner_text()
    assert "第三十九条" in page.locator("#clocks").inner_text()
    assert "作出异议标注的时限" in page.locator("#clocks").inner_text()
    # no choice: refused, with the article
    assert page.locator("#decide-form input[name=to]:checked").count() == 0
    page.click("#decide")
    assert "明确选择" in page.locator("#error").inner_text()
    # mark it (a choice), confirm
    page.check("#decide-form input[value=marked]")
    page.click("#decide")
    assert "已标注" in page.locator("#confirm-text").inner_text()
    page.click("#confirm")
    page.wait_for_url(desk + f"/staff/cases/{number}")
    assert "已标注" in page.locator("#state").inner_text()
    # a rejection without reasons is refused; with reasons and confirmation it is decided
    page.check("#decide-form input[value=rejected]")
    page.click("#decide")
    assert "理由" in page.locator("#error").inner_text()
    assert page.locator("#decide-form input[value=rejected]").is_checked()  # the choice kept
    page.fill("#reasons", "复议决定维持原处罚决定")
    page.click("#decide")
    page.click("#confirm")
    page.wait_for_url(desk + f"/staff/cases/{number}")
    assert page.locator("#state").inner_text() == "不予支持"
    history = page.locator("#history").inner_text()
    assert "复议决定维持原处罚决定" in history and "2026-11-23 10:00" in history
    # staff download the evidence (audited)
    got = page.request.get(desk + f"/cases/{number}/attachments/{attachment}")
    assert got.status == 200 and got.body() == PDF

    # a paper application received at the window a week ago
    page.goto(desk + "/staff/cases")
    page.click("#intake-link")
    page.select_option("#kind", "objection")
    page.fill("#subject_key", DEMO_COMPANY)
    page.fill("#record_key", OTHER["处罚决定书文号"])
    page.fill("#applicant", "哈尔滨示范科技有限公司（演示）")
    page.eval_on_selector("#received_on", "e => e.removeAttribute('max')")  # past the browser
    page.fill("#received_on", "2026-11-24")  # tomorrow: refused, what was typed kept
    page.fill("#request", "该处罚金额登记有误")
    page.set_input_files(
        "#files",
        {"name": "scan.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"0" * 64},
    )
    page.click("#register")
    assert "不能晚于今天" in page.locator("#error").inner_text()
    assert page.input_value("#request") == "该处罚金额登记有误"
    page.fill("#received_on", "2026-11-16")
    page.set_input_files(
        "#files",
        {"name": "scan.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"0" * 64},
    )
    page.click("#register")
    assert "已登记" in page.locator("#filed").inner_text()
    clocks = page.locator("#clocks").inner_text()
    assert "2026-11-16" in clocks  # counted from the day the paper arrived
    assert "2026-11-17" in clocks and "2026-11-19" in clocks  # 1 and 3 working days after it
    assert "服务窗口" in page.locator("#summary").inner_text()
    assert "scan.png" in page.locator("#attachments").inner_text()
    context.close()

    # the applicant sees the outcome with its reasons
    r = httpx.get(desk + "/api/me/cases", headers=company)
    decided = next(c for c in r.json() if c["number"] == number)
    assert decided["outcome_reasons"] == "复议决定维持原处罚决定"
