"""The audit log: append-only and hash-chained.

Each entry's hash covers its fields and the previous entry's hash; entry numbers come from a
locked head row, so they have no gaps. `verify` walks the chain and names the first entry that
was edited, deleted or inserted. Checkpoints sign (HMAC, key kept outside the database) the hash
at an entry, so a routine verification starts from the newest checkpoint instead of entry 1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import orjson
import psycopg
from sqlalchemy import Connection, Dialect, Integer, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from xinyong.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from xinyong.common.clock import Clock
from xinyong.common.roles import Actor
from xinyong.db import CopyWrite, PreparedWrite, table_of

GENESIS = "0" * 64
HEAD_ID = 1

_head = table_of(AuditHead)
_INSERT_EVENT = insert(table_of(AuditEvent))

# Prebuilt statements run on the driver's cursor (db.PreparedWrite): an append sits on every
# read and write path, on both the sync connections and an event loop's own PostgreSQL one.
_EVENT_KEYS = [column.key for column in table_of(AuditEvent).columns]  # all: an entry sets each
_NEXT_SEQS = PreparedWrite(
    update(_head)
    .where(_head.c.id == HEAD_ID)
    .values(seq=_head.c.seq + bindparam("n", type_=Integer))
    .returning(_head.c.seq, _head.c.last_hash)
)
_ASYNC_HEAD = PreparedWrite(
    postgresql.insert(_head).on_conflict_do_nothing(), ["id", "seq", "last_hash"]
)
_INSERT_EVENTS = PreparedWrite(_INSERT_EVENT, _EVENT_KEYS)
_COPY_EVENTS = CopyWrite(table_of(AuditEvent), _EVENT_KEYS)  # batches on PostgreSQL
_SET_LAST_HASH = PreparedWrite(
    update(_head).where(_head.c.id == HEAD_ID).values(last_hash=bindparam("new_hash"))
)
_CHECKPOINT = PreparedWrite(
    insert(table_of(AuditCheckpoint)), ["upto_id", "hash", "mac", "created_at"]
)


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
    values = {"id": HEAD_ID, "seq": 0, "last_hash": GENESIS}
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(AuditHead).values(values).on_conflict_do_nothing())
    else:
        conn.execute(sqlite.insert(AuditHead).values(values).on_conflict_do_nothing())


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    last_id: int
    started_at: int
    bad_id: int | None = None
    problem: str | None = None  # edited | deleted | inserted | checkpoint

    @property
    def message(self) -> str:
        if self.ok:
            return (
                f"审计日志完整：自第{self.started_at}条起核验{self.checked}条，至第{self.last_id}条"
            )
        labels = {
            "edited": "被修改",
            "deleted": "被删除",
            "inserted": "被插入",
            "checkpoint": "检查点签名不符",
        }
        return f"审计日志第{self.bad_id}条{labels.get(self.problem or '', self.problem)}"


class AuditLog:
    def __init__(self, secret: str, checkpoint_every: int = 10_000) -> None:
        self._secret = secret.encode("utf-8")
        self.checkpoint_every = checkpoint_every

    def _mac(self, upto_id: int, hash_: str) -> str:
        return hmac.new(self._secret, f"{upto_id}:{hash_}".encode(), hashlib.sha256).hexdigest()

    def record(
        self,
        session: Session,
        *,
        clock: Clock,
        actor: Actor,
        action: str,
        **fields: Any,
    ) -> AuditEvent:
        """Append one entry inside the caller's transaction (it commits or rolls back with it).
        `fields`: object_type, object_id, subject_key, purpose, legal_basis, personal_read,
        detail (see `entry_values`)."""
        values = entry_values(clock, actor, action, **fields)
        self.append(session, [values])
        return AuditEvent(**values)

    def append(self, target: Session | Connection, entries: list[dict[str, Any]]) -> None:
        """Chain `entries` (from `entry_values`) onto the log in the caller's transaction: one
        head update for the whole batch, numbers without gaps, each hash over the previous."""
        if not entries:
            return
        conn = target.connection() if isinstance(target, Session) else target
        rows = _NEXT_SEQS.run_sync(conn, {"n": len(entries)})
        if not rows:  # a new database
            ensure_head(conn)
            rows = _NEXT_SEQS.run_sync(conn, {"n": len(entries)})
        last, prev = int(rows[0][0]), str(rows[0][1])
        first = last - len(entries) + 1
        prev = self._chain(entries, first, prev)
        if len(entries) > 1 and conn.dialect.name == "postgresql":
            _COPY_EVENTS.run_sync(conn, entries)
        else:
            _INSERT_EVENTS.run_sync(conn, entries)
        _SET_LAST_HASH.run_sync(conn, {"new_hash": prev})
        signed = self._to_sign(entries, first, last)
        if signed is not None:
            self._add_checkpoint(conn, signed["occurred_at"], signed["id"], signed["hash"])

    async def append_async(
        self, conn: psycopg.AsyncConnection[Any], dialect: Dialect, entries: list[dict[str, Any]]
    ) -> None:
        """`append` as a transaction of its own on an event loop's PostgreSQL connection
        (db.LoopConnections, in autocommit): the same numbering, chaining and checkpoints, in
        four exchanges with the server where statement by statement took six: BEGIN and the
        head's bump pipelined; the entries by COPY (two); the head's new hash, any checkpoint
        and COMMIT pipelined. On an error the transaction is left open, and LoopConnections
        closes the connection instead of keeping it, which rolls it back."""
        if not entries:
            return
        async with conn.cursor() as bump:
            async with conn.pipeline():
                await conn.execute("BEGIN")
                await _NEXT_SEQS.send(bump, dialect, {"n": len(entries)})
            rows = await bump.fetchall()
        if not rows:  # a new database: create the head, as `ensure_head` does
            await _ASYNC_HEAD.run(conn, dialect, {"id": HEAD_ID, "seq": 0, "last_hash": GENESIS})
            rows = await _NEXT_SEQS.run(conn, dialect, {"n": len(entries)})
        last, prev = int(rows[0][0]), str(rows[0][1])
        first = last - len(entries) + 1
        prev = self._chain(entries, first, prev)
        await _COPY_EVENTS.run(conn, dialect, entries)
        signed = self._to_sign(entries, first, last)
        async with conn.cursor() as cursor, conn.pipeline():
            await _SET_LAST_HASH.send(cursor, dialect, {"new_hash": prev})
            if signed is not None:
                upto, hash_ = signed["id"], signed["hash"]
                values = {"upto_id": upto, "hash": hash_, "mac": self._mac(upto, hash_)}
                values["created_at"] = signed["occurred_at"]
                await _CHECKPOINT.send(cursor, dialect, values)
            await conn.execute("COMMIT")

    @staticmethod
    def _chain(entries: list[dict[str, Any]], first: int, prev: str) -> str:
        """Number the entries from `first` and chain each onto the one before; the last hash."""
        for seq, values in enumerate(entries, start=first):
            values["id"], values["prev_hash"] = seq, prev
            values["hash"] = prev = entry_hash(SimpleNamespace(**values))
        return prev

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

    def verify(self, session: Session, *, full: bool = False, batch: int = 5000) -> VerifyResult:
        """Walk the chain. Routine runs start at the newest valid checkpoint; `full` from entry 1
        and also re-checks every checkpoint against the entry it signed."""
        checkpoints = list(
            session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.upto_id))
        )
        for cp in checkpoints:
            if not hmac.compare_digest(cp.mac, self._mac(cp.upto_id, cp.hash)):
                return VerifyResult(False, 0, 0, 0, bad_id=cp.upto_id, problem="checkpoint")
        head = session.get(AuditHead, HEAD_ID)
        head_seq = head.seq if head else 0
        head_hash = head.last_hash if head else GENESIS
        start_id, expected_prev = 1, GENESIS
        signed = {cp.upto_id: cp.hash for cp in checkpoints}
        if not full and checkpoints:
            cp = checkpoints[-1]
            start_id, expected_prev = cp.upto_id + 1, cp.hash
            anchor = session.get(AuditEvent, cp.upto_id)
            if anchor is None:
                return VerifyResult(False, 0, 0, cp.upto_id, bad_id=cp.upto_id, problem="deleted")
            if anchor.hash != cp.hash or entry_hash(anchor) != cp.hash:
                return VerifyResult(False, 0, 0, cp.upto_id, bad_id=cp.upto_id, problem="edited")
        expected_id, checked, last = start_id, 0, start_id - 1
        after = start_id - 1
        while True:
            rows = list(
                session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.id > after)
                    .order_by(AuditEvent.id)
                    .limit(batch)
                )
            )
            if not rows:
                break
            for event in rows:
                if event.id > head_seq:
                    return VerifyResult(False, checked, last, start_id, event.id, "inserted")
                if event.id != expected_id:
                    return VerifyResult(False, checked, last, start_id, expected_id, "deleted")
                if event.prev_hash != expected_prev:
                    problem = "inserted" if event.hash == entry_hash(event) else "edited"
                    return VerifyResult(False, checked, last, start_id, event.id, problem)
                if entry_hash(event) != event.hash:
                    return VerifyResult(False, checked, last, start_id, event.id, "edited")
                if event.id in signed and signed[event.id] != event.hash:
                    return VerifyResult(False, checked, last, start_id, event.id, "edited")
                expected_prev, expected_id, last = event.hash, event.id + 1, event.id
                checked += 1
            after = rows[-1].id
            session.expunge_all()
        if last < head_seq:
            return VerifyResult(False, checked, last, start_id, last + 1, "deleted")
        if head_seq and expected_prev != head_hash:
            return VerifyResult(False, checked, last, start_id, last, "edited")
        return VerifyResult(True, checked, last, start_id)

    @staticmethod
    def count(session: Session) -> int:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)
