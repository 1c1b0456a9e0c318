"""Remedies in headless Chromium: the subject files an objection and sees its due dates; staff
see it in the queue and cannot reject it without reasons; the record shows 异议处理中."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.web.conftest import login_as

pytestmark = pytest.mark.browser


def test_objection_from_filing_to_decision(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "company")
    page.click("#cases-link")
    page.wait_for_url(server + "/me/cases")
    row = page.locator("#records tbody tr", has_text="200号")  # the fixture's penalty
    assert "现在可以申请" in row.locator(".repair-from").inner_text()
    row.locator(".reason").fill("该处罚决定已被复议机关撤销")
    row.locator("button.object").click()
    page.wait_for_url(server + "/me/cases?filed=*")
    assert "案件编号" in page.locator("#filed").inner_text()  # the confirmation names the case
    case = page.locator("#cases tbody tr").first
    assert case.locator(".state").inner_text() == "已受理"
    clocks = case.inner_text()
    assert "2026-11-24前" in clocks and "2026-11-26前" in clocks and "第三十九条第二款" in clocks
    number = case.locator("td").first.inner_text()
    context.close()

    context, page = login_as(browser, server, "staff")
    page.click("#staff-cases-link")
    item = page.locator(f"#case-{number}")
    assert "2026-11-24" in item.inner_text()
    item.locator("a.open").click()
    page.check("#decide-form input[value=marked]")
    page.click("#decide")
    page.click("#confirm")
    page.wait_for_url(server + f"/staff/cases/{number}")
    page.check("#decide-form input[value=rejected]")
    page.click("#decide")
    assert "理由" in page.locator("#error").inner_text()  # a rejection needs its reasons
    context.close()

    context, page = login_as(browser, server, "company")
    page.goto(server + "/me/cases")
    assert "异议处理中" in page.locator("#records").inner_text()
    context.close()


def test_repair_too_early_or_without_conditions_is_explained(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "company")
    page.goto(server + "/me/cases")
    row = page.locator("#records tbody tr", has_text="200号")  # the fixture's penalty
    row.locator(".reason").fill("已缴纳罚款")
    row.locator("button.repair").click()
    assert "信用承诺" in page.locator("#error").inner_text()
    context.close()
