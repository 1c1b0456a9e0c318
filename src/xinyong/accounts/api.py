"""/api/auth/api-keys and /api/admin/api-keys: list, rotate and revoke API keys; /admin/keys: the
administrators' page. Owners manage their own keys; administrators and staff any account's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import User
from xinyong.accounts.service import (
    KEY_MANAGERS,
    KEY_ROLES,
    create_api_key,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)
from xinyong.common.errors import DomainError, NotFound
from xinyong.common.inputs import IntRowId
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.web.deps import ActorDep, ContextDep, Router, SessionDep, allow
from xinyong.web.errors import error_responses

router = Router(tags=["账户"])
KeyHolderDep = Annotated[Actor, Depends(allow(*KEY_ROLES, Role.ADMIN))]
KeyManagerDep = Annotated[Actor, Depends(allow(*KEY_MANAGERS))]


@router.get("/api/auth/api-keys")
def my_api_keys(
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyHolderDep,
) -> list[dict[str, Any]]:
    """The caller's API keys (administrators and staff: every account's)."""
    return [k.as_dict() for k in list_api_keys(session, ctx, actor=actor)]


class RotateIn(BaseModel):
    grace_hours: int = Field(default=0, ge=0, le=720, description="旧密钥继续有效的小时数")
    days: int | None = Field(default=None, ge=1, le=3650, description="新密钥有效天数")


@router.post("/api/auth/api-keys/{key_id}/rotate")
def rotate_key(
    key_id: IntRowId,
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyHolderDep,
    body: RotateIn | None = None,
) -> dict[str, Any]:
    """A successor key, shown once; the old key is refused at once or after `grace_hours`."""
    body = body or RotateIn()
    key = rotate_api_key(
        session, ctx, actor=actor, key_id=key_id, grace_hours=body.grace_hours, days=body.days
    )
    return {"api_key": key, "replaces": key_id}


@router.post("/api/auth/api-keys/{key_id}/revoke")
def revoke_key(
    key_id: IntRowId,
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyHolderDep,
) -> dict[str, Any]:
    """Refused from now on."""
    revoke_api_key(session, ctx, actor=actor, key_id=key_id)
    return {"revoked": key_id}


@router.get("/api/admin/api-keys", responses=error_responses(404))
def all_api_keys(
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyManagerDep,
    username: str | None = None,
) -> list[dict[str, Any]]:
    return [k.as_dict() for k in list_api_keys(session, ctx, actor=actor, username=username)]


class NewKeyIn(BaseModel):
    username: str = Field(max_length=120)
    label: str = Field(max_length=200)
    days: int | None = Field(default=None, ge=1, le=3650)


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("accounts.unknown_user", f"没有用户名为“{username}”的账户")
    return user


@router.post("/api/admin/api-keys", status_code=201, responses=error_responses(404))
def issue_api_key(
    body: NewKeyIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyManagerDep,
) -> dict[str, Any]:
    """A key for any account that may hold one, shown once."""
    user = _user(session, body.username)
    key = create_api_key(session, ctx, actor=actor, user=user, label=body.label, days=body.days)
    return {"api_key": key, "username": user.username}


# -- the page --------------------------------------------------------------------------------


def _page(
    request: Request,
    ctx: Context,
    session: Session,
    actor: Actor,
    *,
    new_key: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    from xinyong.web.pages import templates as shared  # its globals: csrf_input, csrf_token

    keys = list_api_keys(session, ctx, actor=actor)
    return shared.TemplateResponse(
        request,
        "admin_keys.html",
        {"ctx": ctx, "actor": actor, "keys": keys, "new_key": new_key, "error": error},
        status_code=status,
    )


@router.get("/admin/keys", response_class=HTMLResponse, include_in_schema=False)
def keys_page(request: Request, ctx: ContextDep, session: SessionDep, actor: ActorDep) -> Response:
    if actor.role not in KEY_MANAGERS:
        return RedirectResponse("/login", status_code=303)
    return _page(request, ctx, session, actor)


@router.post("/admin/keys", response_class=HTMLResponse, include_in_schema=False)
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
            user = _user(session, username.strip())
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
        return _page(request, ctx, session, actor, error=refused.message, status=refused.status)
    return _page(request, ctx, session, actor, new_key=new_key)
