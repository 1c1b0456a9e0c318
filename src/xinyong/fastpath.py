"""The fast path to the database, for the platform's busiest reads and its audit appends:
statements compiled once and run on the driver's cursor (PreparedRead, PreparedWrite, CopyWrite),
an event loop's own psycopg connections on PostgreSQL (LoopConnections: the async profile route
reads and audits without a worker thread), and one held connection per thread on embedded SQLite
(held_connection). Everything else goes through `db`'s engine and sessions (Core or the ORM)."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
from sqlalchemy import Connection, Dialect, Engine, Select, Table

from xinyong.write_gate import hold_write_gate

_Prepared = tuple[
    str,
    dict[str, Any],
    tuple[str, ...] | None,
    list[tuple[int, Any]],  # (column index, result processor)
    Callable[[Iterable[Any]], Any],
]


class PreparedRead:
    """A SELECT compiled once per dialect and run on the driver's cursor, each column passed
    through the result processor SQLAlchemy itself would apply (dates, booleans, UTC times):
    the rows `Connection.execute` gives, without its per-execution work (cache-key generation,
    events, result metadata). For the platform's busiest reads; everything else uses Core or
    the ORM."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Prepared] = {}

    def _prepare(self, dialect: Dialect) -> _Prepared:
        compiled = self.statement.compile(dialect=dialect)
        order = (
            tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        )
        processors = [  # (column index, processor), for the columns that have one
            (i, process)
            for i, column in enumerate(self.statement.selected_columns)
            if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
        ]
        names = list(self.statement.selected_columns.keys())
        row: Callable[[Iterable[Any]], Any] = namedtuple("PreparedRow", names)._make  # type: ignore[attr-defined]
        prepared = (compiled.string, dict(compiled.params), order, processors, row)
        self._compiled[dialect.name] = prepared
        return prepared

    def _get(self, dialect: Dialect) -> _Prepared:
        return self._compiled.get(dialect.name) or self._prepare(dialect)

    @staticmethod
    def _bound(prepared: _Prepared, params: dict[str, Any]) -> Any:
        _sql, constants, order, _processors, _row = prepared
        values = constants | params  # parameters go as given: strings and numbers
        return tuple(values[name] for name in order) if order else values

    @staticmethod
    def _rows(prepared: _Prepared, raw: Iterable[Any]) -> list[Any]:
        processors, row = prepared[3], prepared[4]
        rows = []
        for fetched in raw:
            if processors:
                fetched = list(fetched)
                for i, process in processors:
                    fetched[i] = process(fetched[i])
            rows.append(row(fetched))
        return rows

    def all(self, connection: Connection, params: dict[str, Any]) -> list[Any]:
        """The rows for `params`, on an open connection (its transaction, if any)."""
        prepared = self._get(connection.dialect)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(prepared[0], self._bound(prepared, params))
            raw = cursor.fetchall()
        finally:
            cursor.close()
        return self._rows(prepared, raw)

    async def all_async(
        self, connection: psycopg.AsyncConnection[Any], dialect: Dialect, params: dict[str, Any]
    ) -> list[Any]:
        """The same rows on an event loop's own PostgreSQL connection (`loop_connections`);
        `dialect` is the sync engine's, whose SQL and processors psycopg's async side shares."""
        prepared = self._get(dialect)
        async with connection.cursor() as cursor:
            await cursor.execute(prepared[0], self._bound(prepared, params))
            raw = await cursor.fetchall()
        return self._rows(prepared, raw)


class PreparedWrite:
    """An INSERT or UPDATE compiled once per dialect for the given parameter names, run on the
    driver's cursor: each parameter passes through the bind processor SQLAlchemy would apply,
    and a list of parameter sets goes as one executemany (on PostgreSQL psycopg pipelines it:
    one round trip). For the audit log's appends, which sit on every read and write path;
    `Connection.execute` spent more per row building parameters than SQLite spent storing it."""

    def __init__(self, statement: Any, keys: Iterable[str] = ()) -> None:
        self.statement, self.keys = statement, list(keys)
        self._compiled: dict[
            str, tuple[str, dict[str, Any], dict[str, Any], tuple[str, ...] | None]
        ] = {}

    def _get(
        self, dialect: Dialect
    ) -> tuple[str, dict[str, Any], dict[str, Any], tuple[str, ...] | None]:
        prepared = self._compiled.get(dialect.name)
        if prepared is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.keys or None)
            processors = {
                name: process
                for name, bind in compiled.binds.items()
                if (process := bind.type.dialect_impl(dialect).bind_processor(dialect))
            }
            order = (
                tuple(compiled.positiontup)
                if compiled.positional and compiled.positiontup
                else None
            )
            prepared = self._compiled[dialect.name] = (
                compiled.string,
                dict(compiled.params),
                processors,
                order,
            )
        return prepared

    def _binder(self, dialect: Dialect) -> tuple[str, Callable[[dict[str, Any]], Any]]:
        sql, constants, processors, order = self._get(dialect)

        def bound(values: dict[str, Any]) -> Any:
            values = constants | values
            for name, process in processors.items():
                if name in values:
                    values[name] = process(values[name])
            return tuple(values[name] for name in order) if order else values

        return sql, bound

    def run_sync(
        self, connection: Connection, params: dict[str, Any] | list[dict[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """Execute on `connection`'s driver connection, in its transaction; the rows it returns
        (RETURNING), or none."""
        sql, bound = self._binder(connection.dialect)
        hold_write_gate(connection)  # the driver's cursor passes no execute events
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if isinstance(params, list):
                cursor.executemany(sql, [bound(values) for values in params])
                return []
            cursor.execute(sql, bound(params))
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        finally:
            cursor.close()

    async def run(
        self,
        connection: psycopg.AsyncConnection[Any],
        dialect: Dialect,
        params: dict[str, Any] | list[dict[str, Any]],
    ) -> list[tuple[Any, ...]]:
        """Execute on an event loop's own PostgreSQL connection; the rows it returns, or none."""
        sql, bound = self._binder(dialect)
        async with connection.cursor() as cursor:
            if isinstance(params, list):
                await cursor.executemany(sql, [bound(values) for values in params])
                return []
            await cursor.execute(sql, bound(params))
            return await cursor.fetchall() if cursor.description else []

    async def send(
        self, cursor: psycopg.AsyncCursor[Any], dialect: Dialect, params: dict[str, Any]
    ) -> None:
        """Execute on `cursor` without fetching: in a pipeline (`connection.pipeline()`) the
        statement is queued, and its rows are the cursor's once the pipeline has synced."""
        sql, bound = self._binder(dialect)
        await cursor.execute(sql, bound(params))


class CopyWrite:
    """Rows of one table written by PostgreSQL's COPY on the driver's cursor, each value passed
    through the bind processor SQLAlchemy would apply. For the audit log's batches on a database
    server: measured here (/tmp script, batches of 20 entries in a transaction) COPY cost about
    30 us of client CPU per entry where psycopg's pipelined executemany cost about 64."""

    def __init__(self, table: Table, keys: Iterable[str]) -> None:
        self.table, self.keys = table, list(keys)
        self._prepared: dict[str, tuple[str, list[Any]]] = {}

    def _get(self, dialect: Dialect) -> tuple[str, list[Any]]:  # (COPY, bind processors)
        prepared = self._prepared.get(dialect.name)
        if prepared is None:
            quote = dialect.identifier_preparer.quote
            columns = ", ".join(quote(self.table.c[key].name) for key in self.keys)
            sql = f"COPY {quote(self.table.name)} ({columns}) FROM STDIN"
            processors = [
                self.table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
                for key in self.keys
            ]
            prepared = self._prepared[dialect.name] = (sql, processors)
        return prepared

    def _rows(self, dialect: Dialect, params: list[dict[str, Any]]) -> Iterator[list[Any]]:
        _sql, processors = self._get(dialect)
        keys = self.keys
        for values in params:
            row = [values[key] for key in keys]
            for i, process in enumerate(processors):
                if process is not None:
                    row[i] = process(row[i])
            yield row

    async def run(
        self,
        connection: psycopg.AsyncConnection[Any],
        dialect: Dialect,
        params: list[dict[str, Any]],
    ) -> None:
        """Write `params` (one dict per row, every key given) in the connection's transaction."""
        async with connection.cursor() as cursor, cursor.copy(self._get(dialect)[0]) as copy:
            for row in self._rows(dialect, params):
                await copy.write_row(row)

    def run_sync(self, connection: Connection, params: list[dict[str, Any]]) -> None:
        """The same on a sync connection to PostgreSQL, in its transaction."""
        raw = connection.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(self._get(connection.dialect)[0]) as copy:  # type: ignore[union-attr]
            for row in self._rows(connection.dialect, params):
                copy.write_row(row)


#: Settings of the loop's connections, which serve only short indexed reads and read audits:
#: no parallel workers and no JIT. With them, the batched profile read (many subjects at once,
#: sharing/reads.py) was planned as a parallel scan and JIT-compiled, 150 ms instead of 1.
LOOP_CONNECTION_OPTIONS = "-c max_parallel_workers_per_gather=0 -c jit=off"


class LoopConnections:
    """PostgreSQL connections of one event loop, in autocommit, for the reads and read audits
    that async endpoints make on a database server: awaited on the loop itself, so no worker
    thread competes with the loop for the GIL, and without SQLAlchemy's pool and async adapter
    (measured here: 70 us per small query raw, 270 us through `create_async_engine`). At most
    `size` are open; a connection that errs or is left in a transaction is closed, not kept."""

    def __init__(self, conninfo: str, size: int) -> None:
        self._conninfo = conninfo
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots = asyncio.Semaphore(size)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                conn = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, options=LOOP_CONNECTION_OPTIONS
                )
            healthy = False
            try:
                yield conn
                healthy = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            except psycopg.OperationalError:  # the server went away: the idle ones went too
                await self.close()
                raise
            finally:
                if healthy:
                    self._idle.append(conn)
                else:
                    await conn.close()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()


_LOOP_CONNECTIONS: weakref.WeakKeyDictionary[
    Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopConnections]
] = weakref.WeakKeyDictionary()
LOOP_CONNECTIONS_SIZE = 20


def loop_connections(engine: Engine) -> LoopConnections:
    """The running loop's connections to `engine`'s PostgreSQL database."""
    loop = asyncio.get_running_loop()
    per_loop = _LOOP_CONNECTIONS.get(engine)
    if per_loop is None:  # (not setdefault: its default would be built on every call)
        per_loop = _LOOP_CONNECTIONS[engine] = weakref.WeakKeyDictionary()
    connections = per_loop.get(loop)
    if connections is None:
        url = engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        connections = per_loop[loop] = LoopConnections(conninfo, LOOP_CONNECTIONS_SIZE)
    return connections


async def close_loop_connections(engine: Engine) -> None:
    """Close the running loop's idle connections to `engine` (the app's shutdown)."""
    per_loop = _LOOP_CONNECTIONS.get(engine)
    connections = per_loop.pop(asyncio.get_running_loop(), None) if per_loop else None
    if connections is not None:
        await connections.close()


_HELD: weakref.WeakKeyDictionary[Engine, threading.local] = weakref.WeakKeyDictionary()
HELD_CHECKPOINT_PAGES = 10_000  # 40 MB of WAL at 4 KB pages


@contextmanager
def held_connection(engine: Engine) -> Iterator[Connection]:
    """One connection per engine and thread, kept open between uses, for the reads an event
    loop makes on embedded SQLite, where taking a connection from the pool and giving it back
    cost as much as the read itself. Whatever transaction its user began is rolled back after
    each use, so every use sees what has been committed (SQLite begins no transaction for a
    bare SELECT). On SQLite its commits (the loop's read audits, many small ones) checkpoint
    the WAL every HELD_CHECKPOINT_PAGES pages instead of SQLite's 1,000: a page the audit
    index rewrites in commit after commit is copied back once per checkpoint, and the loop,
    which runs the checkpoint, pays for it a tenth as often (`journal_size_limit` then cuts the
    WAL file back, so it stays bounded)."""
    local = _HELD.get(engine)
    if local is None:  # (not setdefault: its default would be built on every call)
        local = _HELD[engine] = threading.local()
    conn: Connection | None = getattr(local, "connection", None)
    if conn is None or conn.closed or conn.invalidated:
        conn = local.connection = engine.connect()
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={HELD_CHECKPOINT_PAGES}")
            conn.commit()
    try:
        yield conn
    finally:
        if conn.in_transaction():
            conn.rollback()
