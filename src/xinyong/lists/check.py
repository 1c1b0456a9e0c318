"""The joint reward-and-punishment check (联合奖惩, HLJ 43, HLJ 44, HRB 28).

An agency names a scenario and one or many subjects; the answer lists, per subject, the
incentives and the constraints or punishments that apply today, each with its measure, basis,
list entry, term and article — only published measures, only entries in force, only measures
whose term has not ended. Every check is stored with its answer and audited once; the subjects
see it in their access logs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, any_, bindparam, cast, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.db import table_of
from xinyong.law.workdays import add_period
from xinyong.lists.measures import LIST_OF_MEASURE, measure_in_force
from xinyong.lists.models import CreditCheck, CreditCheckResult, ListEntry, Measure
from xinyong.lists.recognition import LIST_LABELS
from xinyong.subjects.models import Subject

CHUNK = 900  # keys per IN (...) query, under SQLite's variable limit
PG_CHUNK = 10_000  # keys per = ANY(array) query on PostgreSQL
MAX_SUBJECTS = 100_000
CHECKERS = (Role.AGENCY, Role.STAFF, Role.ADMIN)
_RESULTS = table_of(CreditCheckResult)


@dataclass(frozen=True)
class _Applicable:
    measure: Measure
    label: dict[str, Any]


@dataclass
class CheckAnswer:
    check: CreditCheck
    results: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check.id,
            "scenario": self.check.scenario,
            "matter": self.check.matter,
            "on": self.check.on_date.isoformat(),
            "asked_by": self.check.asked_by,
            "subjects": self.check.subjects,
            "with_measures": self.check.with_measures,
            "digest": self.check.digest,
            "audit_receipt": self.check.audit_id,
            "results": self.results,
        }


def _measures(session: Session, scenario: str, on: dt.date) -> dict[tuple[str, str], list[Any]]:
    """Measures in force for the scenario, by (list, target): published, not withdrawn."""
    found: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for m in session.scalars(select(Measure)):
        if not measure_in_force(m, on) or scenario not in json.loads(m.scenarios_json):
            continue
        categories = frozenset(json.loads(m.conduct_categories_json))
        for target in json.loads(m.targets_json):
            found[(LIST_OF_MEASURE[m.list_kind], target)].append((m, categories))
    return found


def _item(m: Measure, entry: ListEntry, ends: dt.date) -> dict[str, Any]:
    return {
        "measure": m.code,
        "name": m.name,
        "kind": m.list_kind,
        "legal_basis": m.legal_basis,
        "implementing_agency": m.implementing_agency,
        "entry": entry.number,
        "list": LIST_LABELS[entry.list_kind],
        "relation": entry.relation,
        "basis": entry.basis_document,
        "until": ends.isoformat(),
        "removal_conditions": entry.removal_conditions,  # HRB 31 ¶3: how the measure is lifted
        "remedies": entry.remedies,
        "citations": [c["label"] for c in json.loads(entry.citations)],
    }


def _applicable(
    entry: ListEntry, measures: dict[tuple[str, str], list[Any]], on: dt.date
) -> list[dict[str, Any]]:
    target = "related_person" if entry.parent_id else "subject"
    chosen = set(json.loads(entry.measure_codes))  # the measures the decision named, if any
    out = []
    for m, categories in measures.get((entry.list_kind, target), ()):
        if chosen and m.code not in chosen:
            continue
        if entry.list_kind == "serious" and entry.conduct_category not in categories:
            continue  # HLJ 30 ¶1: a measure applies only to the conduct it is linked to
        ends = entry.valid_until
        if m.term_amount and m.term_unit and entry.valid_from:
            ends = min(ends, add_period(entry.valid_from, m.term_amount, m.term_unit))
        if on <= ends:
            out.append(_item(m, entry, ends))
    return out


def _chunks(keys: list[str], size: int = CHUNK) -> Iterable[list[str]]:
    for i in range(0, len(keys), size):
        yield keys[i : i + size]


def key_filter(session: Session, column: Any, keys: list[str]) -> Any:
    """`column IN (...)`: on PostgreSQL one array parameter (= ANY), which plans once for any
    number of keys; on SQLite an expanded IN list, within its variable limit."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(bindparam("keys", keys, type_=ARRAY(String)), ARRAY(String)))
    return column.in_(keys)


def chunk_size(session: Session) -> int:
    return PG_CHUNK if session.get_bind().dialect.name == "postgresql" else CHUNK


def run_check(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    scenario: str,
    subject_keys: list[str],
    matter: str | None = None,
) -> CheckAnswer:
    """Run and store the check. Its audit receipt (`check.audit_id`) is numbered when the
    session commits: read `as_dict()` after the commit."""
    if actor.role not in CHECKERS:
        raise Forbidden("checks.role", "联合奖惩核查仅供国家机关和公共信用工作机构使用")
    on = ctx.today()
    scenarios = ctx.rules.get("query.mandatory_scenarios", on)
    if scenario not in {str(e["code"]) for e in scenarios.value}:
        raise DomainError(
            code="checks.scenario",
            message="请说明核查的法定场景："
            + "；".join(f"{e['code']}（{e['name']}）" for e in scenarios.value),
            citations=list(scenarios.citations),
        )
    keys = list(dict.fromkeys(k.strip().upper() for k in subject_keys if k.strip()))
    if not keys or len(keys) > MAX_SUBJECTS:
        raise DomainError(
            code="checks.subjects", message=f"一次核查的主体数应在1至{MAX_SUBJECTS}之间"
        )
    measures = _measures(session, scenario, on)
    check = CreditCheck(
        asked_by=actor.username or actor.role.value,
        asked_role=actor.role.value,
        scenario=scenario,
        matter=matter,
        asked_at=ctx.clock.now(),
        on_date=on,
        subjects=len(keys),
        with_measures=0,
        digest="",
    )
    session.add(check)
    session.flush()
    answers: dict[str, dict[str, Any]] = {}
    # Look keys up in sorted order (neighbouring index pages), answer in the asker's order.
    for chunk in _chunks(sorted(keys), chunk_size(session)):
        known = set(
            session.scalars(
                select(Subject.subject_key).where(key_filter(session, Subject.subject_key, chunk))
            )
        )
        by_subject: dict[str, list[ListEntry]] = defaultdict(list)
        for entry in session.scalars(
            select(ListEntry).where(
                key_filter(session, ListEntry.subject_key, chunk),
                ListEntry.state == "active",
                ListEntry.valid_from <= on,
                ListEntry.valid_until >= on,
            )
        ):
            by_subject[entry.subject_key].append(entry)
        for key in chunk:
            incentives: list[dict[str, Any]] = []
            restrictions: list[dict[str, Any]] = []
            for entry in by_subject.get(key, ()):
                for item in _applicable(entry, measures, on):
                    (incentives if item["kind"] == "incentive" else restrictions).append(item)
            answers[key] = {
                "subject_key": key,
                "found": key in known or key in by_subject,
                "incentives": incentives,
                "restrictions": restrictions,
            }
    results = [answers[key] for key in keys]
    digest = hashlib.sha256()
    for chunk in _chunks(keys):
        rows = []
        for key in chunk:
            result = answers[key]
            hits = bool(result["incentives"] or result["restrictions"])
            text = (
                json.dumps(result, ensure_ascii=False, sort_keys=True)
                if hits  # the same canonical JSON, built directly for the common empty answer
                else f'{{"found": {"true" if result["found"] else "false"}, "incentives": [], '
                f'"restrictions": [], "subject_key": {json.dumps(key, ensure_ascii=False)}}}'
            )
            digest.update(text.encode("utf-8"))
            check.with_measures += hits
            rows.append(
                {
                    "check_id": check.id,
                    "subject_key": key,
                    "incentives": len(result["incentives"]),
                    "restrictions": len(result["restrictions"]),
                    "found": result["found"],
                    "answer_json": text if hits else "",  # an empty answer is rebuilt on load
                }
            )
        session.execute(insert(_RESULTS), rows)
    check.digest = digest.hexdigest()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_CHECK_RUN,
        object_type="credit_check",
        object_id=check.id,
        purpose=scenario,
        legal_basis="；".join(c.label() for c in scenarios.citations)[:400],
        detail={
            "subjects": len(keys),
            "with_measures": check.with_measures,
            "digest": check.digest,
            "matter": matter,
        },
        then=lambda number: setattr(check, "audit_id", number),  # the receipt, at commit
    )
    return CheckAnswer(check=check, results=results)


def load_check(session: Session, actor: Actor, check_id: int) -> CheckAnswer:
    check = session.get(CreditCheck, check_id)
    if check is None:
        raise NotFound("checks.unknown", "未找到该核查记录")
    if actor.role not in (Role.STAFF, Role.ADMIN) and check.asked_by != actor.username:
        raise Forbidden("checks.other", "只能查看本机关的核查记录")
    rows = session.execute(
        select(
            CreditCheckResult.subject_key, CreditCheckResult.found, CreditCheckResult.answer_json
        )
        .where(CreditCheckResult.check_id == check_id)
        .order_by(CreditCheckResult.id)
    )
    return CheckAnswer(check=check, results=[_stored(*row) for row in rows])


def _stored(subject_key: str, found: bool, answer_json: str) -> dict[str, Any]:
    if answer_json:
        loaded: dict[str, Any] = json.loads(answer_json)
        return loaded
    return {"subject_key": subject_key, "found": found, "incentives": [], "restrictions": []}


def checks_of_subject(session: Session, subject_key: str, limit: int = 200) -> list[dict[str, Any]]:
    """The checks that asked about a subject, for its access log (HLJ 35)."""
    rows = session.execute(
        select(
            CreditCheck,
            CreditCheckResult.subject_key,
            CreditCheckResult.found,
            CreditCheckResult.answer_json,
        )
        .join(CreditCheckResult, CreditCheckResult.check_id == CreditCheck.id)
        .where(CreditCheckResult.subject_key == subject_key)
        .order_by(CreditCheck.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": check.asked_at.isoformat(),
            "action": AuditTag.LISTS_CHECK_RUN.value,
            "who": check.asked_by,
            "role": check.asked_role,
            "purpose": check.scenario,
            "legal_basis": None,
            "detail": {
                "check_id": check.id,
                "matter": check.matter,
                "answer": _stored(subject_key, found, answer),
            },
        }
        for check, subject_key, found, answer in rows
    ]


def as_csv_rows(answer: CheckAnswer) -> list[list[str]]:
    header = ["主体代码", "平台有记录", "激励措施", "约束和惩戒措施", "名单与依据"]
    rows = [header]
    for r in answer.results:
        items = r["incentives"] + r["restrictions"]
        rows.append(
            [
                r["subject_key"],
                "是" if r["found"] else "否",
                "；".join(f"{i['name']}（至{i['until']}）" for i in r["incentives"]),
                "；".join(f"{i['name']}（至{i['until']}）" for i in r["restrictions"]),
                "；".join(sorted({f"{i['list']}{i['entry']}：{i['basis']}" for i in items})),
            ]
        )
    return rows
