"""Group commit for the audit entries of reads.

A read (a profile, a report) must be on the log before its answer leaves the platform, but it
changes nothing else, so its entry need not share a transaction with anything. Three ways in:
- `write_on_loop` (async endpoints on embedded SQLite): the entries queued during one turn of the
  event loop are chained into one transaction after that turn;
- `write_async` (async endpoints on a database server): on the loop's own connection
  (fastpath.LoopConnections), one transaction at a time per loop; the entries queued while one
  commits go together in the next;
- `submit` (any thread): one writer thread per process chains whatever has queued up into one
  transaction and resolves each reader's future;
- `write` (sync callers in worker threads): the entry's own short transaction.
Each reader gets its entry's number only once the transaction holding it has committed, or the
error, so no answer goes out unaudited. Each way holds the log's head row only inside its own
short transaction, never across an await or a thread hop; a tree head due by the cadence
(`AuditLog.head_every`) is signed and written out once that transaction has committed.

A read audited inside a transaction that also writes uses `ctx.log` (appended at that
transaction's commit, with its writes), never these.
"""

from __future__ import annotations

import asyncio
import queue
import sys
import threading
from concurrent.futures import Future
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from xinyong.audit.service import AuditLog
from xinyong.common.clock import Clock
from xinyong.fastpath import held_connection, loop_connections
from xinyong.write_gate import write_gate


def _chain(source: Future[int], target: asyncio.Future[int]) -> None:
    """Resolve an event loop's future from a thread's future, on that loop."""
    loop = target.get_loop()

    def copy(done: Future[int]) -> None:
        error = done.exception()
        if error is not None:
            loop.call_soon_threadsafe(target.set_exception, error)
        else:
            loop.call_soon_threadsafe(target.set_result, done.result())

    source.add_done_callback(copy)


_Item = tuple[dict[str, Any], "Future[int]"]
_LoopItem = tuple[dict[str, Any], "asyncio.Future[int]"]


def _settle(batch: list[_LoopItem], error: Exception | None) -> None:
    """Give each reader of a committed batch its entry's number, or the batch's error. A
    reader whose request was cancelled meanwhile is skipped, not allowed to fail the rest."""
    for values, future in batch:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(int(values["id"]))


class ReadAuditWriter:
    def __init__(
        self, engine: Engine, log: AuditLog, *, max_batch: int = 500, idle_seconds: float = 5.0
    ) -> None:
        self._engine, self._log = engine, log
        self._max_batch, self._idle = max_batch, idle_seconds
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._on_loop: dict[asyncio.AbstractEventLoop, list[_LoopItem]] = {}
        self._async_pending: dict[asyncio.AbstractEventLoop, list[_LoopItem]] = {}
        self._async_flushes: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}

    def submit(self, values: dict[str, Any]) -> Future[int]:
        """Queue one entry (from `entry_values`); the future gives its number once committed."""
        future: Future[int] = Future()
        self._queue.put((values, future))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="xinyong-read-audit", daemon=True
                )
                self._thread.start()
        return future

    def write(self, values: dict[str, Any]) -> int:
        """For a caller in a worker thread: its own short transaction, in this thread (a hand-off
        to the writer thread would cost more than it saves when the caller blocks anyway)."""
        return self.write_all([values])[0]

    def write_all(self, entries: list[dict[str, Any]]) -> list[int]:
        """`write` for the several entries one answer makes (a page showing several persons):
        one short transaction, committed before the caller answers."""
        if not entries:
            return []
        with self._engine.begin() as conn:
            due = self._log.append(conn, entries)
        self._log.publish(due)
        return [int(values["id"]) for values in entries]

    async def write_on_loop(self, values: dict[str, Any]) -> int:
        """For embedded SQLite: the entries queued in one turn of the event loop are committed
        together, on the loop, after that turn's other requests have been served. When another
        thread of this process holds the write gate (an ingestion, say), the batch goes to the
        writer thread instead, so the loop never waits on it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        batch = self._on_loop.setdefault(loop, [])
        batch.append((values, future))
        if len(batch) == 1:
            loop.call_soon(self._flush_on_loop, loop)
        return await future

    def _flush_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._on_loop.pop(loop, [])
        gate = write_gate(self._engine)
        if gate is not None and gate.locked():
            for values, future in batch:
                _chain(self.submit(values), future)
            return
        try:  # on the loop thread's held connection: its own commits leave the data version
            # (and so the public answers kept with it, sharing/reads.py) as they were
            with held_connection(self._engine) as conn, conn.begin():
                due = self._log.append(conn, [values for values, _ in batch])
        except Exception as exc:  # every reader of the batch fails with it
            _settle(batch, exc)
            return
        _settle(batch, None)
        self._log.publish(due)

    async def write_async(self, values: dict[str, Any]) -> int:
        """For a database server: the entry joins the loop's next transaction. One transaction
        is in flight per loop; whatever queues while it commits is the next one's batch."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._async_pending.setdefault(loop, []).append((values, future))
        if loop not in self._async_flushes:
            self._async_flushes[loop] = loop.create_task(self._flush_async(loop))
        return await future

    async def _flush_async(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while batch := self._async_pending.pop(loop, []):
                try:
                    entries = [values for values, _ in batch]
                    connections = loop_connections(self._engine)
                    async with connections.connection() as conn:  # its own transaction
                        due = await self._log.append_async(conn, self._engine.dialect, entries)
                except Exception as exc:  # every reader of the batch fails with it
                    _settle(batch, exc)
                    continue
                _settle(batch, None)
                self._log.publish(due)
        finally:
            del self._async_flushes[loop]

    def _run(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=self._idle)]
            except queue.Empty:
                with self._lock:  # `submit` queues before it looks at the thread
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with self._engine.begin() as conn:
                    due = self._log.append(conn, [values for values, _ in batch])
            except BaseException as exc:  # every reader of the batch fails with it
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for values, future in batch:
                future.set_result(int(values["id"]))
            self._log.publish(due)


async def sign_heads_every(
    sessions: sessionmaker[Session], log: AuditLog, clock: Clock, seconds: float
) -> None:
    """Sign a tree head every `seconds` while the server runs (none when the log has not
    grown), in a worker thread: on a quiet platform the entries since the last head (the
    cadence is `head_every` entries) are signed within minutes, so cutting off the newest
    entries is found too. Runs until cancelled (the app's shutdown)."""

    def sign() -> None:
        with sessions() as session:
            log.sign_head(session, clock)

    while True:
        await asyncio.sleep(seconds)
        try:
            await anyio.to_thread.run_sync(sign)
        except Exception as exc:  # a failed head is retried at the next turn
            print(f"审计树头签署失败：{exc}", file=sys.stderr)
