"""Ingestion: validate every row, version what changed, quarantine what was refused, count all.

Rows are processed in chunks. Per chunk: one query for the current versions of its record keys,
one for consents, then set-based writes (subjects, superseded versions, new versions, quarantined
rows) and one audit entry, all in one transaction. Pushing the same record again changes nothing;
a changed payload becomes a new version; a refused row is kept with every reason."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from queue import Empty
from typing import Any, Protocol

from sqlalchemy import insert, literal_column, or_, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from xinyong.audit.tags import AuditTag
from xinyong.catalog.models import CatalogItem
from xinyong.catalog.service import get_item, spec_of
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.roles import SYSTEM, Actor, Role
from xinyong.consents.models import Consent
from xinyong.context import Context
from xinyong.db import table_of
from xinyong.deadlines.service import load_calendar
from xinyong.ingest.models import IngestBatch, QuarantinedRow
from xinyong.ingest.readers import CountingReader, ReadLimits, Row, read_file
from xinyong.ingest.validate import Reason, Rejected, RowValidator, ValidRow
from xinyong.law.workdays import WorkdayCalendar, add_period
from xinyong.providers.models import ProviderUnit
from xinyong.records import store
from xinyong.subjects.models import Subject
from xinyong.write_gate import patient_writes

CHUNK = 2000
_INSERT_QUARANTINE = insert(table_of(QuarantinedRow))
#: written into the SQL, not bound, so that SQLite may use the partial index on open rows
_OPEN: ColumnClause[str] = literal_column("'open'")


def source_key(record_key: str | None, raw: dict[str, Any]) -> str:
    """Which source row a refused row is, so that a re-push of it counts an attempt on its open
    quarantine row instead of opening a second one: its record key when it has one (the same
    record with other mistakes is the same source row), else its content (every field, blank
    ones dropped, values trimmed: the same line pushed again)."""
    if record_key:
        basis = "key:" + record_key
    else:
        content = {
            str(k).strip(): str(v).strip()
            for k, v in raw.items()
            if v is not None and str(v).strip()
        }
        basis = "row:" + json.dumps(content, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def ranges(numbers: list[int]) -> list[list[int]]:
    """[2,3,4,7] -> [[2,4],[7,7]]: row numbers in a receipt stay small for a million rows."""
    out: list[list[int]] = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


@dataclass
class Receipt:
    batch_id: int
    provider_code: str
    item_code: str
    item_version: int
    rows: int = 0
    accepted: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    unverified: str | None = None
    notes: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def ignore(self, columns: Iterable[str]) -> None:
        """Columns of a file left out because the catalog item has no such field."""
        self.ignored_columns.extend(c for c in columns if c not in self.ignored_columns)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "accepted": len(self.accepted),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected),
        }

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "batch_id": self.batch_id,
            "provider": self.provider_code,
            "item": self.item_code,
            "item_version": self.item_version,
            **self.counts(),
            "rows_accepted": ranges(self.accepted),
            "rows_updated": ranges(self.updated),
            "rows_unchanged": ranges(self.unchanged),
            "rows_rejected": self.rejected,
        }
        if self.unverified:
            out["unverified"] = self.unverified
        notes = list(self.notes)
        if self.ignored_columns:
            out["ignored_columns"] = self.ignored_columns
            notes.insert(
                0,
                f"已忽略列：{'、'.join(self.ignored_columns)}（目录项中没有这些字段，其内容未归集）",
            )
        if notes:
            out["notes"] = notes
        return out


def authorise(
    session: Session, ctx: Context, actor: Actor, provider_code: str, item: CatalogItem
) -> None:
    """A unit pushes only the items the catalog names it for (HLJ 18 ¶2, HLJ 21)."""
    if actor.role is Role.PROVIDER:
        if actor.provider_code != provider_code:
            raise Forbidden("ingest.other_provider", "只能以本单位名义推送信息")
    elif actor.role not in (Role.STAFF, Role.ADMIN):
        raise Forbidden("ingest.role", "只有信息提供单位（或代为导入的工作人员）可以推送信息")
    unit = session.get(ProviderUnit, provider_code)
    if unit is None or unit.state != "active":
        raise NotFound(
            "ingest.unknown_provider",
            f"提供单位“{provider_code}”不存在或已停用",
            provider=provider_code,
        )
    if provider_code not in json.loads(item.providers_json):
        categories = ctx.rules.get("catalog.categories", ctx.today())
        raise DomainError(
            code="ingest.provider_not_allowed",
            message=f"目录项“{item.code} {item.name}”未列明“{unit.name}”为提供单位，不得推送",
            citations=list(categories.citations),
            status=403,
        )


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """Rows in chunks. A reader that refuses the rest of a file (a line too long) does so after
    the rows before it have been handed over: they are applied, and the receipt says so."""
    iterator = iter(rows)
    while True:
        chunk: list[Row] = []
        try:
            chunk.extend(islice(iterator, size))
        except DomainError:
            if chunk:
                yield chunk
            raise
        if not chunk:
            return
        yield chunk


class _Run:
    """The state of one batch while its chunks are applied."""

    def __init__(
        self,
        ctx: Context,
        actor: Actor,
        batch: IngestBatch,
        item: CatalogItem,
        calendar: WorkdayCalendar,
        fixing: int | None = None,
        ignore_extra: bool = False,
    ) -> None:
        self.ctx = ctx
        #: the quarantined row a fix in place is for: refused again, it is that row that is kept
        self.fixing = fixing
        self.actor = actor
        self.batch = batch
        self.item = item
        self.spec = spec_of(item)
        self.today = ctx.today()
        self.now = ctx.clock.now()
        self.validator = RowValidator(self.spec, ctx.rules, self.today, ignore_extra=ignore_extra)
        self.calendar = calendar
        self.due_cache: dict[dt.date, dt.date] = {}
        self.receipt = Receipt(batch.id, batch.provider_code, item.code, item.version)
        if item.unverified:
            self.receipt.unverified = f"目录项{item.code}：{item.note or '出处未经核实'}"
        on = self.today
        self.consent_rule = ctx.rules.get("collection.consent_elements", on).citations
        self.restricted_rule = ctx.rules.get("collection.restricted_personal_fields", on).citations
        self.sqlite = ctx.engine.dialect.name != "postgresql"

    def arrival_due(self, decided: dt.date) -> dt.date:
        due = self.due_cache.get(decided)
        if due is None:
            cycle = self.spec.update_cycle
            if cycle.unit == "working_day":
                due = self.calendar.add_working_days(decided, cycle.amount).due
            else:
                due = add_period(decided, cycle.amount, cycle.unit)
            self.due_cache[decided] = due
        return due

    def _consents(self, session: Session, valid: list[ValidRow]) -> dict[str, list[Consent]]:
        keys = {v.subject_key for v in valid if v.restricted or v.needs_consent}
        if not keys:
            return {}
        found: dict[str, list[Consent]] = {}
        for consent in session.scalars(
            select(Consent).where(
                Consent.subject_key.in_(keys),
                Consent.item_code == self.item.code,
                Consent.revoked_at.is_(None),
                Consent.valid_from <= self.today,
                or_(Consent.valid_until.is_(None), Consent.valid_until >= self.today),
            )
        ):
            found.setdefault(consent.subject_key, []).append(consent)
        return found

    def _consent_reasons(self, row: ValidRow, consents: list[Consent]) -> list[Reason]:
        reasons = []
        if row.needs_consent and not any(c.informed for c in consents):
            reasons.append(
                Reason(
                    "ingest.nonpublic_without_consent",
                    "采集自然人非依法公示的信息须经本人同意，未找到有效的同意记录",
                    None,
                    self.consent_rule,
                )
            )
        if row.restricted:
            covered = {
                cls
                for c in consents
                if c.written and c.adverse_consequences_told and c.purpose.strip()
                for cls in json.loads(c.classes_json)
            }
            missing = [cls for cls in row.restricted if cls not in covered]
            if missing:
                reasons.append(
                    Reason(
                        "ingest.restricted_without_consent",
                        f"采集自然人{('、'.join(missing))}信息须告知不利后果、取得本人书面同意并约定用途",
                        None,
                        self.restricted_rule,
                    )
                )
        return reasons

    def validate(self, chunk: list[Row]) -> list[ValidRow | Rejected]:
        results = [self.validator.validate(number, raw) for number, raw in chunk]
        self.receipt.ignore(self.validator.ignored)
        return results

    def apply(self, session: Session, results: list[ValidRow | Rejected]) -> None:
        valid = [r for r in results if isinstance(r, ValidRow)]
        rejected = [r for r in results if isinstance(r, Rejected)]
        self.receipt.rows += len(results)
        consents = self._consents(session, valid)
        if consents or any(v.restricted or v.needs_consent for v in valid):
            kept = []
            for row in valid:
                reasons = (
                    self._consent_reasons(row, consents.get(row.subject_key, []))
                    if (row.restricted or row.needs_consent)
                    else []
                )
                if reasons:
                    rejected.append(
                        Rejected(
                            row.row_number,
                            row.record_key,
                            dict(row.raw or {}),
                            reasons,
                        )
                    )
                else:
                    kept.append(row)
            valid = kept
        current = (
            store.current_versions(
                session,
                self.batch.provider_code,
                self.item.code,
                {v.record_key for v in valid},
            )
            if valid
            else {}
        )
        new_rows: list[dict[str, Any]] = []
        supersede: list[int] = []
        pending: dict[
            str, tuple[int | None, str, int, int]
        ] = {}  # key -> (id, hash, version, index)
        subjects: dict[str, dict[str, Any]] = {}
        spec = self.spec
        for row in valid:
            known = pending.get(row.record_key)
            if known is None and row.record_key in current:
                rid, digest, version = current[row.record_key]
                known = (rid, digest, version, -1)
            if known is not None and known[1] == row.payload_hash:
                self.receipt.unchanged.append(row.row_number)
                continue
            version = known[2] + 1 if known else 1
            if known is not None:
                if known[0] is not None:
                    supersede.append(known[0])
                else:  # an earlier row of this chunk: it is superseded before it is written
                    new_rows[known[3]]["is_current"] = False
                    new_rows[known[3]]["superseded_at"] = self.now
                    new_rows[known[3]]["valid_to"] = self.today
                self.receipt.updated.append(row.row_number)
            else:
                self.receipt.accepted.append(row.row_number)
            due = self.arrival_due(row.decided_on) if version == 1 and row.decided_on else None
            pending[row.record_key] = (None, row.payload_hash, version, len(new_rows))
            new_rows.append(
                {
                    "subject_key": row.subject_key,
                    "provider_code": self.batch.provider_code,
                    "item_code": self.item.code,
                    "item_version": self.item.version,
                    "record_key": row.record_key,
                    "version": version,
                    "is_current": True,
                    "category": spec.category,
                    "nature": spec.nature,
                    "severity": spec.severity,
                    "title": f"{spec.name}（{row.record_key}）"[:300],
                    "decided_on": row.decided_on,
                    "payload_json": row.payload_json,
                    "payload_hash": row.payload_hash,
                    "state": "active",
                    "change": "new" if version == 1 else "update",
                    "valid_from": (row.decided_on or self.today) if version == 1 else self.today,
                    "valid_to": None,
                    "recorded_at": self.now,
                    "superseded_at": None,
                    "batch_id": self.batch.id,
                    "arrival_due_on": due,
                    "late": (self.today > due) if due else None,
                    "discovered_on": None,
                    "correction_due_on": None,
                    "correction_on_time": None,
                    "reason": None,
                    "synthetic": False,
                    "origin_platform": None,
                    "origin_version": None,
                }
            )
            if row.subject_key not in subjects:
                subjects[row.subject_key] = {
                    "subject_key": row.subject_key,
                    "kind": row.subject_kind,
                    "id_type": row.id_type,
                    "name": row.subject_name[:200],
                    "region_code": row.region_code,
                    "state": "active",
                    "synthetic": False,
                    "created_at": self.now,
                }
        # before the inserts: one current version per record, always
        store.close_versions(session, supersede, self.now, self.today)
        if self.sqlite:
            if subjects:
                session.connection().execute(
                    sqlite.insert(table_of(Subject)).on_conflict_do_nothing(),
                    list(subjects.values()),
                )
        elif subjects:
            _copy_subjects_pg(session, subjects.values())
        store.append_versions(session, new_rows)
        closed = self._close_fixed_elsewhere(session, valid)
        if rejected:
            self._quarantine(session, rejected)
        self.ctx.log(
            session,
            actor=self.actor,
            action=AuditTag.INGEST_CHUNK_COMMIT,
            object_type="ingest_batch",
            object_id=self.batch.id,
            detail={
                "item": self.item.code,
                "rows": [results[0].row_number, results[-1].row_number],
                "new_versions": len(new_rows),
                "rejected": len(rejected),
                "quarantine_closed": closed,
            },
        )

    def _close_fixed_elsewhere(self, session: Session, valid: list[ValidRow]) -> int:
        """An open quarantine row whose record has now been pushed without fault is closed."""
        keys = [source_key(v.record_key, {}) for v in valid]
        if not keys:
            return 0
        query = update(QuarantinedRow).where(
            QuarantinedRow.provider_code == self.batch.provider_code,
            QuarantinedRow.item_code == self.item.code,
            QuarantinedRow.state == _OPEN,
            QuarantinedRow.source_key.in_(keys),
        )
        if self.fixing is not None:  # the fix closes its own row, with its own words
            query = query.where(QuarantinedRow.id != self.fixing)
        done = session.execute(
            query.values(
                state="resubmitted",
                resolution=f"同一记录已由批次{self.batch.id}推送入库",
                resolved_at=self.now,
                resolved_by=self.actor.username or self.actor.role.value,
                resolved_batch_id=self.batch.id,
            ).execution_options(synchronize_session=False)
        )
        return int(getattr(done, "rowcount", 0) or 0)

    def _quarantine(self, session: Session, rejected: list[Rejected]) -> None:
        """One open row per source row (`source_key`): a row refused again updates its open
        row (the new payload and reasons, one more attempt); a fix in place updates the row it
        fixes."""
        latest: dict[str, dict[str, Any]] = {}
        keys_of: list[str] = []
        for r in rejected:
            key = source_key(r.record_key, r.raw)
            keys_of.append(key)
            seen = latest.get(key)
            latest[key] = {
                "batch_id": self.batch.id,
                "provider_code": self.batch.provider_code,
                "item_code": self.item.code,
                "row_number": r.row_number,
                "record_key": r.record_key,
                "source_key": key,
                "payload_json": json.dumps(r.raw, ensure_ascii=False, default=str),
                "reasons_json": json.dumps([x.as_dict() for x in r.reasons], ensure_ascii=False),
                "state": "open",
                "attempts": (seen["attempts"] + 1) if seen else 1,
                "received_at": self.now,
            }
        where = (
            QuarantinedRow.provider_code == self.batch.provider_code,
            QuarantinedRow.item_code == self.item.code,
            QuarantinedRow.state == _OPEN,
        )
        existing: dict[str, tuple[int, int]] = {
            key: (qid, attempts)
            for qid, key, attempts in session.execute(
                select(QuarantinedRow.id, QuarantinedRow.source_key, QuarantinedRow.attempts).where(
                    *where, QuarantinedRow.source_key.in_(list(latest))
                )
            )
            if key is not None
        }
        if self.fixing is not None and len(latest) == 1:
            key = next(iter(latest))
            other = existing.get(key)
            if other is not None and other[0] != self.fixing:  # the fix made it another's twin
                session.execute(
                    update(QuarantinedRow)
                    .where(QuarantinedRow.id == other[0])
                    .values(
                        state="withdrawn",
                        resolution=f"与被拒收记录{self.fixing}为同一来源行，已并入该记录",
                        resolved_at=self.now,
                        resolved_by=self.actor.username or self.actor.role.value,
                    )
                    .execution_options(synchronize_session=False)
                )
            attempts = session.scalar(
                select(QuarantinedRow.attempts).where(QuarantinedRow.id == self.fixing)
            )
            existing[key] = (self.fixing, attempts or 1)
        updates = []
        inserts = []
        for key, values in latest.items():
            if key in existing:
                qid, attempts = existing[key]
                updates.append({**values, "id": qid, "attempts": attempts + values["attempts"]})
            else:
                inserts.append(values)
        if updates:
            session.execute(update(QuarantinedRow), updates)
        if inserts:
            session.connection().execute(_INSERT_QUARANTINE, inserts)
        ids: dict[str, int] = {
            key: qid
            for qid, key in session.execute(
                select(QuarantinedRow.id, QuarantinedRow.source_key).where(
                    *where, QuarantinedRow.source_key.in_(list(latest))
                )
            )
            if key is not None
        }
        for r, key in zip(rejected, keys_of, strict=True):
            self.receipt.rejected.append(
                {
                    "row": r.row_number,
                    "quarantine_id": ids.get(key),
                    "reasons": [
                        {
                            "code": x.code,
                            "message": x.message,
                            "field": x.field,
                            "articles": [c.label() for c in x.citations],
                        }
                        for x in r.reasons
                    ],
                }
            )


_SUBJECT_COLUMNS = [c.name for c in table_of(Subject).columns if c.name != "id"]
_SUBJECT_TYPES = store.pg_binary_types(table_of(Subject), _SUBJECT_COLUMNS)


def _copy_subjects_pg(session: Session, subjects: Iterable[dict[str, Any]]) -> None:
    """PostgreSQL: subjects by binary COPY too (as `store.append_versions` writes the records),
    through a temporary table so that existing ones are skipped (ON CONFLICT)."""
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS subjects_stage"
            " (LIKE subjects INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        columns = ", ".join(_SUBJECT_COLUMNS)
        with cursor.copy(f"COPY subjects_stage ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_SUBJECT_TYPES)
            for row in subjects:
                copy.write_row([row[c] for c in _SUBJECT_COLUMNS])
        cursor.execute(
            f"INSERT INTO subjects ({columns}) SELECT {columns} FROM subjects_stage"
            " ON CONFLICT (subject_key) DO NOTHING"
        )


Results = list[ValidRow | Rejected]
#: yields (validated chunk, bytes of the file read so far or None)
ResultSource = Callable[[_Run], Iterator[tuple[Results, int | None]]]
Progress = Callable[[int, int | None], None]  # (rows in the chunk, bytes read so far)


class AfterBatch(Protocol):
    """What other domains do when a batch closes, in the batch's closing transaction, so that
    the client is told "done" only once all of it is committed. Ingestion imports no other
    domain's service: `xinyong.flows.AFTER_PUSH` is the one the platform passes."""

    def before_close(
        self, session: Session, ctx: Context, item_code: str, receipt: Receipt
    ) -> None:
        """Before the receipt is written: may add notes to it."""

    def at_close(self, session: Session) -> None:
        """The last statements before the batch's audit entry and the commit. What runs here
        may take a lock every closing batch waits for (the search index's state row), held
        until the commit: the shortest time this way."""


def _owner() -> str:
    """This process, as a batch records it: host, pid and the process's start (a pid is reused)."""
    pid = os.getpid()
    return f"{socket.gethostname()[:120]}|{pid}|{_process_start(pid) or ''}"


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), None if there is no such
    process or no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _owner_alive(owner: str) -> bool | None:
    """True/False for a process of this host; None for another host (cannot be checked)."""
    host, _, rest = owner.partition("|")
    pid_text, _, start = rest.partition("|")
    if host != socket.gethostname()[:120] or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if Path("/proc/self/stat").exists():
        return start != "" and _process_start(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _failure(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, DomainError):
        return {"code": exc.code, "message": exc.message}
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return {"code": "ingest.stopped", "message": "导入被中止"}
    return {"code": "ingest.error", "message": f"导入出错而中止（{type(exc).__name__}）"}


def _apply_chunk(ctx: Context, run: _Run, chunk: Results) -> None:
    """Apply one chunk in its own transaction, with the batch's running counts. A push of the
    same record committed meanwhile by another request (a unique violation) makes the chunk run
    again against what is now current: that row becomes unchanged or an update."""
    receipt = run.receipt
    parts: tuple[list[Any], ...] = (
        receipt.accepted,
        receipt.updated,
        receipt.unchanged,
        receipt.rejected,
    )
    kept = [len(part) for part in parts]
    rows = receipt.rows
    attempts = ctx.settings.ingest_conflict_retries + 1
    for attempt in range(attempts):
        try:
            with ctx.sessions() as session, session.begin():
                run.apply(session, chunk)
                session.execute(
                    update(IngestBatch)
                    .where(IngestBatch.id == run.batch.id)
                    .values(heartbeat_at=ctx.clock.now(), **receipt.counts())
                )
            return
        except Exception as exc:
            for part, length in zip(parts, kept, strict=True):
                del part[length:]
            receipt.rows = rows
            if not store.is_conflict(exc) or attempt == attempts - 1:
                raise


def _close_failed(ctx: Context, run: _Run | None, batch_id: int, exc: BaseException) -> None:
    """A batch that stopped: its receipt says what was committed before, and why it stopped."""
    failure = _failure(exc)
    values: dict[str, Any] = {"state": "failed", "finished_at": ctx.clock.now()}
    if run is not None:
        receipt = run.receipt.as_dict()
        receipt["error"] = failure
        receipt["notes"] = [
            *receipt.get("notes", []),
            f"导入未完成：{failure['message']}。回执所列各行已入库，其余未读取；"
            "更正后可重新导入整个文件，已入库的记录将计为未变，不会重复。",
        ]
        values |= {"receipt_json": json.dumps(receipt, ensure_ascii=False), **run.receipt.counts()}
    with ctx.sessions() as session, session.begin():
        session.execute(update(IngestBatch).where(IngestBatch.id == batch_id).values(**values))
        ctx.log(
            session,
            actor=run.actor if run else SYSTEM,
            action=AuditTag.INGEST_BATCH_FAIL,
            object_type="ingest_batch",
            object_id=batch_id,
            detail={**(run.receipt.counts() if run else {}), "error": failure["code"]},
        )


def close_crashed_batches(ctx: Context) -> list[int]:
    """Close every batch left `processing` by a process that died (kill -9, power loss): its
    receipt says what its committed chunks hold and that the rest was not read. A batch of this
    host is checked by its process (pid and start time); one of another host is taken as crashed
    when nothing has committed for `ingest_stale_minutes`. Run at server start, by
    `xinyong ingest` and by `xinyong jobs run`; safe to run anywhere at any time."""
    now = ctx.clock.now()
    stale = now - dt.timedelta(minutes=ctx.settings.ingest_stale_minutes)
    closed: list[int] = []
    with ctx.sessions() as session:
        candidates = session.scalars(
            select(IngestBatch).where(IngestBatch.state == "processing")
        ).all()
    for batch in candidates:
        alive = _owner_alive(batch.owner) if batch.owner else None
        if alive is None:
            last = batch.heartbeat_at or batch.received_at
            alive = last > stale
        if alive:
            continue
        counts = {
            "rows": batch.rows,
            "accepted": batch.accepted,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
            "rejected": batch.rejected,
        }
        host, _, rest = (batch.owner or "").partition("|")
        who = f"（主机{host}，进程{rest.split('|')[0]}）" if batch.owner else ""
        message = (
            f"导入进程{who}意外终止，批次未完成：终止前已提交{batch.rows}行"
            f"（新增{batch.accepted}、更新{batch.updated}、未变{batch.unchanged}、"
            f"拒收{batch.rejected}），其余未读取。请重新导入同一文件："
            "已入库的记录将计为未变，不会重复。"
        )
        receipt = {
            "batch_id": batch.id,
            "provider": batch.provider_code,
            "item": batch.item_code,
            "item_version": batch.item_version,
            **counts,
            "error": {"code": "ingest.interrupted", "message": message},
            "notes": [message],
        }
        with ctx.sessions() as session, session.begin():
            done = session.execute(
                update(IngestBatch)
                .where(IngestBatch.id == batch.id, IngestBatch.state == "processing")
                .values(
                    state="interrupted",
                    finished_at=now,
                    receipt_json=json.dumps(receipt, ensure_ascii=False),
                )
            )
            if not getattr(done, "rowcount", 0):
                continue  # closed meanwhile by another process
            ctx.log(
                session,
                actor=SYSTEM,
                action=AuditTag.INGEST_BATCH_INTERRUPTED,
                object_type="ingest_batch",
                object_id=batch.id,
                detail={**counts, "owner": batch.owner},
            )
        closed.append(batch.id)
    return closed


def _run_batch(
    ctx: Context,
    *,
    actor: Actor,
    provider_code: str,
    item_code: str,
    source: str,
    filename: str | None,
    results: ResultSource,
    progress: Progress | None,
    after: AfterBatch | None,
    fixing: int | None = None,
    ignore_extra: bool = False,
) -> Receipt:
    with ctx.sessions() as session, session.begin():
        item = get_item(session, item_code)
        authorise(session, ctx, actor, provider_code, item)
        batch = IngestBatch(
            provider_code=provider_code,
            item_code=item.code,
            item_version=item.version,
            source=source,
            filename=filename,
            actor=actor.username or actor.role.value,
            state="processing",
            received_at=ctx.clock.now(),
            owner=_owner(),
        )
        session.add(batch)
        session.flush()
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.INGEST_BATCH_OPEN,
            object_type="ingest_batch",
            object_id=batch.id,
            detail={
                "provider": provider_code,
                "item": item.code,
                "version": item.version,
                "source": source,
                "filename": filename,
            },
        )
        calendar = load_calendar(session)
    # The batch is open (committed): from here on its writes wait for their turn as long as
    # it takes, so that a batch once accepted is finished and closed with its receipt, not
    # abandoned half done when the platform is busy (write_gate.patient_writes).
    with patient_writes():
        return _fill_and_close(
            ctx, actor, batch, item, calendar, results, progress, after, fixing, ignore_extra
        )


def _fill_and_close(
    ctx: Context,
    actor: Actor,
    batch: IngestBatch,
    item: CatalogItem,
    calendar: WorkdayCalendar,
    results: ResultSource,
    progress: Progress | None,
    after: AfterBatch | None,
    fixing: int | None = None,
    ignore_extra: bool = False,
) -> Receipt:
    run: _Run | None = None
    try:
        run = _Run(ctx, actor, batch, item, calendar, fixing, ignore_extra)
        for chunk, position in results(run):
            if not chunk:
                continue
            _apply_chunk(ctx, run, chunk)
            if progress:
                progress(len(chunk), position)
    except BaseException as exc:
        if isinstance(exc, DomainError):  # the answer names the batch whose receipt tells more
            exc.details.setdefault("batch_id", batch.id)
            if run is not None:
                exc.details.setdefault("counts", run.receipt.counts())
        # if the database is gone too, the batch is closed on the next start instead
        with contextlib.suppress(Exception):
            _close_failed(ctx, run, batch.id, exc)
        raise
    receipt = run.receipt
    with ctx.sessions() as session, session.begin():
        if after is not None:
            after.before_close(session, ctx, item.code, receipt)
        counts = receipt.counts()
        session.execute(
            update(IngestBatch)
            .where(IngestBatch.id == batch.id)
            .values(
                state="done",
                finished_at=ctx.clock.now(),
                receipt_json=json.dumps(receipt.as_dict(), ensure_ascii=False),
                **counts,
            )
        )
        if after is not None:
            after.at_close(session)
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.INGEST_BATCH_CLOSE,
            object_type="ingest_batch",
            object_id=batch.id,
            detail=counts,
        )
    return receipt


def ingest(
    ctx: Context,
    *,
    actor: Actor,
    provider_code: str,
    item_code: str,
    rows: Iterable[Row],
    source: str,
    after: AfterBatch | None,
    filename: str | None = None,
    chunk_size: int = CHUNK,
    progress: Progress | None = None,
    fixing: int | None = None,
) -> Receipt:
    """Ingest rows from any reader, validating in this process; returns the receipt. Each chunk
    commits on its own, so a crash loses nothing committed, and re-running the input is harmless.
    `after` is what other domains do when the batch closes (`xinyong.flows.AFTER_PUSH`; None in
    a test of ingestion alone). `fixing`: the quarantined row a one-row fix in place is for."""

    def results(run: _Run) -> Iterator[tuple[Results, int | None]]:
        for chunk in _chunks(rows, chunk_size):
            yield run.validate(chunk), None

    return _run_batch(
        ctx,
        actor=actor,
        provider_code=provider_code,
        item_code=item_code,
        source=source,
        filename=filename,
        results=results,
        progress=progress,
        after=after,
        fixing=fixing,
    )


#: Below this size a file is read in this process: starting a worker costs about half a second.
PARALLEL_MIN_BYTES = 4_000_000


def ingest_file(
    ctx: Context,
    *,
    actor: Actor,
    provider_code: str,
    item_code: str,
    path: Path,
    kind: str,
    after: AfterBatch | None,
    source: str | None = None,
    filename: str | None = None,
    chunk_size: int = CHUNK,
    progress: Progress | None = None,
    parallel: bool | None = None,
) -> Receipt:
    """Ingest a CSV or Excel file. A large file is read and validated in a worker process while
    this one writes to the database (two cores, two stages); the queue between them is bounded,
    so memory stays bounded whatever the file's size. The worker dies with this process."""
    if parallel is None:
        parallel = path.stat().st_size >= PARALLEL_MIN_BYTES
    limits = ReadLimits.from_settings(ctx.settings)

    def local(run: _Run) -> Iterator[tuple[Results, int | None]]:
        with path.open("rb") as raw:
            counting = CountingReader(raw)
            rows = read_file(kind, counting, limits, run.spec.field_names)  # type: ignore[arg-type]
            for chunk in _chunks(rows, chunk_size):
                yield run.validate(chunk), counting.position

    def worker(run: _Run) -> Iterator[tuple[Results, int | None]]:
        mp = multiprocessing.get_context("spawn")
        queue: Any = mp.Queue(maxsize=4)
        process = mp.Process(
            target=_validate_in_worker,
            args=(
                str(path),
                kind,
                run.spec.model_dump_json(),
                ctx.platform.code,
                run.today.isoformat(),
                chunk_size,
                queue,
                limits,
                os.getpid(),
            ),
            daemon=True,
        )
        process.start()
        try:
            while True:
                try:
                    message = queue.get(timeout=2)
                except Empty:
                    if not process.is_alive():
                        raise RuntimeError("校验进程意外退出") from None
                    continue
                tag = message[0]
                if tag == "chunk":
                    run.receipt.ignore(message[3])
                    yield message[1], message[2]
                elif tag == "done":
                    return
                else:
                    _, code, text, status = message
                    if code:
                        raise DomainError(code=code, message=text, status=status)
                    raise RuntimeError(text)
        finally:
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)
            queue.close()
            queue.join_thread()

    return _run_batch(
        ctx,
        actor=actor,
        provider_code=provider_code,
        item_code=item_code,
        source=source or kind,
        filename=filename or path.name,
        results=worker if parallel else local,
        progress=progress,
        after=after,
        ignore_extra=True,
    )


#: PR_SET_PDEATHSIG (linux/prctl.h): the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive the process it works for (a kill -9 of the ingest): on Linux
    the kernel kills it with its parent (PR_SET_PDEATHSIG); elsewhere, and as a second guard, a
    thread watches the parent's pid and ends the process when it changes."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the watchdog alone
        pass
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)

    def watch() -> None:
        while True:
            threading.Event().wait(1)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _validate_in_worker(
    path: str,
    kind: str,
    spec_json: str,
    platform: str,
    today: str,
    chunk_size: int,
    queue: Any,
    limits: ReadLimits,
    parent: int,
) -> None:
    """The worker stage: read and validate, hand over validated chunks."""
    _die_with_parent(parent)
    from xinyong.catalog.schemas import CatalogItemSpec
    from xinyong.law.rules import default_library

    try:
        spec = CatalogItemSpec.model_validate_json(spec_json)
        validator = RowValidator(
            spec,
            default_library().ruleset(platform),
            dt.date.fromisoformat(today),
            ignore_extra=True,
        )
        with open(path, "rb") as raw:
            counting = CountingReader(raw)
            rows = read_file(kind, counting, limits, spec.field_names)  # type: ignore[arg-type]
            for chunk in _chunks(rows, chunk_size):
                results = [validator.validate(number, row) for number, row in chunk]
                queue.put(("chunk", results, counting.position, list(validator.ignored)))
        queue.put(("done",))
    except DomainError as exc:
        queue.put(("error", exc.code, exc.message, exc.status))
    except Exception as exc:  # reported to the main process, which fails the batch
        queue.put(("error", None, repr(exc), 500))


BATCH_STATE_LABELS = {
    "processing": "处理中",
    "done": "已完成",
    "failed": "未完成",
    "interrupted": "意外中止",
}
SOURCE_LABELS = {
    "api": "接口推送",
    "csv": "CSV文件",
    "xlsx": "Excel文件",
    "xls": "Excel文件（97-2003）",
    "resubmit": "更正重交",
}


def list_batches(
    session: Session,
    actor: Actor,
    provider_code: str,
    *,
    item: str | None = None,
    on: dt.date | None = None,
    state: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[int, list[IngestBatch]]:
    """A unit's batches, newest first: by catalog item, by day received (Beijing time), by state."""
    from sqlalchemy import func

    from xinyong.common.clock import PLATFORM_TZ

    if actor.role is Role.PROVIDER and actor.provider_code != provider_code:
        raise Forbidden("ingest.other_provider", "只能查看本单位的推送批次")
    query = select(IngestBatch).where(IngestBatch.provider_code == provider_code)
    if item:
        query = query.where(IngestBatch.item_code == item)
    if state:
        query = query.where(IngestBatch.state == state)
    if on is not None:
        start = dt.datetime.combine(on, dt.time(), PLATFORM_TZ)
        query = query.where(
            IngestBatch.received_at >= start,
            IngestBatch.received_at < start + dt.timedelta(days=1),
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(IngestBatch.id.desc()).limit(limit).offset(offset))
    return int(total), list(rows)


def describe_batch(row: IngestBatch) -> dict[str, Any]:
    """A batch as its receipt: the counts kept up to date per chunk while it runs."""
    return {
        **json.loads(row.receipt_json or "{}"),
        "batch_id": row.id,
        "provider": row.provider_code,
        "item": row.item_code,
        "item_version": row.item_version,
        "state": row.state,
        "state_label": BATCH_STATE_LABELS.get(row.state, row.state),
        "source": row.source,
        "source_label": SOURCE_LABELS.get(row.source, row.source),
        "filename": row.filename,
        "received_at": row.received_at.isoformat(),
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "rows": row.rows,
        "accepted": row.accepted,
        "updated": row.updated,
        "unchanged": row.unchanged,
        "rejected": row.rejected,
    }
