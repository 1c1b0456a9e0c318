"""Journey of a credit subject (issue 16, "Done when"), in Chromium against the served demo
platform: search a company from the home page's box, open its page and read its sections; log
in as the company, issue a report with the button, verify it on /reports/verify with the number
and code it carries, and find it under my reports."""

from __future__ import annotations

import re
import urllib.parse

import pytest
from playwright.sync_api import Browser

from tests.web.conftest import browser, login_as, server  # noqa: F401  (the fixtures)
from xinyong.demo.seed import DEMO_COMPANY

pytestmark = pytest.mark.browser


def test_a_subject_finds_itself_issues_a_report_and_verifies_it(
    server: str,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    page = browser.new_page()
    page.goto(server + "/")
    page.fill("#home-q", "哈尔滨示范科技")  # the search box on the front page
    page.click("#home-search-button")
    page.wait_for_url(re.compile(r"/search\?q="))
    page.click(f"#results a[href='/subjects/{DEMO_COMPANY}']")
    page.wait_for_url(server + f"/subjects/{DEMO_COMPANY}")
    assert "哈尔滨示范科技有限公司" in page.locator("#subject-name").inner_text()
    tabs = page.locator("#section-tabs").inner_text()
    for label in (
        "基本信息",
        "行政许可",
        "行政处罚",
        "守信激励",
        "严重失信",
        "信用承诺",
        "信用评价",
        "其他",
    ):
        assert label in tabs
    assert int(page.locator("#section-penalty .count").inner_text()) >= 1
    assert "在名单内" in page.locator("#red-status").inner_text()
    page.click("#red-status a")  # the red-list decision, from the subject's page
    page.wait_for_url(re.compile(r"/lists/entries/"))
    page.close()

    context, page = login_as(browser, server, "company")
    page.click("#me-link")
    page.click("#my-reports-link")
    page.wait_for_url(server + "/me/reports")
    assert page.locator("#no-reports").count() == 1  # nothing issued by looking
    with page.expect_response(lambda r: "/pdf?code=" in r.url) as answer:
        page.click("#issue-report")
    pdf = answer.value
    assert pdf.headers["content-type"] == "application/pdf"
    query = urllib.parse.urlsplit(pdf.url)
    number = query.path.split("/")[-2]
    code = urllib.parse.parse_qs(query.query)["code"][0]

    page.goto(server + "/reports/verify")
    page.fill("#number", number)
    page.fill("#code", code)
    page.click("#verify")
    result = page.locator("#result").inner_text()
    assert "真实有效" in result and "哈尔滨示范科技有限公司" in result
    assert re.search(r"于\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}出具", result)  # Beijing time

    page.goto(server + "/me/reports")
    rows = page.locator("#my-reports tbody tr")
    assert rows.count() == 1 and number in rows.first.inner_text()
    rows.first.locator("a").click()
    page.wait_for_url(server + f"/me/reports/{number}")
    assert page.locator("#report-number").inner_text() == number
    assert page.locator("#report-code").inner_text() == code  # to give to a bank, reopened
    with page.expect_response(lambda r: "/pdf?code=" in r.url) as again:
        page.click("#report-pdf")
    assert again.value.status == 200
    page.goto(server + "/me/reports")
    assert page.locator("#my-reports tbody tr").count() == 1  # opening it issued nothing more
    context.close()
