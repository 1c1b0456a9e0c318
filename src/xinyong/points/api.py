"""/api/me/points (the person: join, leave, its own points), /api/subjects/{key}/points (a
reader, for a declared scenario: banned ones refused with HLJ 26 ¶2) and /api/points/benefits
(the published incentive scenarios; staff keep them)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from xinyong.common.inputs import Key
from xinyong.common.roles import Actor, Role
from xinyong.points import service
from xinyong.points.schemas import BenefitIn, BenefitOut, MyPointsOut, ScenarioPointsOut
from xinyong.web.deps import ContextDep, Router, SessionDep, StaffDep, SubjectDep, allow
from xinyong.web.errors import error_responses

router = Router(tags=["诚信积分"])

ReaderDep = Annotated[Actor, Depends(allow(Role.AGENCY, Role.ORGANISATION, Role.STAFF, Role.ADMIN))]


@router.get("/api/me/points", summary="本人的诚信积分", response_model=MyPointsOut)
def my_points(ctx: ContextDep, session: SessionDep, actor: SubjectDep) -> dict[str, Any]:
    return service.my_points(session, ctx, actor=actor)


@router.post(
    "/api/me/points/join",
    summary="加入诚信积分",
    response_model=MyPointsOut,
    responses=error_responses(403, 409),
)
def join(ctx: ContextDep, session: SessionDep, actor: SubjectDep) -> dict[str, Any]:
    service.join(session, ctx, actor=actor)
    return service.my_points(session, ctx, actor=actor)


@router.post(
    "/api/me/points/leave",
    summary="退出诚信积分（记录保留）",
    response_model=MyPointsOut,
    responses=error_responses(403, 409),
)
def leave(ctx: ContextDep, session: SessionDep, actor: SubjectDep) -> dict[str, Any]:
    service.leave(session, ctx, actor=actor)
    return service.my_points(session, ctx, actor=actor)


@router.get(
    "/api/subjects/{key}/points",
    summary="为已公布的激励场景查询自然人的诚信积分",
    response_model=ScenarioPointsOut,
    responses=error_responses(403, 404),
)
def scenario_points(
    key: Key,
    ctx: ContextDep,
    session: SessionDep,
    actor: ReaderDep,
    scenario: Annotated[Key, Query(description="查询用途：已公布的激励场景编码")],
) -> dict[str, Any]:
    return service.read_for_scenario(session, ctx, actor=actor, subject_key=key, scenario=scenario)


@router.get("/api/points/benefits", summary="诚信积分激励场景", response_model=list[BenefitOut])
def list_benefits(session: SessionDep) -> list[dict[str, Any]]:
    return [service.describe_benefit(b) for b in service.benefits(session)]


@router.post(
    "/api/points/benefits",
    summary="发布诚信积分激励场景",
    status_code=201,
    response_model=BenefitOut,
    responses=error_responses(403),
)
def publish_benefit(
    body: BenefitIn, ctx: ContextDep, session: SessionDep, actor: StaffDep
) -> dict[str, Any]:
    row = service.publish_benefit(session, ctx, actor=actor, **body.model_dump())
    return service.describe_benefit(row)


@router.post(
    "/api/points/benefits/{code}/withdraw",
    summary="撤销诚信积分激励场景",
    response_model=BenefitOut,
    responses=error_responses(403, 404),
)
def withdraw_benefit(
    code: Key, ctx: ContextDep, session: SessionDep, actor: StaffDep
) -> dict[str, Any]:
    return service.describe_benefit(service.withdraw_benefit(session, ctx, actor=actor, code=code))
