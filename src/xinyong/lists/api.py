"""/api/measures, /api/red-list-criteria, /api/lists, /api/emergencies, /api/checks."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.responses import Response
from sqlalchemy import select

from xinyong.common.inputs import IntRowId, Key, RowId
from xinyong.common.roles import Role
from xinyong.lists import court_debtors, emergencies, notices, recognition
from xinyong.lists import criteria as criteria_service
from xinyong.lists import measures as measure_service
from xinyong.lists.check import as_csv_rows, load_check, run_check
from xinyong.lists.models import RedListCriteria
from xinyong.lists.schemas import (
    CheckIn,
    CheckOut,
    CourtSyncOut,
    CriteriaCreatedOut,
    CriteriaIn,
    CriteriaOut,
    EmergencyIn,
    EmergencyOut,
    HandlingIn,
    ListEntryOut,
    MeasureIn,
    MeasureOut,
    NoticeAnsweredOut,
    NoticeIn,
    PublishIn,
    RecognitionIn,
    RemovalIn,
    StateUnitNoticeOut,
)
from xinyong.web.deps import ActorDep, AgencyDep, ContextDep, Router, SessionDep, StaffDep
from xinyong.web.errors import error_responses

router = Router(tags=["守信激励与失信惩戒"])


@router.get("/api/measures", summary="查看奖惩措施清单", response_model=list[MeasureOut])
def measures(ctx: ContextDep, session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    """The published measure lists (HLJ 26, 31); staff also see unpublished drafts."""
    staff = actor.role in (Role.STAFF, Role.ADMIN)
    found = measure_service.list_measures(session, published_only=not staff, on=ctx.today())
    return [measure_service.describe_measure(m) for m in found]


@router.post(
    "/api/measures",
    summary="新增奖惩措施",
    status_code=201,
    response_model=MeasureOut,
    responses=error_responses(409),
)
def define_measure(
    body: MeasureIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    return measure_service.describe_measure(
        measure_service.define_measure(session, ctx, actor=actor, body=body)
    )


@router.post(
    "/api/measures/{code}/publish",
    summary="公布奖惩措施",
    response_model=MeasureOut,
    responses=error_responses(409),
)
def publish_measure(
    code: Key,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
    body: PublishIn | None = None,
) -> dict[str, Any]:
    on = body.published_on if body else None
    return measure_service.describe_measure(
        measure_service.publish_measure(session, ctx, actor=actor, code=code, on=on)
    )


@router.post("/api/measures/{code}/withdraw", summary="撤回奖惩措施", response_model=MeasureOut)
def withdraw_measure(
    code: Key,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    return measure_service.describe_measure(
        measure_service.withdraw_measure(session, ctx, actor=actor, code=code)
    )


@router.get(
    "/api/red-list-criteria",
    summary="查看守信激励名单认定标准",
    response_model=list[CriteriaOut],
)
def criteria(session: SessionDep) -> list[dict[str, Any]]:
    """Published red-list criteria (HLJ 25 ¶1)."""
    return [
        {
            "code": c.code,
            "authority": c.authority,
            "industry": c.industry,
            "title": c.title,
            "text": c.text,
            "approval": c.approval,
            "published_on": c.published_on.isoformat(),
        }
        for c in session.scalars(select(RedListCriteria).order_by(RedListCriteria.code))
    ]


@router.post(
    "/api/red-list-criteria",
    summary="新增守信激励名单认定标准",
    status_code=201,
    response_model=CriteriaCreatedOut,
    responses=error_responses(409),
)
def define_criteria(
    body: CriteriaIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, str]:
    made = criteria_service.define_criteria(session, ctx, actor=actor, body=body)
    return {"code": made.code, "published_on": made.published_on.isoformat()}


@router.get(
    "/api/lists/{list_kind}",
    summary="查看守信激励名单或严重失信主体名单",
    response_model=list[ListEntryOut],
)
def public_list(
    list_kind: Key, ctx: ContextDep, session: SessionDep, actor: ActorDep
) -> list[dict[str, Any]]:
    """The red list or the serious-dishonesty list: entries within their term, each with its
    written decision; named as the list pages name them (`recognition.public_rows`: an entry
    stored with its code as its name is named from the register, natural persons by masked
    name, the deciding unit by its name), each person shown audited."""
    today = ctx.today()
    listed = recognition.public_list(session, list_kind, today)
    recognition.audit_persons_shown(ctx, actor, listed)
    return recognition.public_rows(session, listed, today)


@router.post(
    "/api/lists/{list_kind}",
    summary="认定列入名单",
    status_code=201,
    response_model=ListEntryOut,
    responses=error_responses(409),
)
def recognise(
    list_kind: Key,
    body: RecognitionIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    """Recognise a subject (HLJ 25, 27-33): refused unless the decision states reasons, basis,
    term, removal conditions and remedies (HLJ 28 ¶2)."""
    entry = recognition.recognise(session, ctx, actor=actor, list_kind=list_kind, body=body)
    return recognition.describe_entry(entry, ctx.today(), full=True)


@router.get("/api/list-entries/{number}", summary="查看认定决定书", response_model=ListEntryOut)
def entry(number: Key, ctx: ContextDep, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """A written decision: public while in force; always to the subject and to staff."""
    return recognition.shown_entry(session, number, actor, ctx.today(), ctx)


@router.post(
    "/api/list-entries/{number}/notice-delivered",
    summary="登记认定决定已送达",
    response_model=ListEntryOut,
    responses=error_responses(409),
)
def notice_delivered(
    number: Key,
    body: NoticeIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    """HRB 31 ¶2: the person was told; the listing takes effect."""
    done = recognition.deliver_notice(
        session, ctx, actor=actor, number=number, delivered_on=body.delivered_on
    )
    return recognition.describe_entry(done, ctx.today(), full=True)


@router.post(
    "/api/list-entries/{number}/remove",
    summary="移出名单",
    response_model=ListEntryOut,
    responses=error_responses(409),
)
def remove(
    number: Key,
    body: RemovalIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    done = recognition.remove_entry(
        session, ctx, actor=actor, number=number, reason=body.reason, note=body.note
    )
    return recognition.describe_entry(done, ctx.today(), full=True)


@router.post(
    "/api/lists/court-debtors/sync", summary="同步失信被执行人名单", response_model=CourtSyncOut
)
def sync_court(
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, int]:
    """HLJ 28 ¶3 (also run after every court push): 失信被执行人 become serious-dishonesty
    entries."""
    return court_debtors.sync_court_debtors(session, ctx, actor=actor)


@router.get(
    "/api/state-unit-notices",
    summary="查看对国家机关和事业单位的通报",
    response_model=list[StateUnitNoticeOut],
)
def state_unit_notices(
    session: SessionDep,
    actor: StaffDep,
    open_only: bool = True,
) -> list[dict[str, Any]]:
    """HLJ 32 ¶2 notifications and whether the recipients reported their handling."""
    return [
        {
            "id": n.id,
            "entry": e.number,
            "subject": e.subject_name,
            "recipient_kind": n.recipient_kind,
            "recipient": n.recipient_name,
            "sent_at": n.sent_at.isoformat(),
            "answered_at": n.answered_at.isoformat() if n.answered_at else None,
            "handling": n.handling,
        }
        for n, e in notices.notices(session, open_only=open_only)
    ]


@router.post(
    "/api/state-unit-notices/{notice_id}/answer",
    summary="登记通报的处理情况",
    response_model=NoticeAnsweredOut,
)
def answer_notice(
    notice_id: IntRowId,
    body: HandlingIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    n = notices.answer_notice(
        session, ctx, actor=actor, notice_id=notice_id, handling=body.handling
    )
    return {"id": n.id, "answered_at": n.answered_at.isoformat() if n.answered_at else None}


@router.post(
    "/api/emergencies",
    summary="宣布突发事件应对期间",
    status_code=201,
    response_model=EmergencyOut,
)
def declare(
    body: EmergencyIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
) -> dict[str, Any]:
    """HLJ 30 ¶3: an emergency period for an area; recognition there needs a second reviewer."""
    e = emergencies.declare_emergency(session, ctx, actor=actor, body=body)
    return {
        "id": e.id,
        "region": e.region,
        "starts_on": str(e.starts_on),
        "ends_on": str(e.ends_on),
    }


@router.post(
    "/api/checks",
    summary="联合奖惩核查",
    status_code=201,
    response_model=CheckOut,
    response_model_exclude_unset=True,  # a line's name or problem only where it has one
)
def check(
    body: CheckIn,
    ctx: ContextDep,
    actor: AgencyDep,
) -> dict[str, Any]:
    """The joint check agencies run before licensing, procurement, funding and awards (HLJ 44):
    one subject or thousands; stored, so the agency can show it consulted the platform."""
    with ctx.sessions() as session, session.begin():
        answer = run_check(
            session,
            ctx,
            actor=actor,
            scenario=body.scenario,
            subject_keys=body.subjects,
            matter=body.matter,
        )
    return answer.as_dict()  # committed: the audit receipt is numbered at commit


@router.get(
    "/api/checks/{check_id}",
    summary="查看核查结果",
    response_model=CheckOut,
    response_model_exclude_unset=True,
)
def stored_check(
    check_id: RowId,
    session: SessionDep,
    ctx: ContextDep,
    actor: AgencyDep,
) -> dict[str, Any]:
    return load_check(session, actor, check_id, ctx).as_dict()


@router.get(
    "/api/checks/{check_id}/csv",
    summary="下载核查结果（CSV）",
    response_class=Response,
    responses={
        200: {
            "description": "核查结果（UTF-8 带BOM的CSV，Excel可直接打开）",
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def stored_check_csv(
    check_id: RowId,
    session: SessionDep,
    ctx: ContextDep,
    actor: AgencyDep,
) -> Response:
    """The check as a procurement file keeps it: UTF-8 with a BOM (Excel opens it), Chinese
    headers, a header block, one row per subject and measure."""
    answer = load_check(session, actor, check_id, ctx)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(as_csv_rows(answer))
    return Response(
        content="\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="check-{check_id}.csv"'},
    )
