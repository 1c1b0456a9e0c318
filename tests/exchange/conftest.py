"""Two real nodes for the exchange tests: Harbin's city platform (230100, embedded SQLite) and
the province's (230000, on each backend), each its own database, data folder and exchange key,
each served by a real uvicorn on loopback and registered with the other as its peer."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings, serving
from tests.ingest.conftest import seed_catalog_and_unit
from xinyong.common.clock import FixedClock
from xinyong.common.roles import SYSTEM
from xinyong.context import Context, build_context
from xinyong.exchange import peers
from xinyong.exchange.signing import public_key_hex
from xinyong.web.app import create_app

PASSWORD = "unit-password-1"
CITY, PROVINCE = "230100", "230000"


@dataclass
class Node:
    ctx: Context
    url: str
    client: TestClient

    @property
    def code(self) -> str:
        return self.ctx.settings.platform

    def token(self) -> str:
        answer = self.client.post(
            "/api/auth/token", data={"username": "unit", "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def push(self, rows: list[dict[str, str]], item: str = "HLJ-CF-001") -> dict[str, object]:
        answer = self.client.post(
            f"/api/ingest/{item}/records",
            json={"records": rows},
            headers={"Authorization": f"Bearer {self.token()}"},
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def link(lower: Node, upper: Node, *, upper_url: str | None = None) -> None:
    """Register each node as the other's peer, with its real URL and public key."""
    with lower.ctx.sessions() as session, session.begin():
        peers.add(
            session,
            lower.ctx,
            actor=SYSTEM,
            code=upper.code,
            name="黑龙江省公共信用信息平台",
            relation="upper",
            url=upper_url or upper.url,
            public_key=public_key_hex(upper.ctx.settings),
        )
    with upper.ctx.sessions() as session, session.begin():
        peers.add(
            session,
            upper.ctx,
            actor=SYSTEM,
            code=lower.code,
            name="哈尔滨市信用信息共享平台",
            relation="lower",
            url=lower.url,
            public_key=public_key_hex(lower.ctx.settings),
        )


@pytest.fixture
def nodes(
    db_url: str, tmp_path: Path, sqlite_template: Path, clock: FixedClock
) -> Iterator[tuple[Node, Node]]:
    """(city, province): the city on SQLite, the province on the backend of `db_url`."""
    city_dir = tmp_path / "city"
    city_dir.mkdir()
    shutil.copy(sqlite_template, city_dir / "xinyong.db")
    city_ctx = build_context(
        make_settings(city_dir, f"sqlite:///{city_dir / 'xinyong.db'}", platform=CITY),
        clock=clock,
    )
    province_dir = tmp_path / "province"
    province_dir.mkdir()
    province_ctx = build_context(make_settings(province_dir, db_url), clock=clock)
    seed_catalog_and_unit(city_ctx, PASSWORD)
    seed_catalog_and_unit(province_ctx, PASSWORD)
    with ExitStack() as stack:
        made = []
        for ctx in (city_ctx, province_ctx):
            url = stack.enter_context(serving(create_app(ctx)))
            made.append(Node(ctx, url, TestClient(create_app(ctx))))
        link(made[0], made[1])
        yield made[0], made[1]
    city_ctx.engine.dispose()
    province_ctx.engine.dispose()
