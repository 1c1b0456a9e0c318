"""Chinese pages: landing, login, the rules in force. Thin views over the same services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from xinyong.accounts.service import authenticate, close_session, open_session
from xinyong.accounts.throttle import TooManyAttempts
from xinyong.common.errors import Unauthenticated
from xinyong.common.inputs import (
    FormDate,
    FormName,
    IntRowId,
    Key,
    Name,
    PageNumber,
    RecordKey,
    Text,
)
from xinyong.common.roles import ROLE_LABELS, Role
from xinyong.context import Context
from xinyong.web.deps import SESSION_COOKIE, ActorDep, ContextDep, Router, SessionDep
from xinyong.web.security import client_address, csrf_input, csrf_token

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Every POST form carries `{{ csrf_input(request) }}` (web/security.py).
templates.env.globals["csrf_input"] = csrf_input
templates.env.globals["csrf_token"] = csrf_token
# States and kinds stored as codes, in the words a page shows them.
templates.env.globals["STATE_LABELS"] = {
    "active": "有效",
    "archived": "已归档",
    "repaired": "已修复",
    "withdrawn": "已撤回",
    "corrected": "已更正",
    "running": "计时中",
    "met": "按时办结",
    "late": "逾期办结",
    "overdue": "已逾期",
    "paused": "已中止",
}
templates.env.globals["UNIT_LABELS"] = {"year": "年", "month": "个月", "day": "日"}
templates.env.globals["VALUE_LABELS"] = {"decision_date": "自处罚决定作出之日起"}
templates.env.globals["LIST_KIND_LABELS"] = {
    "incentive": "守信激励",
    "constraint": "失信约束",
    "punishment": "失信惩戒",
}
router = Router(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    return templates.TemplateResponse(
        request,
        "index.html",
        {"ctx": ctx, "actor": actor, "role_label": ROLE_LABELS[actor.role], "today": ctx.today()},
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"ctx": ctx, "actor": actor, "error": None}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: ActorDep,
    username: Annotated[Name, Form()],
    password: Annotated[Name, Form()],
) -> Response:
    address = client_address(request, ctx.settings)
    try:
        user = authenticate(session, ctx, username, password, address=address)
    except (Unauthenticated, TooManyAttempts) as exc:
        retry = exc.details.get("retry_after_seconds")
        return templates.TemplateResponse(
            request,
            "login.html",
            {"ctx": ctx, "actor": actor, "error": exc.message},
            status_code=exc.status,
            headers={"Retry-After": str(retry)} if retry else None,
        )
    token, _row = open_session(session, ctx, user, "cookie")
    response = RedirectResponse("/", status_code=303)
    # Strict: no request another site starts carries it (web/security.py, deps._token);
    # `Secure` is added over TLS by the security middleware.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=ctx.settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def logout(request: Request, ctx: ContextDep, session: SessionDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        close_session(session, ctx, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    return response


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    on = ctx.today()
    answers = []
    for key in ctx.rules.rule_keys():
        try:
            answers.append(ctx.rules.get(key, on))
        except Exception:  # a rule not yet in force on this date is simply not listed
            continue
    return templates.TemplateResponse(
        request, "rules.html", {"ctx": ctx, "actor": actor, "answers": answers, "on": on}
    )


@router.get("/me", response_class=HTMLResponse)
def my_page(
    request: Request, ctx: ContextDep, actor: ActorDep, error: Text | None = None
) -> Response:
    """The subject's self-service page: its information, who accessed it, its authorisations,
    its good-information switch, its report."""
    from xinyong.authorisations.service import describe, hides_good_information, of_subject
    from xinyong.catalog.service import list_items
    from xinyong.providers.models import ProviderUnit
    from xinyong.sharing.service import access_log, profile
    from xinyong.sharing.visibility import Viewer

    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    mine = profile(ctx, viewer=Viewer(actor=actor), subject_key=actor.subject_key)
    with ctx.sessions() as session:
        accesses = access_log(session, actor, actor.subject_key, limit=50)
        grants = [describe(a, ctx.today()) for a in of_subject(session, actor.subject_key)]
        grantable = [i for i in list_items(session) if i.opening == "conditional"]
        hide_good = hides_good_information(session, actor.subject_key)
        codes = {r.provider_code for r in mine.records}
        found = session.execute(
            select(ProviderUnit.code, ProviderUnit.name).where(ProviderUnit.code.in_(codes))
        )
        units = {code: name for code, name in found}
    return templates.TemplateResponse(
        request,
        "me.html",
        {
            "ctx": ctx,
            "actor": actor,
            "profile": mine,
            "accesses": accesses,
            "authorisations": grants,
            "grantable": grantable,
            "hide_good": hide_good,
            "units": units,
            "purposes": purpose_names(ctx),
            "error": error,
        },
    )


@router.get("/me/records/{item_code}/{record_key}", response_class=HTMLResponse)
def my_record_history_page(
    request: Request,
    item_code: Key,
    record_key: RecordKey,
    provider: Key,
    ctx: ContextDep,
    actor: ActorDep,
) -> Response:
    """One item of my information: its source unit and every change (HLJ 35, HRB 35)."""
    from xinyong.sharing.service import record_history

    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    history = record_history(
        ctx, actor=actor, provider_code=provider, item_code=item_code, record_key=record_key
    )
    return templates.TemplateResponse(
        request, "record_history.html", {"ctx": ctx, "actor": actor, "history": history}
    )


@router.post("/me/authorisations")
async def my_grant(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    import datetime as dt
    from urllib.parse import quote

    from pydantic import ValidationError

    from xinyong.authorisations.service import GrantIn, grant
    from xinyong.common.errors import DomainError

    form = await request.form()
    try:
        body = GrantIn(
            grantee=str(form.get("grantee", "")),
            items=[str(v) for v in form.getlist("items")],
            purpose=str(form.get("purpose", "")),
            expires_on=dt.date.fromisoformat(str(form.get("expires_on", ""))),
        )

        def write() -> None:  # in a worker thread, committed there: never on the event loop
            with ctx.sessions() as session, session.begin():
                grant(session, ctx, actor=actor, body=body)

        await run_in_threadpool(write)
    except (DomainError, ValidationError, ValueError) as exc:
        message = exc.message if isinstance(exc, DomainError) else "授权信息填写不完整"
        return RedirectResponse(f"/me?error={quote(message)}", status_code=303)
    return RedirectResponse("/me", status_code=303)


@router.post("/me/authorisations/{authorisation_id}/revoke")
def my_revoke(
    authorisation_id: IntRowId, ctx: ContextDep, session: SessionDep, actor: ActorDep
) -> Response:
    from xinyong.authorisations.service import revoke

    revoke(session, ctx, actor=actor, authorisation_id=authorisation_id)
    return RedirectResponse("/me", status_code=303)


@router.post("/me/preferences")
def my_preferences_form(
    ctx: ContextDep,
    session: SessionDep,
    actor: ActorDep,
    hide_good_information: Annotated[str | None, Form()] = None,
) -> Response:
    from xinyong.authorisations.service import set_good_publicity

    set_good_publicity(session, ctx, actor=actor, hide=hide_good_information == "1")
    return RedirectResponse("/me", status_code=303)


@router.get("/reports/{number}", response_class=HTMLResponse)
def report_page(
    request: Request, number: Key, code: Key, ctx: ContextDep, actor: ActorDep
) -> Response:
    """A report as a web page, by number and verification code."""
    import json

    from xinyong.reports import service

    row = service.load(ctx, number, code)
    return templates.TemplateResponse(
        request,
        "report.html",
        {
            "ctx": ctx,
            "actor": actor,
            "report": json.loads(row.content_json),
            "number": row.number,
            "digest": row.digest,
            "code": code,
        },
    )


@router.post("/me/report")
def my_report(ctx: ContextDep, actor: ActorDep) -> Response:
    """Issue my own report and show its PDF (a POST with the form's CSRF token: issuing is a
    write, which no link another site shows may trigger)."""
    from xinyong.reports import service
    from xinyong.sharing.visibility import Viewer

    if actor.role is not Role.SUBJECT or not actor.subject_key:
        return RedirectResponse("/login", status_code=303)
    report = service.generate(ctx, viewer=Viewer(actor=actor), subject_key=actor.subject_key)
    return RedirectResponse(f"/api/reports/{report.number}/pdf?code={report.code}", status_code=303)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, ctx: ContextDep, actor: ActorDep, q: FormName = None) -> Response:
    from xinyong.common.errors import DomainError
    from xinyong.search.service import search

    results, error = None, None
    if q:
        try:
            with ctx.sessions() as session, session.begin():
                results = search(session, ctx, actor, q)
        except DomainError as exc:
            error = exc.message
    return templates.TemplateResponse(
        request,
        "search.html",
        {"ctx": ctx, "actor": actor, "q": q, "results": results, "error": error},
    )


@router.get("/subjects/{key}", response_class=HTMLResponse)
def subject_page(request: Request, key: Key, ctx: ContextDep, actor: ActorDep) -> Response:
    """A subject's page: what this viewer may see (the public: what is open)."""
    from xinyong.sharing.service import profile
    from xinyong.sharing.visibility import Viewer

    shown = profile(ctx, viewer=Viewer(actor=actor), subject_key=key)
    return templates.TemplateResponse(
        request, "subject.html", {"ctx": ctx, "actor": actor, "profile": shown, "receipt": None}
    )


@router.get("/publicity/{which}", response_class=HTMLResponse)
def publicity_page(
    request: Request,
    which: Key,
    ctx: ContextDep,
    actor: ActorDep,
    name: FormName = None,
    since: FormDate = None,
    until: FormDate = None,
    page: PageNumber = 1,
) -> Response:
    """双公示: the 行政许可 and 行政处罚 publicity lists."""

    from xinyong.common.errors import NotFound
    from xinyong.sharing.lists import PUBLICITY_LISTS, publicity_list

    if which not in PUBLICITY_LISTS:
        raise NotFound("publicity.unknown_list", "没有这个公示栏目")
    item, title = PUBLICITY_LISTS[which]
    with ctx.sessions() as session:
        rows = publicity_list(
            session,
            ctx,
            item,
            actor=actor,
            name=name,
            since=since,
            until=until,
            page=page,
        )
    return templates.TemplateResponse(
        request,
        "publicity.html",
        {
            "ctx": ctx,
            "actor": actor,
            "title": title,
            "rows": rows,
            "name": name,
            "since": since,
            "until": until,
        },
    )


def purpose_names(ctx: Context) -> dict[str, str]:
    """The statutory query scenarios (HLJ 44) by code, as a reader states them, to their names."""
    scenarios = ctx.rules.get("query.mandatory_scenarios", ctx.today()).value
    return {str(e["code"]): str(e["name"]) for e in scenarios}


@router.get("/agency", response_class=HTMLResponse)
def agency_page(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    if actor.role is not Role.AGENCY:
        return RedirectResponse("/login", status_code=303)
    purposes = ctx.rules.get("query.mandatory_scenarios", ctx.today()).value
    return templates.TemplateResponse(
        request, "agency.html", {"ctx": ctx, "actor": actor, "purposes": purposes}
    )


@router.post("/agency/query", response_class=HTMLResponse)
def agency_query(
    request: Request,
    key: Annotated[Key, Form()],
    purpose: Annotated[Name, Form()],
    ctx: ContextDep,
    actor: ActorDep,
) -> Response:
    """An agency's query with its statutory purpose; the answer shows the audit receipt. A POST
    with the form's CSRF token: the read is logged in the subject's access log in the agency's
    name, which no link another site shows may trigger."""
    from xinyong.sharing.service import profile
    from xinyong.sharing.visibility import Viewer

    if actor.role is not Role.AGENCY:
        return RedirectResponse("/login", status_code=303)
    shown = profile(ctx, viewer=Viewer(actor=actor, purpose=purpose), subject_key=key)
    return templates.TemplateResponse(
        request,
        "subject.html",
        {
            "ctx": ctx,
            "actor": actor,
            "profile": shown,
            "receipt": shown.audit_id,
            "purpose": purpose_names(ctx).get(purpose, purpose),
        },
    )
