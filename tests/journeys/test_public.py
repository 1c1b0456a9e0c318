"""The public's journey, in Chromium without logging in: the 双公示 and serious lists searched
and paged with their totals, rows named (organisations in full, natural persons as 张*) and
linked to the subject and the decision; the search with its total and pages, a mistyped code
told which rule it breaks; and no full ID number findable anywhere on these pages, whether one
searches by a person's ID number or by fragments of it. Pages checked at 1366 and 390 px."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import NOW, make_settings, serving
from tests.ingest.conftest import push_as_system
from tests.web.conftest import browser  # noqa: F401 (fixture)
from xinyong.common.clock import FixedClock
from xinyong.common.identifiers import uscc_check_character
from xinyong.context import build_context
from xinyong.demo.generate import synthetic_uscc
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import load_demo
from xinyong.lists.court_debtors import COURT_DEBTOR_ITEM
from xinyong.web.app import create_app

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "public"
PERSONS = [penalty_row(900 + i, NOW.date(), person=True) for i in range(3)]
PERSON_IDS = [str(p["证件号码"]) for p in PERSONS]
DEBTOR_NAMES = ["张铁柱", "欧阳娜娜", "王五"]


def _court_row(n: int, *, person: int | None = None) -> dict[str, str]:
    row = {
        "被执行人名称": f"松北示范{n:02d}号建设有限公司",
        "被执行人类别": "法人及非法人组织",
        "统一社会信用代码": synthetic_uscc(6_100_000 + n, "230109"),
        "证件类型": "",
        "证件号码": "",
        "案号": f"（2026）黑01执{n}号",
        "执行法院": "哈尔滨市中级人民法院",
        "执行依据文号": f"（2025）黑01民初{n}号",
        "失信情形": "有履行能力而拒不履行生效法律文书确定义务",
        "纳入日期": "2026-11-10",
    }
    if person is not None:
        row |= {
            "被执行人名称": DEBTOR_NAMES[person],
            "被执行人类别": "自然人",
            "统一社会信用代码": "",
            "证件类型": "身份证",
            "证件号码": PERSON_IDS[person],
        }
    return row


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("public")
    shutil.copy(sqlite_template, folder / "xinyong.db")
    ctx = build_context(
        make_settings(folder, f"sqlite:///{folder / 'xinyong.db'}"), clock=FixedClock(NOW)
    )
    load_demo(ctx, subjects=10, records=20)
    penalties = [
        penalty_row(300 + i, NOW.date()) | {"行政相对人名称": f"松北示范{i:02d}号商贸有限公司"}
        for i in range(45)
    ]
    push_as_system(ctx, [*penalties, *PERSONS], item="HLJ-CF-001", provider="HRB-SCJG")
    debtors = [_court_row(i) for i in range(25)] + [_court_row(90 + i, person=i) for i in range(3)]
    push_as_system(ctx, debtors, item=COURT_DEBTOR_ITEM, provider="HLJ-GY")
    with serving(create_app(ctx)) as url:
        yield url


def overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def no_full_id(page: Page) -> None:
    html = page.content()
    for number in PERSON_IDS:
        assert number not in html, "a full ID number is on the page"


def shots(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        assert overflow(page) <= 0, f"{name} overflows at {width} px"
    page.set_viewport_size({"width": 1366, "height": 900})


def test_lists_search_and_paging_without_any_id_number(
    server: str,
    browser: Browser,  # noqa: F811
) -> None:
    page = browser.new_page()

    # 行政处罚公示: a total, pages, a search by name, rows named and linked
    page.goto(server + "/publicity/penalties")
    total = page.locator("#total").inner_text()
    assert total.startswith("共") and "第1/" in total
    first = page.locator("#list tbody tr").all_inner_texts()
    assert len(first) == 20
    page.click("#next")
    assert "第2/" in page.locator("#total").inner_text()
    assert page.locator("#list tbody tr").all_inner_texts() != first
    no_full_id(page)
    page.fill("#name", "松北示范")
    page.click("#filter")
    assert page.locator("#total").inner_text().startswith("共45条")
    link = page.locator("#list a.subject").first
    assert link.inner_text().startswith("松北示范")
    assert (link.get_attribute("href") or "").startswith("/subjects/91")
    assert page.locator("#list a.decision").count() == 20
    shots(page, "penalties")
    for number in PERSON_IDS[:1]:  # a person is never found by ID number or name
        page.goto(server + f"/publicity/penalties?name={number}")
        assert "共0条" in page.locator("#total").inner_text()
        no_full_id(page)

    # 严重失信主体名单: court debtors by name, persons masked, unit names, 依据 complete
    page.goto(server + "/lists/serious")
    total = page.locator("#total").inner_text()
    assert "第1/2页" in total
    page.click("#next")
    names = page.locator("#entries tbody tr td:first-child").all_inner_texts()
    page.goto(server + "/lists/serious")
    names += page.locator("#entries tbody tr td:first-child").all_inner_texts()
    for name in names:
        assert not name[:1].isdigit(), f"a code in the name column: {name}"
    masked = {"张**", "欧***", "王*"}
    assert masked <= set(names)
    assert "HLJ-GY" not in page.content()
    no_full_id(page)
    page.fill("#q", "松北示范07号")
    page.click("#filter")
    assert page.locator("#total").inner_text().startswith("共1条")
    row = page.locator("#entries tbody tr").first
    assert "哈尔滨市中级人民法院" in row.inner_text()
    row.locator("a.decision").click()
    decision = page.locator("main").inner_text()
    assert "哈尔滨市中级人民法院（（2026）黑01执7号）纳入失信被执行人名单" in decision
    assert "执行依据（2025）黑01民初7号" in decision
    page.goto(server + f"/lists/serious?q={PERSON_IDS[0]}")
    assert "共0条" in page.locator("#total").inner_text()
    page.goto(server + f"/lists/serious?q={quote(DEBTOR_NAMES[0])}")
    assert "共0条" in page.locator("#total").inner_text()  # a person is not found by name
    page.goto(server + "/lists/serious")
    shots(page, "serious")

    # search: a total and pages; a mistyped code says which rule it breaks
    page.goto(server + "/")
    page.goto(server + "/search?q=" + quote("松北示范"))
    total = page.locator("#total").inner_text()
    # a longer query is not counted past the page read: "N个以上", and a next page
    assert ("共找到" in total and "第1/" in total) or ("个以上" in total and "第1页" in total)
    first = page.locator("#results li").all_inner_texts()
    page.click("#next")
    assert page.locator("#results li").all_inner_texts() != first
    shots(page, "search")
    company = synthetic_uscc(6_100_003, "230109")
    typo = company[:17] + ("0" if company[17] != "0" else "1")
    page.goto(server + f"/search?q={typo}")
    expected = uscc_check_character(company[:17])
    assert f"统一社会信用代码校验码应为{expected}" in page.locator("#error").inner_text()
    for query in [PERSON_IDS[0], PERSON_IDS[0][:-1] + "0", PERSON_IDS[0][:14], PERSON_IDS[0][6:]]:
        page.goto(server + f"/search?q={query}")
        no_full_id(page)
        assert "李演示" not in page.content() and "张铁柱" not in page.content()
    page.close()
