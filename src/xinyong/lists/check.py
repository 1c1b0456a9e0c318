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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, any_, bindparam, cast, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from xinyong.accounts.models import User
from xinyong.audit.tags import AuditTag
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.identifiers import check_identifier, explain
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.db import table_of
from xinyong.law.rules import RuleSet
from xinyong.law.workdays import add_period
from xinyong.lists.measures import LIST_OF_MEASURE, measure_in_force
from xinyong.lists.models import CreditCheck, CreditCheckResult, ListEntry, Measure
from xinyong.lists.recognition import LIST_LABELS
from xinyong.subjects.models import Subject

#: Who adds to each line of a check, per chunk of keys: commitments/eligibility.py registers
#: whether a subject may use commitments (HLJ 45 ¶1), so the agency sees it before it accepts a
#: promise. A listener answers only the subjects that may not; every other line gets ELIGIBLE.
OnCheckLines = Callable[[Session, RuleSet, list[str], dt.date], dict[str, dict[str, Any]]]
ON_CHECK_LINES: list[OnCheckLines] = []
ELIGIBLE: dict[str, Any] = {"eligible": True, "grounds": []}
COMMITMENT_LABELS = {True: "可以适用信用承诺制", False: "信用修复完成前不得适用信用承诺制"}

CHUNK = 900  # keys per IN (...) query, under SQLite's variable limit
PG_CHUNK = 10_000  # keys per = ANY(array) query on PostgreSQL
MAX_SUBJECTS = 100_000
CHECKERS = (Role.AGENCY, Role.STAFF, Role.ADMIN)
_RESULTS = table_of(CreditCheckResult)
# Every input line gets exactly one of these answers.
STATUS_LABELS = {
    "invalid": "代码无效",
    "not_held": "平台无该主体信息",
    "no_measures": "平台有该主体信息，无适用的奖惩措施",
    "measures": "适用奖惩措施",
}


@dataclass(frozen=True)
class _Applicable:
    measure: Measure
    label: dict[str, Any]


def beijing_time(moment: dt.datetime) -> str:
    """2026-12-07 16:55:01: Beijing time, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M:%S")


def scenario_name(ctx: Context, code: str, on: dt.date) -> str:
    """The scenario's Chinese name from the law packs (the code itself if no longer listed)."""
    for e in ctx.rules.get("query.mandatory_scenarios", on).value:
        if str(e["code"]) == code:
            return str(e["name"])
    return code


@dataclass
class CheckAnswer:
    check: CreditCheck
    results: list[dict[str, Any]]
    scenario_name: str = ""
    agency: str = ""

    def as_dict(self) -> dict[str, Any]:
        counts = dict.fromkeys(STATUS_LABELS, 0)
        for r in self.results:
            counts[r["status"]] += 1
        return {
            "check_id": self.check.id,
            "scenario": self.check.scenario,
            "scenario_name": self.scenario_name or self.check.scenario,
            "matter": self.check.matter,
            "agency": self.agency or self.check.asked_by,
            "asked_at": beijing_time(self.check.asked_at),
            "counts": counts,
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
        known: dict[str, str] = {
            key: name
            for key, name in session.execute(
                select(Subject.subject_key, Subject.name).where(
                    key_filter(session, Subject.subject_key, chunk)
                )
            )
        }
        for key, name in session.execute(  # a list entry of any state: the platform holds it
            select(ListEntry.subject_key, ListEntry.subject_name).where(
                key_filter(session, ListEntry.subject_key, chunk)
            )
        ):
            known.setdefault(key, name)
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
        may_not: dict[str, dict[str, Any]] = {}
        for listener in ON_CHECK_LINES:
            may_not.update(listener(session, ctx.rules, chunk, on))
        for key in chunk:
            incentives: list[dict[str, Any]] = []
            restrictions: list[dict[str, Any]] = []
            for entry in by_subject.get(key, ()):
                for item in _applicable(entry, measures, on):
                    (incentives if item["kind"] == "incentive" else restrictions).append(item)
            entries = by_subject.get(key, [])
            found = key in known or bool(entries)
            answer: dict[str, Any] = {
                "subject_key": key,
                "found": found,
                "incentives": incentives,
                "restrictions": restrictions,
                "commitment": may_not.get(key, ELIGIBLE),
            }
            if found:  # agencies and staff see a natural person's name in full (HLJ 44)
                answer["name"] = known.get(key) or entries[0].subject_name
                answer["status"] = "measures" if incentives or restrictions else "no_measures"
            else:
                answer.update(_unknown(key, on))
                if answer["status"] == "invalid":
                    answer["commitment"] = None  # an invalid code: nothing to answer
            answers[key] = answer
    results = [answers[key] for key in keys]
    digest = hashlib.sha256()
    for chunk in _chunks(keys):
        rows = []
        for key in chunk:
            result = answers[key]
            hits = bool(result["incentives"] or result["restrictions"])
            plain = result["status"] == "not_held" and result["commitment"] is ELIGIBLE
            text = (
                json.dumps(result, ensure_ascii=False, sort_keys=True)
                if not plain  # the same canonical JSON, built directly for the common empty answer
                else '{"commitment": {"eligible": true, "grounds": []}, "found": false, '
                '"incentives": [], "restrictions": [], '
                f'"status": "not_held", "subject_key": {json.dumps(key, ensure_ascii=False)}}}'
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
                    "answer_json": "" if plain else text,  # a plain answer is rebuilt on load
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
    return CheckAnswer(
        check=check,
        results=results,
        scenario_name=scenario_name(ctx, scenario, on),
        agency=_agency(session, actor.username) or actor.label,
    )


def _unknown(key: str, on: dt.date) -> dict[str, Any]:
    """A line the platform holds nothing about: an invalid code says which rule failed."""
    checked = check_identifier(key, on)
    if checked.valid:
        return {"status": "not_held"}
    return {"status": "invalid", "problem": explain(checked)}


def _agency(session: Session, username: str | None) -> str:
    if not username:
        return ""
    row = session.execute(
        select(User.organisation, User.display_name).where(User.username == username)
    ).first()
    return (row.organisation or row.display_name) if row else ""


def load_check(
    session: Session, actor: Actor, check_id: int, ctx: Context | None = None
) -> CheckAnswer:
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
    on = check.on_date
    return CheckAnswer(
        check=check,
        results=[_stored(*row, on=on) for row in rows],
        scenario_name=scenario_name(ctx, check.scenario, on) if ctx else check.scenario,
        agency=_agency(session, check.asked_by),
    )


def _stored(subject_key: str, found: bool, answer_json: str, on: dt.date) -> dict[str, Any]:
    loaded: dict[str, Any] = (
        json.loads(answer_json)
        if answer_json
        else {
            "subject_key": subject_key,
            "found": found,
            "incentives": [],
            "restrictions": [],
            "commitment": ELIGIBLE,
        }
    )
    if "status" not in loaded:  # stored before every line had its answer
        if loaded["incentives"] or loaded["restrictions"]:
            loaded["status"] = "measures"
        elif found:
            loaded["status"] = "no_measures"
        else:
            loaded.update(_unknown(subject_key, on))
    return loaded


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
                "answer": _stored(subject_key, found, answer, check.on_date),
            },
        }
        for check, subject_key, found, answer in rows
    ]


CSV_COLUMNS = [
    "序号",
    "输入的代码",
    "核查结论",
    "说明",
    "主体名称",
    "奖惩类别",
    "措施名称",
    "实施部门",
    "措施依据",
    "所在名单",
    "认定决定书编号",
    "认定依据",
    "适用至",
    "法律依据",
    "能否适用信用承诺制",
    "不得适用的原因",
]


def commitment_answer(result: dict[str, Any]) -> tuple[str, str]:
    """A line's answer on commitments (HLJ 45 ¶1), in Chinese: the conclusion and the grounds
    with the article; ("", "") for an invalid code or a check stored before it was asked."""
    answer = result.get("commitment")
    if not answer:
        return "", ""
    if answer["eligible"]:
        return COMMITMENT_LABELS[True], ""
    grounds = "；".join(f"{g['name']}（{g['ground']}）" for g in answer["grounds"])
    return COMMITMENT_LABELS[False], f"{grounds}（{'、'.join(answer.get('citations', []))}）"


def as_csv_rows(answer: CheckAnswer) -> list[list[str]]:
    """What a procurement file needs: a header block naming the check, then one row per
    subject and measure (a subject without measures: one row with its conclusion)."""
    c = answer.as_dict()
    rows: list[list[str]] = [
        ["联合奖惩核查结果"],
        ["核查编号", str(c["check_id"])],
        ["核查时间（北京时间）", c["asked_at"]],
        ["核查机关", c["agency"]],
        ["核查场景", c["scenario_name"]],
        ["事项", c["matter"] or ""],
        ["核查主体数", str(c["subjects"])],
        ["审计回执", str(c["audit_receipt"] or "")],
        ["结果摘要（SHA-256）", c["digest"]],
        [],
        CSV_COLUMNS,
    ]
    for n, r in enumerate(answer.results, 1):
        head = [str(n), r["subject_key"], STATUS_LABELS[r["status"]], r.get("problem", "")]
        name = r.get("name", "")
        promise = list(commitment_answer(r))
        items = [("激励措施", i) for i in r["incentives"]] + [
            ("约束和惩戒措施", i) for i in r["restrictions"]
        ]
        if not items:
            rows.append([*head, name, *[""] * 9, *promise])
        for kind, i in items:
            rows.append(
                [
                    *head,
                    name,
                    kind,
                    i["name"],
                    i["implementing_agency"],
                    i["legal_basis"] or "",
                    i["list"],
                    i["entry"],
                    i["basis"] or "",
                    i["until"],
                    "；".join(i["citations"]),
                    *promise,
                ]
            )
    return rows
