"""/api/me/objections, /api/me/repairs, /api/me/complaints, /api/basis-changes, /api/cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, File, UploadFile
from fastapi.responses import Response

from xinyong.cases import service
from xinyong.cases.schemas import (
    AttachmentOut,
    BasisChangeIn,
    CaseNoticeOut,
    CaseOut,
    ComplaintIn,
    ListObjectionIn,
    NoticeActedOut,
    ObjectionIn,
    PaperIn,
    PauseIn,
    QueueItemOut,
    RepairIn,
    TransitionIn,
)
from xinyong.common.errors import NotFound
from xinyong.common.inputs import IntRowId, Key
from xinyong.common.roles import Actor, Role
from xinyong.web.deps import (
    AgencyDep,
    ContextDep,
    ProviderDep,
    Router,
    SessionDep,
    StaffDep,
    SubjectDep,
    allow,
)
from xinyong.web.errors import error_responses

router = Router(tags=["异议、修复与投诉"])
# who may read a case: its subject, the staff, and the provider unit whose record it concerns
CaseReaderDep = Annotated[
    Actor, Depends(allow(Role.SUBJECT, Role.STAFF, Role.ADMIN, Role.PROVIDER))
]


@router.post(
    "/api/me/objections",
    response_model=CaseOut,
    summary="对本人信息提出异议",
    status_code=201,
    responses=error_responses(404),
)
def objection(
    body: ObjectionIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: SubjectDep,
) -> dict[str, Any]:
    """HLJ 39: object to specific information of mine; the clocks start today."""
    case = service.file_objection(
        session,
        ctx,
        actor=actor,
        record_id=body.record_id,
        request=body.request,
        attachments=body.attachments,
    )
    return service.describe(session, ctx, case)


@router.post(
    "/api/me/list-objections",
    response_model=CaseOut,
    summary="对列入严重失信主体名单提出异议",
    status_code=201,
    responses=error_responses(404),
)
def list_objection(
    body: ListObjectionIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: SubjectDep,
) -> dict[str, Any]:
    """HLJ 35 ¶2: object to my serious-dishonesty listing."""
    case = service.file_list_objection(
        session, ctx, actor=actor, entry_number=body.entry_number, request=body.request
    )
    return service.describe(session, ctx, case)


@router.post(
    "/api/me/repairs",
    summary="申请信用修复",
    status_code=201,
    response_model=CaseOut,
    responses=error_responses(404),
)
def repair(
    body: RepairIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: SubjectDep,
) -> dict[str, Any]:
    """Apply for credit repair (HLJ 40, HRB 37, national repair rules)."""
    case = service.file_repair(
        session,
        ctx,
        actor=actor,
        record_id=body.record_id,
        request=body.request,
        conditions=body.conditions,
        commitment=body.commitment,
        entry_number=body.entry_number,
    )
    return service.describe(session, ctx, case)


@router.post("/api/me/complaints", summary="提出投诉", status_code=201, response_model=CaseOut)
def complaint(
    body: ComplaintIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: SubjectDep,
) -> dict[str, Any]:
    """HLJ 41: a complaint; a written answer within 20 working days."""
    return service.describe(
        session, ctx, service.file_complaint(session, ctx, actor=actor, request=body.request)
    )


@router.post(
    "/api/basis-changes",
    response_model=CaseOut,
    summary="报告信息所依据的文书被撤销或变更",
    status_code=201,
    responses=error_responses(404),
)
def basis_change(
    body: BasisChangeIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: ProviderDep,
) -> dict[str, Any]:
    """HLJ 38 ¶3: a provider reports that a record's basis was revoked, changed or voided."""
    case = service.report_basis_change(
        session,
        ctx,
        actor=actor,
        record_id=body.record_id,
        learned_on=body.learned_on,
        request=body.request,
    )
    return service.describe(session, ctx, case)


@router.get("/api/me/cases", summary="查看我的异议、修复和投诉", response_model=list[CaseOut])
def my_cases(
    ctx: ContextDep,
    session: SessionDep,
    actor: SubjectDep,
) -> list[dict[str, Any]]:
    return [service.describe(session, ctx, c) for c in service.my_cases(session, actor)]


@router.get("/api/cases", summary="待办案件队列（工作人员）", response_model=list[QueueItemOut])
def staff_queue(
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> list[dict[str, Any]]:
    """Open cases by nearest due date, overdue flagged (HLJ 51)."""
    return service.queue(session, ctx)


@router.get("/api/cases/{number}", summary="查看案件详情", response_model=CaseOut)
def case_detail(
    number: Key,
    ctx: ContextDep,
    session: SessionDep,
    actor: CaseReaderDep,
) -> dict[str, Any]:
    case = service.get_case(session, number)
    if not service.may_read(actor, case):
        # answered as an unknown number: a case number must not tell whether it exists
        raise NotFound("cases.unknown", f"未找到案件{number}")
    return service.describe(session, ctx, case)


@router.post(
    "/api/cases/{number}/transition",
    response_model=CaseOut,
    summary="办理案件（受理、决定等）",
    responses=error_responses(409),
)
def case_transition(
    number: Key,
    body: TransitionIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    case = service.transition(
        session,
        ctx,
        actor=actor,
        number=number,
        to=body.to,
        reasons=body.reasons,
        competent_unit=body.competent_unit,
    )
    return service.describe(session, ctx, case)


@router.post(
    "/api/cases/paper",
    summary="登记服务窗口收到的纸质申请",
    status_code=201,
    response_model=CaseOut,
    responses=error_responses(404),
)
def paper_intake(
    body: PaperIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    """登记服务窗口收到的纸质申请（HLJ 24）：法定期限自实际收到之日起计算。"""
    case = service.file_paper(
        session,
        ctx,
        actor=actor,
        kind=body.kind,
        record_id=body.record_id,
        applicant=body.applicant,
        received_on=body.received_on,
        request=body.request,
        conditions=body.conditions,
        commitment=body.commitment,
    )
    return service.describe(session, ctx, case)


@router.post(
    "/api/cases/{number}/attachments", status_code=201, responses=error_responses(404, 413)
)
def case_attachment(
    number: Key,
    ctx: ContextDep,
    session: SessionDep,
    actor: CaseReaderDep,
    file: Annotated[UploadFile, File()],
) -> AttachmentOut:
    """上传证明材料（PDF、JPEG、PNG，按内容判断类型）：申请人或工作人员。"""
    case = service.get_case(session, number)
    limit = ctx.settings.attachment_max_bytes
    row = service.add_attachment(
        session,
        ctx,
        actor=actor,
        case=case,
        name=file.filename or "",
        data=file.file.read(limit + 1),
    )
    return AttachmentOut(id=row.id, name=row.name, size=row.size, type=row.content_type)


@router.get(
    "/api/cases/{number}/attachments/{attachment_id}",
    summary="下载证明材料",
    response_class=Response,
    responses={
        200: {
            "description": "证明材料文件（PDF、JPEG或PNG，按内容判断的类型）",
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for _, kind, _ in service.MAGIC  # the types an upload is checked against
            },
        },
        **error_responses(404),
    },
)
def case_attachment_download(
    number: Key,
    attachment_id: IntRowId,
    ctx: ContextDep,
    session: SessionDep,
    actor: CaseReaderDep,
) -> Response:
    """下载证明材料：仅工作人员和申请人，每次下载记入审计日志。"""
    row, data = service.read_attachment(
        session, ctx, actor=actor, number=number, attachment_id=attachment_id
    )
    return Response(
        data,
        media_type=row.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{service.attachment_filename(row)}"'
        },
    )


@router.post("/api/cases/{number}/pauses", summary="登记不计入时限的期间", response_model=CaseOut)
def case_pause(
    number: Key,
    body: PauseIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    """An excluded interval (HLJ 39 ¶2: testing, inspection, ...) extends the decision clock;
    the reason by its code or its Chinese name (检验)."""
    case = service.pause_decision(
        session,
        ctx,
        actor=actor,
        number=number,
        start=body.start,
        end=body.end,
        reason=body.reason,
    )
    return service.describe(session, ctx, case)


@router.get("/api/case-notices", summary="案件决定后的待办通知", response_model=list[CaseNoticeOut])
def case_notices(
    ctx: ContextDep,
    session: SessionDep,
    actor: AgencyDep,
) -> list[dict[str, Any]]:
    """Notices to act on after an upheld objection or a repair, with their due dates (HLJ 39 ¶3)."""
    return service.notices_for(session, ctx, actor)


@router.post(
    "/api/case-notices/{notice_id}/acted",
    summary="登记通知已办理",
    response_model=NoticeActedOut,
)
def notice_acted(
    notice_id: IntRowId,
    ctx: ContextDep,
    session: SessionDep,
    actor: AgencyDep,
) -> dict[str, Any]:
    n = service.notice_acted(session, ctx, actor=actor, notice_id=notice_id)
    return {"id": n.id, "acted_at": n.acted_at.isoformat() if n.acted_at else None}
