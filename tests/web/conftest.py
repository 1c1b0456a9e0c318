"""Web fixtures: a served demo platform with Debian's chromium, and an API client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import NOW, make_settings, serving
from tests.ingest.conftest import push_as_system
from xinyong.common.clock import FixedClock
from xinyong.context import Context, build_context
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_COMPANY, DEMO_PASSWORD, load_demo
from xinyong.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    shutil.copy(sqlite_template, folder / "xinyong.db")
    ctx = build_context(
        make_settings(folder, f"sqlite:///{folder / 'xinyong.db'}"), clock=FixedClock(NOW)
    )
    load_demo(ctx, subjects=10, records=20)
    rows = [
        penalty_row(i, NOW.date()) | {"行政相对人名称": f"哈尔滨龙江乳业有限公司{i}号店"}
        for i in range(3)
    ]
    own = penalty_row(200, NOW.date()) | {  # the demo company's own penalty, 201 days old
        "行政相对人名称": "哈尔滨示范科技有限公司（演示）",
        "统一社会信用代码": DEMO_COMPANY,
    }
    push_as_system(ctx, [*rows, own], item="HLJ-CF-001", provider="HRB-SCJG")
    with serving(create_app(ctx)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is required: `make test` installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def login_as(browser: Browser, server: str, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_url(lambda url: not url.endswith("/login"))  # each role lands on its own door
    return context, page


@pytest.fixture
def client(ctx: Context) -> Iterator[TestClient]:
    load_demo(ctx, subjects=10, records=20)
    with TestClient(create_app(ctx)) as c:
        yield c


def login(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
