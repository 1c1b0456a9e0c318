"""The administrator's journey, through the real doors: in Chromium as the demo administrator,
create a provider account bound to its unit and issue it an API key on the page; the key pushes
a record over HTTP; disabled, the account's key is refused and its login says why; a password
reset forces the user to change it before anything else. Every step is on the administrative
log, in Chinese. The console's pages are checked at 1366 and 390 px for overflow."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import NOW
from tests.web.conftest import browser, login_as, server  # noqa: F401 (fixtures)
from xinyong.demo.rows import penalty_row

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "admin"


def accept_dialogs(page: Page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def row(page: Page, username: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#account-{username}")


def overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_admin_creates_a_provider_account_whose_key_pushes_then_disables_and_resets(
    server: str,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    context, page = login_as(browser, server, "admin")
    accept_dialogs(page)
    page.click("#admin-link")
    page.wait_for_url(server + "/admin")

    # a provider account bound to its unit; a temporary password shown once
    page.fill("#new-username", "pusher")
    page.fill("#new-display-name", "哈尔滨市市场监管局数据对接员")
    page.select_option("#new-role", "provider")
    page.select_option("#new-provider", "HRB-SCJG")
    page.click("#create-account")
    assert "已创建账户 pusher" in page.locator("#notice").inner_text()
    assert len(page.locator("#temporary-password").inner_text()) >= 8
    created = row(page, "pusher").inner_text()
    assert "信息提供单位" in created and "哈尔滨市市场监督管理局" in created
    assert "provider" not in created  # the role in Chinese, not its code

    # a missing unit is refused in Chinese and what was typed is kept
    page.fill("#new-username", "orphan")
    page.fill("#new-display-name", "无单位账户")
    page.select_option("#new-role", "provider")
    page.click("#create-account")
    assert "须关联提供单位" in page.locator("#error").inner_text()
    assert page.input_value("#new-username") == "orphan"

    # an API key for it, on the keys page the console links to
    page.click("#nav-keys")
    page.wait_for_url(server + "/admin/keys")
    page.fill("#key-username", "pusher")
    page.fill("#key-label", "监管系统对接")
    page.click("#create-key")
    key = page.locator("#new-key code").inner_text()
    assert key.startswith("xyk_")

    # the key pushes a record of a catalog item its unit may push
    record = penalty_row(300, NOW.date())
    with httpx.Client(base_url=server, headers={"X-API-Key": key}) as http:
        me = http.get("/api/me").json()
        assert me["username"] == "pusher" and me["role"] == "provider"
        pushed = http.post("/api/ingest/HLJ-CF-001/records", json=record)
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["accepted"] == 1

    # disabled: the key is refused, and its login says the account is disabled
    page.goto(server + "/admin?q=pusher")
    row(page, "pusher").locator("button.disable").click()
    assert "已停用账户 pusher" in page.locator("#notice").inner_text()
    assert "已停用" in row(page, "pusher").locator(".status").inner_text()
    with httpx.Client(base_url=server, headers={"X-API-Key": key}) as http:
        refused = http.post("/api/ingest/HLJ-CF-001/records", json=penalty_row(301, NOW.date()))
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "auth.required"

    # re-enabled and its password reset: the user must change it before anything else
    row(page, "pusher").locator("button.enable").click()
    assert "已停用" not in row(page, "pusher").locator(".status").inner_text()
    row(page, "pusher").locator("button.reset").click()
    temporary = page.locator("#temporary-password").inner_text()
    assert "待修改密码" in row(page, "pusher").locator(".status").inner_text()

    user = browser.new_context()
    own = user.new_page()
    own.goto(server + "/login")
    own.fill("#username", "pusher")
    own.fill("#password", temporary)
    own.click("#submit")
    own.wait_for_url(server + "/account/password")
    assert "管理员已重置您的密码" in own.locator("#forced").inner_text()
    own.goto(server + "/me")  # anything else leads back to the form
    own.wait_for_url(server + "/account/password")
    with httpx.Client(base_url=server) as http:
        token = http.post(
            "/api/auth/token", data={"username": "pusher", "password": temporary}
        ).json()["access_token"]
        blocked = http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert blocked.status_code == 403
        assert blocked.json()["error"]["code"] == "accounts.password_change_required"
    own.fill("#current-password", temporary)
    own.fill("#new-password", "new-secret-2026")
    own.fill("#confirm-password", "new-secret-2026")
    own.click("#change-password")
    own.wait_for_url(server + "/?password=changed")
    assert "哈尔滨市市场监管局数据对接员" in own.locator("#who").inner_text()
    user.close()

    # disabled, a login with the right password says so in Chinese
    page.goto(server + "/admin?q=pusher")
    row(page, "pusher").locator("button.disable").click()
    gone = browser.new_context()
    login = gone.new_page()
    login.goto(server + "/login")
    login.fill("#username", "pusher")
    login.fill("#password", "new-secret-2026")
    login.click("#submit")
    assert "该账户已被停用" in login.locator("#error").inner_text()
    gone.close()

    # the administrative log names every step in Chinese
    page.click("#nav-log")
    page.wait_for_url(server + "/admin/log")
    actions = page.locator("#log .action").all_inner_texts()
    for label in ("开立账户", "签发API密钥", "停用账户", "恢复账户", "重置密码"):
        assert label in actions, label
    text = page.locator("#log").inner_text()
    assert "accounts:" not in text and "系统管理员（演示）" in text

    # the console's pages at 1366 and 390 px: nothing wider than the viewport
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for path, name in (
            ("/admin", "accounts"),
            ("/admin/units", "units"),
            ("/admin/log", "log"),
        ):
            page.goto(server + path)
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
            assert overflow(page) <= 0, f"{path} overflows at {width}px"
    context.close()


def test_units_and_agencies_are_registered_with_a_checked_uscc(
    server: str,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    from xinyong.demo.generate import synthetic_uscc

    context, page = login_as(browser, server, "admin")
    page.goto(server + "/admin/units")
    good = synthetic_uscc(9_200_001, "230100")
    page.fill("#agency-name", "哈尔滨市发展和改革委员会")
    page.fill("#agency-uscc", good[:-1] + ("0" if good[-1] != "0" else "1"))
    page.fill("#agency-region", "230100")
    page.click("#register-agency")
    assert "校验码" in page.locator("#error").inner_text()
    assert page.input_value("#agency-name") == "哈尔滨市发展和改革委员会"
    page.fill("#agency-uscc", good)
    page.click("#register-agency")
    assert "已登记国家机关" in page.locator("#notice").inner_text()
    assert good in page.locator("#agencies").inner_text()
    unit = synthetic_uscc(9_200_002, "230100")
    page.fill("#unit-code", "HRB-FGW")
    page.fill("#unit-name", "哈尔滨市发展和改革委员会数据科")
    page.fill("#unit-uscc", unit)
    page.fill("#unit-region", "230100")
    page.click("#register-unit")
    assert unit in page.locator("#unit-HRB-FGW").inner_text()

    # an agency account bound to its agency, through the API
    with httpx.Client(base_url=server) as http:
        token = http.post(
            "/api/auth/token", data={"username": "admin", "password": "xinyong-demo"}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        made = http.post(
            "/api/admin/accounts",
            json={"username": "fgw", "display_name": "发改委查询员", "role": "agency",
                  "agency_code": good},
            headers=auth,
        )  # fmt: skip
        assert made.status_code == 201, made.text
        assert made.json()["account"]["organisation"] == "哈尔滨市发展和改革委员会"
        assert made.json()["temporary_password"]
        found = http.get("/api/admin/accounts", params={"q": "发改委"}, headers=auth).json()
        assert [a["username"] for a in found] == ["fgw"]
        staff = http.post(
            "/api/auth/token", data={"username": "staff", "password": "xinyong-demo"}
        ).json()["access_token"]
        denied = http.get("/api/admin/accounts", headers={"Authorization": f"Bearer {staff}"})
        assert denied.status_code == 403
    context.close()
