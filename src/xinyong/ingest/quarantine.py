"""The quarantine: rejected rows stay, with every reason, until the provider fixes and resubmits
them or withdraws them. Nothing in it is ever deleted."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError, Forbidden, NotFound
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.ingest.models import QuarantinedRow
from xinyong.ingest.readers import ReadLimits, read_json_records
from xinyong.ingest.service import AfterBatch, Receipt, ingest


def _own(actor: Actor, row: QuarantinedRow) -> None:
    if actor.role is Role.PROVIDER and actor.provider_code != row.provider_code:
        raise Forbidden("quarantine.other_provider", "只能处理本单位被拒收的记录")
    if actor.role not in (Role.PROVIDER, Role.STAFF, Role.ADMIN):
        raise Forbidden("quarantine.role", "无权处理被拒收的记录")


def describe(row: QuarantinedRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "batch_id": row.batch_id,
        "provider": row.provider_code,
        "item": row.item_code,
        "row": row.row_number,
        "record_key": row.record_key,
        "payload": json.loads(row.payload_json),
        "reasons": json.loads(row.reasons_json),
        "state": row.state,
        "resolution": row.resolution,
        "resolved_batch_id": row.resolved_batch_id,
        "received_at": row.received_at.isoformat(),
    }


def list_quarantine(
    session: Session,
    actor: Actor,
    provider_code: str,
    *,
    state: str | None = "open",
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[QuarantinedRow]]:
    probe = QuarantinedRow(provider_code=provider_code)
    _own(actor, probe)
    query = select(QuarantinedRow).where(QuarantinedRow.provider_code == provider_code)
    if state:
        query = query.where(QuarantinedRow.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(QuarantinedRow.id).limit(limit).offset(offset)).all()
    return int(total), list(rows)


def _open_row(session: Session, actor: Actor, quarantine_id: int) -> QuarantinedRow:
    row = session.get(QuarantinedRow, quarantine_id)
    if row is None:
        raise NotFound("quarantine.unknown", f"被拒收记录{quarantine_id}不存在", id=quarantine_id)
    _own(actor, row)
    if row.state != "open":
        raise DomainError(
            code="quarantine.closed",
            message=f"被拒收记录{quarantine_id}已处理（{row.state}）",
            status=409,
        )
    return row


def resubmit(
    ctx: Context,
    *,
    actor: Actor,
    quarantine_id: int,
    record: dict[str, Any],
    after: AfterBatch | None,
) -> Receipt:
    """Run the corrected row through the same validation. Accepted: the quarantined row is closed
    as resubmitted. Refused again: it is closed too and the new attempt is quarantined with its
    new reasons, so every attempt is kept. `after`: as for `ingest` (a batch of one row)."""
    with ctx.sessions() as session:
        row = _open_row(session, actor, quarantine_id)
        provider, item = row.provider_code, row.item_code
    _, limited = next(read_json_records([record], ReadLimits.from_settings(ctx.settings)))
    receipt = ingest(
        ctx,
        actor=actor,
        provider_code=provider,
        item_code=item,
        rows=[(row.row_number, limited)],
        source="resubmit",
        filename=f"quarantine:{quarantine_id}",
        after=after,
    )
    with ctx.sessions() as session, session.begin():
        row = _open_row(session, actor, quarantine_id)
        row.state = "resubmitted"
        row.resolved_at = ctx.clock.now()
        row.resolved_by = actor.username or actor.role.value
        row.resolved_batch_id = receipt.batch_id
        again = receipt.rejected[0]["quarantine_id"] if receipt.rejected else None
        row.resolution = (
            f"已更正重新提交，仍被拒收（新记录{again}）" if again else "已更正重新提交并入库"
        )
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.INGEST_QUARANTINE_RESUBMIT,
            object_type="quarantined_row",
            object_id=quarantine_id,
            detail={"batch_id": receipt.batch_id, **receipt.counts()},
        )
    return receipt


def withdraw(ctx: Context, *, actor: Actor, quarantine_id: int, reason: str) -> QuarantinedRow:
    if not reason.strip():
        raise DomainError(code="quarantine.reason_required", message="撤回须说明理由")
    if "\x00" in reason:
        raise DomainError(code="quarantine.bad_reason", message="理由含有空字符（\\x00），不予接收")
    with ctx.sessions() as session, session.begin():
        row = _open_row(session, actor, quarantine_id)
        row.state = "withdrawn"
        row.resolution = reason.strip()
        row.resolved_at = ctx.clock.now()
        row.resolved_by = actor.username or actor.role.value
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.INGEST_QUARANTINE_WITHDRAW,
            object_type="quarantined_row",
            object_id=quarantine_id,
            detail={"reason": reason.strip()},
        )
        return row
