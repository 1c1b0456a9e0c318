"""Engine, sessions and the declarative Base. SQLite (WAL) for the embedded database,
PostgreSQL in production; one schema, one migration chain. How writers wait for their turn is
`write_gate`; the fast path for the busiest reads and the audit appends is `fastpath`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from xinyong.write_gate import PATIENT_WAIT_SECONDS, gate_sqlite_writers, patient_transactions

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes stored as UTC; SQLite gives them back aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_size_limit=67108864")  # a WAL restarted is cut to 64 MB
    cursor.close()


def make_engine(
    url: str, *, threads: int = 40, wait_seconds: float | None = None, **kwargs: Any
) -> Engine:
    """The engine for `url`, sized for `threads` worker threads (the threadpool that runs sync
    routes), whose writers wait at most `wait_seconds` for their turn (the SQLite write gate, a
    PostgreSQL row lock, a pooled connection) and are then refused with a 503. Without
    `wait_seconds` (migrations, test fixtures) writers wait as `patient_writes` do and
    PostgreSQL's own lock_timeout applies.

    Each worker thread may hold two connections at once (a request's session, and a read's
    audit entry or a look-up in its own transaction), and the loop and the audit writer thread
    hold their own: a pool smaller than that made threads wait on each other for connections
    (SQLAlchemy's default of 5 + 10 answered "QueuePool limit ... reached" under 100 clients)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        memory = not path or path == ":memory:"
        if not memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # a connection to a file is a file handle: enough for every thread, twice
            pool: dict[str, Any] = {"pool_size": 2 * threads + 10, "max_overflow": threads}
            if wait_seconds is not None:
                pool["pool_timeout"] = wait_seconds
            kwargs = pool | kwargs
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        gate_sqlite_writers(engine, PATIENT_WAIT_SECONDS if wait_seconds is None else wait_seconds)
        return engine
    # Async endpoints read in worker threads: with SQLAlchemy's default pool of 5, most of them
    # opened and closed a connection of their own on every request. A database server's
    # connections are dearer (PostgreSQL's default max_connections is 100, shared): 20 kept,
    # and up to one more per thread while the threads need them, and ten for the health probe,
    # the audit writer thread and a thread's occasional second connection.
    settings: dict[str, Any] = {"pool_size": min(20, threads), "max_overflow": threads + 10}
    if wait_seconds is not None:
        settings["pool_timeout"] = wait_seconds
        settings["connect_args"] = {"options": f"-c lock_timeout={int(wait_seconds * 1000)}"}
    engine = create_engine(url, pool_pre_ping=True, **(settings | kwargs))
    patient_transactions(engine)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


#: 64-bit keys on PostgreSQL; SQLite's INTEGER PRIMARY KEY is the 64-bit rowid already.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def table_of(model: type[Base]) -> Table:
    """A model's Table for Core statements (``__table__`` is typed as a mere FromClause)."""
    return cast(Table, model.__table__)


def create_utf8_database(server_url: str, name: str) -> str:
    """Create a PostgreSQL database whose ctype is UTF-8 (so that pg_trgm works on Chinese) and
    return its URL. For tests and benchmarks; production databases are created by their admins."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    if not name.isidentifier():
        raise ValueError(f"bad database name {name!r}")
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text(
                    f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
            )
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    from sqlalchemy import text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()
