"""Concurrent pushes of one record (issue 14, item 11): at 10 clients, 11 of 53 pushes of the
same record answered 500 (UniqueViolation ix_credit_records_natural_key). Against a real server
on loopback, from real threads, on both databases: every push is answered 200, one version
wins each race, the others are answered as unchanged or updated, and the versions on file are
exactly the ones the answers announced."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import make_settings, serving
from tests.ingest.conftest import TODAY, seed_catalog_and_unit
from xinyong.common.clock import FixedClock
from xinyong.context import Context, build_context
from xinyong.demo.rows import penalty_row
from xinyong.records.models import CreditRecord
from xinyong.web.app import create_app

CLIENTS = 10
ROUNDS = 3
PASSWORD = "unit-password-1"


class Server:
    """The app served by uvicorn on a loopback port, in a thread (tests.conftest.serving)."""

    def __init__(self, ctx: Context) -> None:
        self.serving = serving(create_app(ctx))
        self.url = ""

    def __enter__(self) -> Server:
        self.url = self.serving.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.serving.__exit__(None, None, None)

    def call(
        self,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        token: str = "",
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(json_body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace")


@pytest.fixture
def served(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Server, str, Context]]:
    ctx = build_context(make_settings(tmp_path, db_url), clock=clock)
    seed_catalog_and_unit(ctx, PASSWORD)
    with Server(ctx) as server:
        status, body = server.call(
            "/api/auth/token", form={"username": "unit", "password": PASSWORD}
        )
        assert status == 200, body
        yield server, body["access_token"], ctx
    ctx.engine.dispose()


def race(server: Server, token: str, payloads: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Each payload pushed by its own thread, all released at once."""
    barrier = threading.Barrier(len(payloads))
    answers: list[tuple[int, Any]] = [(0, None)] * len(payloads)

    def push(i: int) -> None:
        barrier.wait()
        answers[i] = server.call(
            "/api/ingest/HLJ-CF-001/records", json_body=payloads[i], token=token
        )

    threads = [threading.Thread(target=push, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_concurrent_pushes_of_one_record_serialise(served: tuple[Server, str, Context]) -> None:
    server, token, ctx = served
    for round_ in range(ROUNDS):
        base = penalty_row(7_000 + round_, TODAY)
        key = base["处罚决定书文号"]
        # three payloads among ten clients: some pushes repeat a version, some change it
        payloads = [
            dict(base, 处罚内容=f"罚款人民币{1000 * (i % 3 + 1)}元。") for i in range(CLIENTS)
        ]
        answers = race(server, token, payloads)
        assert [status for status, _ in answers] == [200] * CLIENTS, answers
        outcome = [
            next(k for k in ("accepted", "updated", "unchanged") if body[k] == 1)
            for _, body in answers
        ]
        assert all(body["rows"] == 1 and body["rejected"] == 0 for _, body in answers)
        assert outcome.count("accepted") == 1  # one version wins the race to be first
        with ctx.sessions() as session:
            versions = session.scalars(
                select(CreditRecord)
                .where(CreditRecord.record_key == key)
                .order_by(CreditRecord.version)
            ).all()
        # every version an answer announced is on file, and nothing else
        assert [v.version for v in versions] == list(range(1, len(versions) + 1))
        assert len(versions) == outcome.count("accepted") + outcome.count("updated")
        assert [v.is_current for v in versions] == [False] * (len(versions) - 1) + [True]
        assert json.loads(versions[-1].payload_json)["处罚内容"] in {
            p["处罚内容"] for p in payloads
        }
