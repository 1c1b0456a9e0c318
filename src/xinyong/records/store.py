"""The one owner of the `credit_records` table: every statement that writes a record's versions
is here, and the reads other domains need (a record by id, the current version of a natural
key, every version of one record, the 双公示 lists' rows).

A record is never overwritten or deleted: a change closes the current version (`is_current`
false, `superseded_at` set) and appends the next one. Ingestion appends in bulk (binary COPY on
PostgreSQL, executemany on SQLite); corrections, withdrawals and case outcomes supersede one
version at a time through the ORM. Who may do what, validation and audit entries stay in the
services that call these functions (ingest, records, cases, sharing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    Column,
    Integer,
    Select,
    Table,
    bindparam,
    case,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.db import table_of
from xinyong.records.models import CreditRecord

_records = table_of(CreditRecord)


class VersionKey(NamedTuple):
    """One version of one record by its natural key (versions never change once written)."""

    provider_code: str
    item_code: str
    record_key: str
    version: int


class OnVersions(Protocol):
    """Called with every version appended, in the transaction that appends it."""

    def __call__(self, session: Session, keys: list[VersionKey], now: dt.datetime) -> None: ...


#: Who must learn of every version written, in the same transaction: the exchange's outbox
#: (exchange/outbox.py registers itself when imported; xinyong.context imports it, so every
#: Context has it). Synthetic (demo) versions are not reported.
ON_VERSIONS: list[OnVersions] = []


def _report(session: Session, keys: list[VersionKey], now: dt.datetime) -> None:
    for listener in ON_VERSIONS:
        listener(session, keys, now)


# ---------------------------------------------------------------- reads


def get(session: Session, record_id: int) -> CreditRecord | None:
    """One version by its id (any version, current or not), None if there is none."""
    return session.get(CreditRecord, record_id)


def current(
    session: Session, provider_code: str, item_code: str, record_key: str
) -> CreditRecord | None:
    """The version of the record (provider_code, item_code, record_key) in force now."""
    return session.scalar(
        select(CreditRecord).where(
            CreditRecord.provider_code == provider_code,
            CreditRecord.item_code == item_code,
            CreditRecord.record_key == record_key,
            CreditRecord.is_current.is_(True),
        )
    )


def versions(
    session: Session, provider_code: str, item_code: str, record_key: str
) -> list[CreditRecord]:
    """Every version of one record, oldest first (empty if it has none)."""
    return list(
        session.scalars(
            select(CreditRecord)
            .where(
                CreditRecord.provider_code == provider_code,
                CreditRecord.item_code == item_code,
                CreditRecord.record_key == record_key,
            )
            .order_by(CreditRecord.version)
        )
    )


def version_ids(session: Session, record: CreditRecord) -> list[int]:
    """The ids of every version of `record`'s record (a list entry may rest on any of them)."""
    return list(
        session.scalars(
            select(CreditRecord.id).where(
                CreditRecord.provider_code == record.provider_code,
                CreditRecord.item_code == record.item_code,
                CreditRecord.record_key == record.record_key,
            )
        )
    )


def current_of_item(session: Session, item_code: str) -> list[CreditRecord]:
    """The current version of every record of one catalog item (e.g. the court debtors)."""
    return list(
        session.scalars(
            select(CreditRecord).where(
                CreditRecord.item_code == item_code, CreditRecord.is_current.is_(True)
            )
        )
    )


def public_rows(
    session: Session,
    item_code: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    subject_keys: Select[str] | None = None,
    offset: int = 0,
    limit: int,
) -> list[CreditRecord]:
    """The 双公示 lists' candidates: current, active versions of one item, newest decision
    first, optionally decided within [since, until] and of the subjects `subject_keys` selects.
    Each row must still pass the visibility engine before it is shown."""
    query = (
        select(CreditRecord)
        .where(
            CreditRecord.item_code == item_code,
            CreditRecord.is_current.is_(True),
            CreditRecord.state == "active",
        )
        .order_by(CreditRecord.decided_on.desc(), CreditRecord.id.desc())
    )
    return list(
        session.scalars(
            _public_filters(query, since, until, subject_keys).offset(offset).limit(limit)
        )
    )


def _public_filters(
    query: Select[Any],
    since: dt.date | None,
    until: dt.date | None,
    subject_keys: Select[str] | None,
) -> Select[Any]:
    if since:
        query = query.where(CreditRecord.decided_on >= since)
    if until:
        query = query.where(CreditRecord.decided_on <= until)
    if subject_keys is not None:
        query = query.where(CreditRecord.subject_key.in_(subject_keys))
    return query


def count_public_rows(
    session: Session,
    item_code: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    subject_keys: Select[str] | None = None,
) -> int:
    """How many candidates `public_rows` pages through (a list page's total)."""
    query = select(func.count()).where(
        CreditRecord.item_code == item_code,
        CreditRecord.is_current.is_(True),
        CreditRecord.state == "active",
    )
    return int(session.scalar(_public_filters(query, since, until, subject_keys)) or 0)


def arrivals_by_item(
    session: Session,
    provider_code: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[tuple[str, int, int]]:
    """Per catalog item of one provider: (item, first versions whose arrival was judged, how
    many of them were late), recorded within [start, end) if given."""
    late = func.sum(case((CreditRecord.late.is_(True), 1), else_=0)).cast(Integer)
    query = (
        select(CreditRecord.item_code, func.count(), late)
        .where(
            CreditRecord.provider_code == provider_code,
            CreditRecord.version == 1,
            CreditRecord.late.is_not(None),
        )
        .group_by(CreditRecord.item_code)
        .order_by(CreditRecord.item_code)
    )
    if start is not None:
        query = query.where(CreditRecord.recorded_at >= start)
    if end is not None:
        query = query.where(CreditRecord.recorded_at < end)
    return [
        (item_code, int(total), int(late_count or 0))
        for item_code, total, late_count in session.execute(query)
    ]


class CurrentVersion(NamedTuple):
    """What ingestion needs of a record's current version to decide unchanged/update."""

    id: int
    payload_hash: str
    version: int


_CURRENT = select(
    _records.c.record_key, _records.c.id, _records.c.payload_hash, _records.c.version
).where(
    _records.c.provider_code == bindparam("provider"),
    _records.c.item_code == bindparam("item"),
    _records.c.is_current.is_(True),
    _records.c.record_key.in_(bindparam("keys", expanding=True)),
)
# PostgreSQL: one index probe per key (LATERAL ... LIMIT 1), whatever the statistics say. A plain
# join or `= ANY(...)` lets the planner hash every record of the item per chunk: quadratic in
# the size of the item, measured at 500 ms per 2,000-row chunk with 15,000 records.
_CURRENT_PG = text(
    "SELECT k.key, r.id, r.payload_hash, r.version"
    " FROM unnest(CAST(:keys AS text[])) AS k(key)"
    " CROSS JOIN LATERAL (SELECT c.id, c.payload_hash, c.version FROM credit_records c"
    "  WHERE c.provider_code = :provider AND c.item_code = :item AND c.record_key = k.key"
    "  AND c.is_current LIMIT 1) AS r"
)


def current_versions(
    session: Session, provider_code: str, item_code: str, record_keys: Collection[str]
) -> dict[str, CurrentVersion]:
    """The current version of each of `record_keys` that has one, by key: one query per call
    (one index probe per key)."""
    if not record_keys:
        return {}
    connection = session.connection()
    statement = _CURRENT_PG if connection.dialect.name == "postgresql" else _CURRENT
    return {
        key: CurrentVersion(rid, digest, version)
        for key, rid, digest, version in connection.execute(
            statement, {"provider": provider_code, "item": item_code, "keys": list(record_keys)}
        )
    }


# ---------------------------------------------------------------- writes

_CLOSE = (
    update(_records)
    .where(_records.c.id.in_(bindparam("ids", expanding=True)))
    .values(is_current=False, superseded_at=bindparam("now"), valid_to=bindparam("today"))
)
_INSERT = insert(_records)
#: Every column but the id, in table order: the columns of an appended version.
COLUMNS = [c.name for c in _records.columns if c.name != "id"]


class HeldVersion(NamedTuple):
    """What the exchange needs of a record's current version to apply a received one."""

    id: int
    version: int
    payload_hash: str
    state: str
    origin_platform: str | None
    origin_version: int | None


# The same probe for the exchange: without it a table filled faster than autovacuum analyzes it
# (a first load) had the planner scan every record of the item per message: 792 ms for 50 keys
# among 96,000 records, 0.1 ms once analyzed or probed (bench/README.md, issue 17).
_HELD_PG = text(
    "SELECT k.key, r.id, r.version, r.payload_hash, r.state, r.origin_platform, r.origin_version"
    " FROM unnest(CAST(:keys AS text[])) AS k(key)"
    " CROSS JOIN LATERAL (SELECT c.id, c.version, c.payload_hash, c.state, c.origin_platform,"
    "  c.origin_version FROM credit_records c"
    "  WHERE c.provider_code = :provider AND c.item_code = :item AND c.record_key = k.key"
    "  AND c.is_current LIMIT 1) AS r"
)


def held_versions(
    session: Session, provider_code: str, item_code: str, record_keys: Collection[str]
) -> dict[str, HeldVersion]:
    """The current version of each of `record_keys` that has one, with its origin."""
    if not record_keys:
        return {}
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # one index probe per key, as current_versions
        return {
            row[0]: HeldVersion(*row[1:])
            for row in connection.execute(
                _HELD_PG,
                {"provider": provider_code, "item": item_code, "keys": list(record_keys)},
            )
        }
    c = _records.c
    query = select(
        c.record_key,
        c.id,
        c.version,
        c.payload_hash,
        c.state,
        c.origin_platform,
        c.origin_version,
    ).where(
        c.provider_code == provider_code,
        c.item_code == item_code,
        c.is_current.is_(True),
        c.record_key.in_(list(record_keys)),
    )
    return {row[0]: HeldVersion(*row[1:]) for row in session.execute(query)}


def versions_by_key(
    session: Session, keys: Collection[VersionKey]
) -> dict[VersionKey, CreditRecord]:
    """The versions named by natural key and version number (what the outbox names)."""
    if not keys:
        return {}
    found: dict[VersionKey, CreditRecord] = {}
    by_item: dict[tuple[str, str], list[VersionKey]] = {}
    for k in keys:
        by_item.setdefault((k.provider_code, k.item_code), []).append(k)
    for (provider, item), group in by_item.items():
        wanted = {(k.record_key, k.version) for k in group}
        query = select(CreditRecord).where(
            CreditRecord.provider_code == provider,
            CreditRecord.item_code == item,
            CreditRecord.record_key.in_({k.record_key for k in group}),
        )
        for record in session.scalars(query):
            if (record.record_key, record.version) in wanted:
                found[VersionKey(provider, item, record.record_key, record.version)] = record
    return found


def pg_binary_type(column: Column[Any]) -> str:
    """The PostgreSQL type name psycopg needs to write a column in binary COPY."""
    compiled = column.type.compile(dialect=postgresql.dialect()).lower()  # type: ignore[no-untyped-call]
    for prefix, name in (
        ("varchar", "text"),
        ("text", "text"),
        ("bigint", "int8"),
        ("integer", "int4"),
        ("boolean", "bool"),
        ("date", "date"),
        ("timestamp with time zone", "timestamptz"),
    ):
        if compiled.startswith(prefix):
            return name
    raise TypeError(f"no binary COPY type for {column.name}: {compiled}")


def pg_binary_types(table: Table, columns: Iterable[str]) -> list[str]:
    """`pg_binary_type` of each of `columns` of `table`."""
    return [pg_binary_type(table.c[c]) for c in columns]


_TYPES = pg_binary_types(_records, COLUMNS)
_COPY = f"COPY credit_records ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"


def close_versions(session: Session, ids: list[int], now: dt.datetime, today: dt.date) -> None:
    """Close the current versions `ids` (superseded now, valid until today), in one statement.
    Call it before appending their next versions: one current version per record, always."""
    if ids:
        session.connection().execute(_CLOSE, {"ids": ids, "now": now, "today": today})


def append_versions(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append versions (dicts with every column of `COLUMNS`) in bulk. PostgreSQL: binary COPY
    instead of INSERT (no escaping, cheapest for the server to parse); SQLite: executemany.
    A second current version of a record, e.g. from a concurrent push of the same record,
    raises a unique violation (`is_conflict`)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(_INSERT, rows)
    else:
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(_COPY) as copy:
            copy.set_types(_TYPES)
            for row in rows:
                copy.write_row([row[c] for c in COLUMNS])
    if ON_VERSIONS:
        keys = [
            VersionKey(r["provider_code"], r["item_code"], r["record_key"], r["version"])
            for r in rows
            if not r["synthetic"]
        ]
        if keys:
            _report(session, keys, rows[0]["recorded_at"])


def append_synthetic(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append generated (demo) versions, skipping those whose natural key and version exist:
    the same seed twice adds nothing."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.connection().execute(dialect.insert(_records).on_conflict_do_nothing(), rows)


def supersede(
    session: Session, old: CreditRecord, now: dt.datetime, **changes: Any
) -> CreditRecord:
    """Close `old` and add its next version with `changes`: nothing is overwritten or deleted."""
    session.execute(
        update(CreditRecord)
        .where(CreditRecord.id == old.id)
        .values(is_current=False, superseded_at=now)
    )
    values: dict[str, Any] = {
        "subject_key": old.subject_key,
        "provider_code": old.provider_code,
        "item_code": old.item_code,
        "item_version": old.item_version,
        "record_key": old.record_key,
        "version": old.version + 1,
        "is_current": True,
        "category": old.category,
        "nature": old.nature,
        "severity": old.severity,
        "title": old.title,
        "decided_on": old.decided_on,
        "payload_json": old.payload_json,
        "payload_hash": old.payload_hash,
        "state": old.state,
        "valid_from": old.valid_from,
        "valid_to": None,
        "recorded_at": now,
        "synthetic": old.synthetic,
        # a record received from another platform stays that platform's (its authority), also
        # in a version written here (a repair or an upheld objection decided here)
        "origin_platform": old.origin_platform,
        "origin_version": old.origin_version,
        **changes,
    }
    new = CreditRecord(**values)
    session.add(new)
    session.flush()
    if not new.synthetic:
        key = VersionKey(new.provider_code, new.item_code, new.record_key, new.version)
        _report(session, [key], now)
    return new


def is_conflict(exc: BaseException) -> bool:
    """A unique violation on credit_records: another push of the same record committed first."""
    if isinstance(exc, IntegrityError):
        return True
    try:
        import psycopg.errors
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.errors.IntegrityError)
