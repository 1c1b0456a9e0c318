"""Runs tests/exchange/stories/*.yaml across two real nodes: pushes through the provider's HTTP
door, the forwarder over loopback, the nightly jobs, and the staff's status API with a real
token. Each step's `expect` is checked as a subset of what the step answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from tests.exchange.conftest import PROVINCE, Node
from xinyong.accounts.service import create_user
from xinyong.common.clock import PLATFORM_TZ, FixedClock
from xinyong.common.roles import SYSTEM, Role
from xinyong.demo.rows import penalty_row
from xinyong.exchange import forwarder
from xinyong.exchange.models import OutboxItem, Peer
from xinyong.exchange.outbox import record_ref
from xinyong.flows import run_jobs
from xinyong.records.models import CreditRecord

STORIES = sorted((Path(__file__).parent / "stories").glob("*.yaml"))
DEAD = "http://127.0.0.1:9"


def _stories() -> list[Any]:
    found = []
    for path in STORIES:
        for story in yaml.safe_load(path.read_text(encoding="utf-8")):
            found.append(pytest.param(story, id=story["name"][:40]))
    return found


class Runner:
    def __init__(self, city: Node, province: Node, clock: FixedClock) -> None:
        self.city, self.province, self.clock = city, province, clock
        self.records: dict[str, tuple[str, str, str]] = {}
        self.staff = ""

    def at(self, day: dt.date) -> None:
        self.clock.set(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=PLATFORM_TZ))

    def push(self, index: int, **alias: str) -> dict[str, Any]:
        row = penalty_row(index, self.city.ctx.today())
        receipt = self.city.push([row])
        assert receipt["accepted"] == 1, receipt
        with self.city.ctx.sessions() as session:
            record = session.scalars(
                select(CreditRecord).order_by(CreditRecord.id.desc()).limit(1)
            ).one()
            self.records[alias["as"]] = (record.provider_code, record.item_code, record.record_key)
        return receipt

    def outbox(self, record: str) -> dict[str, Any]:
        with self.city.ctx.sessions() as session:
            item = session.scalars(
                select(OutboxItem).where(OutboxItem.ref == record_ref(*self.records[record]))
            ).one()
            return {"due_on": item.due_on, "provisional": item.due_provisional, "state": item.state}

    def _peer_url(self, url: str) -> None:
        with self.city.ctx.sessions() as session, session.begin():
            peer = session.get(Peer, PROVINCE)
            assert peer is not None
            peer.url = url

    def unreachable(self) -> None:
        self._peer_url(DEAD)

    def reachable(self) -> None:
        self._peer_url(self.province.url)

    def forward(self, force: bool = False) -> dict[str, Any]:
        report = forwarder.run(self.city.ctx, force=force)
        out: dict[str, Any] = {"applied": sum(p.applied for p in report.peers)}
        errors = [p.error for p in report.peers if p.error]
        if errors:
            out["error"] = errors[0]
        return out

    def jobs(self) -> dict[str, Any]:
        done = run_jobs(self.city.ctx)
        return {"overdue": sum(done["exchange_overdue"].values())}

    def status(self) -> dict[str, Any]:
        if not self.staff:
            with self.city.ctx.sessions() as session, session.begin():
                create_user(
                    session,
                    self.city.ctx,
                    actor=SYSTEM,
                    username="desk",
                    password="desk-password-1",
                    role=Role.STAFF,
                    display_name="信用工作人员",
                )
            self.staff = "desk"
        login = self.city.client.post(  # a fresh token: the clock moves by days
            "/api/auth/token", data={"username": "desk", "password": "desk-password-1"}
        )
        token = login.json()["access_token"]
        answer = self.city.client.get(
            "/api/exchange/status", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text
        peer = next(p for p in answer.json()["peers"] if p["code"] == PROVINCE)
        return {
            "pending": peer["pending"],
            "overdue": peer["overdue"],
            "article": peer["overdue_article"],
        }

    def province_(self, record: str) -> dict[str, Any]:
        provider, item, key = self.records[record]
        with self.province.ctx.sessions() as session:
            versions = session.scalars(
                select(CreditRecord).where(
                    CreditRecord.provider_code == provider,
                    CreditRecord.item_code == item,
                    CreditRecord.record_key == key,
                )
            ).all()
        return {
            "origin": versions[-1].origin_platform if versions else None,
            "versions": len(versions),
        }


def _check(expected: dict[str, Any], got: dict[str, Any], where: str) -> None:
    for key, want in expected.items():
        if key.endswith("_contains"):
            field = key.removesuffix("_contains")
            assert want in str(got.get(field)), f"{where}: {field}={got.get(field)!r}"
        else:
            assert got.get(key) == want, f"{where}: {key}={got.get(key)!r}, expected {want!r}"


@pytest.mark.parametrize("story", _stories())
def test_story(story: dict[str, Any], nodes: tuple[Node, Node], clock: FixedClock) -> None:
    runner = Runner(*nodes, clock)
    for n, step in enumerate(story["steps"]):
        action = next(k for k in step if k != "expect")
        args = step[action] or {}
        method = getattr(runner, "province_" if action == "province" else action)
        got = method(args) if action == "at" else method(**args)
        if "expect" in step:
            _check(step["expect"], got or {}, f"{story['name']} step {n + 1} ({action})")
