"""Search. Names are cut into bigrams by set-based SQL (one INSERT ... SELECT for every subject
added since the last run), so the index keeps up with bulk ingestion without per-row Python."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from xinyong.common.errors import DomainError, Forbidden
from xinyong.common.identifiers import check_identifier
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.search.models import SearchState, SubjectNameGram
from xinyong.sharing.masking import mask_id_number, mask_name
from xinyong.subjects.models import Subject

MIN_QUERY = 2
LIMIT = 20
_BUILD = text(
    "INSERT INTO subject_name_grams (gram, subject_id)"
    " SELECT DISTINCT substr(s.name, p.i, 2), s.id FROM subjects s"
    " JOIN gram_positions p ON p.i < length(s.name)"
    " WHERE s.id > :after AND s.id <= :upto AND s.kind <> 'natural_person'"
)


def refresh_index(session: Session) -> int:
    """Index the names of subjects added since the last run; returns how many subjects."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(SearchState).values(id=1, indexed_upto=0).on_conflict_do_nothing()
    )
    state = session.execute(
        select(SearchState).where(SearchState.id == 1).with_for_update()
    ).scalar_one()
    upto = session.scalar(select(func.max(Subject.id))) or 0
    if upto <= state.indexed_upto:
        return 0
    session.execute(_BUILD, {"after": state.indexed_upto, "upto": upto})
    count = upto - state.indexed_upto
    state.indexed_upto = upto
    return count


def _escape_like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(session: Session, ctx: Context, actor: Actor, query: str) -> list[dict[str, Any]]:
    q = query.strip()
    if len(q) < MIN_QUERY:
        raise DomainError(code="search.too_short", message=f"请至少输入{MIN_QUERY}个字")
    check = check_identifier(q, ctx.today()) if len(q) == 18 else None
    if check is not None and check.valid:
        return _by_identifier(session, ctx, actor, check.value, check.kind)
    gram = q[:2]
    rows = session.execute(
        select(Subject)
        .join(SubjectNameGram, SubjectNameGram.subject_id == Subject.id)
        .where(
            SubjectNameGram.gram == gram,
            Subject.kind != "natural_person",
            Subject.name.like(f"%{_escape_like(q)}%", escape="\\"),
        )
        .order_by(func.length(Subject.name), Subject.id)
        .limit(LIMIT)
    ).scalars()
    return [_row(s, masked=False) for s in rows]


def _row(subject: Subject, masked: bool) -> dict[str, Any]:
    return {
        "subject_key": mask_id_number(subject.subject_key) if masked else subject.subject_key,
        "name": mask_name(subject.name) if masked else subject.name,
        "kind": subject.kind,
        "region": subject.region_code,
    }


def _by_identifier(
    session: Session, ctx: Context, actor: Actor, key: str, kind: str
) -> list[dict[str, Any]]:
    subject = session.scalar(select(Subject).where(Subject.subject_key == key))
    if kind == "citizen_id":
        own = actor.role is Role.SUBJECT and actor.subject_key == key
        if not own and actor.role not in (Role.STAFF, Role.ADMIN, Role.AGENCY):
            rule = ctx.rules.get("opening.never_open_personal_fields", ctx.today())
            raise Forbidden(
                "search.natural_person",
                "自然人只能由本人或依法履职的机关按身份号码查询",
                list(rule.citations),
            )
        ctx.log(
            session,
            actor=actor,
            action="search:citizen-id:lookup",
            subject_key=key,
            personal_read=subject is not None,
            detail={"found": subject is not None},
        )
    return [_row(subject, masked=False)] if subject is not None else []
