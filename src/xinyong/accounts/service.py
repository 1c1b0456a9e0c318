"""Accounts: argon2 password hashes, web sessions, bearer tokens and API keys.

Tokens and keys are random (secrets.token_urlsafe) and stored only as SHA-256 digests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from xinyong.accounts import throttle
from xinyong.accounts.models import ApiKey, AuthSession, User
from xinyong.audit.labels import action_label
from xinyong.audit.models import AuditEvent
from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError, Forbidden, NotFound, Unauthenticated
from xinyong.common.roles import ROLE_LABELS, SYSTEM, Actor, Role
from xinyong.context import Context
from xinyong.providers.models import Agency, ProviderUnit

API_KEY_PREFIX = "xyk_"
BEIJING = ZoneInfo("Asia/Shanghai")
_hasher = PasswordHasher()


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_of(user: User) -> Actor:
    return Actor(
        role=Role(user.role),
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        subject_key=user.subject_key,
        organisation=user.organisation,
        provider_code=user.provider_code,
        agency_code=user.agency_code,
    )


def create_user(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    subject_key: str | None = None,
    organisation: str | None = None,
    provider_code: str | None = None,
    agency_code: str | None = None,
    synthetic: bool = False,
) -> User:
    _check_password(password)
    if not username.strip():
        raise DomainError(code="accounts.username_required", message="用户名不能为空")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise DomainError(code="accounts.username_taken", message=f"用户名“{username}”已被使用")
    if role is Role.PROVIDER and not provider_code:
        raise DomainError(
            code="accounts.provider_code_required", message="信息提供单位账户须关联提供单位"
        )
    provider_code = provider_code if role is Role.PROVIDER else None
    agency_code = agency_code if role is Role.AGENCY else None
    organisation = _bound_organisation(session, provider_code, agency_code) or organisation
    if role is Role.SUBJECT and not subject_key:
        raise DomainError(
            code="accounts.subject_key_required",
            message="信用主体账户须关联统一社会信用代码或公民身份号码",
        )
    user = User(
        username=username,
        display_name=display_name,
        role=role.value,
        password_hash=_hasher.hash(password),
        subject_key=subject_key,
        organisation=organisation,
        provider_code=provider_code,
        agency_code=agency_code,
        active=True,
        synthetic=synthetic,
        created_at=ctx.clock.now(),
    )
    session.add(user)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.ACCOUNTS_USER_CREATE,
        object_type="user",
        object_id=user.id,
        subject_key=subject_key,
        detail={
            "username": username,
            "role": role.value,
            "synthetic": synthetic,
            "provider_code": provider_code,
            "agency_code": agency_code,
        },
    )
    return user


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise DomainError(code="accounts.weak_password", message="密码至少8位")


def _bound_organisation(
    session: Session, provider_code: str | None, agency_code: str | None
) -> str | None:
    """The name of the unit an account is bound to; refused if no such unit is registered."""
    if provider_code:
        unit = session.get(ProviderUnit, provider_code)
        if unit is None:
            raise DomainError(
                code="accounts.unknown_provider",
                message=f"没有编码为“{provider_code}”的信息提供单位，请先登记该单位",
            )
        return unit.name
    if agency_code:
        agency = session.get(Agency, agency_code.strip().upper())
        if agency is None:
            raise DomainError(
                code="accounts.unknown_agency",
                message="没有该统一社会信用代码的国家机关，请先登记该机关",
            )
        return agency.name
    return None


@functools.cache
def dummy_hash() -> str:
    """A hash with the same parameters as real ones, of a password nobody knows: an unknown
    username costs the same argon2 verification as a known one (no timing oracle)."""
    return _hasher.hash(secrets.token_urlsafe(24))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    session: Session, ctx: Context, username: str, password: str, *, address: str | None = None
) -> User:
    """The account behind a username and password. Refused (429) while the name or the address
    has failed too often (accounts/throttle.py); every failure is counted and audited in its own
    transaction, so it stays counted when the caller's transaction rolls back."""
    throttle.check(session, ctx, username, address)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        _verify(dummy_hash(), password)  # the same work as for a real account
        ok = False
    else:
        ok = _verify(user.password_hash, password)
    if ok and user is not None and not user.active:
        # The right password for a disabled account: say so (only its holder can learn it).
        with ctx.sessions() as own, own.begin():
            ctx.log(
                own,
                actor=Actor(role=Role.PUBLIC, username=username[:120]),
                action=AuditTag.ACCOUNTS_USER_LOGIN_FAILED,
                object_type="user",
                object_id=user.id,
                detail={"disabled": True},
            )
        raise Unauthenticated("该账户已被停用，不能登录；如有疑问请联系系统管理员")
    if not ok or user is None:
        with ctx.sessions() as own, own.begin():
            throttle.record_failure(own, ctx, username, address)
            ctx.log(
                own,
                actor=Actor(role=Role.PUBLIC, username=username[:120]),
                action=AuditTag.ACCOUNTS_USER_LOGIN_FAILED,
                object_type="user",
                object_id=user.id if user else None,
            )
        raise Unauthenticated("用户名或密码错误")
    throttle.clear_account(session, username)
    ctx.log(
        session,
        actor=actor_of(user),
        action=AuditTag.ACCOUNTS_USER_LOGIN,
        object_type="user",
        object_id=user.id,
    )
    return user


def open_session(session: Session, ctx: Context, user: User, kind: str) -> tuple[str, AuthSession]:
    """A new cookie session or bearer token; returns the token (shown once) and its row."""
    token = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    row = AuthSession(
        token_hash=digest(token),
        user_id=user.id,
        kind=kind,
        created_at=now,
        expires_at=now + dt.timedelta(hours=ctx.settings.session_hours),
    )
    session.add(row)
    session.flush()
    return token, row


def close_session(session: Session, ctx: Context, token: str) -> None:
    row = session.scalar(select(AuthSession).where(AuthSession.token_hash == digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = ctx.clock.now()
        user = session.get(User, row.user_id)
        ctx.log(
            session,
            actor=actor_of(user) if user else Actor(role=Role.PUBLIC),
            action=AuditTag.ACCOUNTS_USER_LOGOUT,
            object_type="auth_session",
            object_id=row.id,
        )


KEY_ROLES = (Role.PROVIDER, Role.AGENCY, Role.ORGANISATION, Role.STAFF)
KEY_MANAGERS = (Role.ADMIN, Role.STAFF)


def user_named(session: Session, username: str) -> User:
    """The account a manager names by its username (a key for it, from the API or the page)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("accounts.unknown_user", f"没有用户名为“{username}”的账户")
    return user


def create_api_key(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    user: User,
    label: str,
    days: int | None = None,
) -> str:
    """A new API key for `user`, valid `days` (default: the platform's api_key_days); the key is
    returned once and only its digest is kept."""
    if Role(user.role) not in KEY_ROLES:
        raise Forbidden(
            "accounts.api_key_role", "只有信息提供单位、国家机关、协议机构和工作人员可持有API密钥"
        )
    if actor.user_id != user.id and actor.role not in KEY_MANAGERS:
        raise Forbidden("accounts.api_key_owner", "只能为本账户创建API密钥")
    row, key = _new_key(session, ctx, user_id=user.id, label=label, days=days)
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.ACCOUNTS_API_KEY_CREATE,
        object_type="api_key",
        object_id=row.id,
        detail={
            "user_id": user.id,
            "prefix": row.prefix,
            "label": label,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        },
    )
    return key


def _new_key(
    session: Session, ctx: Context, *, user_id: int, label: str, days: int | None
) -> tuple[ApiKey, str]:
    days = days if days is not None else ctx.settings.api_key_days
    if not 1 <= days <= 3650:
        raise DomainError(code="accounts.api_key_days", message="API密钥有效期须为1至3650天")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    now = ctx.clock.now()
    row = ApiKey(
        user_id=user_id,
        prefix=key[:12],
        key_hash=digest(key),
        label=label[:200],
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return row, key


@dataclass(frozen=True)
class KeyView:
    """An API key as listed: never the key itself, only its prefix."""

    id: int
    username: str
    prefix: str
    label: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    replaced_by_id: int | None
    status: str  # active | expired | revoked | rotated

    @property
    def status_label(self) -> str:
        return {"active": "有效", "expired": "已过期", "revoked": "已撤销", "rotated": "已轮换"}[
            self.status
        ]

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "prefix": self.prefix,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "replaced_by_id": self.replaced_by_id,
            "status": self.status,
            "status_label": self.status_label,
        }


def _key_valid(key: ApiKey, now: dt.datetime) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


def _status(key: ApiKey, now: dt.datetime) -> str:
    if key.revoked_at is not None:
        return "rotated" if key.replaced_by_id is not None else "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "rotated" if key.replaced_by_id is not None else "expired"
    return "active"


def list_api_keys(
    session: Session, ctx: Context, *, actor: Actor, username: str | None = None
) -> list[KeyView]:
    """Keys of one account (own keys; managers may name any account, or none for all)."""
    query = select(ApiKey, User.username).join(User, User.id == ApiKey.user_id)
    if actor.role not in KEY_MANAGERS:
        query = query.where(ApiKey.user_id == actor.user_id)
    elif username:
        query = query.where(User.username == username)
    now = ctx.clock.now()
    return [
        KeyView(
            id=key.id,
            username=name,
            prefix=key.prefix,
            label=key.label,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            replaced_by_id=key.replaced_by_id,
            status=_status(key, now),
        )
        for key, name in session.execute(query.order_by(ApiKey.id))
    ]


def _managed_key(session: Session, actor: Actor, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id, with_for_update=True)
    if key is None or (actor.role not in KEY_MANAGERS and key.user_id != actor.user_id):
        raise NotFound("accounts.api_key_unknown", f"没有编号为{key_id}的API密钥")
    return key


def revoke_api_key(session: Session, ctx: Context, *, actor: Actor, key_id: int) -> ApiKey:
    """Revoked at once: every later request with the key is refused."""
    key = _managed_key(session, actor, key_id)
    if key.revoked_at is None:
        key.revoked_at = ctx.clock.now()
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.ACCOUNTS_API_KEY_REVOKE,
            object_type="api_key",
            object_id=key.id,
            detail={"user_id": key.user_id, "prefix": key.prefix},
        )
    return key


def rotate_api_key(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    key_id: int,
    grace_hours: int = 0,
    days: int | None = None,
) -> str:
    """A successor key (same account and label); the old one is refused at once, or after
    `grace_hours` so that its users can switch without an outage. A revoked key is not rotated
    (it may have leaked: issue a new key deliberately)."""
    key = _managed_key(session, actor, key_id)
    if key.revoked_at is not None or key.replaced_by_id is not None:
        raise DomainError(
            code="accounts.api_key_closed", message="该API密钥已撤销或已轮换，不能再次轮换"
        )
    if not 0 <= grace_hours <= 24 * 30:
        raise DomainError(code="accounts.api_key_grace", message="轮换宽限期须为0至720小时")
    new, raw = _new_key(session, ctx, user_id=key.user_id, label=key.label, days=days)
    now = ctx.clock.now()
    key.replaced_by_id = new.id
    if grace_hours:
        ends = now + dt.timedelta(hours=grace_hours)
        key.expires_at = min(key.expires_at, ends) if key.expires_at else ends
    else:
        key.revoked_at = now
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.ACCOUNTS_API_KEY_ROTATE,
        object_type="api_key",
        object_id=key.id,
        detail={
            "user_id": key.user_id,
            "prefix": key.prefix,
            "new_id": new.id,
            "new_prefix": new.prefix,
            "grace_hours": grace_hours,
        },
    )
    return raw


def resolve_token(session: Session, ctx: Context, token: str) -> Actor:
    """The actor behind a session token, bearer token or API key; raises if none is valid."""
    now = ctx.clock.now()
    user: User | None = None
    if token.startswith(API_KEY_PREFIX):
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest(token)))
        if key is not None and _key_valid(key, now):
            user = session.get(User, key.user_id)
    else:
        row = session.scalar(select(AuthSession).where(AuthSession.token_hash == digest(token)))
        if row is not None and row.revoked_at is None and row.expires_at > now:
            user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthenticated("访问令牌无效或已过期")
    actor = actor_of(user)
    if user.must_change_password and not token.startswith(API_KEY_PREFIX):
        actor = dataclasses.replace(actor, must_change_password=True)
    return actor


# -- the administrators' console ------------------------------------------------------------

ADMINS = (Role.ADMIN,)


@dataclass(frozen=True)
class AccountView:
    """An account as the console lists it (never its password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    organisation: str | None
    provider_code: str | None
    agency_code: str | None
    active: bool
    must_change_password: bool
    created_at: dt.datetime
    disabled_at: dt.datetime | None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)]

    @property
    def status_label(self) -> str:
        if not self.active:
            return "已停用"
        return "待修改密码" if self.must_change_password else "正常"


def view_of(user: User) -> AccountView:
    return AccountView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organisation=user.organisation,
        provider_code=user.provider_code,
        agency_code=user.agency_code,
        active=user.active,
        must_change_password=user.must_change_password,
        created_at=user.created_at,
        disabled_at=user.disabled_at,
    )


def list_accounts(
    session: Session, *, query: str = "", role: Role | None = None, limit: int = 200
) -> list[AccountView]:
    """Accounts by username, name or unit (a part of any), newest first."""
    stmt = select(User).order_by(User.id.desc()).limit(limit)
    text = query.strip()
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                User.username.like(like, escape="\\"),
                User.display_name.like(like, escape="\\"),
                User.organisation.like(like, escape="\\"),
            )
        )
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    return [view_of(u) for u in session.scalars(stmt)]


def _managed_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        raise NotFound("accounts.unknown_user", f"没有用户名为“{username}”的账户")
    return user


def _revoke_sessions(session: Session, ctx: Context, user: User) -> int:
    rows = session.scalars(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    ).all()
    now = ctx.clock.now()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def disable_user(session: Session, ctx: Context, *, actor: Actor, username: str) -> User:
    """Disabled: no login, and its sessions, tokens and API keys are refused from now on
    (`resolve_token` checks `active` on every request; its open sessions are closed too)."""
    user = _managed_user(session, username)
    if actor.user_id is not None and user.id == actor.user_id:
        raise DomainError(code="accounts.disable_self", message="不能停用自己正在使用的账户")
    if user.active:
        user.active = False
        user.disabled_at = ctx.clock.now()
        closed = _revoke_sessions(session, ctx, user)
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.ACCOUNTS_USER_DISABLE,
            object_type="user",
            object_id=user.id,
            detail={"username": user.username, "sessions_closed": closed},
        )
    return user


def enable_user(session: Session, ctx: Context, *, actor: Actor, username: str) -> User:
    user = _managed_user(session, username)
    if not user.active:
        user.active = True
        user.disabled_at = None
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.ACCOUNTS_USER_ENABLE,
            object_type="user",
            object_id=user.id,
            detail={"username": user.username},
        )
    return user


def bind_user(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    username: str,
    provider_code: str | None = None,
    agency_code: str | None = None,
) -> User:
    """Bind a provider account to its unit, or an agency account to its agency."""
    user = _managed_user(session, username)
    role = Role(user.role)
    if role is Role.PROVIDER and provider_code:
        user.organisation = _bound_organisation(session, provider_code, None)
        user.provider_code = provider_code
    elif role is Role.AGENCY and agency_code:
        user.organisation = _bound_organisation(session, None, agency_code)
        user.agency_code = agency_code.strip().upper()
    else:
        raise DomainError(
            code="accounts.bind_role",
            message="只有信息提供单位账户可关联提供单位，只有国家机关账户可关联国家机关",
        )
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.ACCOUNTS_USER_BIND,
        object_type="user",
        object_id=user.id,
        detail={
            "username": user.username,
            "provider_code": user.provider_code,
            "agency_code": user.agency_code,
        },
    )
    return user


def create_account(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    username: str,
    role: Role,
    display_name: str,
    password: str | None = None,
    subject_key: str | None = None,
    organisation: str | None = None,
    provider_code: str | None = None,
    agency_code: str | None = None,
) -> tuple[User, str | None]:
    """An account made by an administrator. Without a password, a temporary one is made,
    returned once, and must be changed at the first login."""
    temporary = None if password else secrets.token_urlsafe(9)
    user = create_user(
        session,
        ctx,
        actor=actor,
        username=username.strip(),
        password=password or temporary or "",
        role=role,
        display_name=display_name.strip(),
        subject_key=subject_key or None,
        organisation=organisation or None,
        provider_code=provider_code or None,
        agency_code=agency_code or None,
    )
    user.must_change_password = temporary is not None
    return user, temporary


def reset_password(session: Session, ctx: Context, *, actor: Actor, username: str) -> str:
    """A temporary password, returned once; the account must change it at its next login (its
    open sessions are closed)."""
    user = _managed_user(session, username)
    temporary = secrets.token_urlsafe(9)
    user.password_hash = _hasher.hash(temporary)
    user.must_change_password = True
    closed = _revoke_sessions(session, ctx, user)
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.ACCOUNTS_PASSWORD_RESET,
        object_type="user",
        object_id=user.id,
        detail={"username": user.username, "sessions_closed": closed},
    )
    return temporary


def change_password(
    session: Session, ctx: Context, *, actor: Actor, current: str, new: str
) -> User:
    """The account's own password change (after a reset, the only thing it may do)."""
    user = session.get(User, actor.user_id, with_for_update=True) if actor.user_id else None
    if user is None:
        raise Unauthenticated()
    if not _verify(user.password_hash, current):
        raise DomainError(code="accounts.wrong_password", message="当前密码不正确")
    _check_password(new)
    if new == current:
        raise DomainError(code="accounts.same_password", message="新密码不能与当前密码相同")
    user.password_hash = _hasher.hash(new)
    user.must_change_password = False
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.ACCOUNTS_PASSWORD_CHANGE,
        object_type="user",
        object_id=user.id,
    )
    return user


#: What the administrative log shows: every administrative action.
ADMIN_ACTIONS = (
    AuditTag.ACCOUNTS_USER_CREATE,
    AuditTag.ACCOUNTS_USER_DISABLE,
    AuditTag.ACCOUNTS_USER_ENABLE,
    AuditTag.ACCOUNTS_USER_BIND,
    AuditTag.ACCOUNTS_USER_UNLOCK,
    AuditTag.ACCOUNTS_PASSWORD_RESET,
    AuditTag.ACCOUNTS_API_KEY_CREATE,
    AuditTag.ACCOUNTS_API_KEY_ROTATE,
    AuditTag.ACCOUNTS_API_KEY_REVOKE,
    AuditTag.PROVIDERS_UNIT_REGISTER,
    AuditTag.PROVIDERS_AGENCY_REGISTER,
)


@dataclass(frozen=True)
class LogEntry:
    """One administrative action as the administrative log shows it, in Chinese."""

    id: int
    occurred_at: dt.datetime
    action: str
    action_label: str
    actor: str  # the administrator's name (the platform's own work: 系统任务)
    object_type: str | None
    object_id: str | None
    summary: str
    detail: dict[str, Any]

    @property
    def when(self) -> str:
        """Beijing time, to the second."""
        return self.occurred_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


_OBJECT_LABELS = {
    "user": "账户",
    "api_key": "API密钥",
    "provider_unit": "信息提供单位",
    "agency": "国家机关",
}


def _summary(event: AuditEvent, detail: dict[str, Any]) -> str:
    kind = _OBJECT_LABELS.get(event.object_type or "", "对象")
    if event.object_type == "user" and detail.get("username"):
        return f"{kind} {detail['username']}"
    if event.object_type == "api_key":
        return f"{kind} {detail.get('prefix', '')}…（第{event.object_id}号）"
    if detail.get("name"):
        return f"{kind} {detail['name']}"
    return f"{kind} {event.object_id or ''}".strip()


def administrative_log(session: Session, *, limit: int = 200) -> list[LogEntry]:
    """The latest administrative actions, newest first: who, when, what, on which object."""
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_([str(a) for a in ADMIN_ACTIONS]))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
    names = {
        u.username: u.display_name
        for u in session.scalars(
            select(User).where(User.username.in_({e.actor_username for e in events}))
        )
    }
    names.setdefault(SYSTEM.username or "system", SYSTEM.display_name or "系统任务")
    out = []
    for e in events:
        detail = json.loads(e.detail_json or "{}")
        out.append(
            LogEntry(
                id=e.id,
                occurred_at=e.occurred_at,
                action=e.action,
                action_label=action_label(e.action),
                actor=names.get(e.actor_username or "", "系统任务"),
                object_type=e.object_type,
                object_id=e.object_id,
                summary=_summary(e, detail),
                detail=detail,
            )
        )
    return out
