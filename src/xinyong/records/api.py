"""/api/records and /api/providers: corrections (HLJ 38), history, timeliness (HRB 6)."""

from __future__ import annotations

from typing import Any

from xinyong.common.inputs import CalendarYear, Key, RecordKey
from xinyong.common.roles import Role
from xinyong.providers.models import ProviderUnit
from xinyong.records import service
from xinyong.records.schemas import (
    CorrectionIn,
    CorrectionOut,
    ProviderOut,
    RecordVersionOut,
    TimelinessOut,
)
from xinyong.web.deps import ContextDep, ProviderDep, Router, SessionDep, acting_provider

router = Router(tags=["信息更正与提供单位"])
STAFF_OR_PROVIDER = (Role.PROVIDER, Role.STAFF, Role.ADMIN)


@router.post(
    "/api/records/{item_code}/{record_key}/correction",
    summary="更正信用信息",
    response_model=CorrectionOut,
)
def correct(
    item_code: Key,
    record_key: RecordKey,
    body: CorrectionIn,
    ctx: ContextDep,
    actor: ProviderDep,
    provider: Key | None = None,
) -> dict[str, Any]:
    row = service.correct(
        ctx,
        actor=actor,
        provider_code=acting_provider(actor, provider),
        item_code=item_code,
        record_key=record_key,
        discovered_on=body.discovered_on,
        reason=body.reason,
        record=body.record,
    )
    return {
        "version": row.version,
        "state": row.state,
        "change": row.change,
        "discovered_on": row.discovered_on.isoformat() if row.discovered_on else None,
        "correction_due_on": row.correction_due_on.isoformat() if row.correction_due_on else None,
        "correction_on_time": row.correction_on_time,
    }


@router.get(
    "/api/records/{item_code}/{record_key}/history",
    summary="查看信息的变动记录",
    response_model=list[RecordVersionOut],
)
def history(
    item_code: Key,
    record_key: RecordKey,
    ctx: ContextDep,
    actor: ProviderDep,
    provider: Key | None = None,
) -> list[dict[str, Any]]:
    """Every version of a record, through the visibility engine and audited (HLJ 35, 38)."""
    from xinyong.sharing.service import record_history

    unit = acting_provider(actor, provider)
    found = record_history(
        ctx, actor=actor, provider_code=unit, item_code=item_code, record_key=record_key
    )
    versions: list[dict[str, Any]] = found["versions"]
    return versions


@router.get("/api/providers", summary="信息提供单位一览", response_model=list[ProviderOut])
def providers(session: SessionDep) -> list[dict[str, Any]]:
    from sqlalchemy import select

    return [
        {"code": p.code, "name": p.name, "level": p.level, "region": p.region, "state": p.state}
        for p in session.scalars(select(ProviderUnit).order_by(ProviderUnit.code))
    ]


@router.get(
    "/api/providers/{code}/timeliness",
    summary="信息提供单位的报送及时性",
    response_model=TimelinessOut,
)
def timeliness(
    code: Key,
    session: SessionDep,
    actor: ProviderDep,
    year: CalendarYear | None = None,
) -> dict[str, Any]:
    """Records that arrived later than their catalog item's update cycle (HRB 6 assessment)."""
    return {
        "provider": acting_provider(actor, code),
        "year": year,
        "items": service.timeliness(session, code, year),
    }
