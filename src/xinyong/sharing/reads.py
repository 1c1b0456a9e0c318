"""How a profile's rows are read fast: the machinery behind `sharing.service`'s profile, which
decides what the viewer sees and what is audited. One read for the sync path (`profile_rows`, on
one connection), its loop twin on PostgreSQL (`profile_rows_async`: the reads of one loop turn
batched into one query on the loop's own connections), the public's answers kept on embedded
SQLite while nothing has changed (`PublicAnswers`), the public's record views kept by row
(`PublicViews`), and the catalog specs kept once loaded. Nothing here decides visibility: the
rows and specs go to the visibility engine, and every answer, kept or not, is audited anew."""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref
from collections import OrderedDict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any, Literal

import anyio.to_thread
from sqlalchemy import (
    ARRAY,
    Connection,
    Engine,
    Select,
    String,
    bindparam,
    exists,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.orm import Session

from xinyong.authorisations.models import SubjectPreference
from xinyong.authorisations.service import Grant, valid_grants
from xinyong.cases.models import OBJECTION_MARKED_STATES, Case
from xinyong.catalog.models import CatalogItem
from xinyong.catalog.schemas import CatalogItemSpec
from xinyong.catalog.service import spec_of
from xinyong.context import Context
from xinyong.db import table_of
from xinyong.fastpath import PreparedRead, loop_connections
from xinyong.records.models import CreditRecord
from xinyong.sharing.schemas import Profile
from xinyong.subjects.models import Subject
from xinyong.visibility.engine import RECORD_COLUMNS, RecordView


@dataclass(frozen=True, slots=True)
class ProfileRows:
    """What a profile is made from, read for one subject key on `today`: the subject's row
    (kind, name, region, good-information preference; None if no subject is on file), its
    current records (each with whether an objection marks it), the catalog specs of their
    items, and the viewer's valid authorisations for the subject (an account's; none for the
    public). A subject not on file is read no further."""

    today: dt.date
    subject: Any | None
    records: list[Any]
    specs: dict[tuple[str, int], CatalogItemSpec]
    grants: tuple[Grant, ...] = ()


def profile_rows(
    ctx: Context, key: str, username: str | None, *, connection: Connection | None = None
) -> ProfileRows:
    """The rows of `key`'s profile for the account `username` (None: no account), read on
    `connection` (in its transaction, if any) or on one of the engine's own."""
    today = ctx.today()
    opened = nullcontext(connection) if connection is not None else ctx.engine.connect()
    with opened as conn:  # Core rows: this path is the platform's busiest
        rows = _PROFILE_READ.all(conn, {"key": key})
        if not rows:
            return ProfileRows(today, None, [], {})
        records = [row for row in rows if row.id is not None]
        grants = valid_grants(Session(bind=conn), username, key, today) if username else ()
        specs = item_specs(conn, {(r.item_code, r.item_version) for r in records})
    return ProfileRows(today, rows[0], records, specs, grants)


async def profile_rows_async(ctx: Context, key: str, username: str | None) -> ProfileRows:
    """`profile_rows` on a database server, awaited on the event loop: the read goes with the
    other reads of this loop turn as one query on the loop's own connections
    (fastpath.LoopConnections); only an account's grants or a catalog spec not yet loaded are
    looked up in a worker thread, on the sync engine."""
    today = ctx.today()
    rows = await _batched_reads(ctx.engine).rows(key)
    if not rows:
        return ProfileRows(today, None, [], {})
    records = [row for row in rows if row.id is not None]
    pairs = {(r.item_code, r.item_version) for r in records}
    loaded = _kept_specs(ctx.engine, pairs)
    if loaded is not None and not username:  # the public: nothing to look up
        return ProfileRows(today, rows[0], records, loaded)

    def look_up() -> tuple[tuple[Grant, ...], dict[tuple[str, int], CatalogItemSpec]]:
        with ctx.engine.connect() as conn:
            grants = valid_grants(Session(bind=conn), username, key, today) if username else ()
            return grants, item_specs(conn, pairs)

    grants, specs = await anyio.to_thread.run_sync(look_up)
    return ProfileRows(today, rows[0], records, specs, grants)


class PublicAnswers:
    """The public's answers (anonymous: no identity, purpose or authorisation), kept on the
    connection an event loop reads embedded SQLite through, for as long as nothing has changed:
    SQLite's `PRAGMA data_version` moves whenever another connection commits anything (an
    ingestion, a case, a page's audit entry; this connection writes only read audits), and the
    day is part of what they were computed for (publicity ends at the end of a day, HLJ 37). The
    version is read before the data, so an answer is never kept under a version older than what
    it shows. Each answer served again is audited again, as a read of its own."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.stamp: tuple[int, dt.date] | None = None
        self.answers: OrderedDict[str, tuple[Profile, dict[str, Any]]] = OrderedDict()

    def current(self, conn: Connection, today: dt.date) -> None:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        stamp = (int(cursor.execute("PRAGMA data_version").fetchone()[0]), today)
        cursor.close()
        if stamp != self.stamp:
            self.answers.clear()
            self.stamp = stamp

    def get(self, key: str, now: dt.datetime) -> tuple[Profile, dict[str, Any]] | None:
        return _serve_kept(self.answers, key, now)

    def keep(self, key: str, answer: Profile, entry: dict[str, Any]) -> None:
        if self.limit > 0:
            kept = replace(answer, rendered=[r.as_dict() for r in answer.records])
            _keep_answer(self.answers, self.limit, key, kept, entry)


_Kept = OrderedDict[Any, tuple[Profile, dict[str, Any]]]


def _serve_kept(
    answers: _Kept, key: Any, now: dt.datetime
) -> tuple[Profile, dict[str, Any]] | None:
    """A kept answer served again (its JSON as kept, a fresh receipt) with its audit entry
    stamped `now`; None if none is kept for `key`."""
    kept = answers.get(key)
    if kept is None:
        return None
    answers.move_to_end(key)
    answer, entry = kept
    again = Profile(answer.subject, answer.records, None, answer.rendered, answer.encoded)
    return again, entry | {"occurred_at": now}


def _keep_answer(
    answers: _Kept, limit: int, key: Any, kept: Profile, entry: dict[str, Any]
) -> None:
    """Keep `kept` (a copy of the answer) by `key`, the least recently used out past `limit`."""
    kept.encoded = kept.encoded_head()  # served again as these bytes, not re-encoded
    answers[key] = (kept, dict(entry))
    if len(answers) > limit:
        answers.popitem(last=False)


def public_answers(ctx: Context, conn: Connection) -> PublicAnswers:
    """The public's answers kept on `conn` (a held SQLite connection), emptied if anything has
    changed or the day has turned since they were kept: call it before the data is read."""
    kept: PublicAnswers | None = conn.info.get("xinyong_public_answers")
    if kept is None:
        kept = conn.info["xinyong_public_answers"] = PublicAnswers(ctx.settings.public_answers_kept)
    kept.current(conn, ctx.today())
    return kept


class PublicViews:
    """The public's view of each record, computed once per (row as read, day): the engine's
    decision and the rendered fields are a function of the row itself (every column the engine
    reads is in it, the catalog item version is immutable), the day, the platform's rules and
    the subject's good-information preference, and nothing else for an anonymous viewer. The
    row is read fresh for every request, so a change to a record (a correction, withdrawal,
    objection mark) is a different key: nothing here can go stale. Whole answers are kept the
    same way, by (subject, day, every row read): on a database server, where no cheap signal
    says that nothing changed (SQLite's data_version, `PublicAnswers`), the rows are read for
    every request and an unchanged set of rows is answered as before, audited anew. Used on
    both databases by the JSON route; each kind bounded by `public_answers_kept` entries
    (least recently used out)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.views: OrderedDict[tuple[Any, ...], tuple[RecordView, dict[str, Any]] | None] = (
            OrderedDict()
        )
        self.answers: OrderedDict[tuple[Any, ...], tuple[Profile, dict[str, Any]]] = OrderedDict()

    def answer(
        self, key: tuple[Any, ...], now: dt.datetime
    ) -> tuple[Profile, dict[str, Any]] | None:
        """The kept answer for these rows, with its audit entry stamped `now`; None if none."""
        return _serve_kept(self.answers, key, now)

    def keep_answer(self, key: tuple[Any, ...], answer: Profile, entry: dict[str, Any]) -> None:
        if self.limit > 0:
            _keep_answer(self.answers, self.limit, key, replace(answer), entry)

    def get(
        self, key: tuple[Any, ...]
    ) -> tuple[RecordView, dict[str, Any]] | Literal[False] | None:
        """The kept (view, rendered) or None (not shown to the public); False if not kept."""
        try:
            kept = self.views[key]
        except KeyError:
            return False
        self.views.move_to_end(key)
        return kept

    def keep(
        self, key: tuple[Any, ...], view: RecordView | None
    ) -> tuple[RecordView, dict[str, Any]] | None:
        """Keep `view` (None: not shown) with its rendering, made once for the answer too."""
        kept = None if view is None else (view, view.as_dict())
        if self.limit > 0:
            self.views[key] = kept
            if len(self.views) > self.limit:
                self.views.popitem(last=False)
        return kept

    def view(
        self, key: tuple[Any, ...], decide: Callable[[], RecordView | None]
    ) -> tuple[RecordView, dict[str, Any]] | None:
        """The kept (view, rendered) for `key`, or `decide`'s, kept; None: not shown."""
        kept = self.get(key)
        return self.keep(key, decide()) if kept is False else kept


_public_views_of: weakref.WeakKeyDictionary[Engine, PublicViews] = weakref.WeakKeyDictionary()


def public_views(ctx: Context) -> PublicViews:
    """The public's record views kept for `ctx`'s database."""
    views = _public_views_of.get(ctx.engine)
    if views is None:
        views = _public_views_of[ctx.engine] = PublicViews(ctx.settings.public_answers_kept)
    return views


#: A catalog item version never changes within a database, so its parsed spec is kept once
#: loaded, per database. (Tests that truncate tables call `clear_caches`.)
_SPECS: dict[tuple[str, str, int], CatalogItemSpec] = {}


_database_names: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def clear_caches() -> None:
    _SPECS.clear()


def _database(engine: Engine) -> str:
    return _database_names.get(engine) or _database_names.setdefault(engine, str(engine.url))


def _kept_specs(
    engine: Engine, pairs: set[tuple[str, int]]
) -> dict[tuple[str, int], CatalogItemSpec] | None:
    """The specs of `pairs` if every one is already loaded, else None."""
    database = _database(engine)
    try:
        return {pair: _SPECS[(database, *pair)] for pair in pairs}
    except KeyError:
        return None


def item_specs(
    conn: Connection, pairs: set[tuple[str, int]]
) -> dict[tuple[str, int], CatalogItemSpec]:
    """The specs of the (item code, version) `pairs`, loaded on `conn` if not yet kept; a pair
    with no catalog item is left out."""
    database = _database(conn.engine)
    missing = {pair for pair in pairs if (database, *pair) not in _SPECS}
    if missing:
        codes = {code for code, _ in missing}
        items = Session(bind=conn).scalars(select(CatalogItem).where(CatalogItem.code.in_(codes)))
        for item in items:
            _SPECS[(database, item.code, item.version)] = spec_of(item)
    return {pair: _SPECS[(database, *pair)] for pair in pairs if (database, *pair) in _SPECS}


_subjects, _preferences = table_of(Subject), table_of(SubjectPreference)
_records, _cases = table_of(CreditRecord), table_of(Case)

#: The profile's one read: the subject with its publicity preference, joined to its current
#: records (none: one row of NULLs), each with whether an objection marks it 异议处理中
#: (HLJ 39 ¶2).
_UNDER_OBJECTION = (
    exists()
    .where(
        _cases.c.record_id == _records.c.id,
        _cases.c.kind == "objection",
        # the states are constants of the code: written into the SQL, not bound per execution
        _cases.c.state.in_([literal_column(f"'{state}'") for state in OBJECTION_MARKED_STATES]),
    )
    .label("under_objection")
)


def _profile_select(*extra: Any) -> Select[Any]:
    return (
        select(
            _subjects.c.kind.label("subject_kind"),
            _subjects.c.name.label("subject_name"),
            _subjects.c.region_code.label("subject_region"),
            _preferences.c.hide_good_information,
            *(_records.c[name] for name in RECORD_COLUMNS),
            _UNDER_OBJECTION,
            *extra,
        )
        .select_from(
            _subjects.outerjoin(
                _preferences, _preferences.c.subject_key == _subjects.c.subject_key
            ).outerjoin(
                _records,
                (_records.c.subject_key == _subjects.c.subject_key)
                & _records.c.is_current.is_(True),
            )
        )
        .order_by(_records.c.decided_on.desc(), _records.c.id)
    )


_PROFILE_READ = PreparedRead(_profile_select().where(_subjects.c.subject_key == bindparam("key")))
#: The same read for many subjects at once (PostgreSQL), each row naming the subject it was
#: read for: the reads of one turn of an event loop go as one query. Driven by the keys, with
#: each subject's records a LATERAL subquery, so every subject is an index lookup whatever
#: the planner's statistics say (a plain join with `= ANY` was planned as a scan of all
#: records when they were off: seconds instead of a millisecond).
_KEYS = (
    func.unnest(bindparam("keys", type_=ARRAY(String)))
    .table_valued("key")
    .render_derived(name="keys")
)
_CURRENT = (
    select(*(_records.c[name] for name in RECORD_COLUMNS), _UNDER_OBJECTION)
    .where(_records.c.subject_key == _subjects.c.subject_key, _records.c.is_current.is_(True))
    .lateral("current_records")
)
_PROFILE_READS = PreparedRead(
    select(
        _subjects.c.kind.label("subject_kind"),
        _subjects.c.name.label("subject_name"),
        _subjects.c.region_code.label("subject_region"),
        _preferences.c.hide_good_information,
        *(_CURRENT.c[name] for name in RECORD_COLUMNS),
        _CURRENT.c.under_objection,
        _KEYS.c.key.label("read_key"),
    )
    .select_from(
        _KEYS.join(_subjects, _subjects.c.subject_key == _KEYS.c.key)
        .outerjoin(_preferences, _preferences.c.subject_key == _subjects.c.subject_key)
        .outerjoin(_CURRENT, true())
    )
    .order_by(_CURRENT.c.decided_on.desc(), _CURRENT.c.id)
)


class _BatchedReads:
    """The profile reads an event loop asks for during one of its turns, made after that turn
    as one query on one of the loop's own connections (fastpath.LoopConnections): a round trip and
    psycopg's per-query work shared by every request of the turn instead of paid by each.
    Each reader gets its subject's rows (none: unknown) or the query's error."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: dict[asyncio.AbstractEventLoop, dict[str, list[asyncio.Future[Any]]]] = {}
        self._running: set[asyncio.Task[None]] = set()  # referenced until done

    async def rows(self, key: str) -> list[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = {}
            loop.call_soon(self._start, loop)
        pending.setdefault(key, []).append(future)
        return await future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        task = loop.create_task(self._read(self._pending.pop(loop)))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _read(self, batch: dict[str, list[asyncio.Future[Any]]]) -> None:
        try:
            async with loop_connections(self._engine).connection() as aconn:
                found = await _PROFILE_READS.all_async(
                    aconn, self._engine.dialect, {"keys": list(batch)}
                )
        except Exception as exc:  # every reader of the batch fails with it
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            return
        by_key: dict[str, list[Any]] = {}
        for row in found:
            by_key.setdefault(row.read_key, []).append(row)
        for key, futures in batch.items():
            for future in futures:
                if not future.done():  # a reader cancelled meanwhile is skipped
                    future.set_result(by_key.get(key, []))


_batched_reads_of: weakref.WeakKeyDictionary[Engine, _BatchedReads] = weakref.WeakKeyDictionary()


def _batched_reads(engine: Engine) -> _BatchedReads:
    reads = _batched_reads_of.get(engine)
    if reads is None:
        reads = _batched_reads_of[engine] = _BatchedReads(engine)
    return reads
