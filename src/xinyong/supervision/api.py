"""/api/supervision: agencies' inspection plans (HLJ 48, 49), their pools, inspectors and
conflicts, the 双随机 draw; the public reads published plans, results and the draw's inputs,
and recomputes any draw."""

from __future__ import annotations

from typing import Any

from xinyong.common.inputs import Key
from xinyong.supervision import service
from xinyong.supervision.classes import grades
from xinyong.supervision.schemas import (
    ConflictIn,
    DrawIn,
    InputsOut,
    InspectorIn,
    InspectorOut,
    ObjectOut,
    ObjectsIn,
    PlanIn,
    PlanOut,
    PublishIn,
    ResultOut,
    VerifyOut,
)
from xinyong.web.deps import AgencyDep, ContextDep, Router, SessionDep
from xinyong.web.errors import error_responses

router = Router(tags=["分级分类监管"])


@router.post(
    "/api/supervision/plans",
    summary="制定抽查计划",
    status_code=201,
    response_model=PlanOut,
    responses=error_responses(403, 404),
)
def create_plan(body: PlanIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep) -> Any:
    return service.describe_plan(ctx, service.create_plan(session, ctx, actor=actor, body=body))


@router.get("/api/supervision/plans", summary="本机关的抽查计划", response_model=list[PlanOut])
def my_plans(ctx: ContextDep, session: SessionDep, actor: AgencyDep) -> Any:
    return [service.describe_plan(ctx, p) for p in service.agency_plans(session, actor)]


@router.post(
    "/api/supervision/plans/{number}/objects",
    summary="登记检查对象名录",
    response_model=list[ObjectOut],
    responses=error_responses(403, 404, 409),
)
def add_objects(
    number: Key, body: ObjectsIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> Any:
    service.add_objects(session, ctx, actor=actor, number=number, body=body)
    return _pool(session, ctx, actor, number)


@router.get(
    "/api/supervision/plans/{number}/objects",
    summary="检查对象名录",
    response_model=list[ObjectOut],
    responses=error_responses(403, 404),
)
def get_objects(number: Key, ctx: ContextDep, session: SessionDep, actor: AgencyDep) -> Any:
    return _pool(session, ctx, actor, number)


def _pool(session: Any, ctx: Any, actor: Any, number: str) -> list[dict[str, Any]]:
    plan = service.plan_for(session, actor, number)
    names = grades(ctx, ctx.today())
    return [service.describe_object(ctx, o, names) for o in service.pool(session, plan)]


@router.post(
    "/api/supervision/inspectors",
    summary="登记执法检查人员",
    status_code=201,
    response_model=InspectorOut,
    responses=error_responses(403, 404, 409),
)
def register_inspector(
    body: InspectorIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> Any:
    row = service.register_inspector(session, ctx, actor=actor, body=body)
    return _inspector(row, 0)


@router.get(
    "/api/supervision/inspectors",
    summary="执法检查人员名录",
    response_model=list[InspectorOut],
    responses=error_responses(403, 404),
)
def list_inspectors(session: SessionDep, actor: AgencyDep, agency_code: Key | None = None) -> Any:
    agency = service.acting_agency(session, actor, agency_code)
    return [_inspector(r, n) for r, n in service.inspectors_of(session, agency.uscc)]


def _inspector(row: Any, conflicts: int) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "enforcement_field": row.enforcement_field,
        "active": row.active,
        "conflicts": conflicts,
    }


@router.post(
    "/api/supervision/inspectors/{code}/conflicts",
    summary="登记检查人员的回避关系",
    status_code=201,
    response_model=InspectorOut,
    responses=error_responses(403, 404),
)
def add_conflict(
    code: Key, body: ConflictIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> Any:
    service.add_conflict(session, ctx, actor=actor, inspector_code=code, body=body)
    agency = service.acting_agency(session, actor, body.agency_code)
    return next(
        _inspector(r, n) for r, n in service.inspectors_of(session, agency.uscc) if r.code == code
    )


@router.post(
    "/api/supervision/plans/{number}/publish",
    summary="公布抽查计划和随机种子承诺值",
    response_model=PlanOut,
    responses=error_responses(403, 404, 409),
)
def publish(
    number: Key, body: PublishIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> Any:
    plan = service.publish_plan(
        session, ctx, actor=actor, number=number, seed_commitment=body.seed_commitment
    )
    return service.describe_plan(ctx, plan)


@router.post(
    "/api/supervision/plans/{number}/draw",
    summary="双随机抽取",
    response_model=ResultOut,
    responses=error_responses(403, 404, 409),
)
def run_draw(
    number: Key, body: DrawIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> Any:
    plan = service.run_draw(session, ctx, actor=actor, number=number, seed=body.seed)
    return {
        "plan": service.describe_plan(ctx, plan),
        "objects": service.results(session, ctx, plan),
    }


@router.post(
    "/api/supervision/plans/{number}/announce",
    summary="公开抽查结果",
    response_model=ResultOut,
    responses=error_responses(403, 404, 409),
)
def announce(number: Key, ctx: ContextDep, session: SessionDep, actor: AgencyDep) -> Any:
    plan = service.announce(session, ctx, actor=actor, number=number)
    return {
        "plan": service.describe_plan(ctx, plan),
        "objects": service.results(session, ctx, plan),
    }


# -- the public ------------------------------------------------------------------------------


@router.get(
    "/api/public/supervision/plans", summary="已公布的抽查计划", response_model=list[PlanOut]
)
def public_plans(ctx: ContextDep, session: SessionDep) -> Any:
    return [service.describe_plan(ctx, p, public=True) for p in service.public_plans(session)]


@router.get(
    "/api/public/supervision/plans/{number}",
    summary="抽查计划及公开的抽查结果",
    response_model=ResultOut,
    responses=error_responses(404),
)
def public_plan(number: Key, ctx: ContextDep, session: SessionDep) -> Any:
    plan = service.public_plan(session, number)
    shown = service.results(session, ctx, plan) if plan.state == "announced" else []
    return {"plan": service.describe_plan(ctx, plan, public=True), "objects": shown}


@router.get(
    "/api/public/supervision/plans/{number}/inputs",
    summary="抽取的全部输入（可离线重算）",
    response_model=InputsOut,
    responses=error_responses(404),
)
def public_inputs(number: Key, session: SessionDep) -> Any:
    plan = service.public_plan(session, number)
    shown = service.inputs_of(plan)
    if plan.state != "announced":
        shown["result"] = None  # the result is public once announced (一公开)
    return shown


@router.get(
    "/api/public/supervision/plans/{number}/verify",
    summary="重新计算抽取结果并核验",
    response_model=VerifyOut,
    responses=error_responses(404, 409),
)
def public_verify(number: Key, session: SessionDep) -> Any:
    return service.verify(service.announced_plan(session, number))
