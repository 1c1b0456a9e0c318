from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db import Base, UTCDateTime

# The tables users' foreign keys point to: registered with the metadata whenever User is, so a
# process that imports only the accounts (the CLI) can flush a user (NoReferencedTableError).
from xinyong.providers.models import Agency, ProviderUnit  # noqa: F401


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    provider_code: Mapped[str | None] = mapped_column(ForeignKey("provider_units.code"))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.uscc"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Set by a password reset: the account can do nothing but change it (accounts/pages.py).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A provider unit's or agency's machine credential. Only its SHA-256 is stored. It is
    refused after `expires_at`, once revoked, and once rotated (after the rotation's grace)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(Integer)  # the key a rotation issued


class AuthSession(Base):
    """A web session (cookie) or a bearer token. Only its SHA-256 is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # cookie | bearer
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One failed login, counted by account name and by client address (accounts/throttle.py).
    Only a digest of the name or address is kept (a password typed into the name field is not)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_scope_key_at", "scope", "key_hash", "at"),
        Index("ix_login_failures_at", "at"),  # expired rows are deleted by range
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # account | address
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
