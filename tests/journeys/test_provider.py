"""Journey of a provider unit (issue 16), in Chromium against a served platform: sign in as the
demo provider, land on the unit's portal, upload a CSV with a bad row from the page (progress,
then the receipt), open the quarantine, fix the row in place, see it applied, push the same bad
row twice and see its attempt count; the timeliness report; every page within 390 px."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import NOW, make_settings, serving
from tests.ingest.conftest import csv_bytes, flip_check
from tests.web.conftest import ARGS, CHROMIUM
from xinyong.common.clock import FixedClock
from xinyong.context import build_context
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_PASSWORD, load_demo
from xinyong.web.app import create_app

pytestmark = pytest.mark.browser
TODAY = NOW.date()
SHOTS = Path(os.environ.get("XINYONG_SCREENSHOTS", "/tmp/xinyong-screenshots")) / "provider"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("provider-journey")
    shutil.copy(sqlite_template, folder / "xinyong.db")
    ctx = build_context(
        make_settings(folder, f"sqlite:///{folder / 'xinyong.db'}"), clock=FixedClock(NOW)
    )
    load_demo(ctx, subjects=5, records=5)
    with serving(create_app(ctx)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def fits(page: Page) -> bool:
    """Nothing wider than the viewport: tables scroll inside their box."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def upload(page: Page, server: str, path: Path) -> None:
    page.goto(server + "/provider/upload")
    page.select_option("#item", "HLJ-CF-001")
    assert page.locator("#template-link").get_attribute("href") == (
        "/api/catalog/items/HLJ-CF-001/template.xlsx"
    )
    page.set_input_files("#file", str(path))
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.method} {r.url.removeprefix(server)}"))
    page.click("#upload-button")
    page.wait_for_url(server + "/provider/batches/*")
    # sent by the page's script (its own progress, then the batch's counts), not the plain form
    assert "POST /api/ingest/HLJ-CF-001/files" in sent


def test_a_provider_uploads_fixes_in_place_and_sees_attempts(
    server: str, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("#username", "provider")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_url(server + "/provider")  # its portal, with its menu
    assert "哈尔滨市市场监督管理局" in page.locator("#unit-name").inner_text()
    assert page.locator("#provider-quarantine-link").is_visible()
    me = page.request.get(server + "/api/me").json()
    assert me["provider"]["code"] == "HRB-SCJG" and me["provider"]["name"]

    good = penalty_row(900, TODAY)
    bad = dict(penalty_row(901, TODAY))
    right = bad["统一社会信用代码"]
    bad["统一社会信用代码"] = flip_check(right)
    path = tmp_path / "处罚.csv"
    path.write_bytes(csv_bytes([good, bad]))
    upload(page, server, path)
    receipt = page.url.removeprefix(server)
    assert "共 2 行" in page.locator("#receipt-counts").inner_text()
    assert page.locator("#r-accepted").inner_text() == "1"
    assert page.locator("#r-rejected").inner_text() == "1"
    assert page.locator("#batch-state").inner_text() == "已完成"
    assert "第3行" in page.locator("#rejected").inner_text()
    page.click("#rejected a")  # 查看并更正
    page.wait_for_url(server + "/provider/quarantine/*")
    wrong = page.locator("table.fields tr.wrong", has_text="统一社会信用代码")
    assert "校验" in wrong.inner_text() or "统一社会信用代码" in wrong.inner_text()
    assert page.locator("#attempts").inner_text() == "1"
    # fix in place: only the wrong field; the rest of the row is kept
    page.fill('#fix-form input[data-field="统一社会信用代码"]', right)
    page.click("#fix-button")
    page.wait_for_selector("#outcome")
    assert "已入库" in page.locator("#outcome").inner_text()
    assert page.locator("#row-state").inner_text() == "已更正入库"
    assert page.locator("#fix-form").count() == 0

    # the same bad row pushed twice: one open row, two attempts
    again = dict(penalty_row(902, TODAY), 适用程序="简易程序")
    path2 = tmp_path / "again.csv"
    path2.write_bytes(csv_bytes([again]))
    upload(page, server, path2)
    upload(page, server, path2)
    page.goto(server + "/provider/quarantine")
    cards = page.locator("section.qrow", has_text="简易程序")
    assert cards.count() == 1
    assert cards.first.locator(".attempts").inner_text() == "2"
    # the receipts, newest first and searchable
    page.goto(server + f"/provider/batches?item=HLJ-CF-001&on={TODAY.isoformat()}&state=done")
    assert "共 " in page.locator("#batch-total").inner_text()
    assert page.locator("#batches tbody tr").count() >= 3
    # withdraw with a reason
    page.goto(server + "/provider/quarantine")
    cards.first.locator("a.button").click()
    page.wait_for_url(server + "/provider/quarantine/*")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert fits(page)
    page.screenshot(path=str(SHOTS / "provider_quarantine_row-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.fill("#withdraw-reason", "适用简易程序的决定不予公示，误报")
    page.click("#withdraw-button")
    page.wait_for_selector("#row-state")
    assert page.locator("#row-state").inner_text() == "已撤回"
    # the timeliness report
    page.goto(server + "/provider/timeliness")
    table = page.locator("#timeliness").inner_text()
    assert "行政处罚" in table and "工作日" in table
    text = page.locator("main").inner_text()
    for developer in ("HRB-SCJG", "open", "resubmitted", "ingest.", "processing"):
        assert developer not in text
    # every page at 1366 and 390 px: nothing overflows
    SHOTS.mkdir(parents=True, exist_ok=True)
    for url in ("/provider", "/provider/quarantine?state=", "/provider/timeliness", receipt):
        page.goto(server + url)
        assert fits(page), url
        name = url.strip("/").split("?")[0].replace("/", "_")
        page.screenshot(path=str(SHOTS / f"{name}-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (
        "/provider",
        "/provider/upload",
        "/provider/batches",
        "/provider/quarantine?state=",
        "/provider/timeliness",
        receipt,
    ):
        page.goto(server + url)
        assert fits(page), url
        name = url.strip("/").split("?")[0].replace("/", "_")
        page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    context.close()


def test_a_provider_fixes_a_row_by_choosing_from_the_catalogs_values(
    server: str, browser: Browser, tmp_path: Path
) -> None:
    """Before: every field of the fix-in-place form was a text box, so an enumerated field had
    to be typed exactly and a date in a form the reader accepts. Now an enumerated field is a
    select list of the catalog's values and a date field a date input; what was chosen is kept
    when the row is still refused."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("#username", "provider")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_url(server + "/provider")
    decided = penalty_row(903, TODAY)["处罚决定日期"]
    bad = dict(penalty_row(903, TODAY), 行政相对人类别="企业", 处罚决定日期="2026年13月5日")
    path = tmp_path / "enum.csv"
    path.write_bytes(csv_bytes([bad]))
    upload(page, server, path)
    page.click("#rejected a")
    page.wait_for_url(server + "/provider/quarantine/*")
    kind = page.locator('#fix-form select[data-field="行政相对人类别"]')
    catalog = page.request.get(server + "/api/catalog/HLJ-CF-001").json()
    allowed = next(f["values"] for f in catalog["fields"] if f["name"] == "行政相对人类别")
    options = kind.locator("option").all_text_contents()
    assert [o for o in options if o in allowed] == allowed  # the catalog's values, in Chinese
    assert kind.input_value() == "企业"  # the wrong value kept until another is chosen
    date = page.locator('#fix-form input[data-field="处罚决定日期"]')
    assert date.get_attribute("type") == "date"
    assert page.locator('#fix-form input[data-field="处罚有效期"]').get_attribute("type") == "date"
    assert page.locator('#fix-form select[data-field="适用程序"]').input_value() == "普通程序"

    kind.select_option("法人及非法人组织")  # the kind only: the date is still wrong
    page.click("#fix-button")
    page.wait_for_selector("#outcome")
    assert "仍有错误" in page.locator("#outcome").inner_text()
    kind = page.locator('#fix-form select[data-field="行政相对人类别"]')
    assert kind.input_value() == "法人及非法人组织"  # kept
    page.locator('#fix-form input[data-field="处罚决定日期"]').fill(decided)
    page.click("#fix-button")
    page.wait_for_selector("#outcome")
    assert "已入库" in page.locator("#outcome").inner_text()
    assert page.locator("#row-state").inner_text() == "已更正入库"
    context.close()
