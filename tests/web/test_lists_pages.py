"""Chapter-4 pages in headless Chromium: the public lists and decisions, the staff desk, the
agency's batch check with its download."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.web.conftest import login_as
from xinyong.common.identifiers import uscc_check_character
from xinyong.demo.seed import DEMO_COMPANY
from xinyong.lists.demo import DEMO_LISTED

pytestmark = pytest.mark.browser


def test_public_serious_list_and_its_written_decision(server: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(server + "/lists/serious")
    row = page.locator("#entries tbody tr", has_text="哈尔滨演示围标建材有限公司")
    assert row.count() == 1
    row.locator("a.decision").click()
    page.wait_for_url("**/lists/entries/**")
    assert "串通投标" in page.locator("#reasons").inner_text()
    assert "哈市监罚〔2026〕88号" in page.locator("#basis").inner_text()
    assert "含当日" in page.locator("#term").inner_text()
    assert "信用修复" in page.locator("#removal").inner_text()
    assert "行政复议" in page.locator("#remedies").inner_text()
    assert "第二十八条" in page.locator("#citations").inner_text()
    page.goto(server + "/lists/red")
    assert page.locator("#entries tbody tr", has_text="哈尔滨示范科技有限公司").count() == 1
    page.close()


def test_staff_form_refuses_a_decision_without_remedies(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "staff")
    page.click("#staff-lists-link")
    page.wait_for_url(server + "/staff/lists")
    page.fill("#subject_key", DEMO_LISTED)
    page.fill("#subject_name", "哈尔滨演示围标建材有限公司（演示）")
    page.fill("#authority", "哈尔滨市住房和城乡建设局（演示）")
    page.fill("#basis_document", "哈建罚〔2026〕5号")
    page.fill("#reasons", "转包违法分包，情节严重")
    page.fill("#valid_until", "2027-12-31")
    page.fill("#removal_conditions", "期限届满或者信用修复完成")
    page.click("#recognise-submit")
    error = page.locator("#error").inner_text()
    assert "救济途径" in error and "第二十八条第二款" in error
    # issue 16: the refused form keeps what was typed
    assert page.input_value("#subject_key") == DEMO_LISTED
    assert page.input_value("#reasons") == "转包违法分包，情节严重"
    assert page.input_value("#valid_until") == "2027-12-31"
    assert page.input_value("#removal_conditions") == "期限届满或者信用修复完成"
    page.fill("#remedies", "可以依法申请行政复议或者提起行政诉讼")
    page.click("#recognise-submit")
    page.wait_for_url("**/lists/entries/**")
    assert page.locator("#status").inner_text() == "名单内"
    context.close()


def test_staff_publishes_a_measure(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "staff")
    page.goto(server + "/staff/lists")
    page.fill("#m-code", "UI-NO-AWARDS")
    page.select_option("#m-list", "punishment")
    page.select_option("#m-kind", label="不得评优评先")  # a select of names (was a code box)
    page.fill("#m-name", "不得评优评先（页面测试）")
    page.fill("#m-basis", "《黑龙江省社会信用条例》第三十一条第二款")
    page.fill("#m-agency", "哈尔滨市人力资源和社会保障局（演示）")
    page.check("input[name=scenarios][value=awards]")
    page.check("input[name=conduct_categories][value=market_order]")
    page.click("#measure-submit")
    assert "期限" in page.locator("#error").inner_text()  # a punishment needs a term
    assert "期限" in page.locator("#err-measure-term_amount").inner_text()  # by its field
    # issue 16: the refused form keeps what was typed and chosen
    assert page.input_value("#m-code") == "UI-NO-AWARDS"
    assert page.input_value("#m-list") == "punishment"
    assert page.input_value("#m-kind") == "no_awards"
    assert page.input_value("#m-agency") == "哈尔滨市人力资源和社会保障局（演示）"
    assert page.is_checked("input[name=scenarios][value=awards]")
    assert page.is_checked("input[name=conduct_categories][value=market_order]")
    page.fill("#m-term", "2")
    page.select_option("#m-unit", "year")
    page.click("#measure-submit")
    assert "未公布" in page.locator("#done").inner_text()
    page.click("#publish-UI-NO-AWARDS")
    assert "公布" in page.locator("#measure-UI-NO-AWARDS").inner_text()
    context.close()


def _valid(body: str) -> str:
    return body + uscc_check_character(body)


def test_agency_batch_check_with_upload_and_download(
    server: str,
    browser: Browser,
    tmp_path: Path,
) -> None:
    context, page = login_as(browser, server, "agency")
    page.click("#check-link")
    page.wait_for_url(server + "/agency/check")
    listing = tmp_path / "bidders.csv"
    listing.write_text(
        "统一社会信用代码,名称\n"
        + f"{DEMO_LISTED},投标人甲\n{DEMO_COMPANY},投标人乙\n"
        + "".join(f"{_valid(f'91230100MA{i:07d}')},其他\n" for i in range(50)),
        encoding="utf-8-sig",
    )
    page.select_option("#scenario", "procurement")
    page.fill("#matter", "某道路工程施工招标")
    page.set_input_files("#upload", str(listing))
    page.click("#check-submit")
    summary = page.locator("#summary").inner_text()
    assert "共52个主体" in summary and "适用奖惩措施2个" in summary
    assert "平台无信息50个" in summary and "代码无效0个" in summary
    listed = page.locator("#results tbody tr", has_text=DEMO_LISTED).inner_text()
    assert "限制参加政府采购" in listed and "哈市监罚〔2026〕88号" in listed
    rewarded = page.locator("#results tbody tr", has_text=DEMO_COMPANY).inner_text()
    assert "优先" in rewarded
    with page.expect_download() as download:
        page.click("#download")
    saved = tmp_path / "result.csv"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert DEMO_LISTED in text and "限制参加政府采购" in text
    context.close()
