"""The HLJ 21 ¶2 forwarding clock (issue 17): each record version a city platform aggregates is
due at the province 3 working days later (the start day not counted, the State Council's holiday
arrangement applied, provisional where a year's notice is not out), flagged overdue the day after
its due day (HLJ 51), once; the province's forwarding to the national platform has no clock.
Records are pushed through the provider's door (HTTP, a real token); the status through the
staff's API with a real token; peers through the administrator's API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.conftest import make_settings
from tests.ingest.conftest import seed_catalog_and_unit
from xinyong.accounts.service import create_user
from xinyong.common.clock import FixedClock
from xinyong.common.roles import SYSTEM, Role
from xinyong.context import Context, build_context
from xinyong.demo.rows import penalty_row
from xinyong.exchange import clocks, peers
from xinyong.exchange.models import OutboxItem
from xinyong.exchange.signing import public_key_hex
from xinyong.web.app import create_app

PASSWORD = "unit-password-1"
# 2026: 国务院办公厅关于2026年部分节假日安排的通知 (chinesecalendar carries it): 国庆节、中秋节
# 10月1日至7日放假调休，9月20日（周日）、10月10日（周六）上班.
EVE_OF_NATIONAL_DAY = dt.date(2026, 9, 30)  # a Wednesday
# Start day not counted; 10-01..10-07 off; 10-08 Thu (1), 10-09 Fri (2), 10-10 Sat worked (3).
DUE_AFTER_NATIONAL_DAY = dt.date(2026, 10, 10)


def _harbin(db_url: str, tmp_path: Path, on: dt.date) -> tuple[Context, FixedClock]:
    clock = FixedClock(on)
    return build_context(make_settings(tmp_path, db_url, platform="230100"), clock=clock), clock


def _register_upper(ctx: Context, code: str, name: str) -> None:
    with ctx.sessions() as session, session.begin():
        peers.add(
            session,
            ctx,
            actor=SYSTEM,
            code=code,
            name=name,
            relation="upper",
            url="http://127.0.0.1:9",
            public_key=public_key_hex(ctx.settings),
        )


def _push(ctx: Context, rows: list[dict[str, str]]) -> None:
    client = TestClient(create_app(ctx))
    token = client.post("/api/auth/token", data={"username": "unit", "password": PASSWORD})
    assert token.status_code == 200, token.text
    answer = client.post(
        "/api/ingest/HLJ-CF-001/records",
        json={"records": rows},
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert answer.status_code == 200, answer.text


def _queued(ctx: Context) -> list[OutboxItem]:
    with ctx.sessions() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def _staff_token(ctx: Context, client: TestClient, role: Role = Role.STAFF) -> dict[str, str]:
    name = role.value
    with ctx.sessions() as session, session.begin():
        create_user(
            session,
            ctx,
            actor=SYSTEM,
            username=name,
            password=PASSWORD,
            role=role,
            display_name="工作人员",
        )
    answer = client.post("/api/auth/token", data={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_record_aggregated_the_day_before_national_day_is_due_after_the_holiday(
    db_url: str, tmp_path: Path
) -> None:
    ctx, clock = _harbin(db_url, tmp_path, EVE_OF_NATIONAL_DAY)
    seed_catalog_and_unit(ctx, PASSWORD)
    _register_upper(ctx, "230000", "黑龙江省公共信用信息平台")
    _push(ctx, [penalty_row(i, dt.date(2026, 9, 29)) for i in range(3)])
    queued = _queued(ctx)
    assert len(queued) == 3
    assert {(q.aggregated_on, q.due_on, q.due_provisional) for q in queued} == {
        (EVE_OF_NATIONAL_DAY, DUE_AFTER_NATIONAL_DAY, False)
    }
    client = TestClient(create_app(ctx))
    _staff_token(ctx, client)

    def status() -> dict[str, object]:  # a fresh token each day the clock moves
        token = client.post("/api/auth/token", data={"username": "staff", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        answer = client.get("/api/exchange/status", headers=headers)
        assert answer.status_code == 200, answer.text
        peer = answer.json()["peers"][0]
        assert isinstance(peer, dict)
        return peer

    # on its due day it is not yet overdue
    clock.set(DUE_AFTER_NATIONAL_DAY)
    with ctx.sessions() as session:
        assert clocks.overdue(session, ctx, ctx.today()) == []
    with ctx.sessions() as session, session.begin():
        assert clocks.flag_overdue(session, ctx, actor=SYSTEM) == {}
    peer = status()
    assert peer["pending"] == 3 and peer["overdue"] == 0
    assert peer["oldest_pending"] == EVE_OF_NATIONAL_DAY.isoformat()
    assert "第二十一条第二款" in str(peer["clock"])
    # the day after, it is, with the article; the job flags it once
    clock.set(DUE_AFTER_NATIONAL_DAY + dt.timedelta(days=1))
    with ctx.sessions() as session:
        late = clocks.overdue(session, ctx, ctx.today())
    assert [i.due_on for i in late] == [DUE_AFTER_NATIONAL_DAY] * 3
    with ctx.sessions() as session, session.begin():
        assert clocks.flag_overdue(session, ctx, actor=SYSTEM) == {"230000": 3}
    with ctx.sessions() as session, session.begin():
        assert clocks.flag_overdue(session, ctx, actor=SYSTEM) == {}
    peer = status()
    assert peer["overdue"] == 3 and peer["refused"] == 0
    assert "第五十一条第（一）项" in str(peer["overdue_article"]) or "第五十一条" in str(
        peer["overdue_article"]
    )
    assert peer["lag"] == "11天0小时"
    # a forward settles it: no longer pending, no longer overdue
    with ctx.sessions() as session, session.begin():
        session.execute(update(OutboxItem).values(state="applied", settled_at=ctx.clock.now()))
    peer = status()
    assert peer["pending"] == 0 and peer["overdue"] == 0 and peer["lag"] == "无积压"
    ctx.engine.dispose()


def test_a_year_without_its_notice_gives_a_provisional_due_day(db_url: str, tmp_path: Path) -> None:
    # 2026-12-30 (Wed): 12-31 Thu (1); 2027-01-01 Fri is 元旦 (statutory; 2027's notice is not
    # known to the calendar); 01-02, 01-03 weekend; 01-04 Mon (2), 01-05 Tue (3).
    ctx, _ = _harbin(db_url, tmp_path, dt.date(2026, 12, 30))
    seed_catalog_and_unit(ctx, PASSWORD)
    _register_upper(ctx, "230000", "黑龙江省公共信用信息平台")
    _push(ctx, [penalty_row(1, dt.date(2026, 12, 29))])
    [item] = _queued(ctx)
    assert (item.due_on, item.due_provisional) == (dt.date(2027, 1, 5), True)
    ctx.engine.dispose()


def test_the_province_forwarding_to_the_national_platform_has_no_statutory_clock(
    ctx: Context,
) -> None:
    seed_catalog_and_unit(ctx, PASSWORD)
    _register_upper(ctx, "100000", "全国信用信息共享平台")
    _push(ctx, [penalty_row(1, ctx.today())])
    [item] = _queued(ctx)
    assert item.due_on is None and item.due_provisional is False
    with ctx.sessions() as session:
        [peer] = clocks.status(session, ctx)
    assert peer.clock == clocks.NO_CLOCK == "法规未规定时限"
    assert peer.overdue_article == ""


def test_refused_items_are_retried_or_withdrawn_by_staff_and_peers_kept_by_admins(
    db_url: str, tmp_path: Path
) -> None:
    ctx, _ = _harbin(db_url, tmp_path, EVE_OF_NATIONAL_DAY)
    seed_catalog_and_unit(ctx, PASSWORD)
    client = TestClient(create_app(ctx))
    admin = _staff_token(ctx, client, Role.ADMIN)
    staff = _staff_token(ctx, client, Role.STAFF)
    key = public_key_hex(ctx.settings)
    body = {
        "code": "230000",
        "name": "黑龙江省公共信用信息平台",
        "relation": "upper",
        "url": "http://127.0.0.1:9",
        "public_key": key,
    }
    assert client.post("/api/admin/peers", json=body, headers=staff).status_code == 403
    added = client.post("/api/admin/peers", json=body, headers=admin)
    assert added.status_code == 200, added.text
    assert added.json()["relation_label"] == "上级平台"
    bad = client.post("/api/admin/peers", json=body | {"code": "23000"}, headers=admin)
    assert bad.status_code >= 400 and "6位行政区划代码" in bad.text
    listed = client.get("/api/admin/peers", headers=admin).json()
    assert listed["platform"] == "230100" and listed["public_key"] == key
    assert [p["code"] for p in listed["peers"]] == ["230000"]

    _push(ctx, [penalty_row(i, dt.date(2026, 9, 29)) for i in range(2)])
    first, second = _queued(ctx)
    reasons = [{"code": "record.identifier", "message": "统一社会信用代码校验位错误"}]
    with ctx.sessions() as session, session.begin():
        session.execute(
            update(OutboxItem).values(state="refused", reasons_json=orjson.dumps(reasons).decode())
        )
    status = client.get("/api/exchange/status", headers=staff).json()["peers"][0]
    assert status["refused"] == 2 and status["pending"] == 0
    assert status["refused_items"][0]["reasons"] == ["统一社会信用代码校验位错误"]
    with ctx.sessions() as session, session.begin():
        clocks.retry(session, ctx, SYSTEM, first.id)
        clocks.withdraw(session, ctx, SYSTEM, second.id)
    with ctx.sessions() as session:
        states = dict(session.execute(select(OutboxItem.id, OutboxItem.state)).all())
    assert states == {first.id: "pending", second.id: "withdrawn"}
    status = client.get("/api/exchange/status", headers=staff).json()["peers"][0]
    assert status["refused"] == 0 and status["pending"] == 1
    assert client.get("/api/exchange/status").status_code == 401
    removed = client.delete("/api/admin/peers/230000", headers=admin)
    assert removed.status_code == 200 and removed.json()["active"] is False
    assert client.delete("/api/admin/peers/230000", headers=admin).status_code == 404
    ctx.engine.dispose()
