"""Evaluation runs, one subject's re-evaluation, and a grade's explanation.

A run reads the whole population through the one feature query (set-based, no per-subject ORM
loop), scores it in Arrow batches and appends one result per subject; nothing is overwritten.
A correction, withdrawal or repair of a subject's record re-evaluates that subject at once, in
the same transaction (records/store.ON_VERSIONS; this module registers itself when imported,
and xinyong.context imports it)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import orjson
import pyarrow as pa
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.cases.service import ON_OUTCOMES, OutcomeDecided
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.db import table_of
from xinyong.evaluation import features
from xinyong.evaluation.model import PLATFORM_NOTE, Model, model_on, model_version
from xinyong.evaluation.models import EvaluationResult, EvaluationRun
from xinyong.evaluation.scoring import scorer
from xinyong.records import store
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject

_runs = table_of(EvaluationRun)
BATCH = 50_000
#: the record changes that re-evaluate their subject at once
REEVALUATE_ON = frozenset({"correction", "withdrawal", "repaired", "objection_upheld"})
BASIS = "《黑龙江省社会信用条例》第四十七条第一款"


def _batch(model: Model, rows: Sequence[Any]) -> pa.RecordBatch:
    columns = model.feature_columns()
    by_column = list(zip(*rows, strict=True))
    arrays = [pa.array(by_column[0], pa.string())]
    arrays += [pa.array(values, pa.int64()) for values in by_column[1:]]
    return pa.RecordBatch.from_arrays(arrays, names=["subject_key", *columns])


RESULT_COLUMNS = ("run_id", "subject_key", "score", "grade", "points_json")


def _result_rows(model: Model, run_id: int, scored: pa.RecordBatch) -> list[tuple[Any, ...]]:
    """(run_id, subject_key, score, grade, points_json) for each row of a scored batch; the
    points of the indicators that moved the grade, by code."""
    codes = [i.code for i in model.indicators]
    points = [scored.column(f"pts_{c}").to_pylist() for c in codes]
    rows = []
    for n, (key, score, grade) in enumerate(
        zip(
            scored.column("subject_key").to_pylist(),
            scored.column("score").to_pylist(),
            scored.column("grade").to_pylist(),
            strict=True,
        )
    ):
        moved = {c: p[n] for c, p in zip(codes, points, strict=True) if p[n]}
        shown = orjson.dumps(moved, option=orjson.OPT_SORT_KEYS).decode() if moved else "{}"
        rows.append((run_id, key, score, grade, shown))
    return rows


_COPY = f"COPY evaluation_results ({', '.join(RESULT_COLUMNS)}) FROM STDIN"
_INSERT_ROWS = (
    f"INSERT INTO evaluation_results ({', '.join(RESULT_COLUMNS)}) VALUES (?, ?, ?, ?, ?)"
)


def _append_results(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Results appended in bulk: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    connection = session.connection()
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        connection.exec_driver_sql(_INSERT_ROWS, rows)


def _start(
    session: Session,
    model: Model,
    *,
    kind: str,
    as_of: dt.date,
    now: dt.datetime,
    by: str,
    subject_key: str | None = None,
    reason: str | None = None,
    monthly: str | None = None,
) -> int:
    run = EvaluationRun(
        kind=kind,
        model=model.model,
        model_version=model.version,
        as_of=as_of,
        data_at=now,
        monthly=monthly,
        subject_key=subject_key,
        reason=reason,
        subjects=0,
        started_at=now,
        started_by=by,
    )
    session.add(run)
    session.flush()
    return run.id


def _evaluate(
    session: Session,
    model: Model,
    run_id: int,
    as_of: dt.date,
    now: dt.datetime,
    subject_key: str | None = None,
) -> int:
    """Feature query → Arrow batches → scores → results appended; the number evaluated."""
    params = features.parameters(model, as_of, now)
    if subject_key is not None:
        params["subject"] = subject_key
    sql = features.statement(features.feature_sql(model, one=subject_key is not None))
    result = session.connection().execute(sql, params)
    score = scorer(model)
    count = 0
    while rows := result.fetchmany(BATCH):
        scored = score(_batch(model, rows))
        _append_results(session, _result_rows(model, run_id, scored))
        count += scored.num_rows
    return count


def run_all(
    ctx: Context, *, actor: Actor, monthly: str | None = None, on: dt.date | None = None
) -> dict[str, Any]:
    """Evaluate every legal person and organisation as of today (or `on`), in one run."""
    as_of = on or ctx.today()
    model = model_on(as_of)
    now = ctx.clock.now()
    with ctx.sessions() as session, session.begin():
        run_id = _start(
            session, model, kind="full", as_of=as_of, now=now, by=actor.label, monthly=monthly
        )
        count = _evaluate(session, model, run_id, as_of, now)
        run = session.get(EvaluationRun, run_id)
        assert run is not None
        run.subjects, run.finished_at = count, ctx.clock.now()
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.EVALUATION_RUN_COMPLETE,
            object_type="evaluation_run",
            object_id=str(run_id),
            legal_basis=BASIS,
            detail={"model": model.version, "as_of": as_of.isoformat(), "subjects": count},
        )
    return {"run": run_id, "model": model.version, "as_of": as_of.isoformat(), "subjects": count}


def has_monthly(session: Session, month: str) -> bool:
    return (
        session.scalar(select(EvaluationRun.id).where(EvaluationRun.monthly == month)) is not None
    )


def _reevaluate(
    session: Session, subject_key: str, now: dt.datetime, by: str, reason: str
) -> int | None:
    """One subject evaluated at once (a `subject` run of one); None: not an organisation."""
    kind = session.scalar(select(Subject.kind).where(Subject.subject_key == subject_key))
    if kind is None or kind == "natural_person":
        return None
    as_of = now.astimezone(PLATFORM_TZ).date()
    model = model_on(as_of)
    run_id = _start(
        session,
        model,
        kind="subject",
        as_of=as_of,
        now=now,
        by=by,
        subject_key=subject_key,
        reason=reason,
    )
    count = _evaluate(session, model, run_id, as_of, now, subject_key)
    session.connection().execute(
        _runs.update().where(_runs.c.id == run_id).values(subjects=count, finished_at=now)
    )
    return run_id


def reevaluate(
    session: Session, ctx: Context, subject_key: str, *, actor: Actor, reason: str = "重新评价"
) -> int | None:
    """Re-evaluate one subject now, in the caller's transaction; audited."""
    run_id = _reevaluate(session, subject_key, ctx.clock.now(), actor.label, reason)
    if run_id is not None:
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.EVALUATION_SUBJECT_REEVALUATE,
            object_type="evaluation_run",
            object_id=str(run_id),
            subject_key=subject_key,
            legal_basis=BASIS,
            detail={"reason": reason},
        )
    return run_id


PENDING = "xinyong.evaluation.pending"  # session.info: subjects to re-evaluate at commit


def _mark(session: Session, subject_key: str, reason: str, now: dt.datetime) -> None:
    pending: dict[str, tuple[str, dt.datetime]] = session.info.setdefault(PENDING, {})
    pending[subject_key] = (reason, now)


def on_versions(session: Session, keys: list[store.VersionKey], now: dt.datetime) -> None:
    """A correction, withdrawal or repair re-evaluates its subject before the transaction
    commits (after everything else it does, e.g. a repair's list entries removed). Such changes
    are written one version at a time (store.supersede); a bulk append is an ingestion batch of
    new and updated records, which the next run counts."""
    if len(keys) > 20:
        return
    session.flush()
    for key in keys:
        found = session.execute(
            select(CreditRecord.subject_key, CreditRecord.change).where(
                CreditRecord.provider_code == key.provider_code,
                CreditRecord.item_code == key.item_code,
                CreditRecord.record_key == key.record_key,
                CreditRecord.version == key.version,
            )
        ).first()
        if found is not None and found.change in REEVALUATE_ON:
            reason = f"记录{key.record_key}第{key.version}版（{found.change}）"
            _mark(session, found.subject_key, reason, now)


def on_outcome(session: Session, ctx: Context, decided: OutcomeDecided) -> None:
    """An upheld objection or a repair decided in a case (a listing removed without a record
    change, too) re-evaluates the subject."""
    _mark(session, decided.subject_key, f"案件{decided.case_number}", decided.decided_at)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    pending: dict[str, tuple[str, dt.datetime]] | None = session.info.pop(PENDING, None)
    if not pending:
        return
    session.flush()
    for subject_key, (reason, now) in pending.items():
        _reevaluate(session, subject_key, now, "system", reason)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


if on_versions not in store.ON_VERSIONS:
    store.ON_VERSIONS.append(on_versions)
if on_outcome not in ON_OUTCOMES:
    ON_OUTCOMES.append(on_outcome)


# ---------------------------------------------------------------- reading a grade


def _latest(session: Session, subject_key: str) -> tuple[EvaluationResult, EvaluationRun] | None:
    row = session.execute(
        select(EvaluationResult, EvaluationRun)
        .join(EvaluationRun, EvaluationRun.id == EvaluationResult.run_id)
        .where(EvaluationResult.subject_key == subject_key)
        .order_by(EvaluationResult.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def explain(session: Session, subject_key: str) -> dict[str, Any]:
    """The subject's latest grade, and what moved it: each indicator's points with the items
    (records, list entries, commitments) it counted, each with its age band and points."""
    found = _latest(session, subject_key)
    if found is None:
        raise NotFound("evaluation.none", "该主体尚无公共信用综合评价结果")
    result, run = found
    model = model_version(run.model_version)
    if model is None:
        raise DomainError(code="evaluation.model_missing", message="评价模型版本缺失")
    points: dict[str, float] = json.loads(result.points_json)
    params = features.parameters(model, run.as_of, run.data_at)
    params["subject"] = subject_key
    items = session.execute(features.statement(features.item_sql()), params).mappings().all()
    indicators = []
    for ind in model.indicators:
        moved = []
        for item in items:
            if item["indicator"] != ind.code or item["on_day"] is None:
                continue
            on_day = item["on_day"]
            if isinstance(on_day, str):
                on_day = dt.date.fromisoformat(on_day[:10])
            band = ind.band_of((run.as_of - on_day).days)
            if band is None or on_day > run.as_of:
                continue
            moved.append(
                {
                    "source": item["source"],
                    "ref": item["ref"],
                    "title": item["title"],
                    "on": on_day.isoformat(),
                    "age_band": band.name,
                    "factor": band.factor,
                    "points": round(ind.points_per_item * band.factor, 2),
                }
            )
        total = float(points.get(ind.code, 0.0))
        if not moved and not total:
            continue
        indicators.append(
            {
                "code": ind.code,
                "name": ind.name,
                "points": total,
                "capped": round(sum(m["points"] for m in moved), 2) != total,
                "source": ind.source.as_dict(),
                "items": moved,
            }
        )
    grade = model.grade_named(result.grade)
    ceilings = [
        {
            "indicator": ind.code,
            "grade": ind.grade_ceiling,
            "source": ind.grade_ceiling_source.as_dict() if ind.grade_ceiling_source else None,
        }
        for ind in model.indicators
        if ind.grade_ceiling and any(i["code"] == ind.code for i in indicators)
    ]
    return {
        "subject_key": subject_key,
        "grade": result.grade,
        "grade_name": grade.name,
        "score": result.score,
        "base_score": model.base_score,
        "run": run.id,
        "run_kind": run.kind,
        "as_of": run.as_of.isoformat(),
        "model": model.version,
        "model_name": model.name,
        "indicators": indicators,
        "ceilings": ceilings,
        "bands": [
            {"grade": g.grade, "min_score": g.min_score, "name": g.name} for g in model.grades
        ],
        "bands_source": model.grades_source.as_dict(),
        "setting_note": PLATFORM_NOTE,
        "basis": BASIS,
    }


READERS = (Role.SUBJECT, Role.STAFF, Role.ADMIN, Role.AGENCY, Role.ORGANISATION)


def read_grade(
    ctx: Context, *, actor: Actor, subject_key: str, purpose: str | None
) -> dict[str, Any]:
    """A subject's grade and explanation for the subject itself, staff, and the recipients HLJ 47
    ¶1 names (agencies; banks and other institutions under agreement), who state a purpose. Not
    public. Every read audited, in the subject's access log."""
    own = actor.role is Role.SUBJECT and actor.subject_key == subject_key
    if actor.role not in READERS or (actor.role is Role.SUBJECT and not own):
        raise Forbidden(
            "evaluation.not_open",
            "公共信用综合评价结果推送相关行政机关、金融机构、行业协会、商会等单位参考使用，"
            "不向社会公开（《黑龙江省社会信用条例》第四十七条第一款）；信用主体可查看本主体的结果",
        )
    if actor.role in (Role.AGENCY, Role.ORGANISATION) and not (purpose or "").strip():
        raise DomainError(
            code="evaluation.purpose_required",
            message="查询公共信用综合评价结果须说明用途（《黑龙江省社会信用条例》第四十七条第一款）",
        )
    with ctx.sessions() as session:
        answer = explain(session, subject_key)
    entry = ctx.read_entry(
        actor=actor,
        action=AuditTag.EVALUATION_GRADE_READ,
        object_type="evaluation_result",
        object_id=str(answer["run"]),
        subject_key=subject_key,
        purpose=(purpose or "").strip()[:200] or None,
        legal_basis=BASIS,
        detail={"grade": answer["grade"], "run": answer["run"]},
    )
    answer["audit_id"] = ctx.reads.write(entry)
    return answer


def own_grade(ctx: Context, actor: Actor) -> dict[str, Any] | None:
    """The subject's own grade and explanation for /me (audited like every read of it); None
    where it has none (a natural person, or no run yet)."""
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return None
    try:
        return read_grade(ctx, actor=actor, subject_key=actor.subject_key, purpose=None)
    except NotFound:
        return None
