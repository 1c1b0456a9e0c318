"""/api/ingest and /api/quarantine: pushes from provider units and their refused rows."""

from __future__ import annotations

import json
import shutil
import uuid
from typing import Annotated, Any

from fastapi import Body, Query, UploadFile

from xinyong.common.errors import DomainError
from xinyong.common.inputs import Key, RowId
from xinyong.common.roles import Role
from xinyong.flows import AFTER_PUSH
from xinyong.ingest import quarantine
from xinyong.ingest.models import IngestBatch
from xinyong.ingest.readers import ReadLimits, read_json_records, reader_for
from xinyong.ingest.schemas import WithdrawIn
from xinyong.ingest.service import ingest, ingest_file
from xinyong.web.deps import ContextDep, ProviderDep, Router, SessionDep, acting_provider
from xinyong.web.errors import error_responses

router = Router(tags=["信息归集"])
PUSHERS = (Role.PROVIDER, Role.STAFF, Role.ADMIN)
MAX_JSON_ROWS = 10_000  # one request; larger pushes go as files


@router.post("/api/ingest/{item_code}/records", summary="报送信用信息（JSON）")
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


@router.post("/api/ingest/{item_code}/files", summary="上传文件报送信用信息（CSV或Excel）")
def push_file(
    item_code: Key,
    ctx: ContextDep,
    file: UploadFile,
    actor: ProviderDep,
    provider: Key | None = None,
) -> dict[str, Any]:
    """A CSV or Excel (.xlsx) file whose header row uses the catalog's Chinese field names.
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


@router.get("/api/ingest/batches/{batch_id}", summary="查看报送批次回执")
def batch(
    batch_id: RowId,
    session: SessionDep,
    actor: ProviderDep,
) -> dict[str, Any]:
    row = session.get(IngestBatch, batch_id)
    if row is None or (actor.role is Role.PROVIDER and row.provider_code != actor.provider_code):
        raise DomainError(code="ingest.unknown_batch", message=f"批次{batch_id}不存在", status=404)
    return {
        "state": row.state,
        "source": row.source,
        "filename": row.filename,
        **json.loads(row.receipt_json),
    }


@router.get("/api/quarantine", summary="查看待更正的数据")
def quarantined(
    session: SessionDep,
    actor: ProviderDep,
    provider: Key | None = None,
    state: Key | None = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    total, rows = quarantine.list_quarantine(
        session, actor, acting_provider(actor, provider), state=state, limit=limit, offset=offset
    )
    return {"total": total, "rows": [quarantine.describe(r) for r in rows]}


@router.post(
    "/api/quarantine/{quarantine_id}/resubmit",
    summary="更正后重新提交",
    responses=error_responses(409),
)
def resubmit(
    quarantine_id: RowId,
    ctx: ContextDep,
    record: Annotated[dict[str, Any], Body()],
    actor: ProviderDep,
) -> dict[str, Any]:
    return quarantine.resubmit(
        ctx, actor=actor, quarantine_id=quarantine_id, record=record, after=AFTER_PUSH
    ).as_dict()


@router.post(
    "/api/quarantine/{quarantine_id}/withdraw",
    summary="撤回待更正的数据",
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
