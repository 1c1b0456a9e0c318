"""What peers must learn besides record versions, both ways: list entries (listed, in effect,
removed), measures (published, withdrawn) and case outcomes (objection upheld, repair granted,
basis revoked).

Queued in the same transaction as the change, through the hooks the domains offer
(lists.recognition.ON_ENTRIES, lists.measures.ON_MEASURES, cases.service.ON_OUTCOMES): the
domains never import the exchange. Entries and measures go to the upper platform, like records
(HLJ 21 ¶2, HLJ 6 ¶1). An outcome about a record goes to every active peer that holds it or sent
it: the upper platform it was forwarded to, and the lower platform it came from (its authority):
a repair granted or an objection upheld on any node ends publicity, listings and measures on
every node that holds the record (HLJ 39 ¶3, HLJ 40).

Applying a received outcome does here what the local outcome does (cases.service.carry_out: the
record's new version, the entries resting on it removed with their measures), under this node's
own clock where the law sets one (HLJ 39 ¶3: 3 working days from receipt), settled when applied;
then it is passed on to the other holders. Applying it twice changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.cases.service import ON_OUTCOMES, OUTCOMES, OutcomeDecided, carry_out
from xinyong.common.errors import DomainError
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.deadlines.service import settle, start_deadline
from xinyong.exchange import kinds, outbox
from xinyong.exchange.kinds import APPLIED, REFUSED, UNCHANGED, ItemResult
from xinyong.exchange.models import InboxItem, OutboxItem, Peer
from xinyong.lists import measures, recognition
from xinyong.lists.models import ListEntry, Measure
from xinyong.records import store
from xinyong.records.models import CreditRecord

LIST_ENTRY, MEASURE, OUTCOME = "list_entry", "measure", "outcome"
#: the clock each node's own change runs under, by the outcome's change (rule keys of the packs)
CLOCKS = {"objection_upheld": "objection.downstream_fix", "repaired": "repair.end_measures"}
#: session.info key: the origin of the item being applied, kept when it is passed on
ORIGIN = "exchange.origin"


def _origin(session: Session, ctx: Context) -> str:
    return str(session.info.get(ORIGIN) or ctx.platform.code)


def _peer_actor(sender: Peer) -> Actor:
    return Actor(role=Role.ADMIN, username=f"platform:{sender.code}", display_name=sender.name)


def _active(session: Session, codes: set[str]) -> list[str]:
    if not codes:
        return []
    return sorted(session.scalars(select(Peer.code).where(Peer.code.in_(codes), Peer.active)))


def _upper(session: Session) -> list[str]:
    code = session.scalar(select(Peer.code).where(Peer.relation == "upper", Peer.active))
    return [code] if code else []


def holders(session: Session, record: CreditRecord) -> set[str]:
    """The peers that hold or sent a record: those it was queued for, those it was received
    from, and its origin platform."""
    ref = outbox.record_ref(record.provider_code, record.item_code, record.record_key)
    sent = set(
        session.scalars(
            select(OutboxItem.peer_code).where(
                OutboxItem.kind == outbox.RECORD,
                OutboxItem.ref == ref,
                OutboxItem.state != "refused",
            )
        )
    )
    received = set(
        session.scalars(
            select(InboxItem.sender_code).where(
                InboxItem.kind == outbox.RECORD, InboxItem.ref == ref
            )
        )
    )
    return sent | received | ({record.origin_platform} if record.origin_platform else set())


# ---------------------------------------------------------------- queueing (the listeners)


def on_entries(session: Session, ctx: Context, entries: list[ListEntry]) -> None:
    peers = _upper(session)
    for entry in entries:
        outbox.enqueue(
            session,
            kind=LIST_ENTRY,
            ref=entry.number,
            version=recognition.STATE_ORDER.get(entry.state, 1),
            payload={"origin": _origin(session, ctx), "body": recognition.snapshot(session, entry)},
            now=ctx.clock.now(),
            peers=peers,
        )


def on_measures(session: Session, ctx: Context, measure: Measure) -> None:
    outbox.enqueue(
        session,
        kind=MEASURE,
        ref=measure.code,
        version=measures.measure_version(measure),
        payload={"origin": _origin(session, ctx), "body": measures.snapshot(measure)},
        now=ctx.clock.now(),
        peers=_upper(session),
    )


def on_outcome(session: Session, ctx: Context, decided: OutcomeDecided) -> None:
    """A case outcome decided here: queued for every peer that holds or sent the record."""
    record = store.get(session, decided.record_id) if decided.record_id else None
    body: dict[str, Any] = {
        "case": decided.case_number,
        "case_kind": decided.case_kind,
        "to": decided.to,
        "change": decided.outcome.change,
        "reasons": decided.reasons,
        "decided_at": decided.decided_at.isoformat(),
        "subject_key": decided.subject_key,
        "entries": list(decided.entry_numbers),
        "record": None,
        "authority": None,
    }
    peers = set(_upper(session))
    if record is not None:
        body["record"] = [record.provider_code, record.item_code, record.record_key]
        body["authority"] = record.origin_platform or ctx.platform.code
        peers |= holders(session, record)
    _queue_outcome(session, ctx, body, ctx.platform.code, _active(session, peers))


def _queue_outcome(
    session: Session, ctx: Context, body: dict[str, Any], origin: str, peers: list[str]
) -> None:
    ref = outbox.record_ref(*body["record"]) if body["record"] else body["case"]
    outbox.enqueue(
        session,
        kind=OUTCOME,
        ref=ref,
        version=1,
        payload={"origin": origin, "body": body},
        now=ctx.clock.now(),
        peers=peers,
    )


# ---------------------------------------------------------------- the kinds


def _items(kind: str, rows: list[OutboxItem], uid: Any) -> list[dict[str, Any]]:
    answer = []
    for row in rows:
        payload = orjson.loads(row.payload_json or "{}")
        answer.append(
            {
                "uid": uid(payload["origin"], row, payload["body"]),
                "kind": kind,
                "origin": payload["origin"],
                "ref": row.ref,
                "version": row.ref_version,
                "aggregated_on": row.aggregated_on.isoformat(),
                "body": payload["body"],
            }
        )
    return answer


def _each(
    session: Session, items: list[dict[str, Any]], one: Callable[[dict[str, Any]], ItemResult]
) -> list[ItemResult]:
    """Apply items one by one, each in its own savepoint: a refused item changes nothing and
    the others still apply. The item's origin is kept while it is applied, so what it changes
    is passed on under the same origin."""
    answer = []
    for item in items:
        session.info[ORIGIN] = item.get("origin")
        try:
            with session.begin_nested():
                answer.append(one(item))
        except DomainError as exc:
            reason = {"code": exc.code, "message": exc.message}
            answer.append(ItemResult(str(item.get("uid", "")), REFUSED, [reason]))
        except (KeyError, TypeError, ValueError) as exc:
            reason = {
                "code": "exchange.malformed",
                "message": f"报文条目内容不完整或格式错误：{exc}",
            }
            answer.append(ItemResult(str(item.get("uid", "")), REFUSED, [reason]))
        finally:
            session.info.pop(ORIGIN, None)
    return answer


class ListEntryKind:
    """A list entry decided on a lower platform: added here, its later states taken."""

    name = LIST_ENTRY

    def items(self, session: Session, ctx: Context, rows: list[OutboxItem]) -> list[dict[str, Any]]:
        return _items(self.name, rows, lambda o, r, b: f"{self.name}:{o}:{r.ref}:{r.ref_version}")

    def apply(
        self, session: Session, ctx: Context, sender: Peer, items: list[dict[str, Any]]
    ) -> list[ItemResult]:
        def one(item: dict[str, Any]) -> ItemResult:
            changed = recognition.receive_entry(
                session, ctx, actor=_peer_actor(sender), body=item["body"]
            )
            return ItemResult(item["uid"], APPLIED if changed else UNCHANGED)

        return _each(session, items, one)


class MeasureKind:
    """A measure published or withdrawn on a lower platform: the measures applied and ended."""

    name = MEASURE

    def items(self, session: Session, ctx: Context, rows: list[OutboxItem]) -> list[dict[str, Any]]:
        return _items(self.name, rows, lambda o, r, b: f"{self.name}:{o}:{r.ref}:{r.ref_version}")

    def apply(
        self, session: Session, ctx: Context, sender: Peer, items: list[dict[str, Any]]
    ) -> list[ItemResult]:
        def one(item: dict[str, Any]) -> ItemResult:
            changed = measures.receive_measure(
                session, ctx, actor=_peer_actor(sender), body=item["body"]
            )
            return ItemResult(item["uid"], APPLIED if changed else UNCHANGED)

        return _each(session, items, one)


NOT_HELD = {
    "code": "exchange.not_held",
    "message": "本平台未归集该信用信息，也无以其为依据的名单认定，无需处理"
    "（黑龙江省社会信用条例第三十九条第三款）",
}
ALREADY = {"code": "exchange.already_applied", "message": "该处理结果已在本平台生效，无需重复处理"}


class OutcomeKind:
    """A case outcome decided on another platform: the same effect here as a local one."""

    name = OUTCOME

    def items(self, session: Session, ctx: Context, rows: list[OutboxItem]) -> list[dict[str, Any]]:
        return _items(self.name, rows, lambda o, r, b: f"{self.name}:{o}:{b['case']}")

    def apply(
        self, session: Session, ctx: Context, sender: Peer, items: list[dict[str, Any]]
    ) -> list[ItemResult]:
        return _each(session, items, lambda item: self._apply_one(session, ctx, sender, item))

    def _apply_one(
        self, session: Session, ctx: Context, sender: Peer, item: dict[str, Any]
    ) -> ItemResult:
        body, uid = item["body"], item["uid"]
        outcome = OUTCOMES.get((body["case_kind"], body["to"]))
        if outcome is None:
            return ItemResult(
                uid,
                REFUSED,
                [{"code": "exchange.unknown_outcome", "message": "未知的案件处理结果，不予接收"}],
            )
        record = None
        if body.get("record"):
            provider_code, item_code, record_key = body["record"]
            record = store.current(session, provider_code, item_code, record_key)
            if record is not None and (record.origin_platform or ctx.platform.code) != body.get(
                "authority"
            ):
                record = None  # the same key from another authority: not this record
        named = [
            e
            for e in session.scalars(
                select(ListEntry).where(ListEntry.number.in_(body.get("entries") or []))
            )
        ]
        resting = _resting_on(session, record)
        live = [e for e in {*named, *resting} if e.state in ("active", "notice_pending")]
        if record is None and not named and not resting:
            return ItemResult(uid, UNCHANGED, [NOT_HELD])
        needs_record = (
            record is not None
            and outcome.record_state is not None
            and record.state != outcome.record_state
        )
        if not needs_record and not live:
            return ItemResult(uid, UNCHANGED, [ALREADY])
        actor = _peer_actor(sender)
        today = ctx.today()
        subject_key = str(body.get("subject_key") or (record.subject_key if record else ""))
        clock = None
        if outcome.change in CLOCKS:
            clock = start_deadline(
                session,
                ctx,
                actor=actor,
                rule_key=CLOCKS[outcome.change],
                object_type="exchange_outcome",
                object_id=uid[:200],
                started_on=today,
                subject_key=subject_key or None,
            )
        carry_out(
            session,
            ctx,
            actor=actor,
            outcome=outcome,
            record_id=record.id if record is not None else None,
            entry_number=None,
            reason=f"{body.get('reasons') or outcome.default_reason}"
            f"（{sender.name}案件{body['case']}）",
            note=f"{sender.name}案件{body['case']}：{outcome.default_reason}",
        )
        for entry in named:  # entries named by the deciding platform, held here too
            if entry.state in ("active", "notice_pending"):
                recognition.remove_entry(
                    session,
                    ctx,
                    actor=actor,
                    number=entry.number,
                    reason=outcome.change,
                    note=f"{sender.name}案件{body['case']}：{outcome.default_reason}",
                )
        if clock is not None:
            settle(clock, today)
        onward = holders(session, record) if record is not None else set(_upper(session))
        peers = _active(session, onward - {sender.code, item["origin"], ctx.platform.code})
        _queue_outcome(session, ctx, body, item["origin"], peers)
        return ItemResult(uid, APPLIED)


def _resting_on(session: Session, record: CreditRecord | None) -> list[ListEntry]:
    if record is None:
        return []
    ids = store.version_ids(session, record)
    return list(session.scalars(select(ListEntry).where(ListEntry.source_record_id.in_(ids))))


for _kind in (ListEntryKind(), MeasureKind(), OutcomeKind()):
    kinds.register(_kind)
if on_entries not in recognition.ON_ENTRIES:
    recognition.ON_ENTRIES.append(on_entries)
if on_measures not in measures.ON_MEASURES:
    measures.ON_MEASURES.append(on_measures)
if on_outcome not in ON_OUTCOMES:
    ON_OUTCOMES.append(on_outcome)
