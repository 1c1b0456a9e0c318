"""The staff verification queue (/staff/commitments) in headless Chromium: commitments due
soonest first, each with its article; the days for missing materials said to be the
platform's, not the law's."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.commitments.verify_helpers import file_for_test
from tests.conftest import NOW, make_settings, serving
from tests.web.conftest import login_as
from xinyong.commitments import verification
from xinyong.common.clock import FixedClock
from xinyong.common.roles import Actor, Role
from xinyong.context import build_context
from xinyong.demo.seed import load_demo
from xinyong.web.app import create_app

pytestmark = pytest.mark.browser
STAFF = Actor(role=Role.STAFF, user_id=1, username="staff")


@pytest.fixture(scope="module")
def queued(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("commitments")
    shutil.copy(sqlite_template, folder / "xinyong.db")
    ctx = build_context(
        make_settings(folder, f"sqlite:///{folder / 'xinyong.db'}"), clock=FixedClock(NOW)
    )
    load_demo(ctx, subjects=5, records=5)
    late = file_for_test(ctx, made_on=dt.date(2026, 10, 1))
    soon = file_for_test(ctx, made_on=dt.date(2026, 9, 24))
    cure = file_for_test(ctx, commitment_type="cure")
    with ctx.sessions() as session, session.begin():
        verification.decide(session, ctx, actor=STAFF, number=late, on=dt.date(2026, 11, 20))
        verification.decide(session, ctx, actor=STAFF, number=soon, on=dt.date(2026, 9, 30))
        verification.accept_incomplete(session, ctx, actor=STAFF, number=cure, missing="场所证明")
    with serving(create_app(ctx)) as url:
        yield url, {"late": late, "soon": soon, "cure": cure}


def test_staff_see_the_queue_soonest_first_with_the_article(
    queued: tuple[str, dict[str, str]], browser: Browser
) -> None:
    server, numbers = queued
    context, page = login_as(browser, server, "staff")
    page.goto(server + "/staff/commitments")
    rows = page.locator("#verify-queue tbody tr")
    ids = [rows.nth(i).get_attribute("id") for i in range(rows.count())]
    order = [f"commitment-{numbers[k]}" for k in ("soon", "cure", "late")]
    assert [i for i in ids if i in order] == order  # 2026-11-30, 2026-12-07, 2027-01-20
    soon = page.locator(f"#commitment-{numbers['soon']}")
    assert "2026-11-30" in soon.locator(".due").inner_text()
    assert "第四十六条" in soon.locator(".article").inner_text()
    cure = page.locator(f"#commitment-{numbers['cure']}")
    assert "非法定" in cure.locator(".stage").inner_text()
    assert "第四十五条第二款" in cure.locator(".article").inner_text()
    assert "非法定" in page.locator("#queue-note").inner_text()
    context.close()

    context, page = login_as(browser, server, "company")
    page.goto(server + "/staff/commitments")
    assert page.url.endswith("/login")
    context.close()
