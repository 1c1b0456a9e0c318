"""Chinese pages for remedies: the subject files and follows objections and repairs with their
working-day due dates; staff work a queue sorted by due date and decide with reasons."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from xinyong.cases import service
from xinyong.cases.schemas import PAUSE_RULE, PauseIn
from xinyong.common.errors import DomainError
from xinyong.common.inputs import IntRowId, Key, Name, RowId, Text
from xinyong.common.roles import Role
from xinyong.sharing.service import profile
from xinyong.visibility.engine import Viewer
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.errors import field_problems
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


def _mine(
    request: Request,
    ctx: Any,
    actor: Any,
    error: DomainError | None = None,
    filed: str | None = None,
) -> Response:
    assert actor.subject_key is not None
    shown = profile(ctx, viewer=Viewer(actor=actor), subject_key=actor.subject_key)
    with ctx.sessions() as session:
        cases = [service.describe(session, ctx, c) for c in service.my_cases(session, actor)]
    conditions = ctx.rules.get("repair.conditions", ctx.today())
    return templates.TemplateResponse(
        request,
        "cases/my_cases.html",
        {
            "ctx": ctx,
            "actor": actor,
            "records": shown.records,
            "cases": cases,
            "error": error,
            "conditions": conditions,
            "today": ctx.today(),
            "filed": filed,
        },
        status_code=422 if error else 200,
    )


@router.get("/me/cases", response_class=HTMLResponse)
def my_cases(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role is not Role.SUBJECT:
        return RedirectResponse("/login", status_code=303)
    filed = request.query_params.get("filed")
    with ctx.sessions() as session:
        known = filed and any(c.number == filed for c in service.my_cases(session, actor))
    return _mine(request, ctx, actor, filed=filed if known else None)


def _store(session: Any, ctx: Any, actor: Any, case: Any, files: list[UploadFile]) -> None:
    limit = ctx.settings.attachment_max_bytes
    for upload in files:
        if not upload.filename:  # an empty file input
            continue
        data = upload.file.read(limit + 1)
        service.add_attachment(
            session, ctx, actor=actor, case=case, name=upload.filename, data=data
        )


@router.post("/me/cases", response_class=HTMLResponse)
def file_case(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    kind: Annotated[Key, Form()],
    record_id: Annotated[RowId, Form()],
    request_text: Annotated[Text, Form(alias="request")] = "",
    commitment: Annotated[Text, Form()] = "",
    conditions: Annotated[list[Key] | None, Form()] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    if actor.role is not Role.SUBJECT:
        return RedirectResponse("/login", status_code=303)
    try:
        with ctx.sessions() as session, session.begin():
            if kind == "repair":
                case = service.file_repair(
                    session,
                    ctx,
                    actor=actor,
                    record_id=record_id,
                    request=request_text,
                    conditions=conditions or [],
                    commitment=commitment,
                )
            else:
                case = service.file_objection(
                    session, ctx, actor=actor, record_id=record_id, request=request_text
                )
            _store(session, ctx, actor, case, files or [])
            number = case.number
    except DomainError as refused:
        return _mine(request, ctx, actor, refused)
    return RedirectResponse(f"/me/cases?filed={number}", status_code=303)


def _staff(actor: Any) -> bool:
    return bool(actor.role in service.STAFF)


@router.get("/staff/cases", response_class=HTMLResponse)
def staff_cases(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if not _staff(actor):
        return RedirectResponse("/login", status_code=303)
    with ctx.sessions() as session:
        queue = service.desk_queue(session, ctx, actor=actor)
    return templates.TemplateResponse(
        request, "cases/staff_cases.html", {"ctx": ctx, "actor": actor, "queue": queue}
    )


def _case_page(
    request: Request,
    ctx: Any,
    actor: Any,
    number: str,
    *,
    error: DomainError | None = None,
    typed: dict[str, str] | None = None,
    confirm: bool = False,
) -> Response:
    with ctx.sessions() as session, session.begin():
        case = service.desk_view(session, ctx, actor=actor, case=service.get_case(session, number))
    return templates.TemplateResponse(
        request,
        "cases/staff_case.html",
        {
            "ctx": ctx,
            "actor": actor,
            "case": case,
            "error": error,
            "typed": typed or {},
            "confirm": confirm,
            "filed": request.query_params.get("filed") == "1",
        },
        status_code=422 if error else 200,
    )


@router.get("/staff/cases/intake", response_class=HTMLResponse)
def intake_form(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if not _staff(actor):
        return RedirectResponse("/login", status_code=303)
    return _intake(request, ctx, actor)


def _intake(
    request: Request,
    ctx: Any,
    actor: Any,
    error: DomainError | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    return templates.TemplateResponse(
        request,
        "cases/staff_intake.html",
        {
            "ctx": ctx,
            "actor": actor,
            "error": error,
            "typed": typed or {},
            "today": ctx.today(),
            "conditions": service.repair_conditions(
                ctx.rules.get("repair.conditions", ctx.today()).value
            ),
        },
        status_code=422 if error else 200,
    )


@router.post("/staff/cases/intake", response_class=HTMLResponse)
def intake(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    kind: Annotated[Key, Form()],
    subject_key: Annotated[Key, Form()],
    record_key: Annotated[Name, Form()],
    applicant: Annotated[Name, Form()] = "",
    received_on: Annotated[str, Form()] = "",
    request_text: Annotated[Text, Form(alias="request")] = "",
    commitment: Annotated[Text, Form()] = "",
    conditions: Annotated[list[Key] | None, Form()] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """A paper application received at a service window (HLJ 24), with its date of receipt."""
    if not _staff(actor):
        return RedirectResponse("/login", status_code=303)
    typed = {
        "kind": kind,
        "subject_key": subject_key,
        "record_key": record_key,
        "applicant": applicant,
        "received_on": received_on,
        "request": request_text,
        "commitment": commitment,
        "conditions": conditions or [],
    }
    try:
        try:
            day = dt.date.fromisoformat(received_on)
        except ValueError:
            raise DomainError(
                code="cases.received_on", message="请填写收到纸质申请的日期（年-月-日）"
            ) from None
        with ctx.sessions() as session, session.begin():
            record_id = service.find_record(session, subject_key.strip(), record_key.strip())
            case = service.file_paper(
                session,
                ctx,
                actor=actor,
                kind=kind,
                record_id=record_id,
                applicant=applicant,
                received_on=day,
                request=request_text,
                conditions=conditions or [],
                commitment=commitment,
            )
            _store(session, ctx, actor, case, files or [])
            number = case.number
    except DomainError as refused:
        return _intake(request, ctx, actor, refused, typed)
    return RedirectResponse(f"/staff/cases/{number}?filed=1", status_code=303)


@router.get("/staff/cases/{number}", response_class=HTMLResponse)
def staff_case(request: Request, number: Key, ctx: ContextDep, actor: ActorDep) -> Response:
    if not _staff(actor):
        return RedirectResponse("/login", status_code=303)
    return _case_page(request, ctx, actor, number)


@router.post("/staff/cases/{number}", response_class=HTMLResponse)
def staff_decide(
    request: Request,
    number: Key,
    ctx: ContextDep,
    actor: ActorDep,
    to: Annotated[Key, Form()] = "",
    reasons: Annotated[Text, Form()] = "",
    competent_unit: Annotated[Name, Form()] = "",
    confirmed: Annotated[Key, Form()] = "",
) -> Response:
    """The decision: an explicit choice, then a confirmation page; the service refuses a
    decision without a choice, a rejection without reasons, an approval without a statement."""
    if not _staff(actor):
        return RedirectResponse("/login", status_code=303)
    typed = {"to": to, "reasons": reasons, "competent_unit": competent_unit}
    try:
        with ctx.sessions() as session:
            transaction = session.begin()
            try:
                service.transition(
                    session,
                    ctx,
                    actor=actor,
                    number=number,
                    to=to or None,
                    reasons=reasons or None,
                    competent_unit=competent_unit or None,
                )
            except BaseException:
                transaction.rollback()
                raise
            if confirmed == "1":
                transaction.commit()
            else:  # checked, not decided: the confirmation step comes first
                transaction.rollback()
    except DomainError as refused:
        return _case_page(request, ctx, actor, number, error=refused, typed=typed)
    if confirmed != "1":
        return _case_page(request, ctx, actor, number, typed=typed, confirm=True)
    return RedirectResponse(f"/staff/cases/{number}", status_code=303)


@router.get("/cases/{number}/attachments/{attachment_id}")
def attachment(number: Key, attachment_id: IntRowId, ctx: ContextDep, actor: ActorDep) -> Response:
    """An evidence file, for staff and the applicant only; audited."""
    if actor.role is Role.PUBLIC:
        return RedirectResponse("/login", status_code=303)
    with ctx.sessions() as session, session.begin():
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


# -- the pause form (issue 16, links): the reason is a select of the law's names; a refused
# -- form comes back as typed


def _pause_page(
    request: Request,
    ctx: Any,
    actor: Any,
    number: str,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
    fields: dict[str, str] | None = None,
) -> Response:
    rule = ctx.rules.get(PAUSE_RULE, ctx.today())
    return templates.TemplateResponse(
        request,
        "cases/pause.html",
        {
            "ctx": ctx,
            "actor": actor,
            "number": number,
            "reasons": rule.value,
            "rule": rule,
            "form": form or {},
            "error": error,
            "fields": fields or {},
        },
        status_code=(404 if error.status == 404 else 422) if error else 200,
    )


@router.get("/staff/cases/{number}/pause", response_class=HTMLResponse)
def staff_pause_form(request: Request, number: Key, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role not in service.STAFF:
        return RedirectResponse("/login", status_code=303)
    return _pause_page(request, ctx, actor, number)


@router.post("/staff/cases/{number}/pause", response_class=HTMLResponse)
def staff_pause(
    request: Request,
    number: Key,
    ctx: ContextDep,
    actor: ActorDep,
    start: Annotated[Key, Form()] = "",
    end: Annotated[Key, Form()] = "",
    reason: Annotated[Key, Form()] = "",
) -> Response:
    """An excluded interval (HLJ 39 ¶2) extends the decision clock."""
    if actor.role not in service.STAFF:
        return RedirectResponse("/login", status_code=303)
    form = {"start": start, "end": end, "reason": reason}
    blank = {k: "必填" for k, v in form.items() if not v.strip()}
    if blank:
        missing = DomainError(code="form.missing", message="请填写必填项")
        return _pause_page(request, ctx, actor, number, form, missing, blank)
    try:
        body = PauseIn.model_validate(form)
        with ctx.sessions() as session, session.begin():
            service.pause_decision(
                session,
                ctx,
                actor=actor,
                number=number,
                start=body.start,
                end=body.end,
                reason=body.reason,
            )
    except ValidationError as invalid:
        refused = DomainError(code="form.invalid", message="表单填写有误，请按提示修改")
        fields = field_problems(invalid.errors())
        return _pause_page(request, ctx, actor, number, form, refused, fields)
    except DomainError as refused:
        fields = {"end": refused.message} if refused.code == "cases.pause_dates" else {}
        return _pause_page(request, ctx, actor, number, form, refused, fields)
    return RedirectResponse("/staff/cases", status_code=303)
