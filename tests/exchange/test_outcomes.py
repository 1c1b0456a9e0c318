"""Outcomes flow both ways (issue 17): list entries, measures and case outcomes are queued in the
same transaction as the change; a repair granted or an objection upheld on any node ends
publicity, listings and measures on every node that holds the record (HLJ 39 ¶3, HLJ 40), under
each node's own clock; applying twice changes nothing; an outcome about a record a node does not
hold is answered `unchanged` with its reason. The subject sees to which platforms its information
was forwarded (HLJ 35).

Two nodes, two databases: the city (230100) on each backend of the `db_url` fixture (PostgreSQL
when XINYONG_TEST_DATABASE_URL is set) and the province (230000) on SQLite. Items are built from
the outbox by `KINDS[kind].items` and applied by `KINDS[kind].apply`, as the exchange service
does; the lead's end-to-end tests carry them over real servers."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.cases.helpers import STAFF, list_serious, owner, publish_measure, push_penalty
from tests.conftest import make_settings
from tests.web.test_security import browser_login
from xinyong.accounts.service import create_user
from xinyong.cases import service
from xinyong.catalog.service import seed_catalog
from xinyong.common.clock import FixedClock
from xinyong.common.roles import SYSTEM, Role
from xinyong.context import Context, build_context
from xinyong.deadlines.service import clocks_of
from xinyong.demo.seed import DEMO_PASSWORD
from xinyong.exchange import peers
from xinyong.exchange.kinds import APPLIED, KINDS, UNCHANGED, ItemResult
from xinyong.exchange.models import OutboxItem, Peer
from xinyong.exchange.outbox import record_ref
from xinyong.exchange.signing import public_key_hex
from xinyong.lists import recognition
from xinyong.lists.measures import withdraw_measure
from xinyong.lists.models import ListEntry, Measure
from xinyong.records import store
from xinyong.records.models import CreditRecord
from xinyong.web.app import create_app

PROVINCE, CITY, NATIONAL = "230000", "230100", "100000"
NAMES = {
    PROVINCE: "黑龙江省公共信用信息平台",
    CITY: "哈尔滨市信用信息共享平台",
    NATIONAL: "全国平台",
}


def _node(db_url: str, folder: Path, platform: str, clock: FixedClock) -> Context:
    folder.mkdir(exist_ok=True)
    context = build_context(make_settings(folder, db_url, platform=platform), clock=clock)
    with context.sessions() as session, session.begin():
        seed_catalog(session, context, actor=SYSTEM)
    return context


@pytest.fixture
def city(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Context]:
    from xinyong.sharing.reads import clear_caches

    clear_caches()
    context = _node(db_url, tmp_path / "city", CITY, clock)
    yield context
    context.engine.dispose()


@pytest.fixture
def province(
    city: Context, tmp_path: Path, sqlite_template: Path, clock: FixedClock
) -> Iterator[Context]:
    folder = tmp_path / "province"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "xinyong.db")
    context = _node(f"sqlite:///{folder / 'xinyong.db'}", folder, PROVINCE, clock)
    _peer(city, context, "upper")
    _peer(context, city, "lower")
    _peer(context, None, "upper", NATIONAL)
    yield context
    context.engine.dispose()


def _peer(at: Context, other: Context | None, relation: str, code: str | None = None) -> None:
    code = code or (other.platform.code if other else "")
    with at.sessions() as session, session.begin():
        peers.add(
            session,
            at,
            actor=SYSTEM,
            code=code,
            name=NAMES[code],
            relation=relation,
            url="http://127.0.0.1:9",
            public_key=public_key_hex((other or at).settings),
        )


def _as_received(node: Context, record: CreditRecord, origin: str) -> None:
    """What the record kind does with a record received from `origin` (lead's records.py):
    the origin's natural key kept, with its origin platform and version."""
    with node.sessions() as session, session.begin():
        session.execute(
            update(CreditRecord)
            .where(CreditRecord.id == record.id)
            .values(origin_platform=origin, origin_version=record.version)
        )


def _pending(node: Context, kind: str, peer: str) -> list[OutboxItem]:
    with node.sessions() as session:
        return list(
            session.scalars(
                select(OutboxItem)
                .where(
                    OutboxItem.kind == kind,
                    OutboxItem.peer_code == peer,
                    OutboxItem.state == "pending",
                )
                .order_by(OutboxItem.id)
            )
        )


def _items(src: Context, kind: str, dst: str) -> list[dict[str, Any]]:
    rows = _pending(src, kind, dst)
    with src.sessions() as session:
        items = KINDS[kind].items(session, src, rows)
    return list(orjson.loads(orjson.dumps(items)))  # as they travel


def _apply(dst: Context, src: str, kind: str, items: list[dict[str, Any]]) -> list[ItemResult]:
    with dst.sessions() as session, session.begin():
        sender = session.get(Peer, src)
        assert sender is not None
        return KINDS[kind].apply(session, dst, sender, items)


def _settle(src: Context, kind: str, dst: str, results: list[ItemResult]) -> None:
    """What the sender does with the receipt (lead's service.py): rows settled by status."""
    with src.sessions() as session, session.begin():
        rows = session.scalars(
            select(OutboxItem)
            .where(
                OutboxItem.kind == kind, OutboxItem.peer_code == dst, OutboxItem.state == "pending"
            )
            .order_by(OutboxItem.id)
        ).all()
        for row, result in zip(rows, results, strict=True):
            row.state, row.settled_at = result.status, src.clock.now()


def _current(node: Context, record: CreditRecord) -> CreditRecord:
    with node.sessions() as session:
        row = store.current(session, record.provider_code, record.item_code, record.record_key)
        assert row is not None
        return row


def _decide(node: Context, case_number: str, *moves: tuple[str, str | None]) -> None:
    for to, reasons in moves:
        with node.sessions() as session, session.begin():
            service.transition(
                session, node, actor=STAFF, number=case_number, to=to, reasons=reasons
            )


def test_a_repair_on_the_city_and_an_objection_upheld_on_the_province_reach_each_other(
    city: Context, province: Context
) -> None:
    # the same two records on both nodes: aggregated by the city, forwarded to the province
    repaired, objected = push_penalty(city, 200), push_penalty(city, 201)
    for n in (200, 201):
        _as_received(province, push_penalty(province, n), CITY)
    publish_measure(province, "C-1", "no_facilitation", "constraint")
    listed = list_serious(province, _current(province, repaired))

    # a repair granted on the city: queued for the province (it holds the record)
    with city.sessions() as session, session.begin():
        case = service.file_repair(
            session,
            city,
            actor=owner(repaired),
            record_id=repaired.id,
            request="已整改",
            conditions=["conduct_corrected", "public_commitment"],
            commitment="承诺守法",
        )
        number = case.number
    _decide(city, number, ("approved", "已履行全部义务"))
    with city.sessions() as session:  # staff still see the notice to the upper platform
        notices = service.describe(session, city, service.get_case(session, number))["notices"]
    assert ("platform", PROVINCE) in [(n["kind"], n["to"]) for n in notices]
    items = _items(city, "outcome", PROVINCE)
    assert [(i["uid"], i["origin"], i["ref"]) for i in items] == [
        (
            f"outcome:{CITY}:{number}",
            CITY,
            record_ref(repaired.provider_code, repaired.item_code, repaired.record_key),
        )
    ]
    results = _apply(province, CITY, "outcome", items)
    assert [r.status for r in results] == [APPLIED]
    _settle(city, "outcome", PROVINCE, results)
    here = _current(province, repaired)
    assert (here.state, here.change, here.origin_platform) == ("repaired", "repaired", CITY)
    with province.sessions() as session:
        entry = recognition.get_entry(session, listed)
        assert (entry.state, entry.removal_reason) == ("removed", "repaired")
        clocks = clocks_of(session, "exchange_outcome", items[0]["uid"])
    assert [(c.rule_key, c.state, c.started_on) for c in clocks] == [
        ("repair.end_measures", "met", province.today())
    ]
    # passed on to the national platform (it holds the province's copy), not back to the city
    assert [r.ref for r in _pending(province, "outcome", NATIONAL)] == [items[0]["ref"]]
    assert _pending(province, "outcome", CITY) == []
    # delivered twice: nothing changes
    again = _apply(province, CITY, "outcome", items)
    assert [(r.status, r.reasons[0]["code"]) for r in again] == [
        (UNCHANGED, "exchange.already_applied")
    ]
    assert _current(province, repaired).version == here.version

    # an objection upheld on the province: its authority, the city, learns it too
    copy = _current(province, objected)
    with province.sessions() as session, session.begin():
        case = service.file_objection(
            session, province, actor=owner(copy), record_id=copy.id, request="处罚已撤销"
        )
        number = case.number
    _decide(province, number, ("marked", None), ("upheld", "处罚决定已被复议机关撤销"))
    assert [r.ref for r in _pending(province, "outcome", NATIONAL)][-1] == record_ref(
        copy.provider_code, copy.item_code, copy.record_key
    )
    items = _items(province, "outcome", CITY)
    assert [i["uid"] for i in items] == [f"outcome:{PROVINCE}:{number}"]
    assert [r.status for r in _apply(city, PROVINCE, "outcome", items)] == [APPLIED]
    there = _current(city, objected)
    assert (there.state, there.change, there.origin_platform) == (
        "withdrawn",
        "objection_upheld",
        None,
    )
    with city.sessions() as session:
        clocks = clocks_of(session, "exchange_outcome", items[0]["uid"])
    assert [(c.rule_key, c.state, c.amount) for c in clocks] == [
        ("objection.downstream_fix", "met", 3)
    ]
    # the city is the record's authority: nothing to pass back up (the province decided it)
    assert _pending(city, "outcome", PROVINCE) == []

    # an outcome about a record the node does not hold: unchanged, with the reason
    stranger = dict(items[0], uid=items[0]["uid"] + "-X")
    stranger["body"] = dict(items[0]["body"], record=["HRB-SCJG", "HLJ-CF-001", "不存在"])
    answer = _apply(city, PROVINCE, "outcome", [stranger])
    assert [(r.status, r.reasons[0]["code"]) for r in answer] == [(UNCHANGED, "exchange.not_held")]
    assert "第三十九条第三款" in answer[0].reasons[0]["message"]


def test_list_entries_and_measures_go_up_and_their_removal_follows(
    city: Context, province: Context
) -> None:
    record = push_penalty(city, 202)
    _as_received(province, push_penalty(province, 202), CITY)
    publish_measure(city, "C-9", "no_facilitation", "constraint")
    number = list_serious(city, record)

    measures = _items(city, "measure", PROVINCE)
    assert [(m["ref"], m["version"]) for m in measures] == [("C-9", 2)]  # published
    assert [r.status for r in _apply(province, CITY, "measure", measures)] == [APPLIED]
    assert [r.status for r in _apply(province, CITY, "measure", measures)] == [UNCHANGED]
    entries = _items(city, "list_entry", PROVINCE)
    assert [(e["ref"], e["version"]) for e in entries] == [(number, 2)]
    assert [r.status for r in _apply(province, CITY, "list_entry", entries)] == [APPLIED]
    _settle(city, "list_entry", PROVINCE, [ItemResult(e["uid"], APPLIED) for e in entries])
    with province.sessions() as session:
        measure = session.scalar(select(Measure).where(Measure.code == "C-9"))
        assert measure is not None and measure.published_on == dt.date(2026, 1, 1)
        entry = recognition.get_entry(session, number)
        # it rests on the province's own copy of the record
        assert entry.state == "active" and entry.source_record_id == _current(province, record).id
    assert [r.ref for r in _pending(province, "list_entry", NATIONAL)] == [number]
    assert [r.status for r in _apply(province, CITY, "list_entry", entries)] == [UNCHANGED]

    with city.sessions() as session, session.begin():
        recognition.remove_entry(
            session, city, actor=STAFF, number=number, reason="basis_revoked", note="依据撤销"
        )
        withdraw_measure(session, city, actor=STAFF, code="C-9")
    ended = _items(city, "measure", PROVINCE)
    assert [(m["ref"], m["version"]) for m in ended] == [("C-9", 2), ("C-9", 3)]
    assert [r.status for r in _apply(province, CITY, "measure", ended)] == [UNCHANGED, APPLIED]
    with province.sessions() as session:
        measure = session.scalar(select(Measure).where(Measure.code == "C-9"))
        assert measure is not None and measure.withdrawn_on == city.today()
    # an item that is not what its kind expects is refused with its reason, the others apply
    broken = _apply(province, CITY, "measure", [dict(ended[1], uid="x", body={})])
    assert [(r.status, r.reasons[0]["code"]) for r in broken] == [("refused", "exchange.malformed")]
    removal = _items(city, "list_entry", PROVINCE)
    assert [(e["ref"], e["version"]) for e in removal] == [(number, 3)]
    assert [r.status for r in _apply(province, CITY, "list_entry", removal)] == [APPLIED]
    assert [r.status for r in _apply(province, CITY, "list_entry", entries)] == [UNCHANGED]
    with province.sessions() as session:
        entry = session.scalar(select(ListEntry).where(ListEntry.number == number))
        assert entry is not None and (entry.state, entry.removal_reason) == (
            "removed",
            "basis_revoked",
        )


def test_an_objection_upheld_through_the_api_queues_its_outcome_and_the_subject_sees_the_forwarding(
    city: Context,
) -> None:
    _peer(city, None, "upper", PROVINCE)
    record = push_penalty(city, 203)
    with city.sessions() as session, session.begin():
        for username, role, key in (
            ("staff", Role.STAFF, None),
            ("owner", Role.SUBJECT, record.subject_key),
        ):
            create_user(
                session,
                city,
                actor=SYSTEM,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=username,
                subject_key=key,
            )
    client = TestClient(create_app(city))

    def bearer(username: str) -> dict[str, str]:
        form = {"username": username, "password": DEMO_PASSWORD}
        answer = client.post("/api/auth/token", data=form)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    filed = client.post(
        "/api/me/objections",
        json={"record_id": record.id, "request": "处罚已撤销"},
        headers=bearer("owner"),
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    staff = bearer("staff")
    assert _pending(city, "outcome", PROVINCE) == []
    for to, reasons in (("marked", None), ("upheld", "处罚决定已被复议机关撤销")):
        moved = client.post(
            f"/api/cases/{number}/transition", json={"to": to, "reasons": reasons}, headers=staff
        )
        assert moved.status_code == 200, moved.text
    queued = _pending(city, "outcome", PROVINCE)
    ref = record_ref(record.provider_code, record.item_code, record.record_key)
    assert [(q.ref, q.ref_version) for q in queued] == [(ref, 1)]
    body = orjson.loads(queued[0].payload_json or "{}")["body"]
    assert body["case"] == number and (body["case_kind"], body["to"]) == ("objection", "upheld")
    assert body["authority"] == CITY and body["change"] == "objection_upheld"

    # HLJ 35: once the province applied them, the subject sees its records forwarded there
    owner_headers = bearer("owner")
    before = client.get("/api/me/accesses", headers=owner_headers).json()
    assert not [e for e in before if e["action_label"].startswith("推送至")]
    records = _pending(city, "record", PROVINCE)
    assert [r.ref_version for r in records] == [1, 2]  # the push and the withdrawal
    _settle(city, "record", PROVINCE, [ItemResult(str(r.id), APPLIED) for r in records])
    log = client.get("/api/me/accesses", headers=owner_headers).json()
    forwarded = [e for e in log if e["action_label"] == "推送至 黑龙江省公共信用信息平台"]
    assert sorted((e["who"], e["detail"]["version"]) for e in forwarded) == [
        (PROVINCE, 1),
        (PROVINCE, 2),
    ]
    assert forwarded[0]["at_label"].startswith(city.today().isoformat())
    browser_login(client, "owner")
    page = client.get("/me")
    assert page.status_code == 200 and "推送至 黑龙江省公共信用信息平台" in page.text
