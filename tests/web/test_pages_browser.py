"""Pages in a real headless browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.conftest import NOW
from tests.web.conftest import login_as
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_landing_page_in_chinese(server: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "黑龙江省公共信用信息平台"
    assert page.locator("#role").inner_text() == "社会公众"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.close()


def test_login_logout_with_a_session_cookie(server: str, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("#username", "staff")
    page.fill("#password", "wrong-password")
    page.click("#submit")
    assert "用户名或密码错误" in page.locator("#error").inner_text()
    page.fill("#username", "staff")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_url(server + "/")
    assert page.locator("#role").inner_text() == "公共信用工作机构工作人员"
    assert "演示" in page.locator("#who").inner_text()
    cookie = next(c for c in context.cookies() if c["name"] == "xinyong_session")
    assert cookie["httpOnly"]
    page.click("text=退出")
    page.wait_for_url(server + "/")
    assert page.locator("#role").inner_text() == "社会公众"
    context.close()


def test_rules_page_shows_citations_and_unverified_marks(server: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(server + "/rules")
    row = page.locator("#rule-objection\\.decide")
    assert "3个工作日" in row.inner_text()
    assert "第三十九条第二款" in row.inner_text()
    assert "未核实" in page.locator("#rule-publicity\\.serious\\.max").inner_text()
    page.close()


def test_my_page_shows_my_information_and_who_read_it(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "company")
    page.click("#me-link")
    page.wait_for_url(server + "/me")
    assert "哈尔滨示范科技有限公司" in page.locator("#subject-name").inner_text()
    page.reload()  # a second self-query: free and unlimited, and logged
    # my own reads apart from others' (issue 16), in words, not the log's tags and roles
    reads = page.locator("#own-accesses tbody tr", has_text="查询信用信息")
    assert reads.count() >= 2
    assert page.locator("#accesses tbody tr", has_text="查询信用信息").count() == 0
    accesses = page.locator("#own-accesses").text_content() or ""
    assert "sharing:" not in accesses and "accounts:" not in accesses
    assert "+00:00" not in accesses  # the platform's local time
    assert "暂无授权" in page.locator("#authorisations").inner_text()
    # the demo's own penalty, changed once by its provider (demo/seed.py `_own_records`)
    row = page.locator("#records tbody tr", has_text="149号")
    unit = row.locator("td").nth(3).inner_text()
    row.locator("a.history-link").click()  # the item's source and changes (HLJ 35, HRB 35)
    page.wait_for_selector("#versions")
    assert page.locator("#provider").inner_text() == unit == "哈尔滨市市场监督管理局（演示）"
    versions = page.locator("#versions tr.version")
    assert versions.count() == 2 and page.locator("#versions tr.current").count() == 1
    assert "第2版（现行）" in versions.nth(1).inner_text()
    changes = versions.nth(1).locator("ul.changes").inner_text()
    assert "处罚内容" in changes and "罚款人民币三千元" in changes
    page.goto(server + "/me")
    reads = page.locator("#own-accesses tbody tr", has_text="查阅信息来源和变更记录")
    assert reads.count() == 1
    context.close()


def test_report_verification_page(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "company")
    from xinyong.demo.generate import synthetic_uscc

    unknown = synthetic_uscc(7_999_999, "230103")  # a valid code no organisation on file has
    # on the session cookie's authority, so with the page's CSRF token (web/security.py)
    csrf = {"X-CSRF-Token": page.locator('meta[name="csrf-token"]').get_attribute("content") or ""}
    response = page.request.post(
        server + "/api/reports", data={"subject_key": unknown}, headers=csrf
    )
    assert response.status == 404 and response.json()["error"]["code"] == "sharing.unknown_subject"
    from xinyong.demo.seed import DEMO_COMPANY

    report = page.request.post(
        server + "/api/reports", data={"subject_key": DEMO_COMPANY}, headers=csrf
    ).json()
    page.goto(server + "/reports/verify")
    page.fill("#number", report["number"])
    page.fill("#code", report["verification_code"])
    page.click("#verify")
    assert "真实有效" in page.locator("#result").inner_text()
    assert page.locator("#digest").inner_text() == report["digest"]
    page.fill("#number", report["number"])
    page.fill("#code", "FORGED00")
    page.click("#verify")
    assert "伪造" in page.locator("#result").inner_text()
    context.close()


def test_public_search_subject_page_and_publicity_list(server: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(server + "/search")
    page.fill("#q", "龙江乳业")
    page.click("#search")
    results = page.locator("#results li a")
    assert results.count() == 3
    results.first.click()
    assert "龙江乳业" in page.locator("#subject-name").inner_text()
    record = page.locator("section.record").first
    assert "行政处罚信息" in record.inner_text() and "王**" in record.inner_text()
    page.goto(server + "/publicity/penalties")
    assert page.locator("#list tbody tr").count() >= 3  # ours, and any synthetic demo penalties
    page.fill("#name", "1号店")
    page.click("#filter")
    assert page.locator("#list tbody tr").count() == 1
    page.goto(server + "/search?q=龙")
    assert "至少" in page.locator("#error").inner_text()
    page.close()


def test_agency_query_with_purpose_shows_the_audit_receipt(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "agency")
    page.click("#agency-link")
    page.fill("#key", penalty_row(0, NOW.date())["统一社会信用代码"])
    page.select_option("#purpose", "procurement")
    page.click("#query")
    receipt = page.locator("#receipt").inner_text()
    assert "审计记录第" in receipt and "政府采购" in receipt and "procurement" not in receipt
    assert "王演示" in page.locator("section.record").first.inner_text()  # agencies see it in full
    from xinyong.demo.seed import DEMO_CITIZEN

    page.click("#agency-link")
    page.fill("#key", DEMO_CITIZEN)
    page.select_option("#purpose", "procurement")
    page.click("#query")
    page.wait_for_selector("#receipt")
    context.close()
    # the citizen reads who read it, and why, in words (HLJ 35)
    context, page = login_as(browser, server, "citizen")
    page.goto(server + "/me")
    row = page.locator("#accesses tbody tr", has_text="国家机关（演示）").first
    assert "查询信用信息" in row.inner_text() and "政府采购" in row.inner_text()
    context.close()


BANK = "龙江示范银行"  # the grantee by its name, not its login name


def test_grant_revoke_and_good_publicity_from_my_page(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "company")
    page.goto(server + "/me")
    page.select_option("#grantee", "bank")
    page.select_option("#items", ["HLJ-GY-001"])
    page.fill("#grant-purpose", "贷款审批")
    page.fill("#expires_on", "2099-01-01")  # a lifetime authorisation is refused
    page.click("#grant")
    assert "不得一次授权终身" in page.locator("#error").inner_text()
    page.select_option("#grantee", "bank")
    page.select_option("#items", ["HLJ-GY-001"])
    page.fill("#grant-purpose", "贷款审批")
    page.fill("#expires_on", "2027-01-31")
    page.click("#grant")
    page.wait_for_load_state()
    assert page.locator("#error").count() == 0, page.locator("#error").inner_text()
    row = page.locator("#authorisations tbody tr", has_text=BANK)
    assert "有效" in row.inner_text()
    row.locator("button.revoke").click()
    assert "已失效或已撤销" in page.locator("#authorisations tbody tr", has_text=BANK).inner_text()
    page.check("#hide-good")
    page.click("#save-preferences")
    assert page.is_checked("#hide-good")
    page.uncheck("#hide-good")
    page.click("#save-preferences")
    assert not page.is_checked("#hide-good")
    context.close()


def test_report_as_a_web_page(server: str, browser: Browser) -> None:
    from xinyong.demo.seed import DEMO_COMPANY

    page = browser.new_page()
    report = page.request.post(server + "/api/reports", data={"subject_key": DEMO_COMPANY}).json()
    page.goto(f"{server}/reports/{report['number']}?code={report['verification_code']}")
    assert page.locator("#report-number").inner_text() == report["number"]
    assert "哈尔滨示范科技" in page.locator("#report-subject").inner_text()
    assert page.locator("h2", has_text="严重失信主体名单").count() == 1
    page.close()


def test_csrf_tokens_in_a_real_browser_and_back_after_logout(server: str, browser: Browser) -> None:
    """The login form and the grant form work with their CSRF tokens in Chromium; a form on
    another site posting to the platform changes nothing; after logout, Back does not show my
    page again (it is no-store, so the browser asks the server, which sends it to the login)."""
    from xinyong.demo.seed import DEMO_CITIZEN

    context, page = login_as(browser, server, "citizen")  # the login form, with its token
    mine = page.goto(server + "/me")
    assert mine is not None and mine.headers["cache-control"] == "no-store"
    assert DEMO_CITIZEN in page.locator("main").inner_text()
    page.select_option("#grantee", "bank")
    page.select_option("#items", ["HLJ-GY-001"])
    page.fill("#grant-purpose", "贷款审批")
    page.fill("#expires_on", "2027-01-31")
    page.click("#grant")
    page.wait_for_url(server + "/me")
    assert page.locator("#error").count() == 0
    granted = page.locator("#authorisations tbody tr", has_text=BANK).count()
    assert granted >= 1

    forged = (
        f'<form method="post" action="{server}/me/authorisations">'
        '<input name="grantee" value="bank"><input name="items" value="HLJ-GY-001">'
        '<input name="purpose" value="forged"><input name="expires_on" value="2027-01-31">'
        "</form><script>document.forms[0].submit()</script>"
    )
    context.route(
        "http://attacker.invalid/",
        lambda route: route.fulfill(body=forged, content_type="text/html"),
    )
    page.goto("http://attacker.invalid/")
    page.wait_for_load_state()
    page.goto(server + "/me")
    rows = page.locator("#authorisations tbody tr", has_text=BANK)
    assert rows.count() == granted and "forged" not in page.locator("#authorisations").inner_text()

    page.click("text=退出")
    page.wait_for_url(server + "/")
    page.go_back()
    page.wait_for_load_state()
    assert DEMO_CITIZEN not in page.content()
    assert page.url in (server + "/login", server + "/")
    context.close()


def test_api_docs_work_offline_under_the_csp(server: str, browser: Browser) -> None:
    """/docs and /redoc load only the app's own assets (no CDN: an intranet has no internet)
    and run under the CSP without a violation."""
    page = browser.new_page()
    hosts: set[str] = set()
    problems: list[str] = []
    page.on("requestfinished", lambda r: hosts.add(r.url.split("/")[2]))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock", timeout=20000)
    assert page.locator(".opblock").count() > 20
    page.goto(server + "/redoc")
    page.wait_for_selector("redoc .api-content", timeout=20000)
    assert hosts == {server.split("/")[2]}
    # Redoc's "powered by" logo is an image from its CDN: blocked, and nothing else is missing
    blocked = [p for p in problems if "Content Security Policy" in p and "logo-mini" not in p]
    assert not blocked, problems
    page.close()


def test_admin_registers_a_peer_and_staff_see_the_exchange(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "admin")
    page.goto(server + "/admin/peers")
    assert page.inner_text("#self-code") == "230000"
    key = page.inner_text("#self-key")
    assert len(key) == 64
    page.fill("#peer-code", "100000")
    page.fill("#peer-name", "全国信用信息共享平台")
    page.fill("#peer-url", "http://127.0.0.1:9")
    page.fill("#peer-key", key)
    page.click("#peer-submit")
    assert "已登记上级平台" in page.inner_text("#done")
    assert "全国信用信息共享平台" in page.inner_text("#peer-100000")
    context.close()
    context, page = login_as(browser, server, "staff")
    page.click("#staff-exchange-link")
    row = page.inner_text("#peer-100000")
    assert "上级平台" in row and "法规未规定时限" in row and "无积压" in row
    context.close()
