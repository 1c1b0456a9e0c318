"""Graded supervision (HLJ 48, 49; HRB 29, 30 (2)): an agency's inspection plans, the pools of
inspection objects and inspectors, the 双随机 draw and its publication (一公开).

A plan is drafted (matter, area, field, period, the agency's sampling ratio for each class), its
pool of objects filled from the subjects register, then published: each object's class is fixed
(`classes.classify`), the inputs (random tokens and classes, the agency's inspectors of the
plan's field, their conflicts) are frozen as canonical JSON with their SHA-256, and the seed
commitment is shown on the public plan page — before the draw day. On or after the draw day the
seed is revealed and `draw.run` picks the objects and inspectors; anyone can recompute it
(`verify`). Every write is audited."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import Citation, DomainError, Forbidden, NotFound
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.providers.models import Agency
from xinyong.subjects.models import Subject
from xinyong.supervision import draw
from xinyong.supervision.classes import HLJ48, LOW, ORDER, classify_explained, grades
from xinyong.supervision.models import (
    InspectionObject,
    InspectionPlan,
    Inspector,
    InspectorConflict,
)
from xinyong.supervision.schemas import (
    ALGORITHM,
    FIELDS,
    KEY_FIELD_NOTE,
    KEY_FIELDS,
    PER_OBJECT_NOTE,
    RATIO_NOTE,
    SEED_NOTE,
    ConflictIn,
    InspectorIn,
    ObjectsIn,
    PlanIn,
)
from xinyong.visibility.masking import mask_id_number, mask_name

HLJ49 = Citation("黑龙江省社会信用条例", 49, 1)
HRB29 = Citation("哈尔滨市社会信用体系建设促进条例", 29)
HRB30 = Citation("哈尔滨市社会信用体系建设促进条例", 30, item=2)
STATES = {
    "draft": "草拟",
    "published": "已公布待抽取",
    "drawn": "已抽取",
    "announced": "结果已公开",
}
PERSON = "natural_person"
MAX_POOL = 200_000


# -- who acts for which agency --------------------------------------------------------------


def acting_agency(session: Session, actor: Actor, named: str | None) -> Agency:
    """An agency's account acts for its own agency; staff name the agency they act for."""
    if actor.role is Role.AGENCY:
        if actor.agency_code is None:
            raise Forbidden("supervision.no_agency", "当前账户未绑定行政机关，不能安排抽查")
        if named and named != actor.agency_code:
            raise Forbidden("supervision.other_agency", "只能以本机关名义安排抽查")
        code = actor.agency_code
    elif actor.role in (Role.STAFF, Role.ADMIN):
        if not named:
            raise DomainError(code="supervision.agency_required", message="须指明所代表的行政机关")
        code = named
    else:
        raise Forbidden("supervision.role", "抽查计划由行政机关制定", [HLJ48])
    agency = session.get(Agency, code)
    if agency is None:
        raise NotFound("supervision.unknown_agency", f"行政机关{code}未在平台登记", agency=code)
    return agency


def plan_for(session: Session, actor: Actor, number: str, *, lock: bool = False) -> InspectionPlan:
    query = select(InspectionPlan).where(InspectionPlan.number == number)
    plan = session.scalar(query.with_for_update() if lock else query)
    if plan is None:
        raise NotFound("supervision.unknown_plan", f"抽查计划{number}不存在", plan=number)
    if actor.role is Role.AGENCY and plan.agency_code != actor.agency_code:
        raise Forbidden("supervision.other_agency", "只能管理本机关的抽查计划")
    if actor.role not in (Role.AGENCY, Role.STAFF, Role.ADMIN):
        raise Forbidden("supervision.role", "抽查计划由行政机关管理", [HLJ48])
    return plan


def _who(actor: Actor) -> str:
    return actor.username or actor.role.value


def _per_mille(ratio: Decimal) -> int:
    return int(ratio * 1000)


# -- plans -----------------------------------------------------------------------------------


def create_plan(session: Session, ctx: Context, *, actor: Actor, body: PlanIn) -> InspectionPlan:
    agency = acting_agency(session, actor, body.agency_code)
    if body.period_end < body.period_start:
        raise DomainError(code="supervision.period", message="抽查期间的结束日期早于开始日期")
    today = ctx.today()
    if body.draw_on <= today:
        raise DomainError(
            code="supervision.draw_day",
            message="抽取日须晚于今天：随机种子的承诺值须在抽取日之前公布",
        )
    plan = InspectionPlan(
        number=f"SJ{today:%Y%m%d}{secrets.token_hex(3).upper()}",
        agency_code=agency.uscc,
        agency_name=agency.name,
        matter=body.matter,
        area_code=body.area_code,
        field=body.field,
        enforcement_field=body.enforcement_field,
        period_start=body.period_start,
        period_end=body.period_end,
        draw_on=body.draw_on,
        ratio_high=_per_mille(body.ratio_high),
        ratio_ordinary=_per_mille(body.ratio_ordinary),
        ratio_low=_per_mille(body.ratio_low),
        inspectors_per_object=body.inspectors_per_object,
        state="draft",
        created_by=_who(actor),
        created_at=ctx.clock.now(),
    )
    session.add(plan)
    session.flush()
    _log(session, ctx, actor, AuditTag.SUPERVISION_PLAN_CREATE, plan, {"matter": plan.matter})
    return plan


def _area_prefix(code: str) -> str:
    """230100 → 2301, 230000 → 23, 230103 → 230103: the register's region codes under it."""
    prefix = code
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


def add_objects(
    session: Session, ctx: Context, *, actor: Actor, number: str, body: ObjectsIn
) -> int:
    """Subjects into the plan's pool: named, or every active subject of the plan's area."""
    plan = plan_for(session, actor, number, lock=True)
    _draft(plan)
    prefix = _area_prefix(plan.area_code)
    query = select(Subject.subject_key, Subject.name, Subject.kind, Subject.region_code).where(
        Subject.state == "active"
    )
    if body.from_register:
        query = query.where(Subject.region_code.like(f"{prefix}%"))
    elif body.subject_keys:
        query = query.where(Subject.subject_key.in_(body.subject_keys))
    else:
        raise DomainError(
            code="supervision.objects_empty", message="须列出检查对象或选择从主体名录导入"
        )
    found = {key: (name, kind, region) for key, name, kind, region in session.execute(query)}
    missing = [k for k in body.subject_keys if k not in found]
    if missing and not body.from_register:
        raise DomainError(
            code="supervision.unknown_subject",
            message=f"主体名录中没有以下信用主体：{'、'.join(missing[:5])}",
            details={"missing": missing},
        )
    outside = [k for k, (_, _, r) in found.items() if not (r or "").startswith(prefix)]
    if outside:
        raise DomainError(
            code="supervision.outside_area",
            message=f"以下信用主体不在本计划的抽查区域{plan.area_code}内：{'、'.join(outside[:5])}",
            details={"outside": outside},
        )
    have = set(
        session.scalars(
            select(InspectionObject.subject_key).where(InspectionObject.plan_id == plan.id)
        )
    )
    new = [k for k in sorted(found) if k not in have]
    if len(have) + len(new) > MAX_POOL:
        raise DomainError(
            code="supervision.pool_size", message=f"一个计划的检查对象不超过{MAX_POOL}个"
        )
    now = ctx.clock.now()
    session.add_all(
        InspectionObject(
            plan_id=plan.id,
            subject_key=key,
            subject_name=found[key][0],
            subject_kind=found[key][1],
            token=secrets.token_hex(8),
            added_by=_who(actor),
            added_at=now,
        )
        for key in new
    )
    session.flush()
    _log(session, ctx, actor, AuditTag.SUPERVISION_POOL_ADD, plan, {"added": len(new)})
    return len(new)


def register_inspector(
    session: Session, ctx: Context, *, actor: Actor, body: InspectorIn
) -> Inspector:
    agency = acting_agency(session, actor, body.agency_code)
    exists = session.scalar(
        select(Inspector).where(Inspector.agency_code == agency.uscc, Inspector.code == body.code)
    )
    if exists is not None:
        raise DomainError(
            code="supervision.inspector_exists", message=f"检查人员{body.code}已登记", status=409
        )
    row = Inspector(
        agency_code=agency.uscc,
        code=body.code,
        name=body.name,
        enforcement_field=body.enforcement_field,
        active=True,
        registered_by=_who(actor),
        registered_at=ctx.clock.now(),
    )
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.SUPERVISION_INSPECTOR_REGISTER,
        object_type="inspector",
        object_id=f"{agency.uscc}:{row.code}",
        legal_basis=HLJ48.label(),
        detail={"field": row.enforcement_field},
    )
    return row


def add_conflict(
    session: Session, ctx: Context, *, actor: Actor, inspector_code: str, body: ConflictIn
) -> InspectorConflict:
    agency = acting_agency(session, actor, body.agency_code)
    inspector = session.scalar(
        select(Inspector).where(
            Inspector.agency_code == agency.uscc, Inspector.code == inspector_code
        )
    )
    if inspector is None:
        raise NotFound("supervision.unknown_inspector", f"检查人员{inspector_code}未登记")
    found = session.scalar(
        select(InspectorConflict).where(
            InspectorConflict.inspector_id == inspector.id,
            InspectorConflict.subject_key == body.subject_key,
        )
    )
    if found is not None:
        return found
    row = InspectorConflict(
        inspector_id=inspector.id,
        subject_key=body.subject_key,
        reason=body.reason,
        registered_by=_who(actor),
        registered_at=ctx.clock.now(),
    )
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.SUPERVISION_CONFLICT_REGISTER,
        object_type="inspector",
        object_id=f"{agency.uscc}:{inspector.code}",
        subject_key=body.subject_key,
        legal_basis=HLJ48.label(),
        detail={"reason": body.reason},
    )
    return row


def inspectors_of(session: Session, agency_code: str) -> list[tuple[Inspector, int]]:
    counts = dict(
        session.execute(
            select(InspectorConflict.inspector_id, func.count())
            .join(Inspector, Inspector.id == InspectorConflict.inspector_id)
            .where(Inspector.agency_code == agency_code)
            .group_by(InspectorConflict.inspector_id)
        ).all()
    )
    rows = session.scalars(
        select(Inspector).where(Inspector.agency_code == agency_code).order_by(Inspector.code)
    )
    return [(r, int(counts.get(r.id, 0))) for r in rows]


# -- publication, draw, announcement ---------------------------------------------------------


def publish_plan(
    session: Session, ctx: Context, *, actor: Actor, number: str, seed_commitment: str | None
) -> InspectionPlan:
    """Fix the inputs and the seed commitment, public from now on. When the platform draws
    the nonce, it stays secret until the draw."""
    plan = plan_for(session, actor, number, lock=True)
    _draft(plan)
    today = ctx.today()
    if today >= plan.draw_on:
        raise DomainError(
            code="supervision.too_late",
            message=f"抽取日（{plan.draw_on.isoformat()}）之前须公布随机种子的承诺值，已来不及，请另定抽取日",
        )
    objects = list(
        session.scalars(
            select(InspectionObject)
            .where(InspectionObject.plan_id == plan.id)
            .order_by(InspectionObject.token)
        )
    )
    if not objects:
        raise DomainError(code="supervision.no_objects", message="检查对象名录为空，不能公布")
    said = classify_explained(session, ctx, [o.subject_key for o in objects], today)
    for o in objects:
        o.supervision_class = said[o.subject_key].supervision_class
        o.class_source = said[o.subject_key].reason[:100]
    inspectors = [
        i
        for i, _ in inspectors_of(session, plan.agency_code)
        if i.active and i.enforcement_field == plan.enforcement_field
    ]
    if len(inspectors) < plan.inspectors_per_object:
        raise DomainError(
            code="supervision.no_inspectors",
            message=f"执法领域为“{plan.enforcement_field}”的检查人员不足{plan.inspectors_per_object}名",
        )
    by_id = {i.id: i.code for i in inspectors}
    token_of = {o.subject_key: o.token for o in objects}
    pairs: set[tuple[str, str]] = set()
    if by_id:
        for c in session.scalars(
            select(InspectorConflict).where(InspectorConflict.inspector_id.in_(list(by_id)))
        ):
            if c.subject_key in token_of:
                pairs.add((by_id[c.inspector_id], token_of[c.subject_key]))
    conflicts = [{"inspector": i, "object": o} for i, o in sorted(pairs)]
    inputs = {
        "plan": plan.number,
        "draw_on": plan.draw_on.isoformat(),
        "ratios": {
            "high_risk": plan.ratio_high,
            "ordinary": plan.ratio_ordinary,
            LOW: plan.ratio_low,
        },
        "inspectors_per_object": plan.inspectors_per_object,
        "objects": [{"token": o.token, "class": o.supervision_class} for o in objects],
        "inspectors": [
            {"code": i.code, "name": i.name} for i in sorted(inspectors, key=lambda i: i.code)
        ],
        "conflicts": conflicts,
    }
    plan.inputs_json = draw.canonical(inputs)
    plan.inputs_digest = draw.digest(plan.inputs_json)
    if seed_commitment:
        plan.seed_source, plan.seed_commitment = "agency", seed_commitment
    else:
        plan.seed_held = secrets.token_hex(16)
        plan.seed_source, plan.seed_commitment = "platform", draw.digest(plan.seed_held)
    plan.state = "published"
    plan.published_at = ctx.clock.now()
    session.flush()
    _log(
        session,
        ctx,
        actor,
        AuditTag.SUPERVISION_PLAN_PUBLISH,
        plan,
        {
            "inputs_digest": plan.inputs_digest,
            "seed_commitment": plan.seed_commitment,
            "objects": len(objects),
            "inspectors": len(inspectors),
        },
    )
    return plan


def run_draw(
    session: Session, ctx: Context, *, actor: Actor, number: str, seed: str | None
) -> InspectionPlan:
    plan = plan_for(session, actor, number, lock=True)
    if plan.state != "published":
        raise DomainError(
            code="supervision.not_published",
            message=f"计划处于“{STATES[plan.state]}”状态：只有已公布的计划可以抽取",
            status=409,
        )
    if ctx.today() < plan.draw_on:
        raise DomainError(
            code="supervision.before_draw_day",
            message=f"抽取日为{plan.draw_on.isoformat()}，不能提前抽取",
        )
    if plan.seed_source == "platform":
        seed = plan.seed_held
    if not seed:
        raise DomainError(
            code="supervision.seed_required", message="须公开计划公布时承诺的随机种子"
        )
    assert plan.seed_commitment is not None and plan.inputs_json is not None
    if not hmac.compare_digest(draw.digest(seed), plan.seed_commitment):
        raise DomainError(
            code="supervision.seed_mismatch",
            message="所公开的随机种子与计划公布时的承诺值不符，不能抽取",
        )
    try:
        result = draw.run(seed, json.loads(plan.inputs_json))
    except draw.Shortfall as exc:
        raise DomainError(
            code="supervision.inspector_shortfall",
            message=f"检查对象{exc.token}无回避关系的检查人员只有{exc.available}名，不足每个对象所需人数",
        ) from exc
    plan.seed = seed
    plan.result_json = draw.canonical(result)
    plan.result_digest = draw.digest(plan.result_json)
    plan.state = "drawn"
    plan.drawn_at = ctx.clock.now()
    session.flush()
    _log(
        session,
        ctx,
        actor,
        AuditTag.SUPERVISION_DRAW_RUN,
        plan,
        {"seed": seed, "result_digest": plan.result_digest, "drawn": len(result["objects"])},
    )
    return plan


def announce(session: Session, ctx: Context, *, actor: Actor, number: str) -> InspectionPlan:
    """Publish the draw's results (一公开)."""
    plan = plan_for(session, actor, number, lock=True)
    if plan.state != "drawn":
        raise DomainError(
            code="supervision.not_drawn",
            message=f"计划处于“{STATES[plan.state]}”状态：抽取后才能公开结果",
            status=409,
        )
    plan.state = "announced"
    plan.announced_at = ctx.clock.now()
    session.flush()
    _log(
        session,
        ctx,
        actor,
        AuditTag.SUPERVISION_DRAW_ANNOUNCE,
        plan,
        {"result_digest": plan.result_digest},
    )
    return plan


def verify(plan: InspectionPlan) -> dict[str, Any]:
    """Recompute the draw from what was published: the seed against its commitment, the
    inputs against their digest, the result against a fresh run."""
    if plan.seed is None or plan.inputs_json is None or plan.result_json is None:
        raise DomainError(
            code="supervision.not_drawn",
            message=f"计划{plan.number}尚未抽取，无可核验的结果",
            status=409,
        )
    seed_ok = hmac.compare_digest(draw.digest(plan.seed), plan.seed_commitment or "")
    inputs_ok = hmac.compare_digest(draw.digest(plan.inputs_json), plan.inputs_digest or "")
    try:
        recomputed = draw.run(plan.seed, json.loads(plan.inputs_json))
    except draw.Shortfall:
        recomputed = {"objects": []}
    result_ok = draw.canonical(recomputed) == plan.result_json and hmac.compare_digest(
        draw.digest(plan.result_json), plan.result_digest or ""
    )
    return {
        "number": plan.number,
        "seed_matches_commitment": seed_ok,
        "inputs_match_digest": inputs_ok,
        "result_matches": result_ok,
        "verified": seed_ok and inputs_ok and result_ok,
        "recomputed": recomputed,
    }


# -- reading ---------------------------------------------------------------------------------


def public_plan(session: Session, number: str) -> InspectionPlan:
    plan = session.scalar(select(InspectionPlan).where(InspectionPlan.number == number))
    if plan is None or plan.state == "draft":
        raise NotFound("supervision.unknown_plan", f"抽查计划{number}不存在或尚未公布", plan=number)
    return plan


def announced_plan(session: Session, number: str) -> InspectionPlan:
    """A plan whose results are public (一公开): the public may recompute its draw."""
    plan = public_plan(session, number)
    if plan.state != "announced":
        raise NotFound("supervision.not_announced", f"抽查计划{number}的结果尚未公开", plan=number)
    return plan


def public_plans(session: Session, limit: int = 100) -> list[InspectionPlan]:
    return list(
        session.scalars(
            select(InspectionPlan)
            .where(InspectionPlan.state != "draft")
            .order_by(InspectionPlan.published_at.desc(), InspectionPlan.id.desc())
            .limit(limit)
        )
    )


def agency_plans(session: Session, actor: Actor) -> list[InspectionPlan]:
    query = select(InspectionPlan).order_by(InspectionPlan.id.desc()).limit(200)
    if actor.role is Role.AGENCY:
        query = query.where(InspectionPlan.agency_code == actor.agency_code)
    return list(session.scalars(query))


def pool(session: Session, plan: InspectionPlan) -> list[InspectionObject]:
    return list(
        session.scalars(
            select(InspectionObject)
            .where(InspectionObject.plan_id == plan.id)
            .order_by(InspectionObject.subject_key)
        )
    )


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def describe_plan(ctx: Context, plan: InspectionPlan, *, public: bool = False) -> dict[str, Any]:
    """A plan as its agency sees it; `public`: the seed only once the results are public."""
    on = plan.published_at.date() if plan.published_at else ctx.today()
    names = grades(ctx, on)
    ratios = {"high_risk": plan.ratio_high, "ordinary": plan.ratio_ordinary, LOW: plan.ratio_low}
    key_field = plan.field in KEY_FIELDS
    citations = [HLJ48.label(), HRB29.label(), HRB30.label()] + (
        [HLJ49.label()] if key_field else []
    )
    return {
        "number": plan.number,
        "agency_code": plan.agency_code,
        "agency_name": plan.agency_name,
        "matter": plan.matter,
        "area_code": plan.area_code,
        "field": plan.field,
        "field_label": FIELDS.get(plan.field, plan.field),
        "key_field": key_field,
        "enforcement_field": plan.enforcement_field,
        "period_start": plan.period_start.isoformat(),
        "period_end": plan.period_end.isoformat(),
        "draw_on": plan.draw_on.isoformat(),
        "state": plan.state,
        "state_label": STATES[plan.state],
        "classes": [
            {"code": c, "name": names[c], "ratio": f"{Decimal(ratios[c]) / 10:g}%"} for c in ORDER
        ],
        "inspectors_per_object": plan.inspectors_per_object,
        "ratio_note": RATIO_NOTE + "；" + PER_OBJECT_NOTE,
        "key_field_note": KEY_FIELD_NOTE if key_field else None,
        "seed_note": SEED_NOTE,
        "seed_source": plan.seed_source,
        "seed_commitment": plan.seed_commitment,
        "seed": None if public and plan.state != "announced" else plan.seed,
        "inputs_digest": plan.inputs_digest,
        "result_digest": plan.result_digest,
        "published_at": _iso(plan.published_at),
        "drawn_at": _iso(plan.drawn_at),
        "announced_at": _iso(plan.announced_at),
        "citations": citations,
    }


def shown_subject(row: InspectionObject) -> tuple[str, str]:
    """(identifier, name) as anyone but the subject sees them: natural persons masked."""
    if row.subject_kind == PERSON:
        return mask_id_number(row.subject_key), mask_name(row.subject_name)
    return row.subject_key, row.subject_name


def describe_object(ctx: Context, row: InspectionObject, names: dict[str, str]) -> dict[str, Any]:
    subject, name = shown_subject(row)
    return {
        "token": row.token,
        "subject": subject,
        "name": name,
        "kind": row.subject_kind,
        "supervision_class": row.supervision_class,
        "class_name": names.get(row.supervision_class or ""),
        "class_source": row.class_source,
    }


def results(session: Session, ctx: Context, plan: InspectionPlan) -> list[dict[str, Any]]:
    """The drawn objects (organisations named, natural persons masked) and their inspectors."""
    if plan.result_json is None:
        return []
    names = grades(ctx, plan.published_at.date() if plan.published_at else ctx.today())
    by_token = {o.token: o for o in pool(session, plan)}
    inspectors = {i["code"]: i["name"] for i in json.loads(plan.inputs_json or "{}")["inspectors"]}
    shown = []
    for item in json.loads(plan.result_json)["objects"]:
        row = by_token[item["token"]]
        subject, name = shown_subject(row)
        shown.append(
            {
                "token": item["token"],
                "name": name,
                "subject": subject,
                "supervision_class": item["class"],
                "class_name": names[item["class"]],
                "inspectors": [f"{inspectors[c]}（{c}）" for c in item["inspectors"]],
            }
        )
    return shown


def inputs_of(plan: InspectionPlan) -> dict[str, Any]:
    return {
        "number": plan.number,
        "algorithm": ALGORITHM,
        "seed_commitment": plan.seed_commitment,
        "seed": plan.seed if plan.state == "announced" else None,
        "inputs": json.loads(plan.inputs_json) if plan.inputs_json else None,
        "inputs_digest": plan.inputs_digest,
        "result": json.loads(plan.result_json) if plan.result_json else None,
        "result_digest": plan.result_digest,
    }


def _draft(plan: InspectionPlan) -> None:
    if plan.state != "draft":
        raise DomainError(
            code="supervision.published",
            message="计划已公布，检查对象名录和随机种子承诺值不能再变更",
            status=409,
        )


def _log(
    session: Session,
    ctx: Context,
    actor: Actor,
    tag: AuditTag,
    plan: InspectionPlan,
    detail: dict[str, Any],
) -> None:
    ctx.log(
        session,
        actor=actor,
        action=tag,
        object_type="inspection_plan",
        object_id=plan.number,
        legal_basis=HLJ48.label(),
        detail={"agency": plan.agency_code, "state": plan.state, **detail},
    )
