"""`make run`'s demo, loaded as `make run` loads it (the CLI, a subprocess, on a fresh data
folder) on dates far from today, then tried over HTTP as each demo account would on day one:
every element of the story is there and every door it opens works that day. Loading used to
fail before about 2026-08-10 (`law.not_in_force`: generated court records dated before the
regulation); and a failed load used to leave half a demo behind (accounts but no data, and a
second load refused). Loaded before 2026-04-01 the company could not apply for its repair
(`law.not_in_force`: the packs held the repair conditions only from the 2025 measures); from
2023-08-02 (three months after the publicity periods came into force) it can on any day."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from tests.conftest import serving
from xinyong.accounts.models import User
from xinyong.common.clock import FixedClock
from xinyong.config import Settings
from xinyong.context import Context, build_context
from xinyong.demo import seed
from xinyong.demo.seed import (
    DEMO_CITIZEN,
    DEMO_COMPANY,
    DEMO_LISTED_REPRESENTATIVE,
    DEMO_PASSWORD,
    load_demo,
)
from xinyong.law.workdays import add_period
from xinyong.lists.demo import DEMO_LISTED
from xinyong.records.models import CreditRecord
from xinyong.web.app import create_app

SRC = str(Path(__file__).resolve().parents[2] / "src")


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINYONG_")}
    env |= {
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "XINYONG_DATA_DIR": str(folder),
    }
    return subprocess.run(
        [sys.executable, "-m", "xinyong.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module", params=["2023-08-20", "2025-06-16", "2031-06-15"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dt.date, str]]:
    """A fresh data folder, loaded by `make run`'s commands on the date, served on that date."""
    day = dt.date.fromisoformat(request.param)
    folder = tmp_path_factory.mktemp(f"demo-{day}")
    for step in (["db", "upgrade"], ["catalog", "seed"]):
        done = cli(folder, *step)
        assert done.returncode == 0, done.stderr
    loaded = cli(folder, "demo", "load", "--on", day.isoformat())
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert "已创建演示数据" in loaded.stdout
    ctx = build_context(Settings(data_dir=folder, database_url=""), clock=FixedClock(day))
    try:
        with serving(create_app(ctx)) as url:
            yield url, day, loaded.stdout
    finally:
        ctx.engine.dispose()


class Client(requests.Session):
    """A session against the served demo, paths relative to its base URL."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def request(self, method: str | bytes, url: str | bytes, *a: Any, **kw: Any) -> Any:  # type: ignore[override]
        kw.setdefault("timeout", 30)
        return super().request(method, f"{self.base}{url!s}", *a, **kw)


def login(url: str, username: str) -> Client:
    client = Client(url)
    r = client.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return client


def test_the_cli_prints_the_accounts_door_check_uses(demo: tuple[str, dt.date, str]) -> None:
    _, _, out = demo
    for name in ("admin", "staff", "provider", "agency", "bank", "company", "citizen"):
        assert f"  {name} " in out
    assert DEMO_PASSWORD in out


def test_red_list_company_with_its_incentives(demo: tuple[str, dt.date, str]) -> None:
    url, _, _ = demo
    red = requests.get(f"{url}/api/lists/red", timeout=30)
    assert red.status_code == 200, red.text
    assert DEMO_COMPANY in red.text
    with login(url, "agency") as agency:
        r = agency.post("/api/checks", json={"scenario": "procurement", "subjects": [DEMO_COMPANY]})
        assert r.status_code == 201, r.text
        (result,) = r.json()["results"]
        assert "DEMO-INC-PROCUREMENT" in {m["measure"] for m in result["incentives"]}, r.text


def test_serious_list_company_and_its_legal_representative(
    demo: tuple[str, dt.date, str],
) -> None:
    url, _, _ = demo
    serious = requests.get(f"{url}/api/lists/serious", timeout=30)
    assert serious.status_code == 200, serious.text
    assert DEMO_LISTED in serious.text
    with login(url, "staff") as staff:
        links = staff.get(f"/api/subjects/{DEMO_LISTED}/links")
        assert links.status_code == 200, links.text
        assert links.json() and "legal_representative" in links.text
    with login(url, "agency") as agency:
        for scenario, key, measure in (
            ("procurement", DEMO_LISTED, "DEMO-PUN-PROCUREMENT"),
            ("awards", DEMO_LISTED_REPRESENTATIVE, "DEMO-PUN-RELATED"),
        ):
            r = agency.post(
                "/api/checks",
                json={"scenario": scenario, "subjects": [DEMO_LISTED, DEMO_LISTED_REPRESENTATIVE]},
            )
            assert r.status_code == 201, r.text
            results = {row["subject_key"]: row for row in r.json()["results"]}
            assert measure in {m["measure"] for m in results[key]["restrictions"]}, r.text


def test_the_company_can_apply_for_a_repair_today(demo: tuple[str, dt.date, str]) -> None:
    url, _, _ = demo
    with login(url, "company") as company:
        mine = company.get("/api/me/records")
        assert mine.status_code == 200, mine.text
        today = demo[1].isoformat()
        penalties = [
            r
            for r in mine.json()["records"]
            if r["item"] == "HLJ-CF-001" and r["repair_from"] and r["repair_from"] <= today
        ]
        assert penalties, mine.text
        payload = {
            "record_id": penalties[0]["record_id"],
            "request": "已缴清罚款并完成整改（演示）",
            "conditions": ["conduct_corrected", "public_commitment"],
            "commitment": "本单位承诺依法诚信经营。",
        }
        filed = company.post("/api/me/repairs", json=payload)
        # Before 2026-04-01 the 2023 trial measures and HLJ 40 hold the conditions (the packs
        # used to hold them only from 2026-04-01: `law.not_in_force` on 2025-06-16).
        assert filed.status_code == 201, filed.text
        number = filed.json()["number"]
        cases = company.get("/api/me/cases")
        assert cases.status_code == 200, cases.text
        assert [c["kind"] for c in cases.json() if c["number"] == number] == ["repair"]


def test_a_pending_objection_of_the_citizen_waits_for_staff(
    demo: tuple[str, dt.date, str],
) -> None:
    url, _, _ = demo
    with login(url, "citizen") as citizen:
        mine = citizen.get("/api/me/cases")
        assert mine.status_code == 200, mine.text
        objections = [c for c in mine.json() if c["kind"] == "objection"]
        assert [c["state"] for c in objections] == ["filed"], mine.text
    with login(url, "staff") as staff:
        queue = staff.get("/api/cases")
        assert queue.status_code == 200, queue.text
        assert objections[0]["number"] in queue.text
        detail = staff.get(f"/api/cases/{objections[0]['number']}")
        assert detail.status_code == 200, detail.text
        assert not detail.json().get("overdue"), detail.text


def test_the_provider_has_a_quarantined_row(demo: tuple[str, dt.date, str]) -> None:
    url, _, _ = demo
    with login(url, "provider") as provider:
        q = provider.get("/api/quarantine")
        assert q.status_code == 200, q.text
        rows = q.json() if isinstance(q.json(), list) else q.json().get("rows", [])
        assert rows, q.text


def test_the_citizen_authorised_the_bank(demo: tuple[str, dt.date, str]) -> None:
    url, _, _ = demo
    with login(url, "citizen") as citizen:
        grants = citizen.get("/api/me/authorisations")
        assert grants.status_code == 200, grants.text
        assert "bank" in grants.text
    with login(url, "bank") as bank:
        r = bank.get(f"/api/subjects/{DEMO_CITIZEN}/records", params={"purpose": "授信审查"})
        assert r.status_code == 200, r.text
        assert "HLJ-CF-001" in r.text


def test_the_company_has_a_licence_on_a_commitment_under_verification(
    demo: tuple[str, dt.date, str],
) -> None:
    url, day, _ = demo
    public = Client(url)
    listed = public.get("/api/commitments", params={"q": "示范"})
    assert listed.status_code == 200, listed.text
    assert {"审批替代型", "主动型"} <= {c["type_label"] for c in listed.json()["items"]}, (
        listed.text
    )
    assert public.get("/commitments/matters").text.count("告知承诺") >= 1
    with login(url, "staff") as staff:
        queue = staff.get("/api/commitment-verifications")
        assert queue.status_code == 200, queue.text
        due = [r["due_on"] for r in queue.json()["items"] if r.get("due_on")]
        assert due == [add_period(day, 2, "month").isoformat()], queue.text


# ------------------------------------------------------------------------------ atomic


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_failed_load_leaves_nothing_and_can_be_run_again(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    heads = ctx.settings.resolved_heads_file()
    before = heads.read_text() if heads.exists() else ""

    def fail(_: Context) -> None:
        raise RuntimeError("stopped at the last step")

    monkeypatch.setattr(seed, "_story", fail)
    with pytest.raises(RuntimeError):
        load_demo(ctx, subjects=5, records=10)
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(CreditRecord)) == 0
        assert ctx.audit.count(session) == 0
        assert ctx.audit.verify(session).ok
    assert (heads.read_text() if heads.exists() else "") == before
    monkeypatch.undo()
    assert load_demo(ctx, subjects=5, records=10)
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 7
        assert ctx.audit.verify(session).ok
