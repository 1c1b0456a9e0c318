"""Search. Names are cut into bigrams by set-based SQL (one INSERT ... SELECT for every subject
added since the last run), so the index keeps up with bulk ingestion without per-row Python.

A query walks the postings of its rarest bigram (exact counts are kept per bigram) in rank order
(shortest name, then oldest subject), a slice at a time, keeps the candidates whose name contains
the query, and stops once the first page is full. Its cost follows the page size, not how many
names share the bigram. The walk is driven from here, not left to a planner: PostgreSQL, asked for
the same thing in one statement, misjudged how many names would match and sorted every posting."""

from __future__ import annotations

import re
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError, Forbidden
from xinyong.common.identifiers import check_identifier, explain
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.search.models import SearchState, SubjectNameGram, SubjectNameGramCount
from xinyong.subjects.models import Subject
from xinyong.visibility.masking import mask_id_number, mask_name

MIN_QUERY = 2
LIMIT = 20
_NEW_GRAMS = (
    "SELECT DISTINCT substr(s.name, p.i, 2) AS gram, length(s.name) AS name_len, s.id"
    " FROM subjects s JOIN gram_positions p ON p.i < length(s.name)"
    " WHERE s.id > :after AND s.id <= :upto AND s.kind <> 'natural_person'"
)
_BUILD = text(f"INSERT INTO subject_name_grams (gram, name_len, subject_id) {_NEW_GRAMS}")
_COUNT = text(
    "INSERT INTO subject_name_gram_counts (gram, postings)"
    f" SELECT gram, count(*) FROM ({_NEW_GRAMS}) AS new_grams GROUP BY gram"
    " ON CONFLICT (gram) DO UPDATE"
    " SET postings = subject_name_gram_counts.postings + excluded.postings"
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
    span = {"after": state.indexed_upto, "upto": upto}
    session.execute(_BUILD, span)
    session.execute(_COUNT, span)
    count = upto - state.indexed_upto
    state.indexed_upto = upto
    return count


def _escape_like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_CODE_LIKE = re.compile(r"^[0-9A-Za-z]{15,20}$")
MAX_PAGES = 50


def search(session: Session, ctx: Context, actor: Actor, query: str) -> list[dict[str, Any]]:
    """The first page of subjects for `query` (the API's answer)."""
    results: list[dict[str, Any]] = search_page(session, ctx, actor, query)["results"]
    return results


def search_page(
    session: Session, ctx: Context, actor: Actor, query: str, page: int = 1
) -> dict[str, Any]:
    """`results` (one page of LIMIT), `total` and `pages`; a value that looks like a code but
    is not a valid one is answered with the rule it breaks (`problem`), computed from the value
    alone, so it never tells whether a person is on file."""
    q = query.strip()
    if len(q) < MIN_QUERY:
        raise DomainError(code="search.too_short", message=f"请至少输入{MIN_QUERY}个字")
    page = max(1, min(page, MAX_PAGES))
    compact = q.replace(" ", "")
    if _CODE_LIKE.match(compact) and any(c.isdigit() for c in compact):
        check = check_identifier(compact, ctx.today())
        if not check.valid:
            return {
                "results": [],
                "total": 0,
                "more": False,
                "page": 1,
                "pages": 1,
                "problem": explain(check),
            }
        found = _by_identifier(session, ctx, actor, check.value, check.kind)
        return {
            "results": found,
            "total": len(found),
            "more": False,
            "page": 1,
            "pages": 1,
            "problem": None,
        }
    rows, total = _by_name(session, q, page)
    # A two-character query's total is its bigram's posting count, kept by the index; a longer
    # one is not counted (a count of every match cost 3 s at p95 on PostgreSQL with 20,000
    # subjects, against 4 ms for the page): "more than" the pages read so far, and a next page.
    more = total < 0
    total = page * LIMIT if more else total
    pages = min(MAX_PAGES, page + 1 if more else max(1, -(-total // LIMIT)))
    return {
        "results": rows,
        "total": total,
        "more": more,
        "page": page,
        "pages": pages,
        "problem": None,
    }


def _by_name(session: Session, q: str, page: int) -> tuple[list[dict[str, Any]], int]:
    grams = {q[i : i + 2] for i in range(len(q) - 1)}
    postings = dict(
        session.execute(
            select(SubjectNameGramCount.gram, SubjectNameGramCount.postings).where(
                SubjectNameGramCount.gram.in_(grams)
            )
        ).all()
    )
    if len(postings) < len(grams):  # a bigram no name holds: nothing can match
        return [], 0
    driver = min(sorted(grams), key=postings.__getitem__)
    contains = Subject.name.like(f"%{_escape_like(q)}%", escape="\\") if len(q) > 2 else None
    others = sorted(grams - {driver}, key=postings.__getitem__)
    # one name past the page: whether another page follows, for the price of one row
    found = _walk(session, driver, others, contains, want=page * LIMIT + 1)
    rows = [_row(s, masked=False) for s in found[(page - 1) * LIMIT : page * LIMIT]]
    if len(found) <= page * LIMIT:  # the walk reached the end: the total is known
        return rows, len(found)
    if contains is None:  # a bigram: the index keeps how many names hold it
        return rows, int(postings[driver])
    return rows, -1  # a longer query: more than these, not counted


FIRST_SLICE, LARGEST_SLICE = 64, 4096
_POSTINGS = aliased(SubjectNameGram)


def _probe(gram: str) -> ColumnElement[bool]:
    """The posting's name holds `gram` too: a lookup of the same key. (A scalar subquery with
    LIMIT 1, which PostgreSQL evaluates per posting instead of turning it into a join.)"""
    other = aliased(SubjectNameGram)
    return (
        select(other.subject_id)
        .where(
            other.gram == gram,
            other.name_len == _POSTINGS.name_len,
            other.subject_id == _POSTINGS.subject_id,
        )
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )


def _walk(
    session: Session,
    gram: str,
    others: list[str],
    contains: ColumnElement[bool] | None,
    want: int = LIMIT,
) -> list[Any]:
    """The first page of names holding `gram`, the `others` and, for longer queries, the query
    itself, in rank order. A two-character query is its bigram: one slice of the page's size."""
    page: list[Any] = []
    after: tuple[int, int] | None = None
    size = want if contains is None else FIRST_SLICE
    probes = [_probe(other) for other in others]
    while len(page) < want:
        slice_ = select(_POSTINGS.name_len, _POSTINGS.subject_id).where(
            _POSTINGS.gram == gram, *probes
        )
        if after is not None:  # keyset: continue after the last posting read
            slice_ = slice_.where(tuple_(_POSTINGS.name_len, _POSTINGS.subject_id) > tuple_(*after))
        postings = session.execute(
            slice_.order_by(_POSTINGS.name_len, _POSTINGS.subject_id).limit(size)
        ).all()
        if not postings:
            break
        ids = [p.subject_id for p in postings]
        found = {
            row.id: row
            for row in session.execute(
                select(
                    Subject.id, Subject.subject_key, Subject.name, Subject.kind, Subject.region_code
                ).where(
                    Subject.id.in_(ids),
                    Subject.kind != "natural_person",
                    *([contains] if contains is not None else []),
                )
            )
        }
        page.extend(found[i] for i in ids if i in found)
        if len(postings) < size:
            break
        after = (postings[-1].name_len, postings[-1].subject_id)
        size = min(size * 4, LARGEST_SLICE)
    return page[:want]


class _SubjectRow(Protocol):
    subject_key: str
    name: str
    kind: str
    region_code: str | None


def _row(subject: _SubjectRow, masked: bool) -> dict[str, Any]:
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
            action=AuditTag.SEARCH_CITIZEN_ID_LOOKUP,
            subject_key=key,
            personal_read=subject is not None,
            detail={"found": subject is not None},
        )
    return [_row(subject, masked=False)] if subject is not None else []
