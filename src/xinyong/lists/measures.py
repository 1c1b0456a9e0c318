"""Measures of the three lists (HLJ 26, 30, 31): defined within the statutory kinds, applied only
once published (HLJ 30 ¶4) and linked to the conduct they answer (HLJ 30 ¶1)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError, NotFound
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.lists.common import as_json, labels, refuse
from xinyong.lists.models import Measure
from xinyong.lists.schemas import (
    KIND_RULES,
    MEASURE_LIST_LABELS,
    TARGET_LABELS,
    TERM_UNIT_LABELS,
    MeasureIn,
    RecognitionIn,
)

LIST_OF_MEASURE = {"incentive": "red", "constraint": "serious", "punishment": "serious"}
TARGETS = ("subject", "related_person")


#: the columns of a measure another platform learns (exchange/)
SNAPSHOT_FIELDS = (
    "code", "list_kind", "kind", "name", "legal_basis", "scenarios_json",
    "conduct_categories_json", "targets_json", "implementing_agency", "term_amount", "term_unit",
)  # fmt: skip


class OnMeasures(Protocol):
    def __call__(self, session: Session, ctx: Context, measure: Measure) -> None: ...


#: Who must learn of every measure published or withdrawn (the measures applied and ended), in
#: the same transaction (the exchange's outbox registers here; lists never import the exchange)
ON_MEASURES: list[OnMeasures] = []


def _report(session: Session, ctx: Context, measure: Measure) -> None:
    for listener in ON_MEASURES:
        listener(session, ctx, measure)


def snapshot(measure: Measure) -> dict[str, Any]:
    """A measure as another platform learns it, with its publication and withdrawal days."""
    body: dict[str, Any] = {f: getattr(measure, f) for f in SNAPSHOT_FIELDS}
    for f in ("published_on", "withdrawn_on"):
        body[f] = value.isoformat() if (value := getattr(measure, f)) else None
    return body


def measure_version(measure: Measure) -> int:
    """1 defined, 2 published, 3 withdrawn: a later state never gives way to an earlier one."""
    return 3 if measure.withdrawn_on else 2 if measure.published_on else 1


def receive_measure(
    session: Session, ctx: Context, *, actor: Actor, body: dict[str, Any]
) -> Measure | None:
    """A measure published or withdrawn on another platform, as it reports it: added if
    unknown here, its later state taken; None when there is nothing to change."""
    measure = session.scalar(select(Measure).where(Measure.code == body["code"]))
    published = dt.date.fromisoformat(body["published_on"]) if body["published_on"] else None
    withdrawn = dt.date.fromisoformat(body["withdrawn_on"]) if body["withdrawn_on"] else None
    version = 3 if withdrawn else 2 if published else 1
    if measure is not None and version <= measure_version(measure):
        return None
    if measure is None:
        measure = Measure(
            **{f: body.get(f) for f in SNAPSHOT_FIELDS},
            created_by=actor.username or actor.role.value,
            created_at=ctx.clock.now(),
        )
        session.add(measure)
    measure.published_on, measure.withdrawn_on = published, withdrawn
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_MEASURE_RECEIVE,
        object_type="measure",
        object_id=measure.code,
        detail={"published_on": body["published_on"], "withdrawn_on": body["withdrawn_on"]},
    )
    _report(session, ctx, measure)
    return measure


def define_measure(session: Session, ctx: Context, *, actor: Actor, body: MeasureIn) -> Measure:
    """Add a measure to a list, unpublished: it cannot be applied until it is published."""
    today = ctx.today()
    if body.list_kind not in KIND_RULES:
        raise DomainError(
            code="measures.list_kind",
            message="措施清单只能是" + "、".join(MEASURE_LIST_LABELS.values()),
        )
    answers = [ctx.rules.get(key, today) for key in KIND_RULES[body.list_kind]]
    kinds = {str(e["code"]): str(e["name"]) for a in answers for e in a.value}
    if body.kind not in kinds:
        raise DomainError(
            code="measures.outside_list",
            message=f"所选措施类别不在{MEASURE_LIST_LABELS[body.list_kind]}的法定清单范围内："
            + "、".join(kinds.values()),
            citations=[c for a in answers for c in a.citations],
        )
    if not body.legal_basis or not body.legal_basis.strip():
        rule = ctx.rules.get("measures.proportionality", today)
        raise refuse("measures.basis_required", "措施必须注明其法律、法规或者政策依据", rule)
    scenarios = ctx.rules.get("query.mandatory_scenarios", today)
    known = set(ctx.rules.codes("query.mandatory_scenarios", today))
    unknown = sorted(set(body.scenarios) - known) if body.scenarios else ["（未指定）"]
    if unknown:
        raise refuse(
            "measures.scenario",
            "适用场景须从法定查询使用场景中选择："
            + "、".join(str(e["name"]) for e in scenarios.value),
            scenarios,
            unknown=unknown,
        )
    if LIST_OF_MEASURE[body.list_kind] == "serious":
        categories = ctx.rules.get("serious_dishonesty.conduct_categories", today)
        allowed = set(ctx.rules.codes("serious_dishonesty.conduct_categories", today))
        if not body.conduct_categories or set(body.conduct_categories) - allowed:
            raise refuse(
                "measures.conduct_categories",
                "失信约束和惩戒措施须与失信行为相关联：请从严重失信行为类别中选择适用类别",
                categories,
                allowed=sorted(allowed),
            )
    if set(body.targets) - set(TARGETS) or not body.targets:
        raise DomainError(
            code="measures.targets", message="适用对象只能是" + "、".join(TARGET_LABELS.values())
        )
    if body.list_kind == "punishment" and not (body.term_amount and body.term_unit):
        rule = ctx.rules.get("punishments.term_required", today)
        raise refuse("measures.term_required", "失信惩戒措施必须同时规定期限", rule)
    if body.term_unit not in (None, "month", "year", "calendar_day"):
        raise DomainError(
            code="measures.term_unit",
            message="期限单位只能是" + "、".join(TERM_UNIT_LABELS.values()),
        )
    if session.scalar(select(Measure.id).where(Measure.code == body.code)) is not None:
        raise DomainError(
            code="measures.duplicate", message=f"措施编码{body.code}已存在", status=409
        )
    measure = Measure(
        code=body.code,
        list_kind=body.list_kind,
        kind=body.kind,
        name=body.name,
        legal_basis=body.legal_basis.strip(),
        scenarios_json=as_json(sorted(set(body.scenarios))),
        conduct_categories_json=as_json(sorted(set(body.conduct_categories))),
        targets_json=as_json(sorted(set(body.targets))),
        implementing_agency=body.implementing_agency,
        term_amount=body.term_amount,
        term_unit=body.term_unit,
        created_by=actor.username or actor.role.value,
        created_at=ctx.clock.now(),
    )
    session.add(measure)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_MEASURE_DEFINE,
        object_type="measure",
        object_id=body.code,
    )
    return measure


def publish_measure(
    session: Session, ctx: Context, *, actor: Actor, code: str, on: dt.date | None = None
) -> Measure:
    measure = _measure(session, code)
    if measure.published_on is not None:
        raise DomainError(code="measures.already_published", message="该措施已公布", status=409)
    measure.published_on = on or ctx.today()
    rule = ctx.rules.get("measures.published_only", measure.published_on)
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_MEASURE_PUBLISH,
        object_type="measure",
        object_id=code,
        legal_basis=labels(rule),
        detail={"published_on": measure.published_on.isoformat()},
    )
    _report(session, ctx, measure)
    return measure


def withdraw_measure(session: Session, ctx: Context, *, actor: Actor, code: str) -> Measure:
    measure = _measure(session, code)
    measure.withdrawn_on = ctx.today()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.LISTS_MEASURE_WITHDRAW,
        object_type="measure",
        object_id=code,
    )
    _report(session, ctx, measure)
    return measure


def _measure(session: Session, code: str) -> Measure:
    measure = session.scalar(select(Measure).where(Measure.code == code))
    if measure is None:
        raise NotFound("measures.unknown", f"未找到措施{code}")
    return measure


def measure_in_force(measure: Measure, on: dt.date) -> bool:
    """Published on or before `on` and not withdrawn by then (HLJ 30 ¶4)."""
    return (
        measure.published_on is not None
        and measure.published_on <= on
        and (measure.withdrawn_on is None or measure.withdrawn_on > on)
    )


def describe_measure(measure: Measure) -> dict[str, Any]:
    return {
        "code": measure.code,
        "list_kind": measure.list_kind,
        "kind": measure.kind,
        "name": measure.name,
        "legal_basis": measure.legal_basis,
        "scenarios": json.loads(measure.scenarios_json),
        "conduct_categories": json.loads(measure.conduct_categories_json),
        "targets": json.loads(measure.targets_json),
        "implementing_agency": measure.implementing_agency,
        "term": (
            {"amount": measure.term_amount, "unit": measure.term_unit}
            if measure.term_amount
            else None
        ),
        "published_on": measure.published_on.isoformat() if measure.published_on else None,
        "withdrawn_on": measure.withdrawn_on.isoformat() if measure.withdrawn_on else None,
    }


def list_measures(session: Session, *, published_only: bool, on: dt.date) -> list[Measure]:
    measures = list(session.scalars(select(Measure).order_by(Measure.list_kind, Measure.code)))
    return [m for m in measures if not published_only or measure_in_force(m, on)]


def check_measures(
    session: Session, ctx: Context, list_kind: str, body: RecognitionIn, on: dt.date
) -> None:
    """Measures a decision names must be published (HLJ 30 ¶4), on this list, and linked to the
    conduct (HLJ 30 ¶1)."""
    for code in body.measures:
        measure = session.scalar(select(Measure).where(Measure.code == code))
        if measure is None or LIST_OF_MEASURE[measure.list_kind] != list_kind:
            rule = ctx.rules.get("measures.proportionality", on)
            raise refuse(
                "measures.outside_list", f"措施{code}不在本名单公布的措施清单中", rule, measure=code
            )
        if not measure_in_force(measure, on):
            rule = ctx.rules.get("measures.published_only", on)
            raise refuse(
                "measures.unpublished",
                f"措施“{measure.name}”未向社会公布（或已废止），禁止实施",
                rule,
                measure=code,
            )
        if list_kind == "serious" and body.conduct_category not in json.loads(
            measure.conduct_categories_json
        ):
            rule = ctx.rules.get("measures.proportionality", on)
            raise refuse(
                "measures.unrelated",
                f"措施“{measure.name}”与认定的失信行为类别不相关联，不得适用",
                rule,
                measure=code,
            )
