"""How long a writer waits for its turn, and what it is told when it may not wait longer: the
SQLite write gate (this process's writers queue on a lock instead of SQLite's busy handler), a
PostgreSQL transaction's lock timeout, and the longer wait of work that has already committed
part of itself (`patient_writes`). A writer refused is refused with `Busy` (an HTTP 503) before
it has written anything. `db.make_engine` installs these on every engine it makes."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, Engine, event

from xinyong.common.errors import Busy

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_GATES: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_GATE_WAITS: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()

#: How long work that has already committed part of itself (an ingestion whose batch is open:
#: `patient_writes`) waits for its turn to write: long enough for any queue of short writers,
#: so that work a client was told was accepted is finished, not abandoned half done.
PATIENT_WAIT_SECONDS = 600.0
_PATIENT: ContextVar[bool] = ContextVar("xinyong_patient_writes", default=False)


@contextmanager
def patient_writes() -> Iterator[None]:
    """Inside this block (in this thread or context), writers wait for their turn (the SQLite
    write gate, a PostgreSQL row lock) up to PATIENT_WAIT_SECONDS instead of the platform's
    bounded wait: for the later transactions of work whose first one has committed."""
    token = _PATIENT.set(True)
    try:
        yield
    finally:
        _PATIENT.reset(token)


def write_gate(engine: Engine) -> threading.Lock | None:
    """The lock this process's writers to a SQLite engine queue on (None for PostgreSQL)."""
    return _GATES.get(engine)


_HOLDS = "xinyong_write_gate"


def _take_gate(gate: threading.Lock, wait: float, info: dict[str, Any]) -> None:
    """Wait at most `wait` seconds (PATIENT_WAIT_SECONDS in `patient_writes`) for the gate, then
    refuse with `Busy`: the transaction has written nothing yet, so the whole request can be
    refused and retried. (A connection in the same thread that already holds the gate would
    otherwise wait for itself forever.)"""
    patient = _PATIENT.get()
    if not gate.acquire(timeout=PATIENT_WAIT_SECONDS if patient else wait):
        if patient:  # part of the work has committed: say so
            raise Busy("db.write_busy_partial", "平台写入繁忙，工作未能完成，已提交部分见回执")
        raise Busy("db.write_busy", "平台写入繁忙，本次请求未执行任何写入，请稍后重试")
    info[_HOLDS] = True


def hold_write_gate(connection: Connection) -> None:
    """Take the write gate for `connection`'s transaction, as its first write through
    `Connection.execute` would: for writes made on the driver's cursor (PreparedWrite)."""
    gate = _GATES.get(connection.engine)
    if gate is not None and not connection.info.get(_HOLDS):
        _take_gate(gate, _GATE_WAITS[connection.engine], connection.info)


def gate_sqlite_writers(engine: Engine, wait: float) -> None:
    """Queue this process's SQLite writers on a lock instead of SQLite's busy handler.

    SQLite admits one writer at a time; a blocked writer polls with sleeps of up to 100 ms, so
    concurrent requests that each append an audit entry spent most of their time asleep. A
    connection takes the gate before its first write and gives it back when its transaction
    ends; waiters wake as soon as it is free. A writer waits at most `wait` seconds and is then
    refused (`Busy`, an HTTP 503), before it has written anything. Other processes (the CLI,
    jobs) still meet SQLite's own lock and busy timeout."""
    gate = _GATES[engine] = threading.Lock()
    _GATE_WAITS[engine] = wait

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if conn.info.get(_HOLDS) or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        _take_gate(gate, wait, conn.info)

    def release(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS, False):
            gate.release()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", lambda conn: release(conn.info))
    event.listen(engine, "rollback", lambda conn: release(conn.info))
    event.listen(engine.pool, "reset", lambda dbapi, record, state: release(record.info))
    event.listen(engine.pool, "close", lambda dbapi, record: release(record.info))


def patient_transactions(engine: Engine) -> None:
    """On PostgreSQL, a transaction begun in `patient_writes` waits for row locks up to
    PATIENT_WAIT_SECONDS instead of the connection's `lock_timeout`."""

    def begin(conn: Connection) -> None:
        if _PATIENT.get():  # on the driver's cursor: psycopg begins the transaction with it
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(f"SET LOCAL lock_timeout = {int(PATIENT_WAIT_SECONDS * 1000)}")
            finally:
                cursor.close()

    event.listen(engine, "begin", begin)
