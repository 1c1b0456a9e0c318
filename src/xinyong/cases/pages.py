"""Chinese pages for remedies: the subject files and follows objections and repairs with their
working-day due dates; staff work a queue sorted by due date and decide with reasons."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from xinyong.cases import service
from xinyong.cases.schemas import PAUSE_RULE, PauseIn
from xinyong.common.errors import DomainError
from xinyong.common.inputs import Key, Name, RowId, Text
from xinyong.common.roles import Role
from xinyong.sharing.service import profile
from xinyong.visibility.engine import Viewer
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.errors import field_problems
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


def _mine(request: Request, ctx: Any, actor: Any, error: DomainError | None = None) -> Response:
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
        },
        status_code=422 if error else 200,
    )


@router.get("/me/cases", response_class=HTMLResponse)
def my_cases(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role is not Role.SUBJECT:
        return RedirectResponse("/login", status_code=303)
    return _mine(request, ctx, actor)


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
) -> Response:
    if actor.role is not Role.SUBJECT:
        return RedirectResponse("/login", status_code=303)
    try:
        with ctx.sessions() as session, session.begin():
            if kind == "repair":
                service.file_repair(
                    session,
                    ctx,
                    actor=actor,
                    record_id=record_id,
                    request=request_text,
                    conditions=conditions or [],
                    commitment=commitment,
                )
            else:
                service.file_objection(
                    session, ctx, actor=actor, record_id=record_id, request=request_text
                )
    except DomainError as refused:
        return _mine(request, ctx, actor, refused)
    return RedirectResponse("/me/cases", status_code=303)


def _queue(request: Request, ctx: Any, actor: Any, error: DomainError | None = None) -> Response:
    with ctx.sessions() as session:
        queue = service.queue(session, ctx)
        details = {
            q["number"]: service.describe(session, ctx, service.get_case(session, q["number"]))
            for q in queue
        }
    return templates.TemplateResponse(
        request,
        "cases/staff_cases.html",
        {
            "ctx": ctx,
            "actor": actor,
            "queue": queue,
            "details": details,
            "error": error,
            "labels": service.STATE_LABELS,
        },
        status_code=422 if error else 200,
    )


@router.get("/staff/cases", response_class=HTMLResponse)
def staff_cases(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role not in service.STAFF:
        return RedirectResponse("/login", status_code=303)
    return _queue(request, ctx, actor)


@router.post("/staff/cases/{number}", response_class=HTMLResponse)
def staff_decide(
    request: Request,
    number: Key,
    ctx: ContextDep,
    actor: ActorDep,
    to: Annotated[Key, Form()],
    reasons: Annotated[Text, Form()] = "",
    competent_unit: Annotated[Name, Form()] = "",
) -> Response:
    """The decision form: a rejection without reasons is refused."""
    if actor.role not in service.STAFF:
        return RedirectResponse("/login", status_code=303)
    try:
        with ctx.sessions() as session, session.begin():
            service.transition(
                session,
                ctx,
                actor=actor,
                number=number,
                to=to,
                reasons=reasons or None,
                competent_unit=competent_unit or None,
            )
    except DomainError as refused:
        return _queue(request, ctx, actor, refused)
    return RedirectResponse("/staff/cases", status_code=303)


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
