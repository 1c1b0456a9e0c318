"""Granting and revoking authorisations, and the subject's good-information publicity switch.

An authorisation names one party, a scope of catalog items, a purpose and an expiry. An expiry is
required and capped (`authorisation.max_duration`): no lifetime authorisations (HLJ 36). Revocation
takes effect at once, for every read after it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import User
from xinyong.audit.tags import AuditTag
from xinyong.authorisations.models import Authorisation, SubjectPreference
from xinyong.authorisations.schemas import GrantIn
from xinyong.catalog.models import CatalogItem
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.law.workdays import add_period


@dataclass(frozen=True)
class Grant:
    """What the visibility engine needs of a valid authorisation."""

    id: int
    items: frozenset[str]
    purpose: str
    expires_on: dt.date


def _subject(actor: Actor) -> str:
    if actor.role is not Role.SUBJECT or not actor.subject_key:
        raise Forbidden("authorisations.role", "只有信用主体本人可以授权或撤销授权")
    return actor.subject_key


def grant(session: Session, ctx: Context, *, actor: Actor, body: GrantIn) -> Authorisation:
    subject_key = _subject(actor)
    today = ctx.today()
    cap = ctx.rules.get("authorisation.max_duration", today)
    latest = add_period(today, int(cap.value), cap.unit)
    if body.expires_on < today:
        raise DomainError(code="authorisations.expired", message="授权截止日期不能早于今天")
    if body.expires_on > latest:
        raise DomainError(
            code="authorisations.too_long",
            message=f"授权有效期最长至{latest.isoformat()}，不得一次授权终身"
            + ("（期限为平台设定，见规则说明）" if cap.unverified else ""),
            citations=list(cap.citations),
        )
    grantee = session.scalar(select(User).where(User.username == body.grantee))
    if grantee is None or not grantee.active:
        raise NotFound(
            "authorisations.unknown_grantee",
            f"被授权方“{body.grantee}”不存在",
            grantee=body.grantee,
        )
    items = {
        i.code: i
        for i in session.scalars(
            select(CatalogItem).where(
                CatalogItem.code.in_(body.items), CatalogItem.is_current.is_(True)
            )
        )
    }
    missing = sorted(set(body.items) - set(items))
    if missing:
        raise NotFound("authorisations.unknown_item", f"目录项{missing}不存在", items=missing)
    closed = sorted(code for code, item in items.items() if item.opening == "none")
    if closed:
        opening = ctx.rules.get("opening.by_attribute", today)
        raise DomainError(
            code="authorisations.item_not_open",
            message=f"目录项{closed}不予开放，不能授权查询",
            citations=list(opening.citations),
        )
    row = Authorisation(
        subject_key=subject_key,
        grantee_username=grantee.username,
        items_json=json.dumps(sorted(items)),
        purpose=body.purpose,
        granted_at=ctx.clock.now(),
        valid_from=today,
        expires_on=body.expires_on,
    )
    session.add(row)
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.AUTHORISATIONS_AUTHORISATION_GRANT,
        object_type="authorisation",
        object_id=row.id,
        subject_key=subject_key,
        purpose=body.purpose,
        detail={
            "grantee": grantee.username,
            "items": sorted(items),
            "expires_on": body.expires_on.isoformat(),
        },
    )
    return row


def revoke(session: Session, ctx: Context, *, actor: Actor, authorisation_id: int) -> Authorisation:
    subject_key = _subject(actor)
    row = session.get(Authorisation, authorisation_id)
    if row is None or row.subject_key != subject_key:
        raise NotFound(
            "authorisations.unknown", f"授权{authorisation_id}不存在", id=authorisation_id
        )
    if row.revoked_at is None:
        row.revoked_at = ctx.clock.now()
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.AUTHORISATIONS_AUTHORISATION_REVOKE,
            object_type="authorisation",
            object_id=row.id,
            subject_key=subject_key,
        )
    return row


def describe(row: Authorisation, today: dt.date) -> dict[str, Any]:
    valid = row.revoked_at is None and row.valid_from <= today <= row.expires_on
    return {
        "id": row.id,
        "grantee": row.grantee_username,
        "items": json.loads(row.items_json),
        "purpose": row.purpose,
        "granted_at": row.granted_at.isoformat(),
        "expires_on": row.expires_on.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "valid": valid,
    }


def grantee_names(session: Session, rows: list[Authorisation]) -> dict[str, str]:
    """The grantees' names (a bank's, a credit service agency's) by username, for the subject's
    page: the subject reads whom it authorised, not an account's login name."""
    usernames = {r.grantee_username for r in rows}
    if not usernames:
        return {}
    users = session.scalars(select(User).where(User.username.in_(usernames)))
    return {u.username: u.organisation or u.display_name or u.username for u in users}


def possible_grantees(session: Session) -> list[tuple[str, str]]:
    """(username, name) of the institutions a subject may authorise (HLJ 23: financial
    institutions and credit service agencies querying by agreement), by name."""
    users = session.scalars(
        select(User)
        .where(User.role == Role.ORGANISATION.value, User.active.is_(True))
        .where(User.disabled_at.is_(None))
        .order_by(User.display_name)
    )
    return [(u.username, u.organisation or u.display_name or u.username) for u in users]


def of_subject(session: Session, subject_key: str) -> list[Authorisation]:
    return list(
        session.scalars(
            select(Authorisation)
            .where(Authorisation.subject_key == subject_key)
            .order_by(Authorisation.id)
        )
    )


def valid_grants(
    session: Session, grantee_username: str | None, subject_key: str, on: dt.date
) -> tuple[Grant, ...]:
    """The authorisations `grantee` holds for `subject_key` on `on` (the expiry day included)."""
    if not grantee_username:
        return ()
    rows = session.scalars(
        select(Authorisation).where(
            Authorisation.subject_key == subject_key,
            Authorisation.grantee_username == grantee_username,
            Authorisation.revoked_at.is_(None),
            Authorisation.valid_from <= on,
            Authorisation.expires_on >= on,
        )
    )
    return tuple(
        Grant(r.id, frozenset(json.loads(r.items_json)), r.purpose, r.expires_on) for r in rows
    )


def hides_good_information(session: Session, subject_key: str) -> bool:
    pref = session.get(SubjectPreference, subject_key)
    return bool(pref and pref.hide_good_information)


def set_good_publicity(
    session: Session, ctx: Context, *, actor: Actor, hide: bool
) -> SubjectPreference:
    """HLJ 37 ¶1: good information is not published if the subject asks so."""
    subject_key = _subject(actor)
    pref = session.get(SubjectPreference, subject_key)
    if pref is None:
        pref = SubjectPreference(
            subject_key=subject_key, hide_good_information=hide, updated_at=ctx.clock.now()
        )
        session.add(pref)
    else:
        pref.hide_good_information, pref.updated_at = hide, ctx.clock.now()
    rule = ctx.rules.get("publicity.good_long_term", ctx.today())
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.AUTHORISATIONS_PREFERENCE_GOOD_PUBLICITY,
        object_type="subject",
        object_id=subject_key,
        subject_key=subject_key,
        legal_basis="；".join(c.label() for c in rule.citations),
        detail={"hide_good_information": hide},
    )
    return pref
