"""The forwarder: sends each peer its pending outbox rows, a signed message at a time, and
settles them from the peer's signed receipt (`xinyong exchange run`, also a step of
`xinyong jobs run`; `--follow` keeps running). A peer that does not answer gets the same items
again later, with a growing wait; a crash between sending and settling loses nothing (the items
are still pending) and applies nothing twice (the receiver answers them as unchanged)."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import func, select

from xinyong.common.errors import DomainError
from xinyong.context import Context
from xinyong.exchange import service
from xinyong.exchange.models import OutboxItem, Peer
from xinyong.exchange.signing import SENDER_HEADER, SIGNATURE_HEADER

PATH = "/api/exchange/messages"
LOCK_CLASS = 0x5859_4558  # pg advisory locks' first key: the exchange's ("XYEX")


@dataclass
class Answer:
    status: int
    body: bytes
    signature: str


#: How a message travels (tests may pass another; the default is HTTP).
Send = Callable[[str, str, bytes, str, float], Answer]


def http_send(url: str, sender: str, body: bytes, signature: str, timeout: float) -> Answer:
    request = urllib.request.Request(
        url + PATH,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SENDER_HEADER: sender,
            SIGNATURE_HEADER: signature,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(
                response.status, response.read(), response.headers.get(SIGNATURE_HEADER, "")
            )
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.read(), "")


@dataclass
class PeerReport:
    peer: str
    messages: int = 0
    applied: int = 0
    unchanged: int = 0
    refused: int = 0
    error: str | None = None
    busy: bool = False


@dataclass
class Report:
    peers: list[PeerReport] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for p in self.peers:
            if p.busy:
                out.append(f"{p.peer}：另一推送进程正在向该平台发送，本次跳过")
                continue
            if not p.messages and not p.error:
                continue  # its items wait out their backoff
            line = (
                f"{p.peer}：发送报文{p.messages}份，已应用{p.applied}条，无变化{p.unchanged}条，"
                f"被拒收{p.refused}条"
            )
            out.append(line + (f"；未送达：{p.error}" if p.error else ""))
        return out or ["没有到期待推送的信息"]


def _backoff(ctx: Context, attempts: int) -> dt.timedelta:
    base, most = ctx.settings.exchange_backoff_seconds, ctx.settings.exchange_backoff_max_seconds
    return dt.timedelta(seconds=min(most, base * 2 ** max(0, min(attempts - 1, 20))))


def _peers_with_work(ctx: Context, only: str | None) -> list[str]:
    with ctx.sessions() as session:
        query = (
            select(Peer.code)
            .where(Peer.active)
            .where(
                select(OutboxItem.id)
                .where(OutboxItem.peer_code == Peer.code, OutboxItem.state == service.PENDING)
                .exists()
            )
        )
        if only:
            query = query.where(Peer.code == only)
        return list(session.scalars(query.order_by(Peer.code)))


def run(
    ctx: Context,
    *,
    peer: str | None = None,
    force: bool = False,
    max_messages: int | None = None,
    send: Send = http_send,
) -> Report:
    """One round: every peer (or `peer`) gets its due items until none is left or it fails.
    `force`: items waiting after a failure are sent now."""
    report = Report()
    for code in _peers_with_work(ctx, peer):
        with sending(ctx, code) as mine:
            if mine:
                report.peers.append(_send_all(ctx, code, force, max_messages, send))
            else:  # another forwarder is sending this peer its items now
                report.peers.append(PeerReport(code, busy=True))
    return report


def _send_all(
    ctx: Context, code: str, force: bool, max_messages: int | None, send: Send
) -> PeerReport:
    stats = PeerReport(code)
    while max_messages is None or stats.messages < max_messages:
        with ctx.sessions() as session, session.begin():
            target = session.get(Peer, code)
            assert target is not None
            out = service.build(
                session, ctx, target, limit=ctx.settings.exchange_batch_items, force=force
            )
        if out is None:
            break
        stats.messages += 1
        error = _deliver(ctx, out, stats, send)
        if error is not None:
            stats.error = error
            with ctx.sessions() as session, session.begin():
                service.failed(session, ctx, out, error, backoff=_backoff(ctx, out.attempts))
            break
        force = False  # once through: what is still pending waits its turn
    return stats


@contextmanager
def sending(ctx: Context, code: str) -> Iterator[bool]:
    """Whether this process may send `peer` its items now: one forwarder at a time per peer
    (`exchange run --follow` and `jobs run` may run together). The peer refuses a sequence
    number not above the last it received, so two senders' messages would overtake each other
    and be refused as replays. The lock dies with its holder (a forwarder killed mid-batch
    leaves nothing to clear): a PostgreSQL session advisory lock, or on SQLite, where every
    process is on this host, a file lock in the data folder."""
    if ctx.engine.dialect.name == "postgresql":
        key = zlib.crc32(f"xinyong.exchange.peer:{code}".encode()) - 2**31
        with ctx.engine.connect() as conn:
            got = bool(conn.scalar(select(func.pg_try_advisory_lock(LOCK_CLASS, key))))
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.scalar(select(func.pg_advisory_unlock(LOCK_CLASS, key)))
                    conn.commit()
        return
    path = ctx.settings.data_dir / f"exchange-{code}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _deliver(ctx: Context, out: service.Outgoing, stats: PeerReport, send: Send) -> str | None:
    """Send one message and settle its receipt; the error that stopped it, if any."""
    try:
        answer = send(
            out.url,
            ctx.settings.platform,
            out.body,
            out.signature,
            ctx.settings.exchange_timeout_seconds,
        )
    except (OSError, urllib.error.URLError) as exc:
        return f"无法连接：{getattr(exc, 'reason', exc)}"
    if answer.status != 200:
        message = _refusal_text(answer.body)
        if answer.status == 409:  # our sequence fell behind the peer's (e.g. after a restore)
            _catch_up(ctx, out.peer, answer.body)
        return f"对方拒收整份报文（{answer.status}）：{message}"
    try:
        with ctx.sessions() as session, session.begin():
            counts = service.settle(session, ctx, out, answer.body, answer.signature)
    except DomainError as refused:
        return refused.message
    stats.applied += counts["applied"]
    stats.unchanged += counts["unchanged"]
    stats.refused += counts["refused"]
    return None


def _refusal_text(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        return str(error.get("message", ""))[:500]
    return str(answer)[:500]


def _catch_up(ctx: Context, code: str, body: bytes) -> None:
    try:
        last = int(json.loads(body)["error"]["details"]["last_seq"])
    except (ValueError, KeyError, TypeError):
        return
    with ctx.sessions() as session, session.begin():
        peer = session.get(Peer, code)
        if peer is not None and last > peer.seq_out:
            peer.seq_out = last
