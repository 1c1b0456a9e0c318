"""/api/commitment-matters (HRB 17: staff write, everyone reads) and /api/commitments (agencies'
service systems file the commitments made before them, HLJ 45; subjects file their own, HRB 15
¶2; the public reads the published ones, HLJ 50)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from xinyong.commitments import filing, matters, verification
from xinyong.commitments.schemas import (
    DATASET_NOTE,
    CommitmentIn,
    CommitmentOut,
    CommitmentPage,
    DecideIn,
    MatterIn,
    MatterOut,
    MatterRetireIn,
    MissingIn,
    RectifiedIn,
    SanctionIn,
    VerificationOut,
    VerifyIn,
    VerifyQueueOut,
    VoluntaryIn,
)
from xinyong.common.inputs import Key, Name, PageNumber
from xinyong.common.roles import Role
from xinyong.web.deps import (
    ActorDep,
    AgencyDep,
    ContextDep,
    Router,
    SessionDep,
    StaffDep,
    SubjectDep,
)
from xinyong.web.errors import error_responses

router = Router(tags=["信用承诺"])


@router.get(
    "/api/commitment-matters",
    summary="适用信用承诺制的事项清单",
    response_model=list[MatterOut],
)
def list_matters(
    session: SessionDep, actor: ActorDep, include_retired: bool = False
) -> list[dict[str, Any]]:
    """The matters in force (HRB 17); staff may ask for retired ones too."""
    staff = actor.role in (Role.STAFF, Role.ADMIN)
    return [
        matters.describe(m)
        for m in matters.listing(session, in_force_only=not (include_retired and staff))
    ]


@router.get(
    "/api/commitment-matters/{code}/versions",
    summary="事项的各个版本",
    response_model=list[MatterOut],
)
def matter_versions(code: Key, session: SessionDep) -> list[dict[str, Any]]:
    return [matters.describe(m) for m in matters.versions(session, code)]


@router.post(
    "/api/commitment-matters",
    summary="新增适用信用承诺制的事项",
    status_code=201,
    response_model=MatterOut,
    responses=error_responses(403, 409),
)
def create_matter(
    body: MatterIn, ctx: ContextDep, session: SessionDep, actor: StaffDep
) -> dict[str, Any]:
    return matters.describe(matters.create(session, ctx, actor=actor, body=body))


@router.put(
    "/api/commitment-matters/{code}",
    summary="变更事项（生成新版本）",
    response_model=MatterOut,
    responses=error_responses(403, 404),
)
def change_matter(
    code: Key, body: MatterIn, ctx: ContextDep, session: SessionDep, actor: StaffDep
) -> dict[str, Any]:
    return matters.describe(matters.change(session, ctx, actor=actor, code=code, body=body))


@router.post(
    "/api/commitment-matters/{code}/retire",
    summary="停止适用信用承诺制（须写明依据）",
    response_model=MatterOut,
    responses=error_responses(403, 404),
)
def retire_matter(
    code: Key, body: MatterRetireIn, ctx: ContextDep, session: SessionDep, actor: StaffDep
) -> dict[str, Any]:
    return matters.describe(matters.retire(session, ctx, actor=actor, code=code, basis=body.basis))


@router.post(
    "/api/commitments",
    summary="登记向本机关作出的信用承诺",
    status_code=201,
    response_model=CommitmentOut,
    responses=error_responses(403, 404),
)
def file_commitment(
    body: CommitmentIn, ctx: ContextDep, session: SessionDep, actor: AgencyDep
) -> dict[str, Any]:
    """An agency's service system files a commitment made before it. A subject that may not
    promise (HLJ 45 ¶1) is refused with the ground; a matter must be in force (HRB 17)."""
    row = filing.file(session, ctx, actor=actor, body=body, via="api")
    return filing.describe(row, actor, filing.matter_names(session, [row]))


@router.post(
    "/api/me/commitments",
    summary="作出主动承诺",
    status_code=201,
    response_model=CommitmentOut,
    responses=error_responses(403),
)
def file_own_commitment(
    body: VoluntaryIn, ctx: ContextDep, session: SessionDep, actor: SubjectDep
) -> dict[str, Any]:
    """A subject publishes a commitment of its own accord (主动型, HRB 15 ¶2)."""
    return filing.describe(filing.file_own(session, ctx, actor=actor, body=body), actor)


@router.get("/api/me/commitments", summary="我的信用承诺", response_model=list[CommitmentOut])
def my_commitments(session: SessionDep, actor: SubjectDep) -> list[dict[str, Any]]:
    assert actor.subject_key is not None
    rows = filing.of_subject(session, actor.subject_key, actor)
    return [filing.describe(r, actor, filing.matter_names(session, rows)) for r in rows]


@router.get("/api/commitments", summary="公示的信用承诺", response_model=CommitmentPage)
def published_commitments(
    ctx: ContextDep,
    session: SessionDep,
    actor: ActorDep,
    q: Name | None = None,
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The commitments published for the public (HLJ 50), searchable by number, code, name,
    type or agency; a natural person's name and number masked."""
    found = filing.published(session, q=q, page=page, per_page=per_page)
    filing.audit_persons(ctx, actor, found.rows)
    names = filing.matter_names(session, found.rows)
    return {
        "total": found.total,
        "page": page,
        "per_page": per_page,
        "items": [filing.describe(r, actor, names) for r in found.rows],
        "note": DATASET_NOTE,
    }


@router.get(
    "/api/commitments/{number}",
    summary="一项信用承诺",
    response_model=CommitmentOut,
    responses=error_responses(404),
)
def one_commitment(
    number: Key, ctx: ContextDep, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    row = filing.by_number(session, number, actor)
    filing.audit_persons(ctx, actor, [row])
    return filing.describe(row, actor, filing.matter_names(session, [row]))


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
