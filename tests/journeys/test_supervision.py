"""Graded supervision through the real doors (issue 19): the administrator registers an agency and
binds the demo agency account to it; the agency, with its real token, registers inspectors (one
with a conflict), creates a plan, fills its pool from the subjects register, publishes it with
the platform's seed commitment, draws on the draw day and announces the results; the public reads
the plan and the results, recomputes the draw over HTTP, re-runs it offline with the CLI from
the downloaded inputs, and, in Chromium, sees the results page and its recomputation."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from tests.conftest import NOW, make_settings, serving
from tests.web.conftest import browser  # noqa: F401 (fixture)
from tests.web.test_page_language import developer_strings
from xinyong.audit.models import AuditEvent
from xinyong.audit.tags import AuditTag
from xinyong.common.clock import FixedClock
from xinyong.context import Context, build_context
from xinyong.demo.generate import synthetic_uscc
from xinyong.demo.seed import DEMO_CITIZEN, DEMO_PASSWORD, load_demo
from xinyong.lists.demo import DEMO_LISTED
from xinyong.web.app import create_app

pytestmark = pytest.mark.browser
AGENCY = synthetic_uscc(7_100_001, "230100")
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[str, FixedClock, Context]]:
    folder = tmp_path_factory.mktemp("supervision")
    shutil.copy(sqlite_template, folder / "xinyong.db")
    clock = FixedClock(NOW)
    ctx = build_context(make_settings(folder, f"sqlite:///{folder / 'xinyong.db'}"), clock=clock)
    load_demo(ctx, subjects=10, records=20)
    with serving(create_app(ctx)) as url:
        yield url, clock, ctx


def _token(http: httpx.Client, username: str) -> dict[str, str]:
    answer = http.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_plan_draw_publish_and_the_public_recomputes(
    served: tuple[str, FixedClock, Context],
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    url, clock, ctx = served
    today = NOW.date()
    with httpx.Client(base_url=url) as http:
        admin = _token(http, "admin")
        r = http.post(
            "/api/admin/agencies",
            json={"uscc": AGENCY, "name": "哈尔滨市市场监督管理局（演示）", "region": "230100"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        r = http.post(
            "/api/admin/accounts/agency/bind", json={"agency_code": AGENCY}, headers=admin
        )
        assert r.status_code == 200, r.text
        agency = _token(http, "agency")
        for code, name in (("ZF-01", "张检查"), ("ZF-02", "李检查"), ("ZF-03", "王检查")):
            r = http.post(
                "/api/supervision/inspectors",
                json={"code": code, "name": name, "enforcement_field": "市场监管"},
                headers=agency,
            )
            assert r.status_code == 201, r.text
        r = http.post(
            "/api/supervision/inspectors/ZF-01/conflicts",
            json={"subject_key": DEMO_LISTED, "reason": "近亲属在该企业任职"},
            headers=agency,
        )
        assert r.status_code == 201 and r.json()["conflicts"] == 1, r.text
        plan = {
            "matter": "食品经营者监督检查（演示）",
            "area_code": "230100",
            "field": "食品药品",
            "enforcement_field": "市场监管",
            "period_start": today.isoformat(),
            "period_end": (today + dt.timedelta(days=90)).isoformat(),
            "draw_on": (today + dt.timedelta(days=1)).isoformat(),
            "ratio_high": "1.0",
            "ratio_ordinary": "0.3",
            "ratio_low": "0.05",
        }
        r = http.post("/api/supervision/plans", json=plan, headers=_token(http, "company"))
        assert r.status_code == 403, r.text  # plans are the agencies'
        r = http.post("/api/supervision/plans", json=plan, headers=agency)
        assert r.status_code == 201, r.text
        shown = r.json()
        number = shown["number"]
        assert shown["key_field"] and "非法定" in shown["ratio_note"]
        assert [c["ratio"] for c in shown["classes"]] == ["100%", "30%", "5%"]
        r = http.post(
            f"/api/supervision/plans/{number}/objects", json={"from_register": True}, headers=agency
        )
        assert r.status_code == 200, r.text
        pool = r.json()
        assert any(o["subject"] == DEMO_LISTED for o in pool)
        assert all(o["subject"] != DEMO_CITIZEN for o in pool)  # a person's number masked
        assert http.get(f"/supervision/plans/{number}").status_code == 404  # a draft: not public
        r = http.post(f"/api/supervision/plans/{number}/publish", json={}, headers=agency)
        assert r.status_code == 200, r.text
        commitment = r.json()["seed_commitment"]
        assert r.json()["seed"] is None  # kept until the draw
        page = http.get(f"/supervision/plans/{number}")
        assert page.status_code == 200 and commitment in page.text
        r = http.post(f"/api/supervision/plans/{number}/draw", json={}, headers=agency)
        assert r.status_code == 422 and r.json()["error"]["code"] == "supervision.before_draw_day"

        clock.set(NOW + dt.timedelta(days=1))  # the draw day: yesterday's token has expired
        agency = _token(http, "agency")
        r = http.post(f"/api/supervision/plans/{number}/draw", json={}, headers=agency)
        assert r.status_code == 200, r.text
        drawn = {o["subject"]: o for o in r.json()["objects"]}
        listed = drawn[DEMO_LISTED]  # serious list → high risk, ratio 1.0: always drawn
        assert listed["supervision_class"] == "high_risk"
        assert not any("ZF-01" in i for i in listed["inspectors"])  # conflict respected
        before = http.get(f"/api/public/supervision/plans/{number}").json()
        assert before["objects"] == [] and before["plan"]["seed"] is None  # until announced
        r = http.post(f"/api/supervision/plans/{number}/announce", headers=agency)
        assert r.status_code == 200, r.text

        public = http.get(f"/api/public/supervision/plans/{number}").json()
        assert public["plan"]["seed"] and public["plan"]["state"] == "announced"
        assert {o["subject"] for o in public["objects"]} == set(drawn)
        assert DEMO_CITIZEN not in json.dumps(public, ensure_ascii=False)
        checked = http.get(f"/api/public/supervision/plans/{number}/verify").json()
        assert checked["verified"], checked
        inputs = http.get(f"/api/public/supervision/plans/{number}/inputs").json()
    with ctx.sessions() as session:
        tags = set(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == number)))
    assert {AuditTag.SUPERVISION_PLAN_PUBLISH, AuditTag.SUPERVISION_DRAW_RUN} <= tags

    # anyone re-runs the draw offline from the downloaded inputs
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps(inputs, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-m", "xinyong.cli", "supervision", "verify-draw", "--file", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0 and "核验通过" in done.stdout, done.stdout + done.stderr
    inputs["result"]["objects"] = inputs["result"]["objects"][1:]  # a tampered result
    path.write_text(json.dumps(inputs, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "xinyong.cli", "supervision", "verify-draw", "--file", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1 and "核验未通过" in done.stderr, done.stdout + done.stderr

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/supervision")
    page.click(f"a[href='/supervision/plans/{number}']")
    assert commitment in page.inner_text("#seed-commitment")
    assert listed["name"] in page.inner_text("#drawn")
    page.click("#recompute")
    assert "核验通过" in page.inner_text("#check")
    assert developer_strings(page.inner_text("body")) == set()
    context.close()
