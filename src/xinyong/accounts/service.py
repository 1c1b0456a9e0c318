"""Accounts: argon2 password hashes, web sessions, bearer tokens and API keys.

Tokens and keys are random (secrets.token_urlsafe) and stored only as SHA-256 digests."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import ApiKey, AuthSession, User
from xinyong.common.errors import DomainError, Forbidden, Unauthenticated
from xinyong.common.roles import Actor, Role
from xinyong.context import Context

API_KEY_PREFIX = "xyk_"
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
    synthetic: bool = False,
) -> User:
    if len(password) < 8:
        raise DomainError(code="accounts.weak_password", message="密码至少8位")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise DomainError(code="accounts.username_taken", message=f"用户名“{username}”已被使用")
    if role is Role.PROVIDER and not provider_code:
        raise DomainError(
            code="accounts.provider_code_required", message="信息提供单位账户须关联提供单位"
        )
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
        active=True,
        synthetic=synthetic,
        created_at=ctx.clock.now(),
    )
    session.add(user)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action="accounts:user:create",
        object_type="user",
        object_id=user.id,
        subject_key=subject_key,
        detail={"username": username, "role": role.value, "synthetic": synthetic},
    )
    return user


def authenticate(session: Session, ctx: Context, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    ok = False
    if user is not None and user.active:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    ctx.log(
        session,
        actor=actor_of(user) if user and ok else Actor(role=Role.PUBLIC, username=username),
        action="accounts:user:login" if ok else "accounts:user:login-failed",
        object_type="user",
        object_id=user.id if user else None,
    )
    if not ok or user is None:
        raise Unauthenticated("用户名或密码错误")
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
            action="accounts:user:logout",
            object_type="auth_session",
            object_id=row.id,
        )


def create_api_key(session: Session, ctx: Context, *, actor: Actor, user: User, label: str) -> str:
    if Role(user.role) not in (Role.PROVIDER, Role.AGENCY, Role.ORGANISATION, Role.STAFF):
        raise Forbidden(
            "accounts.api_key_role", "只有信息提供单位、国家机关、协议机构和工作人员可持有API密钥"
        )
    if actor.user_id != user.id and actor.role not in (Role.ADMIN, Role.STAFF):
        raise Forbidden("accounts.api_key_owner", "只能为本账户创建API密钥")
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        user_id=user.id,
        prefix=key[:12],
        key_hash=digest(key),
        label=label,
        created_at=ctx.clock.now(),
    )
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action="accounts:api-key:create",
        object_type="api_key",
        object_id=row.id,
        detail={"user_id": user.id, "prefix": row.prefix, "label": label},
    )
    return key


def resolve_token(session: Session, ctx: Context, token: str) -> Actor:
    """The actor behind a session token, bearer token or API key; raises if none is valid."""
    now = ctx.clock.now()
    user: User | None = None
    if token.startswith(API_KEY_PREFIX):
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest(token)))
        if key is not None and key.revoked_at is None:
            user = session.get(User, key.user_id)
    else:
        row = session.scalar(select(AuthSession).where(AuthSession.token_hash == digest(token)))
        if row is not None and row.revoked_at is None and row.expires_at > now:
            user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthenticated("访问令牌无效或已过期")
    return actor_of(user)
