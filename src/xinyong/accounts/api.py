"""/api/auth/token and /api/me: sign in and who am I; /api/auth/api-keys and /api/admin/api-keys:
create, list, rotate and revoke API keys. Owners manage their own keys; administrators and staff
any account's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request

from xinyong.accounts.models import User
from xinyong.accounts.schemas import ApiKeyIn, NewKeyIn, RotateIn, TokenOut
from xinyong.accounts.service import (
    KEY_MANAGERS,
    KEY_ROLES,
    authenticate,
    create_api_key,
    list_api_keys,
    open_session,
    revoke_api_key,
    rotate_api_key,
    user_named,
)
from xinyong.common.inputs import IntRowId, Name
from xinyong.common.roles import ROLE_LABELS, Actor, Role
from xinyong.web.deps import ActorDep, ContextDep, Router, SessionDep, allow
from xinyong.web.errors import error_responses
from xinyong.web.security import client_address

router = Router(tags=["账户"])
KeyHolderDep = Annotated[Actor, Depends(allow(*KEY_ROLES, Role.ADMIN))]
KeyManagerDep = Annotated[Actor, Depends(allow(*KEY_MANAGERS))]


@router.post(
    "/api/auth/token",
    summary="以用户名和密码换取访问令牌",
    response_model=TokenOut,
    responses=error_responses(401, 429),
)
def token(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    username: Annotated[Name, Form()],
    password: Annotated[Name, Form()],
) -> TokenOut:
    address = client_address(request, ctx.settings)
    user = authenticate(session, ctx, username, password, address=address)
    raw, row = open_session(session, ctx, user, "bearer")
    return TokenOut(access_token=raw, expires_at=row.expires_at, role=user.role)


@router.get("/api/me", summary="当前账户信息")
def me(actor: ActorDep) -> dict[str, Any]:
    return {
        "role": actor.role.value,
        "role_label": ROLE_LABELS[actor.role],
        "username": actor.username,
        "display_name": actor.display_name,
        "subject_key": actor.subject_key,
        "organisation": actor.organisation,
    }


@router.post("/api/auth/api-keys", summary="为本账户签发API密钥")
def new_api_key(
    body: ApiKeyIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, Depends(allow(*KEY_ROLES))],
) -> dict[str, str]:
    user = session.get(User, actor.user_id)
    assert user is not None
    return {"api_key": create_api_key(session, ctx, actor=actor, user=user, label=body.label)}


@router.get("/api/auth/api-keys", summary="查看API密钥")
def my_api_keys(
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyHolderDep,
) -> list[dict[str, Any]]:
    """The caller's API keys (administrators and staff: every account's)."""
    return [k.as_dict() for k in list_api_keys(session, ctx, actor=actor)]


@router.post("/api/auth/api-keys/{key_id}/rotate", summary="轮换API密钥")
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


@router.post("/api/auth/api-keys/{key_id}/revoke", summary="吊销API密钥")
def revoke_key(
    key_id: IntRowId,
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyHolderDep,
) -> dict[str, Any]:
    """Refused from now on."""
    revoke_api_key(session, ctx, actor=actor, key_id=key_id)
    return {"revoked": key_id}


@router.get(
    "/api/admin/api-keys", summary="查看全部账户的API密钥（管理员）", responses=error_responses(404)
)
def all_api_keys(
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyManagerDep,
    username: str | None = None,
) -> list[dict[str, Any]]:
    return [k.as_dict() for k in list_api_keys(session, ctx, actor=actor, username=username)]


@router.post(
    "/api/admin/api-keys",
    summary="为指定账户签发API密钥（管理员）",
    status_code=201,
    responses=error_responses(404),
)
def issue_api_key(
    body: NewKeyIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyManagerDep,
) -> dict[str, Any]:
    """A key for any account that may hold one, shown once."""
    user = user_named(session, body.username)
    key = create_api_key(session, ctx, actor=actor, user=user, label=body.label, days=body.days)
    return {"api_key": key, "username": user.username}
