"""The commitments' /api routes."""

from __future__ import annotations

from typing import Any

from xinyong.commitments import verification
from xinyong.commitments.schemas import (
    DecideIn,
    MissingIn,
    RectifiedIn,
    SanctionIn,
    VerificationOut,
    VerifyIn,
    VerifyQueueOut,
)
from xinyong.common.inputs import Key
from xinyong.web.deps import AgencyDep, ContextDep, Router, SessionDep, StaffDep
from xinyong.web.errors import error_responses

router = Router(tags=["信用承诺"])

# ---------------------------------------------------------------- verification (cverify):
# 容缺受理 (HLJ 45 ¶2), decisions (HLJ 45 ¶2-3), verification within two months (HLJ 46)


# not under /api/commitments/: a path there with one segment would be read as a number
@router.get(
    "/api/commitment-verifications",
    response_model=VerifyQueueOut,
    summary="信用承诺核查队列（按期限排序）",
)
def verification_queue(ctx: ContextDep, session: SessionDep, actor: StaffDep) -> dict[str, Any]:
    return verification.queue_view(session, ctx, actor=actor)


@router.get(
    "/api/commitments/{number}/verification",
    response_model=VerificationOut,
    summary="查看信用承诺的受理、核查与履行情况",
    responses=error_responses(404),
)
def verification_state(
    number: Key, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> dict[str, Any]:
    return verification.describe(session, ctx, verification.get_commitment(session, number))


@router.post(
    "/api/commitments/{number}/missing-materials",
    response_model=VerificationOut,
    summary="容缺受理：登记待补交材料（期限为平台设定，非法定）",
    responses=error_responses(404, 409),
)
def missing_materials(
    number: Key, body: MissingIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> dict[str, Any]:
    row = verification.accept_incomplete(
        session, ctx, actor=actor, number=number, missing=body.missing
    )
    return verification.describe(session, ctx, row)


@router.post(
    "/api/commitments/{number}/materials-received",
    response_model=VerificationOut,
    summary="容缺材料补齐：当场作出行政许可决定（逾期则承诺未履行）",
    responses=error_responses(404, 409),
)
def materials_received(
    number: Key, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> dict[str, Any]:
    row = verification.receive_materials(session, ctx, actor=actor, number=number)
    return verification.describe(session, ctx, row)


@router.post(
    "/api/commitments/{number}/decision",
    response_model=VerificationOut,
    summary="依承诺作出行政许可决定或办理证明事项（开始两个月核查期限）",
    responses=error_responses(404, 409),
)
def decision(
    number: Key, body: DecideIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> dict[str, Any]:
    row = verification.decide(session, ctx, actor=actor, number=number, on=body.on)
    return verification.describe(session, ctx, row)


@router.post(
    "/api/commitments/{number}/verification",
    response_model=VerificationOut,
    summary="登记核查结论：全部履行、未履行或虚假承诺（指导或责令限期整改）",
    responses=error_responses(404, 409),
)
def verify(
    number: Key, body: VerifyIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> dict[str, Any]:
    row = verification.verify(
        session,
        ctx,
        actor=actor,
        number=number,
        outcome=body.outcome,
        measure=body.measure,
        rectify_by=body.rectify_by,
        note=body.note,
    )
    return verification.describe(session, ctx, row)


@router.post(
    "/api/commitments/{number}/rectified",
    response_model=VerificationOut,
    summary="登记按期整改的结果",
    responses=error_responses(404, 409),
)
def rectified(
    number: Key, body: RectifiedIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> dict[str, Any]:
    row = verification.rectified(
        session, ctx, actor=actor, number=number, result=body.result, note=body.note
    )
    return verification.describe(session, ctx, row)


@router.post(
    "/api/commitments/{number}/sanction",
    response_model=VerificationOut,
    summary="撤销行政许可或者予以行政处罚（仍不履行、逾期未整改或整改后仍不符合条件）",
    responses=error_responses(404, 409),
)
def sanction(
    number: Key, body: SanctionIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> dict[str, Any]:
    row = verification.sanction(
        session,
        ctx,
        actor=actor,
        number=number,
        sanction=body.sanction,
        reason=body.reason,
        document=body.document,
    )
    return verification.describe(session, ctx, row)
