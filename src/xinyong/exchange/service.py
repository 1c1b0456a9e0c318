"""Messages between platforms: built from a peer's pending outbox rows and signed; received,
checked (a registered sender, its signature, a sequence number never seen), applied kind by
kind in one transaction and answered with a signed receipt; a receipt settles the outbox.

A message (JSON, signed over its exact bytes, `signing.py`):
    {"format": "xinyong-exchange/1", "sender": "230100", "receiver": "230000", "seq": 17,
     "sent_at": "2026-09-30T08:00:00+00:00", "items": [ ...kinds.py... ]}
A receipt: {"format": ..., "sender": <the receiver>, "receiver": <the sender>, "seq": 17,
     "items": [{"uid": ..., "status": "applied" | "unchanged" | "refused", "reasons": [...]}]}
The national exchange format (GB/T 39443-2020) is not reproduced: we do not have its text
(`FORMAT_NOTE`); docs/exchange.md documents this one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.exchange import records as _records  # noqa: F401 - registers the record kind
from xinyong.exchange.kinds import APPLIED, KINDS, REFUSED, UNCHANGED, ItemResult
from xinyong.exchange.models import InboxItem, OutboxItem, Peer
from xinyong.exchange.signing import sign, verify

FORMAT = "xinyong-exchange/1"
FORMAT_NOTE = (
    "本平台间交换报文为本系统自定格式；国家标准《公共信用信息交换方式及接口规范》"
    "（GB/T 39443-2020）的报文格式未经核实，未予实现"
)
PENDING, WITHDRAWN = "pending", "withdrawn"
SETTLED = (APPLIED, UNCHANGED)


def peer_actor(code: str) -> Actor:
    """Who acts when a peer's message is applied: the sending platform, by its code."""
    return Actor(role=Role.ADMIN, username=f"platform:{code}", display_name=f"交换平台{code}")


class Refused(DomainError):
    """A whole message refused (unknown sender, bad signature, replay, malformed)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code=code, message=message, status=status)


# ---------------------------------------------------------------- sending


@dataclass
class Outgoing:
    peer: str
    url: str
    seq: int
    body: bytes
    signature: str
    row_ids: dict[str, list[int]]  # uid -> outbox rows it settles
    attempts: int  # the most times any of its items has been sent, this time included


def due_rows(
    session: Session, peer: str, now: dt.datetime, limit: int, *, force: bool = False
) -> list[OutboxItem]:
    query = select(OutboxItem).where(OutboxItem.peer_code == peer, OutboxItem.state == PENDING)
    if not force:
        query = query.where(
            or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now)
        )
    return list(session.scalars(query.order_by(OutboxItem.id).limit(limit)))


def items_for(
    session: Session, ctx: Context, rows: list[OutboxItem]
) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """The message items for these outbox rows (a change queued twice travels once) and, for
    each item's uid, the outbox rows it settles."""
    by_kind: dict[str, list[OutboxItem]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    items: list[dict[str, Any]] = []
    row_ids: dict[str, list[int]] = {}
    for kind, group in by_kind.items():
        for row, item in zip(group, KINDS[kind].items(session, ctx, group), strict=True):
            if item["uid"] in row_ids:
                row_ids[item["uid"]].append(row.id)  # the same change queued twice
                continue
            row_ids[item["uid"]] = [row.id]
            items.append(item)
    return items, row_ids


def build(
    session: Session, ctx: Context, peer: Peer, *, limit: int, force: bool = False
) -> Outgoing | None:
    """The next message to `peer` from its pending outbox rows (oldest first), or None. Its
    sequence number is taken now: commit before sending, so a crash never reuses one."""
    now = ctx.clock.now()
    rows = due_rows(session, peer.code, now, limit, force=force)
    if not rows:
        return None
    items, row_ids = items_for(session, ctx, rows)
    peer.seq_out += 1
    seq = peer.seq_out
    ids = [r.id for r in rows]
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(ids))
        .values(seq=seq, attempts=OutboxItem.attempts + 1)
        # the loaded rows are not refreshed: evaluating the update against 2,000 of them cost
        # ~0.15 s a message, and `attempts` below counts this sending once
        .execution_options(synchronize_session=False)
    )
    message = {
        "format": FORMAT,
        "sender": ctx.settings.platform,
        "receiver": peer.code,
        "seq": seq,
        "sent_at": now.isoformat(),
        "items": items,
    }
    body = orjson.dumps(message)
    attempts = max(r.attempts for r in rows) + 1
    return Outgoing(peer.code, peer.url, seq, body, sign(ctx.settings, body), row_ids, attempts)


def settle(
    session: Session, ctx: Context, out: Outgoing, receipt_body: bytes, signature: str
) -> dict[str, int]:
    """Settle the outbox from the peer's signed receipt; counts by status. An item the receipt
    does not mention stays pending."""
    peer = session.get(Peer, out.peer)
    if peer is None or not verify(peer.public_key, receipt_body, signature):
        raise Refused("exchange.receipt_signature", "回执签名无效，未予确认", 502)
    receipt = orjson.loads(receipt_body)
    if receipt.get("seq") != out.seq or receipt.get("sender") != out.peer:
        raise Refused("exchange.receipt_mismatch", "回执与所发报文不符", 502)
    now = ctx.clock.now()
    counts = {APPLIED: 0, UNCHANGED: 0, REFUSED: 0}
    settle_items(session, now, out.row_ids, receipt.get("items", []), counts)
    peer.last_success_at, peer.last_error = now, None
    ctx.log(
        session,
        actor=peer_actor(ctx.settings.platform),
        action=AuditTag.EXCHANGE_MESSAGE_SEND,
        object_type="exchange_peer",
        object_id=out.peer,
        detail={"seq": out.seq, **counts},
    )
    return counts


def settle_items(
    session: Session,
    now: dt.datetime,
    row_ids: dict[str, list[int]],
    answers: list[Any],
    counts: dict[str, int],
) -> None:
    """Settle the outbox rows answered (`row_ids`: uid -> rows), adding to `counts`; an answer
    for a uid not in `row_ids` is ignored, and a row already settled stays as it is. Answers
    without reasons are settled in one statement per status (one per row cost the sender more
    than the receiver spent applying them)."""
    plain: dict[str, list[int]] = {}
    for answer in answers:
        if not isinstance(answer, dict):
            continue
        ids = row_ids.get(str(answer.get("uid")))
        status = answer.get("status")
        if not ids or status not in counts:
            continue
        counts[status] += 1
        reasons = answer.get("reasons") or None
        if reasons is None:
            plain.setdefault(status, []).extend(ids)
            continue
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids), OutboxItem.state == PENDING)
            .values(
                state=status,
                settled_at=now,
                last_error=None,
                reasons_json=orjson.dumps(reasons).decode(),
            )
        )
    for status, ids in plain.items():
        for start in range(0, len(ids), 500):
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(ids[start : start + 500]), OutboxItem.state == PENDING)
                .values(state=status, settled_at=now, last_error=None, reasons_json=None)
            )


def failed(
    session: Session, ctx: Context, out: Outgoing, error: str, *, backoff: dt.timedelta
) -> None:
    """The peer did not answer (or refused the whole message): its rows wait and are tried
    again after `backoff`."""
    now = ctx.clock.now()
    ids = [i for group in out.row_ids.values() for i in group]
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(ids), OutboxItem.state == PENDING)
        .values(next_attempt_at=now + backoff, last_error=error[:2000])
    )
    peer = session.get(Peer, out.peer)
    if peer is not None:
        peer.last_error = error[:2000]


# ---------------------------------------------------------------- receiving


def check(session: Session, ctx: Context, sender: str, body: bytes, signature: str) -> Peer:
    """The registered sender whose key signed `body`, or the refusal."""
    peer = session.get(Peer, sender)
    if peer is None or not peer.active:
        raise Refused(
            "exchange.unknown_sender", f"平台“{sender[:12]}”未登记为本平台的交换平台", 403
        )
    if not signature or not verify(peer.public_key, body, signature):
        raise Refused("exchange.signature", "报文签名无效或缺失，已拒收", 401)
    return peer


def addressed(ctx: Context, message: Any, sender: str, form: str = FORMAT) -> int:
    """The sequence number of a message (or file manifest) in format `form`, from `sender` to
    this platform, or the refusal."""
    if not isinstance(message, dict) or message.get("format") != form:
        raise Refused("exchange.format", f"报文格式应为 {form}", 422)
    if message.get("sender") != sender or message.get("receiver") != ctx.settings.platform:
        raise Refused("exchange.addressee", "报文的发送方或接收方与本平台不符", 422)
    seq = message.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise Refused("exchange.malformed", "报文缺少序号或条目", 422)
    return seq


def not_replayed(session: Session, sender: str, seq: int) -> Peer:
    """The sender's row, locked (one message at a time per sender), or the replay refusal: a
    sequence number not above the last one accepted from it has been seen before."""
    locked = session.scalar(select(Peer).where(Peer.code == sender).with_for_update())
    assert locked is not None
    if seq <= locked.seq_in:
        refused = Refused("exchange.replay", f"报文序号{seq}已接收过（重放），已拒收", 409)
        refused.details["last_seq"] = locked.seq_in
        raise refused
    return locked


def accept(
    session: Session,
    ctx: Context,
    sender: str,
    seq: int,
    items: list[Any],
    *,
    final: bool = True,
    counts: dict[str, int] | None = None,
    via: str = "http",
) -> list[ItemResult]:
    """THE way a checked message's items are applied, for both doors (POST /api/exchange/messages
    and `xinyong exchange import`), in the caller's transaction: the replay check under the
    sender's lock, the items dispatched by kind, one result per item. A file applied chunk by
    chunk calls it once per chunk; only the `final` call records `seq` as accepted and logs the
    message with its `counts` (added to here)."""
    locked = not_replayed(session, sender, seq)
    results = _apply(session, ctx, locked, seq, items)
    counts = counts if counts is not None else {APPLIED: 0, UNCHANGED: 0, REFUSED: 0}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    if final:
        locked.seq_in = seq
        locked.last_success_at = ctx.clock.now()
        detail: dict[str, Any] = {"seq": seq, **counts}
        if via != "http":
            detail["via"] = via
        ctx.log(
            session,
            actor=peer_actor(sender),
            action=AuditTag.EXCHANGE_MESSAGE_RECEIVE,
            object_type="exchange_peer",
            object_id=sender,
            detail=detail,
        )
    return results


def receive(
    session: Session, ctx: Context, sender: str, body: bytes, signature: str
) -> tuple[bytes, str]:
    """Apply a peer's message in the caller's transaction; the signed receipt (body, signature)."""
    check(session, ctx, sender, body, signature)
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Refused("exchange.malformed", "报文不是有效的JSON", 422) from None
    seq = addressed(ctx, message, sender)
    items = message.get("items")
    if not isinstance(items, list):
        raise Refused("exchange.malformed", "报文缺少序号或条目", 422)
    results = accept(session, ctx, sender, seq, items)
    receipt = {
        "format": FORMAT,
        "sender": ctx.settings.platform,
        "receiver": sender,
        "seq": seq,
        "items": [r.as_dict() for r in results],
    }
    out = orjson.dumps(receipt)
    return out, sign(ctx.settings, out)


def _apply(
    session: Session, ctx: Context, peer: Peer, seq: int, items: list[Any]
) -> list[ItemResult]:
    results: dict[int, ItemResult] = {}
    by_kind: dict[str, list[int]] = {}
    uids = [str(i.get("uid", "")) if isinstance(i, dict) else "" for i in items]
    seen = _inbox(
        session, peer.code, [u for n, u in enumerate(uids) if _kind(items[n]) != "record"]
    )
    for n, item in enumerate(items):
        kind = _kind(item)
        if not uids[n] or kind is None:
            results[n] = ItemResult(
                uids[n], REFUSED, [_reason("exchange.malformed", "条目格式不正确")]
            )
        elif kind not in KINDS:
            results[n] = ItemResult(
                uids[n], REFUSED, [_reason("exchange.unknown_kind", f"本平台不接收“{kind}”类信息")]
            )
        elif uids[n] in seen:
            results[n] = ItemResult(uids[n], UNCHANGED)
        else:
            by_kind.setdefault(kind, []).append(n)
    now = ctx.clock.now()
    for kind, indexes in by_kind.items():
        for n, result in zip(
            indexes, KINDS[kind].apply(session, ctx, peer, [items[i] for i in indexes]), strict=True
        ):
            results[n] = result
            if kind != "record" and result.status != REFUSED:  # records: idempotent by version
                session.add(
                    InboxItem(
                        sender_code=peer.code,
                        uid=result.uid,
                        kind=kind,
                        ref=str(items[n].get("ref", ""))[:400],
                        ref_version=int(items[n].get("version") or 1),
                        status=result.status,
                        seq=seq,
                        received_at=now,
                    )
                )
    return [results[n] for n in range(len(items))]


def _kind(item: Any) -> str | None:
    if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
        return None
    return str(item["kind"])


def _reason(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _inbox(session: Session, sender: str, uids: list[str]) -> set[str]:
    if not uids:
        return set()
    return set(
        session.scalars(
            select(InboxItem.uid).where(InboxItem.sender_code == sender, InboxItem.uid.in_(uids))
        )
    )


def log_refusal(ctx: Context, sender: str, refused: DomainError, size: int) -> None:
    """A refused message is logged in its own transaction (the refusal rolls back the rest)."""
    with ctx.sessions() as session, session.begin():
        ctx.log(
            session,
            actor=peer_actor(sender[:12] or "?"),
            action=AuditTag.EXCHANGE_MESSAGE_REFUSE,
            object_type="exchange_peer",
            object_id=sender[:12],
            detail={"code": refused.code, "message": refused.message, "bytes": size},
        )
