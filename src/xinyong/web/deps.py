"""Dependency aliases: every route gets the platform context, a session and its actor."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from xinyong.accounts.service import resolve_token
from xinyong.common.errors import DomainError, Forbidden, Unauthenticated
from xinyong.common.roles import ANONYMOUS, Actor, Role
from xinyong.context import Context
from xinyong.web.security import SESSION_COOKIE as SESSION_COOKIE


async def get_context(request: Request) -> Context:  # async: no thread hop for a lookup
    ctx: Context = request.app.state.ctx
    return ctx


ContextDep = Annotated[Context, Depends(get_context)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    """A request's session. A sync route's transaction is committed in the route's own worker
    thread as it returns (`Router`); whatever is left (an async route's) is committed here, or
    rolled back on an error."""
    with ctx.sessions() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


# scope="function": the transaction commits when the route returns, before the response is
# sent. FastAPI's default ("request") commits after the response has gone out, so a client
# could be told "done" for a write that then failed, or follow a redirect faster than the
# commit (a fresh login's cookie not yet valid on the page it lands on).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the signature through the wrapper
    def route(*args: Any, **arguments: Any) -> Any:
        result = endpoint(*args, **arguments)
        for value in arguments.values():
            if isinstance(value, Session) and value.in_transaction():
                value.commit()
        return result

    return route


class Router(APIRouter):
    """The platform's APIRouter: a sync route commits its session in its own worker thread, as
    it returns (`get_session` then finds nothing left to commit).

    FastAPI closes a function-scoped dependency (`get_session`'s commit) only after it has
    validated the route's answer, and for a sync route it validates in another worker thread.
    A transaction holding a lock (SQLite's write gate, PostgreSQL's audit head row) then waited
    for a free worker thread while every worker thread waited for that lock: under 20 clients
    the server stalled until SQLite's timeouts ran out, and on PostgreSQL, which has none, for
    good. Committed in the route's thread, no transaction ever waits for another thread."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint)
        super().add_api_route(path, endpoint, **kwargs)


_CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key", b"cookie"})


def _token(request: Request) -> str | None:
    if not any(name in _CREDENTIAL_HEADERS for name, _ in request.scope["headers"]):
        return None  # the public, most requests: no header parsed
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    key = request.headers.get("x-api-key")
    if key:
        return key
    if request.headers.get("sec-fetch-site", "same-origin") not in _OWN_NAVIGATION:
        # A request another site started (a link, a redirect, an embedded image): the browser
        # sends the cookie, but the user did not ask this platform for anything. Served as the
        # public, so no cross-site link can make a logged-in user read, or log a read of,
        # anything (the cookie is SameSite=Strict too; this covers sibling subdomains).
        return None
    return request.cookies.get(SESSION_COOKIE)


# Sec-Fetch-Site values of requests the user made on this platform (or typed, or bookmarked).
_OWN_NAVIGATION = frozenset({"same-origin", "none"})


async def get_actor(request: Request, ctx: ContextDep) -> Actor:
    """The caller: anonymous public, or the account behind a cookie, bearer token or API key.
    Async so that an anonymous request costs no thread hop; a token is resolved in the pool."""
    token = _token(request)
    if not token:
        return ANONYMOUS
    actor = await run_in_threadpool(_resolve, request, ctx, token)
    if actor.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired()  # a page answers with a redirect to the form
    return actor


#: All an account whose password was reset may reach until it has changed it.
PASSWORD_CHANGE_PATHS = frozenset({"/account/password", "/api/auth/password", "/logout"})


class PasswordChangeRequired(DomainError):
    def __init__(self) -> None:
        super().__init__(
            code="accounts.password_change_required",
            message="管理员已重置您的密码，请先修改密码后再使用平台",
            status=403,
        )


def _resolve(request: Request, ctx: Context, token: str) -> Actor:
    with ctx.sessions() as session:
        try:
            return resolve_token(session, ctx, token)
        except Unauthenticated:
            if request.headers.get("authorization") or request.headers.get("x-api-key"):
                raise
            return ANONYMOUS  # a stale cookie: browse as the public


ActorDep = Annotated[Actor, Depends(get_actor)]


def allow(*roles: Role) -> Callable[[Actor], Awaitable[Actor]]:
    """The check behind a role dependency: an anonymous caller is asked to log in (401), an
    account of another role is refused (403)."""

    async def check(actor: ActorDep) -> Actor:
        if actor.role is Role.PUBLIC:
            raise Unauthenticated()
        if actor.role not in roles:
            raise Forbidden("auth.role", "当前账户的角色无权执行此操作")
        return actor

    return check


# Typed role dependencies: a route names the roles it serves in its signature
# (`actor: StaffDep`); a domain with its own set writes `Annotated[Actor, Depends(allow(...))]`.
AccountDep = Annotated[Actor, Depends(allow(*(role for role in Role if role is not Role.PUBLIC)))]
SubjectDep = Annotated[Actor, Depends(allow(Role.SUBJECT))]
StaffDep = Annotated[Actor, Depends(allow(Role.STAFF, Role.ADMIN))]
AdminDep = Annotated[Actor, Depends(allow(Role.ADMIN))]
AgencyDep = Annotated[Actor, Depends(allow(Role.AGENCY, Role.STAFF, Role.ADMIN))]
ProviderDep = Annotated[Actor, Depends(allow(Role.PROVIDER, Role.STAFF, Role.ADMIN))]


def acting_provider(actor: Actor, provider: str | None) -> str:
    """The provider unit a request acts for: a unit's own account acts only for its unit; staff
    name the unit they act for."""
    if actor.role is Role.PROVIDER:
        assert actor.provider_code is not None
        if provider and provider != actor.provider_code:
            raise Forbidden("auth.other_provider", "只能以本单位名义操作")
        return actor.provider_code
    if not provider:
        raise DomainError(
            code="auth.provider_required", message="须指明所代表的提供单位（provider）"
        )
    return provider
