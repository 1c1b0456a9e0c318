"""Chinese pages: sign in and out; /admin/keys, the administrators' page of API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.service import (
    KEY_MANAGERS,
    authenticate,
    close_session,
    create_api_key,
    list_api_keys,
    open_session,
    revoke_api_key,
    rotate_api_key,
    user_named,
)
from xinyong.accounts.throttle import TooManyAttempts
from xinyong.common.errors import DomainError, Unauthenticated
from xinyong.common.inputs import IntRowId, Name
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.web.deps import SESSION_COOKIE, ActorDep, ContextDep, Router, SessionDep
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
    # each role lands on its own door
    response = RedirectResponse(LANDING.get(user.role, "/"), status_code=303)
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
