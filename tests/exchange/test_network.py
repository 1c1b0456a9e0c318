"""One repair honoured everywhere (issue 17, HLJ 39 ¶3, HLJ 40), over two real nodes on loopback
(the city on SQLite, the province on each backend): the city's record is forwarded to the
province by the forwarder; a repair granted on the province ends the city's own listing and its
measures on the city node; an objection upheld on the city corrects the province's copy. Every
hop is a signed message through POST /api/exchange/messages."""

from __future__ import annotations

from sqlalchemy import select

from tests.cases.helpers import STAFF, list_serious, owner, publish_measure
from tests.exchange.conftest import CITY, PROVINCE, Node
from tests.ingest.conftest import TODAY
from xinyong.cases import service as cases
from xinyong.demo.rows import penalty_row
from xinyong.exchange import forwarder
from xinyong.exchange.models import OutboxItem
from xinyong.lists import recognition
from xinyong.lists.check import run_check
from xinyong.records import store
from xinyong.records.models import CreditRecord


def _current(node: Node, key: str) -> CreditRecord:
    with node.ctx.sessions() as session:
        record = session.scalars(
            select(CreditRecord).where(CreditRecord.record_key == key, CreditRecord.is_current)
        ).one()
        session.expunge(record)
        return record


def _measures(node: Node, subject_key: str) -> list[str]:
    with node.ctx.sessions() as session, session.begin():
        answer = run_check(
            session, node.ctx, actor=STAFF, scenario="procurement", subject_keys=[subject_key]
        )
        line = answer.as_dict()["results"][0]
    return sorted(m["measure"] for m in line["incentives"] + line["restrictions"])


def _decide(node: Node, number: str, *moves: tuple[str, str | None]) -> None:
    for to, reasons in moves:
        with node.ctx.sessions() as session, session.begin():
            cases.transition(session, node.ctx, actor=STAFF, number=number, to=to, reasons=reasons)


def _all_settled(node: Node) -> bool:
    with node.ctx.sessions() as session:
        return all(s != "pending" for s in session.scalars(select(OutboxItem.state)))


def test_a_repair_on_the_province_ends_the_city_listing_and_its_measures(
    nodes: tuple[Node, Node],
) -> None:
    city, province = nodes
    row = penalty_row(300, TODAY)
    key = row["处罚决定书文号"]
    city.push([row])
    publish_measure(city.ctx, "C-1", "no_facilitation", "constraint")
    number = list_serious(city.ctx, _current(city, key))
    assert _measures(city, _current(city, key).subject_key) == ["C-1"]
    assert forwarder.run(city.ctx).peers[0].refused == 0
    copy = _current(province, key)
    assert (copy.origin_platform, copy.state) == (CITY, "active")

    # the subject applies to the province, whose staff grant the repair
    with province.ctx.sessions() as session, session.begin():
        case = cases.file_repair(
            session,
            province.ctx,
            actor=owner(copy),
            record_id=copy.id,
            request="已整改并公开承诺",
            conditions=["conduct_corrected", "public_commitment"],
            commitment="承诺守法经营",
        )
        repair = case.number
    _decide(province, repair, ("approved", "已履行处罚决定并作出信用承诺"))
    assert _current(province, key).state == "repaired"
    # the outcome travels back down to the city, the record's authority
    report = forwarder.run(province.ctx)
    assert [(p.peer, p.refused) for p in report.peers if p.peer == CITY] == [(CITY, 0)]
    here = _current(city, key)
    assert here.state == "repaired" and here.origin_platform is None
    with city.ctx.sessions() as session:
        entry = recognition.get_entry(session, number)
        assert (entry.state, entry.removal_reason) == ("removed", "repaired")
    assert _measures(city, here.subject_key) == []
    # the city's new version goes up again; the province answers it as nothing new
    forwarder.run(city.ctx)
    assert _all_settled(city)
    assert _current(province, key).state == "repaired"


def test_an_objection_upheld_on_the_city_corrects_the_province_copy(
    nodes: tuple[Node, Node],
) -> None:
    city, province = nodes
    row = penalty_row(301, TODAY)
    key = row["处罚决定书文号"]
    city.push([row])
    forwarder.run(city.ctx)
    assert _current(province, key).state == "active"
    record = _current(city, key)
    with city.ctx.sessions() as session, session.begin():
        case = cases.file_objection(
            session, city.ctx, actor=owner(record), record_id=record.id, request="处罚已撤销"
        )
        number = case.number
    _decide(city, number, ("marked", None), ("upheld", "处罚决定已被复议机关撤销"))
    forwarder.run(city.ctx)
    assert _all_settled(city)
    copy = _current(province, key)
    assert (copy.state, copy.origin_platform) == ("withdrawn", CITY)
    with province.ctx.sessions() as session:
        versions = store.versions(session, copy.provider_code, copy.item_code, copy.record_key)
    assert [v.state for v in versions][-1] == "withdrawn"
    assert province.code == PROVINCE
