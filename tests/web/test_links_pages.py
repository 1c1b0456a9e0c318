"""Issue 16 (staff) in Chromium: the link page (HLJ 33) and refused forms that keep their values,
each at 1366 and 390 px wide without overflowing the viewport."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.web.conftest import login_as
from xinyong.demo.generate import synthetic_citizen_id
from xinyong.lists.demo import DEMO_LISTED

PERSON = synthetic_citizen_id(7_200_001, ("230103",))
WRONG_CHECK = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
SHOTS = Path(__file__).parent.parent.parent / "var" / "screenshots" / "links"


def _fits(page: Page, name: str) -> None:
    """Nothing wider than the viewport, at both widths; a screenshot of each for the eye."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} overflows by {overflow}px at {width}px"
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def _fill_link(page: Page, person: str) -> None:
    page.fill("#organisation_key", DEMO_LISTED)
    page.fill("#person_key", person)
    page.fill("#person_name", "周法人")
    page.select_option("#relation", label="法定代表人")
    page.fill("#valid_from", "2021-03-01")
    page.fill("#source", "市场主体登记信息")


def test_staff_register_a_link_that_reaches_the_listing(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "staff")
    page.click("#links-link")
    page.wait_for_url(server + "/subject-links")
    options = page.locator("#relation option").all_inner_texts()
    assert options == [
        "请选择",
        "法定代表人",
        "主要负责人",
        "实际控制人",
        "影响债务履行的直接责任人",
    ]
    _fits(page, "links-form")
    _fill_link(page, WRONG_CHECK)
    page.click("#link-submit")
    assert "校验码" in page.locator("#err-person_key").inner_text()
    # the refused form keeps what was typed and chosen
    assert page.input_value("#organisation_key") == DEMO_LISTED
    assert page.input_value("#person_key") == WRONG_CHECK
    assert page.input_value("#person_name") == "周法人"
    assert page.input_value("#relation") == "legal_representative"
    assert page.input_value("#valid_from") == "2021-03-01"
    assert page.input_value("#source") == "市场主体登记信息"
    _fits(page, "links-refused")
    page.fill("#person_key", PERSON)
    page.click("#link-submit")
    done = page.locator("#done").inner_text()
    assert "周法人为该主体的法定代表人" in done and "关联认定1项" in done  # HLJ 33, after
    _fill_link(page, PERSON)
    page.click("#link-submit")
    assert "不能重复登记" in page.locator("#err-relation").inner_text()
    assert page.input_value("#person_key") == PERSON
    context.close()


def test_a_provider_has_the_link_page(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "provider")
    page.click("#links-link")
    page.wait_for_url(server + "/subject-links")
    page.click("#link-submit")
    assert page.locator("#err-organisation_key").inner_text() == "必填"
    context.close()


def test_a_refused_emergency_keeps_its_values(server: str, browser: Browser) -> None:
    context, page = login_as(browser, server, "staff")
    page.goto(server + "/staff/lists")
    page.fill("#e-region", "2301")
    page.fill("#e-name", "特大洪涝灾害（页面测试）")
    page.fill("#e-from", "2026-08-10")
    page.fill("#e-to", "2026-08-01")
    page.click("#emergency-submit")
    assert "结束日期不得早于开始日期" in page.locator("#err-emergency-ends_on").inner_text()
    assert page.input_value("#e-region") == "2301"
    assert page.input_value("#e-name") == "特大洪涝灾害（页面测试）"
    assert page.input_value("#e-from") == "2026-08-10"
    assert page.input_value("#e-to") == "2026-08-01"
    _fits(page, "staff-lists-refused")
    context.close()


def test_the_pause_form_names_the_reasons_and_keeps_its_values(
    server: str, browser: Browser
) -> None:
    context, page = login_as(browser, server, "staff")
    page.goto(server + "/staff/cases/YY0000/pause")
    names = page.locator("#pause-reason option").all_inner_texts()
    assert names == ["请选择", "检验", "检测", "检疫", "鉴定", "专家评审"]
    page.select_option("#pause-reason", label="鉴定")
    page.fill("#pause-start", "2026-11-25")
    page.fill("#pause-end", "2026-11-24")
    page.click("#pause-submit")
    assert "不得早于开始日期" in page.locator("#err-end").inner_text()
    assert page.input_value("#pause-reason") == "appraisal"
    assert page.input_value("#pause-start") == "2026-11-25"
    _fits(page, "case-pause-refused")
    context.close()


def test_the_link_page_lists_the_links_registered_for_a_subject(
    server: str, browser: Browser
) -> None:
    """Before: /subject-links registered links but showed none of those already registered."""
    import re

    from xinyong.demo.generate import synthetic_uscc
    from xinyong.demo.seed import DEMO_PASSWORD

    company = synthetic_uscc(7_300_001, "230103")
    context, page = login_as(browser, server, "staff")
    token = page.request.post(
        server + "/api/auth/token", form={"username": "staff", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    for i in range(21):  # more than a page
        answer = page.request.post(
            server + f"/api/subjects/{company}/links",
            headers={"Authorization": f"Bearer {token}"},
            data={
                "person_key": synthetic_citizen_id(7_300_100 + i, ("230103",)),
                "person_name": f"吴{'一二三四五六七八九十'[i % 10]}登记",
                "relation": "实际控制人" if i else "法定代表人",
                "valid_from": "2022-01-01",
                "source": "市场主体登记信息",
            },
        )
        assert answer.status == 201, answer.text()
    page.goto(server + "/subject-links")
    page.fill("#lookup-key", company)
    page.click("#lookup-submit")
    assert "21" in page.locator("#links-total").inner_text()
    rows = page.locator("#links tbody tr")
    assert rows.count() == 20
    text = page.locator("#links").inner_text()
    assert "实际控制人" in text and "actual_controller" not in text  # the relation in Chinese
    assert "吴二登记" in text  # staff see the name in full (the visibility engine)
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", rows.first.inner_text())  # registered
    _fits(page, "links-registered")
    page.click("#links-next")
    assert page.locator("#links tbody tr").count() == 1
    assert "法定代表人" in page.locator("#links").inner_text()  # the oldest, on page 2
    context.close()

    context, page = login_as(browser, server, "provider")
    page.goto(server + f"/subject-links?organisation_key={company}")
    names = page.locator("#links .person-name").all_inner_texts()
    assert names and all(re.fullmatch(r"吴\*+", n) for n in names)  # a unit sees them masked
    context.close()
