"""Reading a subject's credit information: the only path to it, through the visibility engine,
with every read audited (who, for which purpose, on what basis, which personal fields were shown),
and the subject's view of those reads (the right to know, HLJ 35, HRB 35)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import weakref
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import anyio.to_thread
import orjson
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

from xinyong.audit.labels import action_label, role_label
from xinyong.audit.models import AuditEvent
from xinyong.audit.tags import AuditTag
from xinyong.authorisations.models import SubjectPreference
from xinyong.authorisations.service import valid_grants
from xinyong.cases.models import OBJECTION_MARKED_STATES, Case
from xinyong.catalog.models import CatalogItem
from xinyong.catalog.schemas import CatalogItemSpec
from xinyong.catalog.service import spec_of
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.identifiers import check_identifier
from xinyong.common.roles import ANONYMOUS, Actor, Role
from xinyong.context import Context
from xinyong.db import PreparedRead, held_connection, loop_connections, table_of, transaction
from xinyong.providers.models import ProviderUnit
from xinyong.records.models import CHANGE_LABELS, STATE_LABELS, CreditRecord
from xinyong.records.service import versions_of
from xinyong.sharing.visibility import (
    RECORD_COLUMNS,
    Level,
    RecordView,
    Viewer,
    shown_identity,
    view_record,
)
from xinyong.subjects.models import Subject

_PUBLIC = Viewer(actor=ANONYMOUS)  # anonymous: no identity, purpose or authorisation


@dataclass
class Profile:
    subject: dict[str, Any]
    records: list[RecordView] = field(default_factory=list)
    audit_id: int | None = None  # the audit entry of this read: the requester's receipt
    #: the records as `as_dict` gives them, kept with an answer that is served again
    rendered: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    #: `as_json` up to the receipt, kept with an answer that is served again
    encoded: bytes | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "records": self.rendered or [r.as_dict() for r in self.records],
            "audit_receipt": self.audit_id,
        }

    def encoded_head(self) -> bytes:
        """The JSON of `as_dict` without its last member, the receipt (which each read has
        its own of): `{"subject":…,"records":[…]`."""
        if self.encoded is not None:
            return self.encoded
        records = self.rendered or [r.as_dict() for r in self.records]
        return orjson.dumps({"subject": self.subject, "records": records})[:-1]

    def as_json(self) -> bytes:
        """`as_dict` as orjson writes it, byte for byte."""
        receipt = orjson.dumps(self.audit_id)
        return b"".join((self.encoded_head(), b',"audit_receipt":', receipt, b"}"))


class _PublicAnswers:
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


def _public_answers(ctx: Context, conn: Connection) -> _PublicAnswers:
    kept: _PublicAnswers | None = conn.info.get("xinyong_public_answers")
    if kept is None:
        kept = conn.info["xinyong_public_answers"] = _PublicAnswers(
            ctx.settings.public_answers_kept
        )
    return kept


class _PublicViews:
    """The public's view of each record, computed once per (row as read, day): the engine's
    decision and the rendered fields are a function of the row itself (every column the engine
    reads is in it, the catalog item version is immutable), the day, the platform's rules and
    the subject's good-information preference, and nothing else for an anonymous viewer. The
    row is read fresh for every request, so a change to a record (a correction, withdrawal,
    objection mark) is a different key: nothing here can go stale. Whole answers are kept the
    same way, by (subject, day, every row read): on a database server, where no cheap signal
    says that nothing changed (SQLite's data_version, `_PublicAnswers`), the rows are read for
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

    def keep(self, key: tuple[Any, ...], view: RecordView | None) -> dict[str, Any] | None:
        """Keep `view` (None: not shown); its rendering, made once for the answer too."""
        kept = None if view is None else (view, view.as_dict())
        if self.limit > 0:
            self.views[key] = kept
            if len(self.views) > self.limit:
                self.views.popitem(last=False)
        return None if kept is None else kept[1]


_public_views_of: weakref.WeakKeyDictionary[Engine, _PublicViews] = weakref.WeakKeyDictionary()


def _public_views(ctx: Context) -> _PublicViews:
    views = _public_views_of.get(ctx.engine)
    if views is None:
        views = _public_views_of[ctx.engine] = _PublicViews(ctx.settings.public_answers_kept)
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


def _specs(conn: Connection, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], CatalogItemSpec]:
    database = _database(conn.engine)
    missing = {pair for pair in pairs if (database, *pair) not in _SPECS}
    if missing:
        codes = {code for code, _ in missing}
        items = Session(bind=conn).scalars(select(CatalogItem).where(CatalogItem.code.in_(codes)))
        for item in items:
            _SPECS[(database, item.code, item.version)] = spec_of(item)
    return {pair: _SPECS[(database, *pair)] for pair in pairs if (database, *pair) in _SPECS}


def _person_refused(ctx: Context) -> Forbidden:
    """The one answer to a viewer who may not read a natural person, whether or not the
    platform holds anything about that person: no status, code or wording tells them apart."""
    rule = ctx.rules.get("opening.never_open_personal_fields", ctx.today())
    return Forbidden(
        "sharing.natural_person",
        "自然人的信用信息不向社会公开查询，也不告知平台是否存有某人的信息；"
        "本人可免费查询，他人须经本人授权",
        list(rule.citations),
    )


def _may_read_persons(viewer: Viewer, key: str) -> bool:
    """Whether a viewer may learn, by asking, whether the platform holds a natural person
    under `key`: the person, staff and agencies (which are told "unknown" plainly)."""
    actor = viewer.actor
    own = actor.role is Role.SUBJECT and actor.subject_key == key
    return own or actor.role in (Role.STAFF, Role.ADMIN, Role.AGENCY)


def _check_viewer(
    ctx: Context, viewer: Viewer, subject_key: str, kind: str, provided: bool = False
) -> None:
    """`provided`: the viewer is a provider unit that provided one of the subject's records."""
    actor = viewer.actor
    authorised = bool(viewer.grants)
    if actor.role is Role.AGENCY:
        scenarios = ctx.rules.get("query.mandatory_scenarios", ctx.today())
        if viewer.purpose not in {e["code"] for e in scenarios.value}:
            raise DomainError(
                code="sharing.purpose_required",
                message="国家机关查询须说明依法履职的用途："
                + "、".join(e["code"] for e in scenarios.value),
                citations=list(scenarios.citations),
            )
    # a provider unit reads a person only if it provided information about them itself
    entitled = _may_read_persons(viewer, subject_key) or (actor.role is Role.PROVIDER and provided)
    if kind == "natural_person" and not authorised and not entitled:
        raise _person_refused(ctx)


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
    as one query on one of the loop's own connections (db.LoopConnections): a round trip and
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


def profile(ctx: Context, *, viewer: Viewer, subject_key: str) -> Profile:
    """A subject's current credit information as `viewer` may see it, as of today; audited
    (the entry is committed before this returns)."""
    answer, entry = prepare_profile(ctx, viewer=viewer, subject_key=subject_key)
    answer.audit_id = ctx.reads.write(entry)
    return answer


async def profile_async(ctx: Context, *, viewer: Viewer, subject_key: str) -> Profile:
    """`profile` for async endpoints. On embedded SQLite the reads are in-process calls of well
    under a millisecond and run on the event loop (a thread hop would cost more than they do).
    On a database server the profile's read and its audit entry are awaited on the loop's own
    connections (db.LoopConnections); only an account's grants or a catalog spec not yet
    loaded are looked up in a worker thread. Either way the audit entry is awaited, not
    blocked on, so the loop serves other requests while the group commit carries it."""
    prepare = partial(prepare_profile, ctx, viewer=viewer, subject_key=subject_key)
    if ctx.engine.dialect.name == "sqlite":
        public = viewer == _PUBLIC
        key = subject_key.strip().upper()
        with held_connection(ctx.engine) as conn:
            kept = _public_answers(ctx, conn) if public else None
            hit = None
            if kept is not None:
                kept.current(conn, ctx.today())  # before the data is read
                hit = kept.get(key, ctx.clock.now())
            if hit is None:
                answer, entry = prepare(connection=conn, memo=_public_views(ctx))
                if kept is not None:
                    kept.keep(key, answer, entry)
            else:
                answer, entry = hit
        answer.audit_id = await ctx.reads.write_on_loop(entry)
    else:  # on the loop's own connection: no worker thread for the common case
        today, key = ctx.today(), subject_key.strip().upper()
        rows = await _batched_reads(ctx.engine).rows(key)
        subject = _subject_of(ctx, rows, key, viewer)
        records = [row for row in rows if row.id is not None]
        pairs = {(r.item_code, r.item_version) for r in records}
        loaded = _kept_specs(ctx.engine, pairs)
        if loaded is not None and not viewer.actor.username:  # the public: nothing to look up
            viewer, specs = _viewer_of(ctx, None, viewer, key, subject, records, today), loaded
        else:  # grants to look up, or a spec to load: in a worker thread, on the sync engine

            def look_up() -> tuple[Viewer, dict[tuple[str, int], CatalogItemSpec]]:
                with ctx.engine.connect() as conn:
                    seen = _viewer_of(ctx, conn, viewer, key, subject, records, today)
                    return seen, _specs(conn, pairs)

            viewer, specs = await anyio.to_thread.run_sync(look_up)
        memo = _public_views(ctx)
        answer, entry = _answer(ctx, viewer, key, subject, records, specs, today, memo)
        answer.audit_id = await ctx.reads.write_async(entry)
    return answer


def prepare_profile(
    ctx: Context,
    *,
    viewer: Viewer,
    subject_key: str,
    connection: Connection | None = None,
    memo: _PublicViews | None = None,
) -> tuple[Profile, dict[str, Any]]:
    """The answer and its audit entry, not yet written. The answer may leave only once the entry
    is committed: use `profile` or `profile_async`."""
    today = ctx.today()
    key = subject_key.strip().upper()
    opened = nullcontext(connection) if connection is not None else ctx.engine.connect()
    with opened as conn:  # Core rows: this path is the platform's busiest
        rows = _PROFILE_READ.all(conn, {"key": key})
        subject = _subject_of(ctx, rows, key, viewer)
        records = [row for row in rows if row.id is not None]
        viewer = _viewer_of(ctx, conn, viewer, key, subject, records, today)
        specs = _specs(conn, {(r.item_code, r.item_version) for r in records})
    return _answer(ctx, viewer, key, subject, records, specs, today, memo)


def _subject_of(ctx: Context, rows: list[Any], key: str, viewer: Viewer) -> Any:
    """The subject's row, or the refusal: a key that is not an organisation's code (a
    USCC) is answered, to a viewer who may not read natural persons, exactly as a person on
    file that it may not read is (no existence oracle); to others, "unknown"."""
    if not rows:
        check = check_identifier(key, ctx.today())
        if not (check.valid and check.kind == "uscc") and not _may_read_persons(viewer, key):
            raise _person_refused(ctx)
        raise NotFound("sharing.unknown_subject", "未找到该信用主体", subject=key)
    return rows[0]


def _provided(viewer: Viewer, records: list[Any]) -> bool:
    """The viewer is a provider unit that provided one of these (current) records."""
    code = viewer.actor.provider_code
    return viewer.actor.role is Role.PROVIDER and any(r.provider_code == code for r in records)


def _viewer_of(
    ctx: Context,
    conn: Connection | None,
    viewer: Viewer,
    key: str,
    subject: Any,
    records: list[Any],
    today: dt.date,
) -> Viewer:
    """The viewer with its valid grants for `key` (looked up on `conn`: only an account can
    hold any) and the subject's publicity preference, checked against who may see this kind
    of subject."""
    username = viewer.actor.username
    if username and conn is None:
        raise ValueError("an account's grants need a connection")
    viewer = replace(
        viewer,
        grants=valid_grants(Session(bind=conn), username, key, today) if username else (),
        subject_hides_good=bool(subject.hide_good_information),
    )
    _check_viewer(ctx, viewer, key, subject.subject_kind, _provided(viewer, records))
    return viewer


def _answer(
    ctx: Context,
    viewer: Viewer,
    key: str,
    subject: Any,
    records: list[Any],
    specs: dict[tuple[str, int], CatalogItemSpec],
    today: dt.date,
    memo: _PublicViews | None = None,
) -> tuple[Profile, dict[str, Any]]:
    """The answer and its audit entry from the rows read: the visibility engine's part. With
    `memo` (the JSON route, an anonymous viewer) the public's views are reused by row."""
    if memo is not None and (viewer.actor.role is not Role.PUBLIC or viewer.grants):
        memo = None  # only the public's views depend on nothing but the row
    by_rows: tuple[Any, ...] = ()
    if memo is not None:  # every row read: the subject's too, and its preference, in each
        rows = tuple(records) or (subject,)
        by_rows = (ctx.settings.platform, key, today, viewer.subject_hides_good, rows)
        if (kept_answer := memo.answer(by_rows, ctx.clock.now())) is not None:
            return kept_answer
    views, rendered = [], []
    for record in records:
        spec = specs.get((record.item_code, record.item_version))
        if spec is None:  # legacy demo rows without a catalog item are shown to no one
            continue
        by_row = (ctx.settings.platform, record, viewer.subject_hides_good, today)
        if memo is not None:
            kept = memo.get(by_row)
            if kept is None:  # kept as not shown
                continue
            if kept is not False:
                views.append(kept[0])
                rendered.append(kept[1])
                continue
        view = view_record(viewer, record, spec, ctx.rules, today)
        if view is not None:
            if record.under_objection:
                view.marks.append("异议处理中")  # HLJ 39 ¶2, wherever the record is shown
            views.append(view)
        if memo is not None and (shown := memo.keep(by_row, view)) is not None:
            rendered.append(shown)
    actor = viewer.actor
    natural = subject.subject_kind == "natural_person"
    name = subject.subject_name
    # the header goes through the engine too: a provider unit sees a person's identity in full
    # only if it provided information about them (HLJ 23 ¶4)
    identity = (
        shown_identity(actor, key, name, provided=_provided(viewer, records))
        if natural
        else {"subject_key": key, "name": name}
    )
    header = {
        **identity,
        "kind": subject.subject_kind,
        "region": subject.subject_region,
        "as_of": today.isoformat(),
    }
    personal = sorted({f"{v.item_code}:{n}" for v in views for n in v.personal_shown})
    basis = sorted({label for v in views for label in (c.label() for c in v.decision.citations)})
    entry = ctx.read_entry(
        actor=actor,
        action=AuditTag.SHARING_PROFILE_READ,
        object_type="subject",
        object_id=key,
        subject_key=key,
        purpose=viewer.purpose,
        legal_basis="；".join(basis)[:400] or None,
        personal_read=bool(personal) or natural,
        detail={
            "authorisations": [g.id for g in viewer.grants],
            "records_shown": [f"{v.item_code}/{v.record_key}" for v in views][:200],
            "personal_fields_shown": personal,
        },
    )
    kept_rendering = rendered if memo is not None else None
    answer = Profile(subject=header, records=views, rendered=kept_rendering)
    if memo is not None:
        memo.keep_answer(by_rows, answer, entry)
    return answer, entry


def record_history(
    ctx: Context, *, actor: Actor, provider_code: str, item_code: str, record_key: str
) -> dict[str, Any]:
    """The source unit and every version of one item of a subject's information, for the
    subject itself (HLJ 35, HRB 35 ¶1), the staff and the unit that provided it: each version
    through the visibility engine, with when it held, when the platform learned it, what
    changed and why, and a correction's clock (HLJ 38). The read is audited
    (`sharing:history:read`) in the same transaction."""
    today = ctx.today()
    with transaction(ctx.sessions) as session:
        versions = versions_of(session, provider_code, item_code, record_key)
        owner = versions[0].subject_key
        own = actor.role is Role.SUBJECT and actor.subject_key == owner
        provided = actor.role is Role.PROVIDER and actor.provider_code == provider_code
        if not (own or provided or actor.role in (Role.STAFF, Role.ADMIN)):
            # answered as an unknown record: the answer must not tell whose records exist
            raise NotFound("records.unknown", f"记录“{record_key}”不存在", record_key=record_key)
        viewer = Viewer(actor=actor)
        specs = _specs(session.connection(), {(v.item_code, v.item_version) for v in versions})
        shown: list[dict[str, Any]] = []
        personal: set[str] = set()
        basis: set[str] = set()
        for version in versions:
            spec = specs.get((version.item_code, version.item_version))
            view = None if spec is None else view_record(viewer, version, spec, ctx.rules, today)
            if view is None:
                continue
            personal.update(view.personal_shown)
            basis.update(c.label() for c in view.decision.citations)
            shown.append(
                {
                    "version": version.version,
                    "current": version.is_current,
                    "state": version.state,
                    "change": version.change,
                    "change_label": CHANGE_LABELS.get(version.change, version.change),
                    "state_label": STATE_LABELS.get(version.state, version.state),
                    "reason": version.reason,
                    "valid_from": version.valid_from.isoformat(),
                    "valid_to": version.valid_to.isoformat() if version.valid_to else None,
                    "recorded_at": version.recorded_at.isoformat(),
                    "superseded_at": version.superseded_at.isoformat()
                    if version.superseded_at
                    else None,
                    "batch_id": version.batch_id,
                    "discovered_on": _iso(version.discovered_on),
                    "correction_due_on": _iso(version.correction_due_on),
                    "correction_on_time": version.correction_on_time,
                    "fields": view.fields,
                    "masked": [n for n, lv in view.levels.items() if lv is Level.MASKED],
                    "changes": _changes(shown[-1]["fields"], view.fields) if shown else [],
                }
            )
        unit = session.get(ProviderUnit, provider_code)
        latest = specs.get((versions[-1].item_code, versions[-1].item_version))
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.SHARING_HISTORY_READ,
            object_type="record",
            object_id=f"{provider_code}/{item_code}/{record_key}",
            subject_key=owner,
            legal_basis="；".join(sorted(basis))[:400] or None,
            personal_read=bool(personal),
            detail={"versions": [v["version"] for v in shown], "personal": sorted(personal)},
        )
        return {
            "subject_key": owner,
            "provider": provider_code,
            "provider_name": unit.name if unit is not None else None,
            "item": item_code,
            "item_name": latest.name if latest is not None else item_code,
            "record_key": record_key,
            "versions": shown,
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields a version changed from the one before it, in the later version's order."""
    names = [*after, *(n for n in before if n not in after)]
    return [
        {"field": n, "before": before.get(n), "after": after.get(n)}
        for n in names
        if before.get(n) != after.get(n)
    ]


def access_log(
    session: Session, actor: Actor, subject_key: str, limit: int = 200
) -> list[dict[str, Any]]:
    """Who read, shared or changed the subject's information, when, why and on what basis."""
    if not (actor.role is Role.SUBJECT and actor.subject_key == subject_key) and actor.role not in (
        Role.STAFF,
        Role.ADMIN,
    ):
        raise Forbidden("sharing.access_log", "只有信用主体本人和工作人员可以查看访问记录")
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_key == subject_key)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    from xinyong.lists.check import checks_of_subject

    log = [
        {
            "at": e.occurred_at.isoformat(),
            "action": e.action,
            "who": e.actor_username or e.actor_role,
            "role": e.actor_role,
            "purpose": e.purpose,
            "legal_basis": e.legal_basis,
            "detail": json.loads(e.detail_json),
        }
        for e in events
    ]
    # Joint checks are stored per subject (one audit entry covers a batch of thousands).
    log += checks_of_subject(session, subject_key, limit)
    from xinyong.accounts.models import User

    # who, by the account's name (国家机关（演示）), not its login name; the platform's own work
    # and the public by their role
    wanted = {entry["who"] for entry in log}
    names = {
        username: name
        for username, name in session.execute(
            select(User.username, User.display_name).where(User.username.in_(wanted))
        )
    }
    for entry in log:  # in words and local time the subject reads (the tags stay for machines)
        entry["action_label"] = action_label(entry["action"])
        entry["role_label"] = role_label(entry["role"])
        entry["who_label"] = names.get(entry["who"]) or entry["role_label"]
        at = dt.datetime.fromisoformat(entry["at"]).astimezone(PLATFORM_TZ)
        entry["at_label"] = at.strftime("%Y-%m-%d %H:%M:%S")
    return sorted(log, key=lambda entry: entry["at"], reverse=True)[:limit]
