"""The audit log: append-only, hash-chained, and a Merkle tree with signed heads.

Each entry's hash covers its fields and the previous entry's hash; entry numbers come from a
locked head row, so they have no gaps. The entries are also the leaves of a Merkle tree
(audit/merkle.py, RFC 6962): the head row keeps the tree's right edge, so a tree head (size,
root, time) can be signed at any moment with a key outside the database and appended to a
file outside it (audit/heads.py). `verify` recomputes every entry's hash and the tree from
entry 1, checks each signed head against the tree at its size and the newest head against the
log's length, and names what was edited, deleted, inserted, rewritten or cut off.

A session's entries (`record`, `ctx.log`) are appended when it commits (a before_commit hook),
so the head row is locked only for the last statements before COMMIT: no request holds it
across a thread hop or an await (a held head row under load froze PostgreSQL: issue 14).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import (
    Connection,
    Dialect,
    Integer,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from xinyong.audit import merkle
from xinyong.audit.heads import TreeHead, append_head, read_heads
from xinyong.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from xinyong.audit.tags import AuditTag
from xinyong.common.clock import Clock
from xinyong.common.roles import Actor, Role
from xinyong.db import table_of
from xinyong.fastpath import CopyWrite, PreparedWrite

GENESIS = "0" * 64
HEAD_ID = 1

_head = table_of(AuditHead)
_INSERT_EVENT = insert(table_of(AuditEvent))

# Prebuilt statements run on the driver's cursor (fastpath.PreparedWrite): an append sits on every
# read and write path, on both the sync connections and an event loop's own PostgreSQL one.
_EVENT_KEYS = [column.key for column in table_of(AuditEvent).columns]  # all: an entry sets each
_NEXT_SEQS = PreparedWrite(
    update(_head)
    .where(_head.c.id == HEAD_ID)
    .values(seq=_head.c.seq + bindparam("n", type_=Integer))
    .returning(_head.c.seq, _head.c.last_hash, _head.c.frontier)
)
_ASYNC_HEAD = PreparedWrite(
    postgresql.insert(_head).on_conflict_do_nothing(), ["id", "seq", "last_hash", "frontier"]
)
_INSERT_EVENTS = PreparedWrite(_INSERT_EVENT, _EVENT_KEYS)
_COPY_EVENTS = CopyWrite(table_of(AuditEvent), _EVENT_KEYS)  # batches on PostgreSQL
_SET_LAST_HASH = PreparedWrite(
    update(_head)
    .where(_head.c.id == HEAD_ID)
    .values(last_hash=bindparam("new_hash"), frontier=bindparam("new_frontier"))
)
_CHECKPOINT = PreparedWrite(
    insert(table_of(AuditCheckpoint)), ["upto_id", "hash", "mac", "created_at"]
)
_ENTRY_COLUMNS = [table_of(AuditEvent).c[key] for key in _EVENT_KEYS]


def _reference_json(data: Any) -> str:
    """The canonical form's definition: sorted keys, no spaces, non-ASCII as itself."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> bool:
    """Whether `value` holds only what orjson writes byte for byte as `_reference_json` does:
    str, int, bool, None, lists, tuples and str-keyed dicts (floats, dates and other types
    go through `default=str`, which orjson would write differently)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is list or kind is tuple:
        for item in value:  # noqa: SIM110 (a loop: all() with a generator costs twice as much)
            if type(item) not in _SCALARS and not _plain(item):
                return False
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _SCALARS and not _plain(item)):
                return False
        return True
    return False


def canonical_bytes(data: Any) -> bytes:
    """`_reference_json(data)` as UTF-8, by orjson when the data is plain (tested to be the
    same bytes): an audit entry is hashed on every read, and json.dumps was a fifth of it."""
    if _plain(data):
        try:
            return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # an int beyond 64 bits, a lone surrogate: the reference decides
            pass
    return _reference_json(data).encode("utf-8")


def canonical_json(data: Any) -> str:
    return canonical_bytes(data).decode("utf-8")


_STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _stamp(moment: dt.datetime) -> str:
    """The UTC instant as `_STAMP_FORMAT` writes it (isoformat is the same text, and faster,
    for four-digit years)."""
    utc = moment.astimezone(dt.UTC)
    if utc.year < 1000:
        return utc.strftime(_STAMP_FORMAT)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def entry_hash(event: Any) -> str:
    """SHA-256 over every field of an entry (an AuditEvent row or the values about to be one)."""
    body = canonical_bytes(
        [
            event.id,
            _stamp(event.occurred_at),
            event.action,
            event.actor_id,
            event.actor_username,
            event.actor_role,
            event.purpose,
            event.legal_basis,
            event.object_type,
            event.object_id,
            event.subject_key,
            bool(event.personal_read),
            event.detail_json,
            event.prev_hash,
        ]
    )
    return hashlib.sha256(body).hexdigest()


def entry_values(
    clock: Clock,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | int | None = None,
    subject_key: str | None = None,
    purpose: str | None = None,
    legal_basis: str | None = None,
    personal_read: bool = False,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields of one entry, stamped now; `AuditLog.append` numbers and chains them."""
    return {
        "occurred_at": clock.now(),
        "action": action,
        "actor_id": actor.user_id,
        "actor_username": actor.username,
        "actor_role": actor.role.value,
        "purpose": purpose,
        "legal_basis": legal_basis,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "subject_key": subject_key,
        "personal_read": personal_read,
        "detail_json": canonical_json(detail or {}),
    }


def ensure_head(conn: Connection) -> None:
    """Create the chain head if it is missing (a new database)."""
    values = {"id": HEAD_ID, "seq": 0, "last_hash": GENESIS, "frontier": ""}
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(AuditHead).values(values).on_conflict_do_nothing())
    else:
        conn.execute(sqlite.insert(AuditHead).values(values).on_conflict_do_nothing())


def entry_leaf(entry_hash_hex: str) -> bytes:
    """The Merkle leaf of an entry: its hash (which covers every field and the previous
    entry's hash), as RFC 6962 hashes a leaf."""
    return merkle.leaf_hash(bytes.fromhex(entry_hash_hex))


LABELS = {
    "edited": "被修改",
    "deleted": "被删除",
    "inserted": "被插入",
    "checkpoint": "检查点签名不符",
}


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    last_id: int
    started_at: int
    bad_id: int | None = None
    # edited | deleted | inserted | checkpoint | rewritten | truncated | heads | head_row
    problem: str | None = None
    heads: int = 0  # signed tree heads checked against the tree
    note: str | None = None  # what a head-level problem is, in words
    edge: str | None = None  # the tree's right edge, recomputed (see `restore_edge`)

    @property
    def message(self) -> str:
        if self.ok:
            signed = f"，与{self.heads}个签名树头一致" if self.heads else ""
            return (
                f"审计日志完整：自第{self.started_at}条起核验{self.checked}条，"
                f"至第{self.last_id}条{signed}"
            )
        if self.note:
            return self.note
        return f"审计日志第{self.bad_id}条{LABELS.get(self.problem or '', self.problem)}"


@dataclass
class _Pending:
    """A session's entries, appended when it commits."""

    log: AuditLog
    entries: list[tuple[dict[str, Any], Callable[[int], None] | None]] = field(default_factory=list)
    due: list[DueHead] = field(default_factory=list)  # heads to publish once committed


_PENDING = "xinyong_audit_pending"


@dataclass(frozen=True)
class DueHead:
    """A tree head to sign once the transaction holding its entries has committed."""

    size: int
    root: bytes
    at: dt.datetime


def _append_pending(session: Session) -> None:
    """before_commit: flush the session's own rows first (their row locks are taken before the
    head's), then append its entries; the head row stays locked only until COMMIT."""
    if session.in_nested_transaction():
        return
    pending: _Pending | None = session.info.get(_PENDING)
    if pending is None or not pending.entries:
        return
    session.flush()
    entries, pending.entries = pending.entries, []
    pending.due.extend(pending.log.append(session, [values for values, _ in entries]))
    for values, then in entries:
        if then is not None:
            then(int(values["id"]))  # may dirty rows: the commit's own flush writes them


class Logged:
    """An entry logged in a transaction: its fields now, its number and hash once committed
    (an ORM AuditEvent cost a quarter of a millisecond to build, on every write)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @property
    def id(self) -> int | None:
        return self.values.get("id")

    @property
    def hash(self) -> str | None:
        return self.values.get("hash")


def _publish_pending(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is not None and pending.due:
        pending.log.publish(pending.due)


def _drop_pending(session: Session, transaction: Any) -> None:
    """The session's transaction ended: entries not appended (rolled back, or closed without
    commit) go with it. (Entries logged inside a savepoint that is rolled back are still
    appended at the commit: nothing here uses savepoints.)"""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


sa_event.listen(Session, "before_commit", _append_pending)
sa_event.listen(Session, "after_commit", _publish_pending)
sa_event.listen(Session, "after_transaction_end", _drop_pending)


class AuditLog:
    def __init__(
        self,
        secret: str,
        checkpoint_every: int = 10_000,
        *,
        signer: Ed25519PrivateKey | None = None,
        heads_file: Path | None = None,
        head_every: int = 0,
    ) -> None:
        self._secret = secret.encode("utf-8")
        self.checkpoint_every = checkpoint_every
        self.signer, self.heads_file, self.head_every = signer, heads_file, head_every

    def _mac(self, upto_id: int, hash_: str) -> str:
        return hmac.new(self._secret, f"{upto_id}:{hash_}".encode(), hashlib.sha256).hexdigest()

    def record(
        self,
        session: Session,
        *,
        clock: Clock,
        actor: Actor,
        action: str,
        then: Callable[[int], None] | None = None,
        **fields: Any,
    ) -> Logged:
        """An entry in the caller's transaction (it commits or rolls back with it), appended
        when the session commits: its `id` and `hash` are set then, and `then(id)` is called
        (to store the number on a row of the same transaction; the commit writes it). So the
        log's head row is locked only by the commit itself, never while the caller works.
        `fields`: object_type, object_id, subject_key, purpose, legal_basis, personal_read,
        detail (see `entry_values`)."""
        values = entry_values(clock, actor, action, **fields)
        self._pending(session).entries.append((values, then))
        return Logged(values)

    def _pending(self, session: Session) -> _Pending:
        if not session.in_transaction():  # the entries belong to a transaction: begin it
            session.begin()
        pending: _Pending | None = session.info.get(_PENDING)
        if pending is None:
            pending = session.info[_PENDING] = _Pending(self)
        return pending

    def append(self, target: Session | Connection, entries: list[dict[str, Any]]) -> list[DueHead]:
        """Chain `entries` (from `entry_values`) onto the log in the caller's transaction: one
        head update for the whole batch, numbers without gaps, each hash over the previous,
        each a leaf of the tree. The heads due by `head_every` are returned: `publish` them once
        the transaction has committed (a head signed for a state rolled back would be false)."""
        if not entries:
            return []
        conn = target.connection() if isinstance(target, Session) else target
        rows = _NEXT_SEQS.run_sync(conn, {"n": len(entries)})
        if not rows:  # a new database
            ensure_head(conn)
            rows = _NEXT_SEQS.run_sync(conn, {"n": len(entries)})
        last, prev, edge = int(rows[0][0]), str(rows[0][1]), rows[0][2]
        first = last - len(entries) + 1
        prev = self._chain(entries, first, prev)
        frontier, due = self._grow(edge, first, entries)
        if len(entries) > 1 and conn.dialect.name == "postgresql":
            _COPY_EVENTS.run_sync(conn, entries)
        else:
            _INSERT_EVENTS.run_sync(conn, entries)
        _SET_LAST_HASH.run_sync(conn, {"new_hash": prev, "new_frontier": frontier})
        signed = self._to_sign(entries, first, last)
        if signed is not None:
            self._add_checkpoint(conn, signed["occurred_at"], signed["id"], signed["hash"])
        return due

    async def append_async(
        self, conn: psycopg.AsyncConnection[Any], dialect: Dialect, entries: list[dict[str, Any]]
    ) -> list[DueHead]:
        """`append` as a transaction of its own on an event loop's PostgreSQL connection
        (fastpath.LoopConnections, in autocommit): the same numbering, chaining and checkpoints, in
        four exchanges with the server where statement by statement took six: BEGIN and the
        head's bump pipelined; the entries by COPY (two); the head's new hash, any checkpoint
        and COMMIT pipelined. On an error the transaction is left open, and LoopConnections
        closes the connection instead of keeping it, which rolls it back. Committed when it
        returns: the caller publishes the heads returned."""
        if not entries:
            return []
        async with conn.cursor() as bump:
            async with conn.pipeline():
                await conn.execute("BEGIN")
                await _NEXT_SEQS.send(bump, dialect, {"n": len(entries)})
            rows = await bump.fetchall()
        if not rows:  # a new database: create the head, as `ensure_head` does
            values = {"id": HEAD_ID, "seq": 0, "last_hash": GENESIS, "frontier": ""}
            await _ASYNC_HEAD.run(conn, dialect, values)
            rows = await _NEXT_SEQS.run(conn, dialect, {"n": len(entries)})
        last, prev, edge = int(rows[0][0]), str(rows[0][1]), rows[0][2]
        first = last - len(entries) + 1
        prev = self._chain(entries, first, prev)
        frontier, due = self._grow(edge, first, entries)
        await _COPY_EVENTS.run(conn, dialect, entries)
        signed = self._to_sign(entries, first, last)
        async with conn.cursor() as cursor, conn.pipeline():
            await _SET_LAST_HASH.send(cursor, dialect, {"new_hash": prev, "new_frontier": frontier})
            if signed is not None:
                upto, hash_ = signed["id"], signed["hash"]
                values = {"upto_id": upto, "hash": hash_, "mac": self._mac(upto, hash_)}
                values["created_at"] = signed["occurred_at"]
                await _CHECKPOINT.send(cursor, dialect, values)
            await conn.execute("COMMIT")
        return due

    @staticmethod
    def _chain(entries: list[dict[str, Any]], first: int, prev: str) -> str:
        """Number the entries from `first` and chain each onto the one before; the last hash."""
        for seq, values in enumerate(entries, start=first):
            values["id"], values["prev_hash"] = seq, prev
            values["hash"] = prev = entry_hash(SimpleNamespace(**values))
        return prev

    def _grow(
        self, edge: str | None, first: int, entries: list[dict[str, Any]]
    ) -> tuple[str | None, list[DueHead]]:
        """The tree's right edge after `entries`, and the heads due on the way. A missing or
        malformed edge (a database from before the tree, or an altered head row) is left
        missing: appends go on, and `verify` finds it and, if the log is intact, rebuilds it."""
        if edge is None:
            return None, []
        try:
            frontier = merkle.Frontier.load(first - 1, edge)
        except ValueError:
            return None, []
        every, due = self.head_every, []
        for values in entries:
            frontier.push(entry_leaf(values["hash"]))
            if every and frontier.size % every == 0:
                due.append(DueHead(frontier.size, frontier.root(), values["occurred_at"]))
        return frontier.dump(), due

    def _to_sign(
        self, entries: list[dict[str, Any]], first: int, last: int
    ) -> dict[str, Any] | None:
        """The entry a checkpoint signs, if the batch holds a multiple of `checkpoint_every`."""
        every = self.checkpoint_every
        if every and last // every > (first - 1) // every:
            return entries[last - last % every - first]
        return None

    def _add_checkpoint(self, conn: Connection, at: dt.datetime, upto: int, hash_: str) -> None:
        values = {"upto_id": upto, "hash": hash_, "mac": self._mac(upto, hash_), "created_at": at}
        conn.execute(insert(table_of(AuditCheckpoint)), values)

    def checkpoint(self, session: Session, clock: Clock) -> AuditCheckpoint | None:
        """Sign the chain at its newest entry (no-op if already signed there)."""
        head = session.get(AuditHead, HEAD_ID)
        if head is None or head.seq == 0:
            return None
        existing = session.scalar(
            select(AuditCheckpoint).where(AuditCheckpoint.upto_id == head.seq)
        )
        if existing is not None:
            return existing
        self._add_checkpoint(session.connection(), clock.now(), head.seq, head.last_hash)
        return session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.upto_id == head.seq))

    # -- signed tree heads ------------------------------------------------------------------

    def publish(self, due: list[DueHead], *, sync: bool = False) -> list[TreeHead]:
        """Sign and append heads of committed states to the heads file (none if this log has
        no key or no file). A failure to write is not the committed transaction's: it is
        reported on stderr and the next head covers the same entries."""
        if self.signer is None or self.heads_file is None:
            return []
        written = []
        for head in due:
            try:
                written.append(
                    append_head(
                        self.heads_file, self.signer, head.size, head.root, head.at, sync=sync
                    )
                )
            except OSError as exc:
                print(f"审计树头未能写入{self.heads_file}：{exc}", file=sys.stderr)
        return written

    def sign_head(self, session: Session, clock: Clock) -> TreeHead | None:
        """Sign the tree at the log's current size (from the head row's right edge) and append
        it to the heads file, unless the newest head already has this size. Run it outside any
        transaction that appends (it reads the committed head)."""
        if self.signer is None or self.heads_file is None:
            return None
        row = session.get(AuditHead, HEAD_ID)
        size = row.seq if row is not None else 0
        latest = self.latest_head()
        if latest is not None and latest.size == size:
            return latest
        if size == 0:
            root = merkle.EMPTY_ROOT
        else:
            try:
                frontier = merkle.Frontier.load(size, row.frontier if row else None)
            except ValueError:
                frontier = None
            if frontier is None or (row is not None and row.frontier is None):
                return None  # no right edge: `verify` rebuilds it from the entries
            root = frontier.root()
        written = self.publish([DueHead(size, root, clock.now())], sync=True)
        return written[0] if written else None

    def latest_head(self) -> TreeHead | None:
        if self.heads_file is None:
            return None
        latest = None
        for line in read_heads(self.heads_file):
            if line.head is not None and (latest is None or line.head.size >= latest.size):
                latest = line.head
        return latest

    def public_key(self) -> Ed25519PublicKey | None:
        return self.signer.public_key() if self.signer is not None else None

    # -- verification -----------------------------------------------------------------------

    @staticmethod
    def check_heads(
        files: list[Path], public: Ed25519PublicKey | None
    ) -> tuple[dict[int, tuple[TreeHead, str]], VerifyResult | None]:
        """The signed heads of `files` by size, after checking every signature and each line's
        link to the line before; or the first problem."""
        by_size: dict[int, tuple[TreeHead, str]] = {}
        for path in files:
            prev = ""
            for line in read_heads(path):
                where = f"树头文件{path.name}第{line.number}行"
                if line.head is None:
                    return by_size, _head_problem(f"{where}无法解析")
                head = line.head
                if public is None or not head.verify(public):
                    return by_size, _head_problem(f"{where}签名无效（树头被伪造或签名密钥不符）")
                if head.prev != prev:
                    return by_size, _head_problem(
                        f"{where}与上一行不衔接（树头文件有行被删除或改动）"
                    )
                prev = line.digest
                seen = by_size.get(head.size)
                if seen is not None and seen[0].root != head.root:
                    return by_size, _head_problem(
                        f"{where}与{seen[1]}对同一规模（{head.size}条）签署了不同的根：日志曾被改写"
                    )
                by_size.setdefault(head.size, (head, where))
        return by_size, None

    def verify(
        self,
        session: Session,
        *,
        full: bool = True,
        batch: int = 5000,
        heads: list[Path] | None = None,
        public: Ed25519PublicKey | None = None,
    ) -> VerifyResult:
        """Recompute the whole log from entry 1: each entry's number, link and hash, the
        Merkle tree, every signed checkpoint, every signed tree head in the heads file (and in
        `heads`, copies a second party holds) against the tree at its size, and the newest head
        against the log's length. `full` is accepted for older callers: every run is full."""
        del full
        checkpoints = list(
            session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.upto_id))
        )
        for cp in checkpoints:
            if not hmac.compare_digest(cp.mac, self._mac(cp.upto_id, cp.hash)):
                return VerifyResult(False, 0, 0, 1, bad_id=cp.upto_id, problem="checkpoint")
        # The heads before the head row: a head is written after its entries commit, so every
        # head read here is covered by the head row read next (no false alarm while serving).
        files = ([self.heads_file] if self.heads_file is not None else []) + list(heads or [])
        by_size, problem = self.check_heads(files, public or self.public_key())
        if problem is not None:
            return problem
        head = session.get(AuditHead, HEAD_ID)
        head_seq = head.seq if head else 0
        head_hash = head.last_hash if head else GENESIS
        head_edge = head.frontier if head else ""
        session.expunge_all()
        signed = {cp.upto_id: cp.hash for cp in checkpoints}
        frontier = merkle.Frontier()
        matched_upto, matched = 0, 0
        if 0 in by_size:  # a head of the empty log
            if by_size[0][0].root != merkle.EMPTY_ROOT.hex():
                return _head_problem("空日志的签名树头根值不符")
            matched += 1
        expected_id, expected_prev, checked, last = 1, GENESIS, 0, 0
        events = table_of(AuditEvent)
        # Entries up to the head row's number were committed when it was read; later ones are
        # appends made meanwhile, checked against the head row read again below.
        query = select(*_ENTRY_COLUMNS).order_by(events.c.id).limit(batch)
        after = 0
        while True:
            rows = session.execute(query.where(events.c.id > after, events.c.id <= head_seq)).all()
            if not rows:
                break
            for event in rows:
                if event.id != expected_id:
                    return VerifyResult(False, checked, last, 1, expected_id, "deleted", matched)
                computed = entry_hash(event)
                if event.prev_hash != expected_prev:
                    kind = "inserted" if event.hash == computed else "edited"
                    return VerifyResult(False, checked, last, 1, event.id, kind, matched)
                if computed != event.hash:
                    return VerifyResult(False, checked, last, 1, event.id, "edited", matched)
                if event.id in signed and signed[event.id] != event.hash:
                    return VerifyResult(False, checked, last, 1, event.id, "edited", matched)
                frontier.push(entry_leaf(computed))
                expected_prev, expected_id, last = computed, event.id + 1, event.id
                checked += 1
                known = by_size.get(frontier.size)
                if known is not None:
                    signed_head, where = known
                    if frontier.root().hex() != signed_head.root:
                        return VerifyResult(
                            False,
                            checked,
                            last,
                            1,
                            matched_upto + 1,
                            "rewritten",
                            matched,
                            f"审计日志前{signed_head.size}条与{signed_head.time}签名的树头"
                            f"（{where}）不符：第{matched_upto + 1}条至第{signed_head.size}条"
                            "之间有条目被改写、替换或回滚",
                        )
                    matched_upto, matched = signed_head.size, matched + 1
            after = rows[-1].id
        newest = max(by_size) if by_size else 0
        if checked < newest:
            signed_head, where = by_size[newest]
            return VerifyResult(
                False,
                checked,
                last,
                1,
                checked + 1,
                "truncated",
                matched,
                f"审计日志只有{checked}条，少于{signed_head.time}签名的树头（{where}）所记的"
                f"{newest}条：第{checked + 1}条起的条目被删除，或数据库被回滚到较早的状态",
            )
        if last < head_seq:
            return VerifyResult(False, checked, last, 1, last + 1, "deleted", matched)
        if head_seq and expected_prev != head_hash:
            return VerifyResult(False, checked, last, 1, last, "edited", matched)
        beyond = session.scalar(select(func.max(events.c.id)))
        fresh = session.execute(select(_head.c.seq).where(_head.c.id == HEAD_ID)).scalar()
        if beyond is not None and beyond > max(fresh or 0, head_seq):
            return VerifyResult(False, checked, last, 1, int(beyond), "inserted", matched)
        edge = frontier.dump()
        if head_edge is not None and head_edge != edge:
            return VerifyResult(
                False,
                checked,
                last,
                1,
                None,
                "head_row",
                matched,
                "审计日志链头记录（audit_head）中的默克尔树右边界与条目不符：链头被改动",
            )
        return VerifyResult(True, checked, last, 1, heads=matched, edge=edge)

    @staticmethod
    def restore_edge(session: Session, result: VerifyResult) -> bool:
        """After a clean `verify`, store the tree's right edge where it is missing (a database
        from before the tree, or an edge that could not be read), if no entry came since."""
        if not result.ok or result.edge is None:
            return False
        done = session.execute(
            update(_head)
            .where(_head.c.id == HEAD_ID, _head.c.seq == result.last_id, _head.c.frontier.is_(None))
            .values(frontier=result.edge)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def leaves(self, session: Session, size: int, batch: int = 50_000) -> list[bytes]:
        """The leaf hashes of the first `size` entries, from their stored hashes (proofs are
        made from these; `verify` recomputes them from the fields)."""
        events = table_of(AuditEvent)
        found: list[bytes] = []
        after = 0
        while len(found) < size:
            rows = session.execute(
                select(events.c.id, events.c.hash)
                .where(events.c.id > after, events.c.id <= size)
                .order_by(events.c.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            found.extend(entry_leaf(row.hash) for row in rows)
            after = rows[-1].id
        return found

    @staticmethod
    def count(session: Session) -> int:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _head_problem(note: str) -> VerifyResult:
    return VerifyResult(False, 0, 0, 1, None, "heads", 0, note)


def readers_of(session: Session, subject_key: str, tag: AuditTag, *, role: Role) -> list[str]:
    """The usernames of the accounts of `role` with an entry `tag` about `subject_key`: who
    received a subject's information, for telling them of a correction (HLJ 39 ¶3). Sorted;
    entries without a username are left out."""
    names = session.scalars(
        select(AuditEvent.actor_username)
        .distinct()
        .where(
            AuditEvent.subject_key == subject_key,
            AuditEvent.actor_role == role.value,
            AuditEvent.action == tag,
        )
    )
    return sorted(name for name in names if name)
