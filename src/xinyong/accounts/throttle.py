"""Login throttling: failed logins counted by account name and by client address, in the
database (so every worker and every server sees the same counts), against the injected clock.

After `login_account_failures` failures of one name, or `login_address_failures` from one
address, within `login_window_seconds`, logins are refused (429 with Retry-After) until enough
failures have left the window; the password is not even checked then, so a correct guess made
while locked does not succeed. A successful login clears its account's failures (not its
address's: one's own account must not reset the count of guesses at others)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from xinyong.accounts.models import LoginFailure
from xinyong.common.errors import DomainError
from xinyong.context import Context

ACCOUNT = "account"
ADDRESS = "address"


class TooManyAttempts(DomainError):
    def __init__(self, retry_after: int, scope: str) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        who = "该账户" if scope == ACCOUNT else "本地址"
        super().__init__(
            code="accounts.login_throttled",
            message=f"{who}登录失败次数过多，已暂停登录，请{minutes}分钟后再试",
            details={"retry_after_seconds": retry_after, "scope": scope},
            status=429,
        )


def _key(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()


def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
    """(scope, digest) of each counter a login attempt touches."""
    keys = [(ACCOUNT, _key(ACCOUNT, username))]
    return [*keys, (ADDRESS, _key(ADDRESS, address))] if address else keys


def check(session: Session, ctx: Context, username: str, address: str | None) -> None:
    """Raises TooManyAttempts while the account or the address is locked."""
    settings = ctx.settings
    now = ctx.clock.now()
    window = dt.timedelta(seconds=settings.login_window_seconds)
    limits = {ACCOUNT: settings.login_account_failures, ADDRESS: settings.login_address_failures}
    worst: tuple[int, str] | None = None
    for scope, key in _keys(username, address):
        limit = limits[scope]
        # The limit-th most recent failure in the window: when it leaves, one more try is allowed.
        nth = session.scalar(
            select(LoginFailure.at)
            .where(
                LoginFailure.scope == scope,
                LoginFailure.key_hash == key,
                LoginFailure.at > now - window,
            )
            .order_by(LoginFailure.at.desc())
            .offset(limit - 1)
            .limit(1)
        )
        if nth is not None:
            wait = max(1, math.ceil((nth + window - now).total_seconds()))
            if worst is None or wait > worst[0]:
                worst = (wait, scope)
    if worst is not None:
        raise TooManyAttempts(*worst)


def record_failure(session: Session, ctx: Context, username: str, address: str | None) -> None:
    now = ctx.clock.now()
    old = now - dt.timedelta(seconds=ctx.settings.login_window_seconds)
    session.execute(delete(LoginFailure).where(LoginFailure.at <= old))  # out of every window
    for scope, key in _keys(username, address):
        session.add(LoginFailure(scope=scope, key_hash=key, at=now))


def clear_account(session: Session, username: str) -> int:
    result = session.execute(
        delete(LoginFailure).where(
            LoginFailure.scope == ACCOUNT, LoginFailure.key_hash == _key(ACCOUNT, username)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
