"""The list of matters that accept a commitment (HRB 17; HLJ 45): staff create, change and retire
matters; every change writes a new version (the old one stays, never deleted); a matter is
retired only with its basis. The public list shows the matters in force."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.commitments.models import CommitmentMatter
from xinyong.commitments.schemas import CURE_DAYS_NOTE, MATTER_KINDS, MatterIn
from xinyong.common.errors import Citation, DomainError, Forbidden, NotFound
from xinyong.common.roles import Actor, Role
from xinyong.context import Context

HRB17 = Citation("哈尔滨市社会信用体系建设促进条例", 17)
HLJ45 = Citation("黑龙江省社会信用条例", 45)


def _staff(actor: Actor) -> None:
    if actor.role not in (Role.STAFF, Role.ADMIN):
        raise Forbidden(
            "commitments.matters.role", "适用信用承诺制的事项清单由公共信用工作机构维护", [HRB17]
        )


def current(session: Session, code: str) -> CommitmentMatter | None:
    return session.scalar(
        select(CommitmentMatter).where(
            CommitmentMatter.code == code, CommitmentMatter.is_current.is_(True)
        )
    )


def create(session: Session, ctx: Context, *, actor: Actor, body: MatterIn) -> CommitmentMatter:
    _staff(actor)
    if session.scalar(select(CommitmentMatter.id).where(CommitmentMatter.code == body.code)):
        raise DomainError(
            code="commitments.matters.exists",
            message=f"事项编码{body.code}已存在，请变更该事项",
            status=409,
        )
    row = _version(ctx, actor, body, version=1)
    session.add(row)
    session.flush()
    _log(session, ctx, actor, AuditTag.COMMITMENTS_MATTER_CREATE, row)
    return row


def change(
    session: Session, ctx: Context, *, actor: Actor, code: str, body: MatterIn
) -> CommitmentMatter:
    """A new version of the matter (the code stays); the former version stays as it was."""
    _staff(actor)
    old = _existing(session, code)
    if not old.in_force:
        raise DomainError(
            code="commitments.matters.retired", message=f"事项{code}已停止适用，不能变更"
        )
    if body.code != code:
        raise DomainError(code="commitments.matters.code", message="事项编码不能变更")
    old.is_current = False
    session.flush()
    row = _version(ctx, actor, body, version=old.version + 1)
    session.add(row)
    session.flush()
    _log(session, ctx, actor, AuditTag.COMMITMENTS_MATTER_CHANGE, row)
    return row


def retire(
    session: Session, ctx: Context, *, actor: Actor, code: str, basis: str
) -> CommitmentMatter:
    """The matter no longer accepts commitments, from now on, for the basis given (a new version;
    commitments filed under earlier versions keep theirs)."""
    _staff(actor)
    old = _existing(session, code)
    if not old.in_force:
        raise DomainError(code="commitments.matters.retired", message=f"事项{code}已停止适用")
    if not basis.strip():
        raise DomainError(
            code="commitments.matters.basis",
            message="停止适用信用承诺制须写明依据",
            citations=[HRB17],
        )
    old.is_current = False
    session.flush()
    row = CommitmentMatter(
        **{c: getattr(old, c) for c in _COPIED},
        version=old.version + 1,
        is_current=True,
        in_force=False,
        changed_at=ctx.clock.now(),
        changed_by=actor.username or actor.role.value,
        change_reason=basis.strip(),
    )
    session.add(row)
    session.flush()
    _log(session, ctx, actor, AuditTag.COMMITMENTS_MATTER_RETIRE, row)
    return row


_COPIED = (
    "code",
    "name",
    "kind",
    "agency",
    "agency_uscc",
    "legal_basis",
    "replaces",
    "cure_days",
)


def _existing(session: Session, code: str) -> CommitmentMatter:
    row = current(session, code)
    if row is None:
        raise NotFound("commitments.matters.unknown", f"事项{code}不存在", matter=code)
    return row


def _version(ctx: Context, actor: Actor, body: MatterIn, *, version: int) -> CommitmentMatter:
    return CommitmentMatter(
        code=body.code,
        version=version,
        is_current=True,
        name=body.name,
        kind=body.kind,
        agency=body.agency,
        agency_uscc=body.agency_uscc,
        legal_basis=body.legal_basis,
        replaces=body.replaces,
        cure_days=body.cure_days,
        in_force=True,
        changed_at=ctx.clock.now(),
        changed_by=actor.username or actor.role.value,
        change_reason=body.reason,
    )


def _log(
    session: Session, ctx: Context, actor: Actor, tag: AuditTag, row: CommitmentMatter
) -> None:
    ctx.log(
        session,
        actor=actor,
        action=tag,
        object_type="commitment_matter",
        object_id=f"{row.code}@{row.version}",
        legal_basis=HRB17.label(),
        detail={"version": row.version, "in_force": row.in_force, "reason": row.change_reason},
    )


def listing(session: Session, *, in_force_only: bool = True) -> list[CommitmentMatter]:
    query = select(CommitmentMatter).where(CommitmentMatter.is_current.is_(True))
    if in_force_only:
        query = query.where(CommitmentMatter.in_force.is_(True))
    return list(session.scalars(query.order_by(CommitmentMatter.code)))


def versions(session: Session, code: str) -> list[CommitmentMatter]:
    return list(
        session.scalars(
            select(CommitmentMatter)
            .where(CommitmentMatter.code == code)
            .order_by(CommitmentMatter.version)
        )
    )


def describe(row: CommitmentMatter) -> dict[str, Any]:
    return {
        "code": row.code,
        "version": row.version,
        "name": row.name,
        "kind": row.kind,
        "kind_label": MATTER_KINDS.get(row.kind, "其他"),
        "agency": row.agency,
        "agency_uscc": row.agency_uscc,
        "legal_basis": row.legal_basis,
        "replaces": row.replaces,
        "cure_days": row.cure_days,
        "cure_days_note": CURE_DAYS_NOTE,
        "in_force": row.in_force,
        "changed_at": row.changed_at.isoformat(),
        "changed_by": row.changed_by,
        "change_reason": row.change_reason,
    }
