"""Two real nodes on loopback (issue 17): a Harbin record is forwarded to the province, signed,
applied once, answered by a signed receipt that settles the city's outbox; re-delivery,
out-of-order versions, replayed, tampered and unsigned messages, and a refused record that
waits in the city's exchange quarantine with the province's reasons."""

from __future__ import annotations

import urllib.error
import urllib.request

from sqlalchemy import func, select

from tests.exchange.conftest import CITY, PROVINCE, Node
from tests.ingest.conftest import TODAY
from xinyong.audit.models import AuditEvent
from xinyong.audit.tags import AuditTag
from xinyong.demo.rows import penalty_row
from xinyong.exchange import forwarder, service
from xinyong.exchange.models import OutboxItem
from xinyong.exchange.signing import SENDER_HEADER, SIGNATURE_HEADER
from xinyong.records.models import CreditRecord


def _held(node: Node) -> list[tuple[str, int, int | None, str | None, bool]]:
    with node.ctx.sessions() as session:
        return [
            (r.record_key, r.version, r.origin_version, r.origin_platform, r.is_current)
            for r in session.scalars(select(CreditRecord).order_by(CreditRecord.id))
        ]


def _outbox_states(node: Node) -> list[str]:
    with node.ctx.sessions() as session:
        return list(session.scalars(select(OutboxItem.state).order_by(OutboxItem.id)))


def _post(node: Node, body: bytes, sender: str, signature: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        node.url + forwarder.PATH,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SENDER_HEADER: sender,
            SIGNATURE_HEADER: signature,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_a_city_record_reaches_the_province_once(nodes: tuple[Node, Node]) -> None:
    city, province = nodes
    rows = [penalty_row(i, TODAY) for i in range(3)]
    assert city.push(rows)["accepted"] == 3
    report = forwarder.run(city.ctx)
    assert [(p.peer, p.messages, p.applied) for p in report.peers] == [(PROVINCE, 1, 3)]
    assert _outbox_states(city) == ["applied"] * 3
    held = _held(province)
    assert [(v, o, p, c) for _, v, o, p, c in held] == [(1, 1, CITY, True)] * 3
    # an update at the city supersedes the province's copy; unchanged rows send nothing
    changed = dict(rows[0], 处罚内容="罚款人民币二千元")
    assert city.push([changed, rows[1]])["updated"] == 1
    assert forwarder.run(city.ctx).peers[0].applied == 1
    assert [(v, o, c) for k, v, o, p, c in _held(province) if k == held[0][0]] == [
        (1, 1, False),
        (2, 2, True),
    ]
    assert forwarder.run(city.ctx).lines() == ["没有到期待推送的信息"]
    # the province can show the record, with its origin
    with province.ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CreditRecord)) == 4


def test_redelivery_and_versions_out_of_order_change_nothing(nodes: tuple[Node, Node]) -> None:
    city, province = nodes
    row = penalty_row(5, TODAY)
    city.push([row])
    city.push([dict(row, 处罚内容="罚款人民币三千元")])
    # version 2 alone first, then both again: version 1 arrives after version 2
    with city.ctx.sessions() as session, session.begin():
        first = session.scalars(select(OutboxItem).order_by(OutboxItem.id)).first()
        assert first is not None
        first.next_attempt_at = city.ctx.clock.now().replace(year=2099)
    assert forwarder.run(city.ctx).peers[0].applied == 1
    assert [(v, o) for _, v, o, _, c in _held(province) if c] == [(1, 2)]
    report = forwarder.run(city.ctx, force=True)
    assert (report.peers[0].applied, report.peers[0].unchanged) == (0, 1)
    assert [(v, o) for _, v, o, _, c in _held(province) if c] == [(1, 2)]
    # the same items sent again in a new message (a receipt lost): unchanged, nothing applied
    with city.ctx.sessions() as session, session.begin():
        for item in session.scalars(select(OutboxItem)):
            item.state = "pending"
    report = forwarder.run(city.ctx, force=True)
    assert (report.peers[0].applied, report.peers[0].unchanged) == (0, 2)
    assert len(_held(province)) == 1


def test_replayed_tampered_unsigned_and_unknown_messages_are_refused_and_logged(
    nodes: tuple[Node, Node],
) -> None:
    city, province = nodes
    city.push([penalty_row(9, TODAY)])
    with city.ctx.sessions() as session, session.begin():
        peer = session.get(service.Peer, PROVINCE)
        assert peer is not None
        out = service.build(session, city.ctx, peer, limit=100)
    assert out is not None
    status, _ = _post(province, out.body, CITY, out.signature)
    assert status == 200
    status, answer = _post(province, out.body, CITY, out.signature)  # replayed
    assert status == 409 and "重放" in answer.decode()
    tampered = out.body.replace(b'"seq":', b'"seq":1000', 1)
    status, answer = _post(province, tampered, CITY, out.signature)
    assert status == 401 and "签名" in answer.decode()
    status, _ = _post(province, out.body, CITY, "")
    assert status == 401
    status, answer = _post(province, out.body, "110000", out.signature)
    assert status == 403 and "未登记" in answer.decode()
    with province.ctx.sessions() as session:
        refusals = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == AuditTag.EXCHANGE_MESSAGE_REFUSE)
        )
    assert refusals == 4
    assert len(_held(province)) == 1


def test_a_record_the_province_cannot_accept_waits_with_its_reasons(
    nodes: tuple[Node, Node],
) -> None:
    city, province = nodes
    # the province's catalog lacks an item the city has: refused with the reason, kept
    with province.ctx.sessions() as session, session.begin():
        from xinyong.catalog.models import CatalogItem

        item = session.scalar(select(CatalogItem).where(CatalogItem.code == "HLJ-CF-001"))
        assert item is not None
        item.code = "HLJ-CF-RENAMED"
    city.push([penalty_row(11, TODAY)])
    report = forwarder.run(city.ctx)
    assert report.peers[0].refused == 1
    with city.ctx.sessions() as session:
        waiting = session.scalars(select(OutboxItem)).one()
    assert waiting.state == "refused" and "HLJ-CF-001" in (waiting.reasons_json or "")
    assert _held(province) == []


def test_an_unreachable_province_gets_the_backlog_when_it_returns(
    nodes: tuple[Node, Node],
) -> None:
    city, province = nodes
    with city.ctx.sessions() as session, session.begin():
        peer = session.get(service.Peer, PROVINCE)
        assert peer is not None
        peer.url = "http://127.0.0.1:9"  # nothing listens there
    city.push([penalty_row(i, TODAY) for i in range(20, 25)])
    report = forwarder.run(city.ctx)
    assert report.peers[0].error and "无法连接" in report.peers[0].error
    assert _outbox_states(city) == ["pending"] * 5
    assert forwarder.run(city.ctx).lines() == ["没有到期待推送的信息"]  # waiting out its backoff
    with city.ctx.sessions() as session, session.begin():
        peer = session.get(service.Peer, PROVINCE)
        assert peer is not None
        peer.url = province.url
    assert forwarder.run(city.ctx, force=True).peers[0].applied == 5
    assert len(_held(province)) == 5
