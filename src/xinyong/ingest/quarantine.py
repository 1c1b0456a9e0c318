"""The quarantine: rejected rows stay, with every reason, until the provider fixes them or
withdraws them. Nothing in it is ever deleted.

One open row per source row: a row is the same source row as an open one when it has the same
provider, catalog item and record key (the item's key fields, e.g. the decision's number), or,
when its key fields are missing, the same content (`service.source_key`). Pushing it again
updates the open row (payload, reasons, batch) and counts one more attempt; pushing its record
without fault closes it. A fix in place (`fix`) sends only the corrected fields: they are merged
onto the kept row, which is validated again as a whole; refused again, the same row stays open
with its new reasons and one more attempt."""

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

STATE_LABELS = {"open": "待处理", "resubmitted": "已更正入库", "withdrawn": "已撤回"}


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
        "state_label": STATE_LABELS.get(row.state, row.state),
        "attempts": row.attempts,
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
    item: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[QuarantinedRow]]:
    probe = QuarantinedRow(provider_code=provider_code)
    _own(actor, probe)
    query = select(QuarantinedRow).where(QuarantinedRow.provider_code == provider_code)
    if state:
        query = query.where(QuarantinedRow.state == state)
    if item:
        query = query.where(QuarantinedRow.item_code == item)
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


def get_row(session: Session, actor: Actor, quarantine_id: int) -> QuarantinedRow:
    row = session.get(QuarantinedRow, quarantine_id)
    if row is None:
        raise NotFound("quarantine.unknown", f"被拒收记录{quarantine_id}不存在", id=quarantine_id)
    _own(actor, row)
    return row


def fix(
    ctx: Context,
    *,
    actor: Actor,
    quarantine_id: int,
    fields: dict[str, Any],
    after: AfterBatch | None,
) -> Receipt:
    """Fix a quarantined row in place: `fields` (only those corrected; an empty value clears a
    field) are merged onto the kept row and the whole row is validated again, as a batch of one.
    Accepted: the row is closed as fixed. Refused again: the same row stays open with its new
    reasons and one more attempt. `after`: as for `ingest`."""
    if not fields:
        raise DomainError(code="quarantine.nothing_changed", message="请至少更正一个字段")
    with ctx.sessions() as session:
        row = _open_row(session, actor, quarantine_id)
        provider, item, number = row.provider_code, row.item_code, row.row_number
        merged = {**json.loads(row.payload_json), **fields}
    _, limited = next(read_json_records([merged], ReadLimits.from_settings(ctx.settings)))
    receipt = ingest(
        ctx,
        actor=actor,
        provider_code=provider,
        item_code=item,
        rows=[(number, limited)],
        source="resubmit",
        filename=f"quarantine:{quarantine_id}",
        after=after,
        fixing=quarantine_id,
    )
    with ctx.sessions() as session, session.begin():
        row = get_row(session, actor, quarantine_id)
        if not receipt.rejected and row.state == "open":
            row.state = "resubmitted"
            row.payload_json = json.dumps(merged, ensure_ascii=False, default=str)
            row.resolved_at = ctx.clock.now()
            row.resolved_by = actor.username or actor.role.value
            row.resolved_batch_id = receipt.batch_id
            row.resolution = f"已更正{len(fields)}个字段并入库（批次{receipt.batch_id}）"
        ctx.log(
            session,
            actor=actor,
            action=AuditTag.INGEST_QUARANTINE_RESUBMIT,
            object_type="quarantined_row",
            object_id=quarantine_id,
            detail={
                "batch_id": receipt.batch_id,
                "fields": sorted(str(k) for k in fields),
                "attempts": row.attempts,
                **receipt.counts(),
            },
        )
    return receipt


def resubmit(
    ctx: Context,
    *,
    actor: Actor,
    quarantine_id: int,
    record: dict[str, Any],
    after: AfterBatch | None,
) -> Receipt:
    """The corrected record, whole or only its corrected fields: a fix in place (`fix`)."""
    return fix(ctx, actor=actor, quarantine_id=quarantine_id, fields=record, after=after)


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
