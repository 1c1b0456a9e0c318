"""/api/auth/token and /api/me: sign in and who am I; /api/auth/api-keys and /api/admin/api-keys:
create, list, rotate and revoke API keys. Owners manage their own keys; administrators and staff
any account's."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request

from xinyong.accounts.models import User
from xinyong.accounts.schemas import (
    AccountCreatedOut,
    AccountIn,
    AccountOut,
    AdminLogOut,
    AgencyIn,
    AgencyOut,
    ApiKeyIn,
    ApiKeyOut,
    BindIn,
    IssuedApiKeyOut,
    MeOut,
    NewApiKeyOut,
    NewKeyIn,
    PasswordChangeIn,
    PasswordResetOut,
    ProviderUnitIn,
    ProviderUnitOut,
    RevokedApiKeyOut,
    RotatedApiKeyOut,
    RotateIn,
    TokenOut,
    UnitOut,
)
from xinyong.accounts.service import (
    KEY_MANAGERS,
    KEY_ROLES,
    administrative_log,
    authenticate,
    bind_user,
    change_password,
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
    view_of,
)
from xinyong.common.inputs import IntRowId, Name
from xinyong.common.roles import ROLE_LABELS, Actor, Role
from xinyong.providers.models import Agency, ProviderUnit
from xinyong.providers.service import agencies, register_agency, register_unit, units
from xinyong.web.deps import (
    AccountDep,
    ActorDep,
    AdminDep,
    ContextDep,
    Router,
    SessionDep,
    allow,
)
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


@router.get("/api/me", response_model=MeOut, summary="当前账户信息")
def me(actor: ActorDep, session: SessionDep) -> MeOut:
    unit = session.get(ProviderUnit, actor.provider_code) if actor.provider_code else None
    return MeOut(
        role=actor.role.value,
        role_label=ROLE_LABELS[actor.role],
        username=actor.username,
        display_name=actor.display_name,
        subject_key=actor.subject_key,
        organisation=actor.organisation,
        provider=UnitOut(code=unit.code, name=unit.name) if unit else None,
    )


@router.post("/api/auth/api-keys", summary="为本账户签发API密钥")
def new_api_key(
    body: ApiKeyIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, Depends(allow(*KEY_ROLES))],
) -> NewApiKeyOut:
    user = session.get(User, actor.user_id)
    assert user is not None
    return NewApiKeyOut(
        api_key=create_api_key(session, ctx, actor=actor, user=user, label=body.label)
    )


@router.get("/api/auth/api-keys", summary="查看API密钥")
def my_api_keys(
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyHolderDep,
) -> list[ApiKeyOut]:
    """The caller's API keys (administrators and staff: every account's)."""
    return [ApiKeyOut.model_validate(k.as_dict()) for k in list_api_keys(session, ctx, actor=actor)]


@router.post("/api/auth/api-keys/{key_id}/rotate", summary="轮换API密钥")
def rotate_key(
    key_id: IntRowId,
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyHolderDep,
    body: RotateIn | None = None,
) -> RotatedApiKeyOut:
    """A successor key, shown once; the old key is refused at once or after `grace_hours`."""
    body = body or RotateIn()
    key = rotate_api_key(
        session, ctx, actor=actor, key_id=key_id, grace_hours=body.grace_hours, days=body.days
    )
    return RotatedApiKeyOut(api_key=key, replaces=key_id)


@router.post("/api/auth/api-keys/{key_id}/revoke", summary="吊销API密钥")
def revoke_key(
    key_id: IntRowId,
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyHolderDep,
) -> RevokedApiKeyOut:
    """Refused from now on."""
    revoke_api_key(session, ctx, actor=actor, key_id=key_id)
    return RevokedApiKeyOut(revoked=key_id)


@router.get(
    "/api/admin/api-keys", summary="查看全部账户的API密钥（管理员）", responses=error_responses(404)
)
def all_api_keys(
    ctx: ContextDep,
    session: SessionDep,
    actor: KeyManagerDep,
    username: str | None = None,
) -> list[ApiKeyOut]:
    keys = list_api_keys(session, ctx, actor=actor, username=username)
    return [ApiKeyOut.model_validate(k.as_dict()) for k in keys]


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
) -> IssuedApiKeyOut:
    """A key for any account that may hold one, shown once."""
    user = user_named(session, body.username)
    key = create_api_key(session, ctx, actor=actor, user=user, label=body.label, days=body.days)
    return IssuedApiKeyOut(api_key=key, username=user.username)


# -- the administrators' console: accounts, units, agencies, the administrative log --------------


def _account_out(user: User) -> AccountOut:
    view = view_of(user)
    return AccountOut(
        **dataclasses.asdict(view), role_label=view.role_label, status_label=view.status_label
    )


@router.get("/api/admin/accounts", summary="账户列表与查找", response_model=list[AccountOut])
def accounts(
    session: SessionDep,
    actor: AdminDep,
    q: Annotated[str, Query(max_length=120, description="用户名、姓名或单位名称的一部分")] = "",
    role: Role | None = None,
) -> list[AccountOut]:
    return [
        AccountOut(**dataclasses.asdict(v), role_label=v.role_label, status_label=v.status_label)
        for v in list_accounts(session, query=q, role=role)
    ]


@router.post(
    "/api/admin/accounts",
    status_code=201,
    summary="创建账户",
    response_model=AccountCreatedOut,
)
def new_account(
    body: AccountIn, ctx: ContextDep, session: SessionDep, actor: AdminDep
) -> AccountCreatedOut:
    """An account of any role; a provider account names its unit, an agency account its agency.
    Without a password, a temporary one is answered once (changed at the first login)."""
    user, temporary = create_account(
        session,
        ctx,
        actor=actor,
        **body.model_dump(exclude={"username", "role"}),
        username=body.username,
        role=body.role,
    )
    return AccountCreatedOut(account=_account_out(user), temporary_password=temporary)


@router.post(
    "/api/admin/accounts/{username}/disable", summary="停用账户", response_model=AccountOut
)
def disable_account(
    username: Annotated[str, Path(max_length=120)],
    ctx: ContextDep,
    session: SessionDep,
    actor: AdminDep,
) -> AccountOut:
    """No login from now on; its sessions, tokens and API keys are refused."""
    return _account_out(disable_user(session, ctx, actor=actor, username=username))


@router.post("/api/admin/accounts/{username}/enable", summary="恢复账户", response_model=AccountOut)
def enable_account(
    username: Annotated[str, Path(max_length=120)],
    ctx: ContextDep,
    session: SessionDep,
    actor: AdminDep,
) -> AccountOut:
    return _account_out(enable_user(session, ctx, actor=actor, username=username))


@router.post(
    "/api/admin/accounts/{username}/bind", summary="关联所属单位", response_model=AccountOut
)
def bind_account(
    username: Annotated[str, Path(max_length=120)],
    body: BindIn,
    ctx: ContextDep,
    session: SessionDep,
    actor: AdminDep,
) -> AccountOut:
    user = bind_user(
        session,
        ctx,
        actor=actor,
        username=username,
        provider_code=body.provider_code,
        agency_code=body.agency_code,
    )
    return _account_out(user)


@router.post(
    "/api/admin/accounts/{username}/reset-password",
    summary="重置密码",
    response_model=PasswordResetOut,
)
def reset_account_password(
    username: Annotated[str, Path(max_length=120)],
    ctx: ContextDep,
    session: SessionDep,
    actor: AdminDep,
) -> PasswordResetOut:
    """A temporary password, answered once; the account must change it at its next login."""
    temporary = reset_password(session, ctx, actor=actor, username=username)
    return PasswordResetOut(username=username, temporary_password=temporary)


@router.post("/api/auth/password", summary="修改本人密码", response_model=AccountOut)
def change_own_password(
    body: PasswordChangeIn, ctx: ContextDep, session: SessionDep, actor: AccountDep
) -> AccountOut:
    user = change_password(
        session, ctx, actor=actor, current=body.current_password, new=body.new_password
    )
    return _account_out(user)


def _unit_out(unit: ProviderUnit) -> ProviderUnitOut:
    return ProviderUnitOut(
        code=unit.code,
        name=unit.name,
        uscc=unit.uscc,
        level=unit.level,
        region=unit.region,
        state=unit.state,
    )


def _agency_out(agency: Agency) -> AgencyOut:
    return AgencyOut(uscc=agency.uscc, name=agency.name, region=agency.region, state=agency.state)


@router.get(
    "/api/admin/provider-units", summary="信息提供单位列表", response_model=list[ProviderUnitOut]
)
def provider_units(session: SessionDep, actor: AdminDep) -> list[ProviderUnitOut]:
    return [_unit_out(u) for u in units(session)]


@router.post(
    "/api/admin/provider-units",
    status_code=201,
    summary="登记信息提供单位",
    response_model=ProviderUnitOut,
)
def new_provider_unit(
    body: ProviderUnitIn, ctx: ContextDep, session: SessionDep, actor: AdminDep
) -> ProviderUnitOut:
    """A unit with its USCC (checked against GB 32100); an existing code gets its USCC."""
    return _unit_out(register_unit(session, ctx, actor=actor, **body.model_dump()))


@router.get("/api/admin/agencies", summary="国家机关列表", response_model=list[AgencyOut])
def agency_list(session: SessionDep, actor: AdminDep) -> list[AgencyOut]:
    return [_agency_out(a) for a in agencies(session)]


@router.post(
    "/api/admin/agencies", status_code=201, summary="登记国家机关", response_model=AgencyOut
)
def new_agency(body: AgencyIn, ctx: ContextDep, session: SessionDep, actor: AdminDep) -> AgencyOut:
    return _agency_out(register_agency(session, ctx, actor=actor, **body.model_dump()))


@router.get("/api/admin/log", summary="管理操作日志", response_model=list[AdminLogOut])
def admin_log(
    session: SessionDep,
    actor: AdminDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AdminLogOut]:
    return [
        AdminLogOut(
            id=e.id,
            occurred_at=e.occurred_at,
            action=e.action,
            action_label=e.action_label,
            actor=e.actor,
            object_type=e.object_type,
            object_id=e.object_id,
            detail=e.detail,
        )
        for e in administrative_log(session, limit=limit)
    ]
