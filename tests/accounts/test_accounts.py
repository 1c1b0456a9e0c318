"""Accounts: argon2 passwords, sessions that expire by the injected clock, API keys, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from xinyong.accounts.models import User
from xinyong.accounts.service import (
    authenticate,
    close_session,
    create_api_key,
    create_user,
    open_session,
    resolve_token,
)
from xinyong.audit.models import AuditEvent
from xinyong.common.clock import FixedClock
from xinyong.common.errors import DomainError, Forbidden, Unauthenticated
from xinyong.common.roles import SYSTEM, Role
from xinyong.context import Context


def make(ctx: Context, username: str = "prov", role: Role = Role.PROVIDER, **kw: object) -> User:
    if role is Role.PROVIDER:
        kw.setdefault("provider_code", "HRB-SCJG")
    with ctx.sessions() as session, session.begin():
        return create_user(
            session,
            ctx,
            actor=SYSTEM,
            username=username,
            password="correct horse",
            role=role,
            display_name="单位",
            **kw,  # type: ignore[arg-type]
        )


def test_password_is_hashed_with_argon2_and_checked(seeded: Context) -> None:
    ctx = seeded
    make(ctx)
    with ctx.sessions() as session, session.begin():
        user = session.scalar(select(User).where(User.username == "prov"))
        assert user is not None and user.password_hash.startswith("$argon2")
        assert authenticate(session, ctx, "prov", "correct horse").id == user.id
    with pytest.raises(Unauthenticated), ctx.sessions() as session, session.begin():
        authenticate(session, ctx, "prov", "wrong")
    with ctx.sessions() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("accounts:%"))
                .order_by(AuditEvent.id)
            )
        )
    assert actions == [
        "accounts:user:create",
        "accounts:user:login",
        "accounts:user:login-failed",
    ]  # a failure is kept (and counted) even when the caller's transaction rolls back


def test_failed_login_is_audited_even_when_rolled_back(seeded: Context) -> None:
    ctx = seeded
    make(ctx)
    with ctx.sessions() as session:
        with pytest.raises(Unauthenticated):
            authenticate(session, ctx, "prov", "wrong")
        session.rollback()
        assert "accounts:user:login-failed" in session.scalars(select(AuditEvent.action)).all()


def test_tokens_expire_by_the_clock_and_can_be_closed(seeded: Context) -> None:
    ctx = seeded
    user = make(ctx)
    with ctx.sessions() as session, session.begin():
        token, _ = open_session(session, ctx, user, "bearer")
    with ctx.sessions() as session:
        actor = resolve_token(session, ctx, token)
    assert actor.role is Role.PROVIDER and actor.username == "prov"
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(dt.timedelta(hours=ctx.settings.session_hours, seconds=1))
    with pytest.raises(Unauthenticated), ctx.sessions() as session:
        resolve_token(session, ctx, token)
    with ctx.sessions() as session, session.begin():
        token2, _ = open_session(session, ctx, user, "cookie")
        close_session(session, ctx, token2)
    with pytest.raises(Unauthenticated), ctx.sessions() as session:
        resolve_token(session, ctx, token2)


def test_api_keys_for_machine_roles_only(seeded: Context) -> None:
    ctx = seeded
    provider = make(ctx)
    citizen = make(ctx, "citizen", Role.SUBJECT, subject_key="230102199003071237")
    with ctx.sessions() as session, session.begin():
        key = create_api_key(session, ctx, actor=SYSTEM, user=provider, label="批量推送")
    with ctx.sessions() as session:
        assert resolve_token(session, ctx, key).username == "prov"
    with pytest.raises(Forbidden), ctx.sessions() as session:
        create_api_key(session, ctx, actor=SYSTEM, user=citizen, label="x")


def test_subject_accounts_need_their_identifier(seeded: Context) -> None:
    ctx = seeded
    with pytest.raises(DomainError) as err:
        make(ctx, "nobody", Role.SUBJECT)
    assert err.value.code == "accounts.subject_key_required"
    with pytest.raises(DomainError) as err:
        make(ctx, "unitless", Role.PROVIDER, provider_code=None)
    assert err.value.code == "accounts.provider_code_required"
    with pytest.raises(DomainError):
        make(ctx)
        make(ctx)
