"""/api/ingest and /api/quarantine: pushes from provider units and their refused rows."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from typing import Annotated, Any

from fastapi import Body, Query, UploadFile

from xinyong.common.errors import DomainError
from xinyong.common.inputs import DB_INT32_MAX, Key, RowId
from xinyong.common.roles import Role
from xinyong.flows import AFTER_PUSH
from xinyong.ingest import quarantine
from xinyong.ingest.models import IngestBatch
from xinyong.ingest.readers import ReadLimits, read_json_records, reader_for
from xinyong.ingest.schemas import (
    BatchesOut,
    BatchOut,
    QuarantinedRowOut,
    QuarantineFixIn,
    QuarantinePageOut,
    Receipt,
    WithdrawIn,
    refusals_markdown,
)
from xinyong.ingest.service import describe_batch, ingest, ingest_file, list_batches
from xinyong.web.deps import ContextDep, ProviderDep, Router, SessionDep, acting_provider
from xinyong.web.errors import error_responses

router = Router(tags=["信息归集"])
PUSHERS = (Role.PROVIDER, Role.STAFF, Role.ADMIN)
MAX_JSON_ROWS = 10_000  # one request; larger pushes go as files
#: What a push answers, and how the OpenAPI document describes its refusals.
RECEIPT = {
    "response_model": Receipt,
    "response_model_exclude_unset": True,
    "responses": error_responses(403, 404, 413),
}


@router.post(
    "/api/ingest/{item_code}/records",
    summary="推送记录（JSON）",
    description='以目录项的中文字段名推送一条记录（对象）或一批（数组，或 {"records": [...]}，'
    f"单次不超过{MAX_JSON_ROWS}条），答复批次回执。\n\n" + refusals_markdown(),
    **RECEIPT,  # type: ignore[arg-type]
)
def push_records(
    item_code: Key,
    ctx: ContextDep,
    body: Annotated[dict[str, Any] | list[dict[str, Any]], Body()],
    actor: ProviderDep,
    provider: Key | None = None,
) -> dict[str, Any]:
    """One record (an object) or a batch (a list, or {"records": [...]}), with the catalog's
    Chinese field names. Answers with the batch receipt."""
    if isinstance(body, dict):
        records = body["records"] if isinstance(body.get("records"), list) else [body]
    else:
        records = body
    if len(records) > MAX_JSON_ROWS:
        raise DomainError(
            code="ingest.too_many_rows",
            message=f"单次推送不超过{MAX_JSON_ROWS}条，更多请以文件推送",
        )
    receipt = ingest(
        ctx,
        actor=actor,
        provider_code=acting_provider(actor, provider),
        item_code=item_code,
        rows=read_json_records(records, ReadLimits.from_settings(ctx.settings)),
        source="api",
        after=AFTER_PUSH,
    )
    return receipt.as_dict()


@router.post(
    "/api/ingest/{item_code}/files",
    summary="上传文件（CSV、Excel .xlsx/.xls）",
    description="表头使用目录项的中文字段名（可在其上方保留一两行标题，列序不限；"
    "目录项没有的列被忽略并在回执中列明；空行跳过）。日期可为Excel日期或2026-05-10、"
    "2026/5/10、2026年5月10日、2026.5.10；金额可为数字或带千位分隔符、“元”的文字。"
    "模板：GET /api/catalog/items/{code}/template.xlsx。\n\n" + refusals_markdown(),
    **RECEIPT,  # type: ignore[arg-type]
)
def push_file(
    item_code: Key,
    ctx: ContextDep,
    file: UploadFile,
    actor: ProviderDep,
    provider: Key | None = None,
) -> dict[str, Any]:
    """A CSV or Excel (.xlsx, .xls) file whose header row uses the catalog's Chinese field names.
    The file as received is kept in the data folder (uploads/), so the original is never lost."""
    kind = reader_for(file.filename or "")
    uploads = ctx.settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    stamp = ctx.clock.now().strftime("%Y%m%dT%H%M%S")
    path = uploads / f"{stamp}-{uuid.uuid4().hex[:8]}.{kind}"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out, length=1 << 20)
    receipt = ingest_file(
        ctx,
        actor=actor,
        provider_code=acting_provider(actor, provider),
        item_code=item_code,
        path=path,
        kind=kind,
        filename=file.filename,
        after=AFTER_PUSH,
    )
    return receipt.as_dict()


@router.get(
    "/api/ingest/batches",
    summary="本单位的推送批次（回执列表）",
    response_model=BatchesOut,
    response_model_exclude_unset=True,
)
def batches(
    session: SessionDep,
    actor: ProviderDep,
    provider: Key | None = None,
    item: Key | None = None,
    on: dt.date | None = None,
    state: Key | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=DB_INT32_MAX)] = 0,
) -> dict[str, Any]:
    """Newest first; by catalog item, by the day received (Beijing time) and by state
    (processing while it runs, with its running counts; done, failed, interrupted)."""
    total, rows = list_batches(
        session,
        actor,
        acting_provider(actor, provider),
        item=item,
        on=on,
        state=state,
        limit=limit,
        offset=offset,
    )
    return {"total": total, "batches": [describe_batch(r) for r in rows]}


@router.get(
    "/api/ingest/batches/{batch_id}",
    summary="查看批次及其回执",
    response_model=BatchOut,
    response_model_exclude_unset=True,
)
def batch(
    batch_id: RowId,
    session: SessionDep,
    actor: ProviderDep,
) -> dict[str, Any]:
    row = session.get(IngestBatch, batch_id)
    if row is None or (actor.role is Role.PROVIDER and row.provider_code != actor.provider_code):
        raise DomainError(code="ingest.unknown_batch", message=f"批次{batch_id}不存在", status=404)
    return describe_batch(row)


@router.get(
    "/api/quarantine",
    summary="查看待更正的数据",
    response_model=QuarantinePageOut,
    response_model_exclude_unset=True,
)
def quarantined(
    session: SessionDep,
    actor: ProviderDep,
    provider: Key | None = None,
    state: Key | None = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=DB_INT32_MAX)] = 0,
) -> dict[str, Any]:
    total, rows = quarantine.list_quarantine(
        session, actor, acting_provider(actor, provider), state=state, limit=limit, offset=offset
    )
    return {"total": total, "rows": [quarantine.describe(r) for r in rows]}


@router.get(
    "/api/quarantine/{quarantine_id}",
    summary="一条被拒收记录",
    response_model=QuarantinedRowOut,
    response_model_exclude_unset=True,
)
def quarantined_row(
    quarantine_id: RowId,
    session: SessionDep,
    actor: ProviderDep,
) -> dict[str, Any]:
    return quarantine.describe(quarantine.get_row(session, actor, quarantine_id))


@router.post(
    "/api/quarantine/{quarantine_id}/fix",
    response_model=Receipt,
    response_model_exclude_unset=True,
    responses=error_responses(409),
    summary="就地更正被拒收记录（只报更正的字段）",
)
def fix(
    quarantine_id: RowId,
    body: QuarantineFixIn,
    ctx: ContextDep,
    actor: ProviderDep,
) -> dict[str, Any]:
    """Only the corrected fields: merged onto the kept row, which is validated again as a whole.
    Accepted: the row is closed. Refused again: the same row stays open, with its new reasons
    and one more attempt (the receipt names it)."""
    return quarantine.fix(
        ctx, actor=actor, quarantine_id=quarantine_id, fields=body.fields, after=AFTER_PUSH
    ).as_dict()


@router.post(
    "/api/quarantine/{quarantine_id}/resubmit",
    summary="更正并重新提交待更正区的一行",
    response_model=Receipt,
    response_model_exclude_unset=True,
    responses=error_responses(409),
)
def resubmit(
    quarantine_id: RowId,
    ctx: ContextDep,
    record: Annotated[dict[str, Any], Body()],
    actor: ProviderDep,
) -> dict[str, Any]:
    """The corrected record, whole or only the corrected fields: a fix in place (see /fix)."""
    return quarantine.resubmit(
        ctx, actor=actor, quarantine_id=quarantine_id, record=record, after=AFTER_PUSH
    ).as_dict()


@router.post(
    "/api/quarantine/{quarantine_id}/withdraw",
    summary="撤回待更正的数据",
    response_model=QuarantinedRowOut,
    response_model_exclude_unset=True,
    responses=error_responses(409),
)
def withdraw(
    quarantine_id: RowId,
    body: WithdrawIn,
    ctx: ContextDep,
    actor: ProviderDep,
) -> dict[str, Any]:
    return quarantine.describe(
        quarantine.withdraw(ctx, actor=actor, quarantine_id=quarantine_id, reason=body.reason)
    )
