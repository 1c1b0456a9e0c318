"""/api/me/evaluation (the subject's own grade) and /api/subjects/{key}/evaluation (staff, and the
recipients HLJ 47 ¶1 names: agencies and institutions under agreement, with a purpose); not
public. Every read audited and shown in the subject's access log. POST /api/evaluation/runs:
staff start a run."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from xinyong.common.inputs import Key, Name
from xinyong.common.roles import Actor, Role
from xinyong.evaluation import service
from xinyong.evaluation.schemas import EvaluationOut, RunOut
from xinyong.web.deps import ContextDep, Router, StaffDep, SubjectDep, allow
from xinyong.web.errors import error_responses

router = Router(tags=["公共信用综合评价"])

ReaderDep = Annotated[
    Actor, Depends(allow(Role.STAFF, Role.ADMIN, Role.AGENCY, Role.ORGANISATION, Role.SUBJECT))
]


@router.get(
    "/api/me/evaluation",
    summary="我的公共信用综合评价结果及说明",
    response_model=EvaluationOut,
    responses=error_responses(404),
)
def my_evaluation(ctx: ContextDep, actor: SubjectDep) -> dict[str, Any]:
    """The subject's latest grade, and which records moved it, by how much, under which
    indicator (HLJ 47). An objection to a record that moved it goes through /api/me/objections."""
    assert actor.subject_key is not None
    return service.read_grade(ctx, actor=actor, subject_key=actor.subject_key, purpose=None)


@router.get(
    "/api/subjects/{key}/evaluation",
    summary="查询信用主体的公共信用综合评价结果（须说明用途）",
    response_model=EvaluationOut,
    responses=error_responses(403, 404),
)
def subject_evaluation(
    ctx: ContextDep,
    actor: ReaderDep,
    key: Key,
    purpose: Annotated[Name | None, Query(description="查询用途（国家机关、协议机构必填）")] = None,
) -> dict[str, Any]:
    """A subject's grade for staff, agencies and institutions under agreement (HLJ 47 ¶1), who
    state a purpose; a subject reads only its own. Audited, in the subject's access log."""
    return service.read_grade(ctx, actor=actor, subject_key=key, purpose=purpose)


@router.post(
    "/api/evaluation/runs",
    summary="开展一次公共信用综合评价（全部法人和非法人组织）",
    response_model=RunOut,
    status_code=201,
)
def start_run(ctx: ContextDep, actor: StaffDep) -> dict[str, Any]:
    """Evaluate every legal person and organisation as of today; a new run, never overwriting."""
    return service.run_all(ctx, actor=actor)
