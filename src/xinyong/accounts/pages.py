"""Chinese pages: sign in and out, change one's password (/account/password); the
administrators' console: accounts (/admin), provider units and agencies (/admin/units), the
administrative log (/admin/log) and API keys (/admin/keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.service import (
    KEY_MANAGERS,
    administrative_log,
    authenticate,
    bind_user,
    change_password,
    close_session,
    create_account,
    create_api_key,
    disable_user,
    enable_user,
    list_accounts,
    list_api_keys,
    open_session,
    reset_password,
    revoke_api_key,
    rotate_api_key,
    user_named,
)
from xinyong.accounts.throttle import TooManyAttempts
from xinyong.common.errors import DomainError, Unauthenticated
from xinyong.common.inputs import IntRowId, Name
from xinyong.common.roles import ROLE_LABELS, Actor, Role
from xinyong.context import Context
from xinyong.providers.service import (
    LEVEL_LABELS,
    agencies,
    register_agency,
    register_unit,
    units,
)
from xinyong.web.deps import (
    SESSION_COOKIE,
    AccountDep,
    ActorDep,
    AdminDep,
    ContextDep,
    Router,
    SessionDep,
)
from xinyong.web.layout import templates
from xinyong.web.security import client_address

router = Router(include_in_schema=False)
#: where each role lands after signing in (users.role); others go to the home page
LANDING = {"provider": "/provider"}


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    return templates.TemplateResponse(
        request, "accounts/login.html", {"ctx": ctx, "actor": actor, "error": None}
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
            "accounts/login.html",
            {"ctx": ctx, "actor": actor, "error": exc.message},
            status_code=exc.status,
            headers={"Retry-After": str(retry)} if retry else None,
        )
    token, _row = open_session(session, ctx, user, "cookie")
    # A password an administrator reset: the form to change it, and nothing else until then;
    # otherwise each role lands on its own door.
    landing = "/account/password" if user.must_change_password else LANDING.get(user.role, "/")
    response = RedirectResponse(landing, status_code=303)
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


def _keys_page(
    request: Request,
    ctx: Context,
    session: Session,
    actor: Actor,
    *,
    new_key: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    keys = list_api_keys(session, ctx, actor=actor)
    return templates.TemplateResponse(
        request,
        "accounts/admin_keys.html",
        {"ctx": ctx, "actor": actor, "keys": keys, "new_key": new_key, "error": error},
        status_code=status,
    )


@router.get("/admin/keys", response_class=HTMLResponse)
def keys_page(request: Request, ctx: ContextDep, session: SessionDep, actor: ActorDep) -> Response:
    if actor.role not in KEY_MANAGERS:
        return RedirectResponse("/login", status_code=303)
    return _keys_page(request, ctx, session, actor)


@router.post("/admin/keys", response_class=HTMLResponse)
def keys_action(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: ActorDep,
    action: Annotated[str, Form()],
    key_id: Annotated[IntRowId | None, Form()] = None,
    username: Annotated[str, Form(max_length=120)] = "",
    label: Annotated[str, Form(max_length=200)] = "",
    grace_hours: Annotated[int, Form(ge=0, le=720)] = 0,
) -> Response:
    """create / rotate / revoke, from the page's forms (each with its CSRF token). A new key is
    shown once, on the answer to this POST (no-store: not kept by the browser)."""
    if actor.role not in KEY_MANAGERS:
        return RedirectResponse("/login", status_code=303)
    new_key = None
    try:
        if action == "create":
            user = user_named(session, username.strip())
            new_key = create_api_key(session, ctx, actor=actor, user=user, label=label.strip())
        elif action == "rotate" and key_id is not None:
            new_key = rotate_api_key(
                session, ctx, actor=actor, key_id=key_id, grace_hours=grace_hours
            )
        elif action == "revoke" and key_id is not None:
            revoke_api_key(session, ctx, actor=actor, key_id=key_id)
        else:
            raise DomainError(code="accounts.unknown_action", message="未知的操作")
    except DomainError as refused:  # every refusal comes before any write
        return _keys_page(
            request, ctx, session, actor, error=refused.message, status=refused.status
        )
    return _keys_page(request, ctx, session, actor, new_key=new_key)


# -- one's own password -----------------------------------------------------------------------


def _password_page(
    request: Request, ctx: Context, actor: Actor, *, error: str | None = None, status: int = 200
) -> Response:
    return templates.TemplateResponse(
        request,
        "accounts/password.html",
        {"ctx": ctx, "actor": actor, "error": error, "forced": actor.must_change_password},
        status_code=status,
    )


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, ctx: ContextDep, actor: AccountDep) -> Response:
    return _password_page(request, ctx, actor)


@router.post("/account/password", response_class=HTMLResponse)
def password_change(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: AccountDep,
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
    confirm_password: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        if new_password != confirm_password:
            raise DomainError(code="accounts.password_mismatch", message="两次输入的新密码不一致")
        change_password(session, ctx, actor=actor, current=current_password, new=new_password)
    except DomainError as refused:
        return _password_page(request, ctx, actor, error=refused.message, status=refused.status)
    return RedirectResponse("/?password=changed", status_code=303)


# -- the administrators' console ----------------------------------------------------------------


def _console(
    request: Request,
    ctx: Context,
    session: Session,
    actor: Actor,
    *,
    q: str = "",
    role: str = "",
    notice: str | None = None,
    secret: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    chosen = Role(role) if role in {r.value for r in Role} else None
    return templates.TemplateResponse(
        request,
        "accounts/admin.html",
        {
            "ctx": ctx,
            "actor": actor,
            "accounts": list_accounts(session, query=q, role=chosen),
            "units": units(session),
            "agencies": agencies(session),
            "roles": [(r.value, ROLE_LABELS[r]) for r in Role if r is not Role.PUBLIC],
            "q": q,
            "role": role,
            "notice": notice,
            "secret": secret,
            "error": error,
            "form": form or {},
        },
        status_code=status,
    )


@router.get("/admin", response_class=HTMLResponse)
def console(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: AdminDep,
    q: Annotated[str, Query(max_length=120)] = "",
    role: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _console(request, ctx, session, actor, q=q, role=role)


@router.post("/admin/accounts", response_class=HTMLResponse)
def console_action(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: AdminDep,
    action: Annotated[str, Form(max_length=16)],
    username: Annotated[str, Form(max_length=120)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    subject_key: Annotated[str, Form(max_length=64)] = "",
    provider_code: Annotated[str, Form(max_length=40)] = "",
    agency_code: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    """create / disable / enable / reset / bind, from the console's forms (each with its CSRF
    token). A temporary password is shown once, on the answer to this POST (no-store)."""
    username = username.strip()
    secret = None
    try:
        if action == "create":
            if role not in {r.value for r in Role} or role == Role.PUBLIC.value:
                raise DomainError(code="accounts.role", message="请选择账户角色")
            user, secret = create_account(
                session,
                ctx,
                actor=actor,
                username=username,
                role=Role(role),
                display_name=display_name,
                subject_key=subject_key.strip() or None,
                provider_code=provider_code.strip() or None,
                agency_code=agency_code.strip() or None,
            )
            notice = f"已创建账户 {user.username}（{ROLE_LABELS[Role(user.role)]}）"
        elif action == "disable":
            disable_user(session, ctx, actor=actor, username=username)
            notice = f"已停用账户 {username}：不能登录，其令牌和API密钥一律拒绝"
        elif action == "enable":
            enable_user(session, ctx, actor=actor, username=username)
            notice = f"已恢复账户 {username}"
        elif action == "reset":
            secret = reset_password(session, ctx, actor=actor, username=username)
            notice = f"已重置账户 {username} 的密码，该账户下次登录须先修改密码"
        elif action == "bind":
            bind_user(
                session,
                ctx,
                actor=actor,
                username=username,
                provider_code=provider_code.strip() or None,
                agency_code=agency_code.strip() or None,
            )
            notice = f"已为账户 {username} 关联所属单位"
        else:
            raise DomainError(code="accounts.unknown_action", message="未知的操作")
    except DomainError as refused:  # every refusal comes before any write
        session.rollback()
        typed = {
            "username": username,
            "display_name": display_name,
            "role": role,
            "subject_key": subject_key,
            "provider_code": provider_code,
            "agency_code": agency_code,
        }
        return _console(
            request,
            ctx,
            session,
            actor,
            error=refused.message,
            form=typed if action == "create" else None,
            status=refused.status,
        )
    return _console(request, ctx, session, actor, notice=notice, secret=secret)


def _units_page(
    request: Request,
    ctx: Context,
    session: Session,
    actor: Actor,
    *,
    notice: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request,
        "accounts/admin_units.html",
        {
            "ctx": ctx,
            "actor": actor,
            "units": units(session),
            "agencies": agencies(session),
            "levels": LEVEL_LABELS,
            "notice": notice,
            "error": error,
            "form": form or {},
        },
        status_code=status,
    )


@router.get("/admin/units", response_class=HTMLResponse)
def units_page(request: Request, ctx: ContextDep, session: SessionDep, actor: AdminDep) -> Response:
    return _units_page(request, ctx, session, actor)


@router.post("/admin/units", response_class=HTMLResponse)
def units_action(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: AdminDep,
    action: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=200)],
    uscc: Annotated[str, Form(max_length=40)],
    region: Annotated[str, Form(max_length=6)],
    code: Annotated[str, Form(max_length=40)] = "",
    level: Annotated[str, Form(max_length=16)] = "city",
) -> Response:
    try:
        if action == "unit":
            register_unit(
                session,
                ctx,
                actor=actor,
                code=code,
                name=name,
                uscc=uscc,
                level=level,
                region=region,
            )
            notice = f"已登记信息提供单位 {name.strip()}"
        elif action == "agency":
            register_agency(session, ctx, actor=actor, uscc=uscc, name=name, region=region)
            notice = f"已登记国家机关 {name.strip()}"
        else:
            raise DomainError(code="accounts.unknown_action", message="未知的操作")
    except DomainError as refused:
        session.rollback()
        typed = {"action": action, "code": code, "name": name, "uscc": uscc, "region": region}
        return _units_page(
            request, ctx, session, actor, error=refused.message, form=typed, status=refused.status
        )
    return _units_page(request, ctx, session, actor, notice=notice)


@router.get("/admin/log", response_class=HTMLResponse)
def log_page(request: Request, ctx: ContextDep, session: SessionDep, actor: AdminDep) -> Response:
    return templates.TemplateResponse(
        request,
        "accounts/admin_log.html",
        {"ctx": ctx, "actor": actor, "entries": administrative_log(session)},
    )
