"""Issue 16 (HLJ 24 names mobile terminals): the main pages at 1366 and 390 px wide in
Chromium. Each is saved as a screenshot (the paths are printed, for a look by eye) and checked
that nothing overflows the viewport: the document is no wider than the window. At 390 px the
menu is collapsed behind its button and opens without a script."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.web.conftest import login_as
from xinyong.demo.seed import DEMO_COMPANY
from xinyong.lists.demo import DEMO_LISTED

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)
PUBLIC_PAGES = (
    "/",
    f"/search?q={DEMO_COMPANY}",
    "/search?q=哈尔滨",
    f"/subjects/{DEMO_COMPANY}",
    f"/subjects/{DEMO_LISTED}",
    "/lists/serious",
    "/lists/red",
    "/publicity/penalties",
    "/publicity/licences",
    "/rules",
    "/reports/verify",
    "/commitments",
    "/points",
    "/commitments/matters",
    "/supervision",
    "/login",
    "/no-such-page",
)
ACCOUNT_PAGES = {
    "company": ("/me", "/me/reports", "/me/cases"),
    "staff": ("/staff/cases", "/staff/lists", "/staff/commitment-matters", "/staff/commitments"),
    "agency": ("/agency", "/agency/check", "/agency/commitments", "/agency/supervision"),
}
SHOTS = Path(tempfile.mkdtemp(prefix="xinyong-screens-"))


def overflow(page: Page) -> int:
    """How many pixels the document is wider than the window (0: nothing overflows)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - window.innerWidth")  # type: ignore[arg-type]
    )


def shoot(page: Page, name: str, width: int) -> Path:
    path = SHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def slug(path: str) -> str:
    return path.strip("/").replace("/", "_").replace("?", "_").replace("=", "_") or "home"


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages_fit_the_window(server: str, browser: Browser, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    wide = []
    for path in PUBLIC_PAGES:
        page.goto(server + path)
        shoot(page, slug(path), width)
        if (extra := overflow(page)) > 0:
            wide.append(f"{path}: {extra}px wider than the window")
    context.close()
    assert not wide, "\n".join(wide)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("account", sorted(ACCOUNT_PAGES))
def test_account_pages_fit_the_window(
    server: str, browser: Browser, account: str, width: int
) -> None:
    context, page = login_as(browser, server, account)
    page.set_viewport_size({"width": width, "height": 900})
    wide = []
    for path in ACCOUNT_PAGES[account]:
        page.goto(server + path)
        shoot(page, f"{account}-{slug(path)}", width)
        if (extra := overflow(page)) > 0:
            wide.append(f"{path}: {extra}px wider than the window")
    context.close()
    assert not wide, "\n".join(wide)


def test_the_menu_collapses_at_390_and_opens_without_a_script(
    server: str, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    assert not page.locator("#menu").is_visible()
    page.click("label.menu-button")
    assert page.locator("#menu").is_visible()
    assert page.locator("#menu a[href='/lists/serious']").is_visible()
    context.close()
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    page = context.new_page()
    page.goto(server + "/")
    assert page.locator("#menu").is_visible() and not page.locator("label.menu-button").is_visible()
    context.close()


LINE = """() => {
  const nav = document.querySelector('#menu');
  const items = [...nav.querySelectorAll(':scope > a, :scope > .who')];
  const brand = document.querySelector('header.top .brand').getBoundingClientRect();
  const box = nav.getBoundingClientRect();
  return {
    tops: [...new Set(items.map(e => e.offsetTop))],
    height: box.height,
    line: Math.max(...items.map(e => e.getBoundingClientRect().height)),
    beside: brand.top < box.bottom && box.top < brand.bottom,
  };
}"""


@pytest.mark.parametrize("account", ["staff", "admin", "provider", "agency", "company"])
def test_the_menu_is_one_line_at_1366(server: str, browser: Browser, account: str) -> None:
    """Before: the staff menu (and the administrator's and the provider's) wrapped to two
    lines at 1366 px. Every menu link now shares one line; the staff's sits beside the brand.
    At 390 px the same menu collapses behind its button, and opens as a column."""
    context, page = login_as(browser, server, account)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(server + "/rules")
    shape = page.evaluate(LINE)
    assert len(shape["tops"]) == 1, shape  # every link on the same line
    assert shape["height"] < 1.5 * shape["line"], shape  # the nav is one line high
    if account == "staff":
        assert shape["beside"], shape  # brand and menu on one line: the header is one line
    assert overflow(page) <= 0
    page.set_viewport_size({"width": 390, "height": 844})
    assert not page.locator("#menu").is_visible()
    page.click("label.menu-button")
    assert page.locator("#who").is_visible() and overflow(page) <= 0
    context.close()


def test_the_wide_screen_gets_the_whole_style_sheet(server: str, browser: Browser) -> None:
    """Two `@media` blocks of site.css were left open, so every rule after them (the home page's
    search box, the footer, the section tabs) applied only to narrow screens: at 1366 px the
    search button was an unstyled grey button."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(server + "/")
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('.searchbox button')).backgroundColor"
    )
    align = page.evaluate("getComputedStyle(document.querySelector('footer')).textAlign")
    context.close()
    assert (colour, align) == ("rgb(183, 28, 28)", "center")


def test_the_commitment_doors_are_found_by_following_links(server: str, browser: Browser) -> None:
    """Issue 18's pages are reached by clicking, not only by typing their address: the public
    from the home page, an agency from its menu, staff from the case queue."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(server + "/")
    page.click("#entry-commitments")
    assert page.url.endswith("/commitments") and "信用承诺公示" in page.inner_text("h1")
    context.close()
    context, page = login_as(browser, server, "agency")
    page.click("#agency-commitments-link")
    assert page.url.endswith("/agency/commitments")
    context.close()
    context, page = login_as(browser, server, "staff")
    page.goto(server + "/staff/cases")
    page.click("#commitments-queue-link")
    assert page.url.endswith("/staff/commitments") and "示范" in page.inner_text("main")
    context.close()
