"""The provider portal (issue 16): a unit's home, uploads with a progress display, the receipt of
every batch (listed, searchable, one page each), the quarantine with each row's errors next to
its fields (fixed in place or withdrawn), and the unit's timeliness report (HRB 6)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from typing import Annotated, Any

from fastapi import Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from xinyong.catalog.models import CatalogItem
from xinyong.catalog.service import get_item, list_items, spec_of
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import DomainError
from xinyong.common.inputs import CalendarYear, Key, PageNumber, RowId, Text
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.flows import AFTER_PUSH
from xinyong.ingest import quarantine
from xinyong.ingest.models import IngestBatch, QuarantinedRow
from xinyong.ingest.readers import reader_for
from xinyong.ingest.service import (
    BATCH_STATE_LABELS,
    describe_batch,
    ingest_file,
    list_batches,
)
from xinyong.ingest.validate import FieldError, parse_date
from xinyong.providers.models import ProviderUnit
from xinyong.records.service import timeliness
from xinyong.visibility.masking import mask_for
from xinyong.web.deps import ActorDep, ContextDep, Router
from xinyong.web.layout import templates

router = Router(include_in_schema=False)
PAGE = 20
FIX_PREFIX = "f:"
TYPE_LABELS = {
    "string": "文本",
    "text": "长文本",
    "date": "日期（如2026-05-10）",
    "amount": "金额（数字）",
    "integer": "整数",
    "enum": "限定取值",
}
CYCLE_UNITS = {"working_day": "个工作日", "calendar_day": "日", "month": "个月"}


def _unit(ctx: Context, actor: Actor) -> ProviderUnit | None:
    if actor.role is not Role.PROVIDER or not actor.provider_code:
        return None
    with ctx.sessions() as session:
        return session.get(ProviderUnit, actor.provider_code)


def _page(
    request: Request,
    ctx: Context,
    actor: Actor,
    unit: ProviderUnit,
    name: str,
    status: int = 200,
    **values: Any,
) -> Response:
    return templates.TemplateResponse(
        request,
        name,
        {"ctx": ctx, "actor": actor, "unit": unit, **values},
        status_code=status,
    )


def _login() -> Response:
    return RedirectResponse("/login", status_code=303)


def _my_items(ctx: Context, code: str) -> list[CatalogItem]:
    with ctx.sessions() as session:
        return [i for i in list_items(session) if code in json.loads(i.providers_json)]


def _item_names(ctx: Context) -> dict[str, str]:
    with ctx.sessions() as session:
        return {i.code: i.name for i in list_items(session)}


def _when(value: str | dt.datetime | None) -> str:
    """A stored UTC time in Beijing time, to the minute."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")


def _cycle(item: CatalogItem) -> str:
    cycle = spec_of(item).update_cycle
    return f"{cycle.amount}{CYCLE_UNITS.get(cycle.unit, cycle.unit)}"


@router.get("/provider", response_class=HTMLResponse)
def home(request: Request, ctx: ContextDep, actor: ActorDep) -> Response:
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    with ctx.sessions() as session:
        open_total, _ = quarantine.list_quarantine(session, actor, unit.code, limit=1)
        _, recent = list_batches(session, actor, unit.code, limit=5)
    items = _my_items(ctx, unit.code)
    return _page(
        request,
        ctx,
        actor,
        unit,
        "ingest/home.html",
        items=[(i, _cycle(i)) for i in items],
        open_total=open_total,
        recent=[describe_batch(b) for b in recent],
        names={i.code: i.name for i in items},
        when=_when,
    )


@router.get("/provider/upload", response_class=HTMLResponse)
def upload_form(
    request: Request, ctx: ContextDep, actor: ActorDep, item: Key | None = None
) -> Response:
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    items = _my_items(ctx, unit.code)
    return _page(
        request, ctx, actor, unit, "ingest/upload.html", items=items, chosen=item, error=None
    )


@router.post("/provider/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    item: Annotated[Key, Form()],
    file: UploadFile,
) -> Response:
    """Without JavaScript: the same push as /api/ingest/{item}/files, then the batch's page."""
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    try:
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
            provider_code=unit.code,
            item_code=item,
            path=path,
            kind=kind,
            filename=file.filename,
            after=AFTER_PUSH,
        )
    except DomainError as exc:
        items = _my_items(ctx, unit.code)
        return _page(
            request,
            ctx,
            actor,
            unit,
            "ingest/upload.html",
            422,
            items=items,
            chosen=item,
            error=exc,
        )
    return RedirectResponse(f"/provider/batches/{receipt.batch_id}", status_code=303)


@router.get("/provider/batches", response_class=HTMLResponse)
def batches(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    item: Key | None = None,
    on: Annotated[str | None, Query(max_length=10)] = None,
    state: Key | None = None,
    page: PageNumber = 1,
) -> Response:
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    day: dt.date | None = None
    if on:
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            day = None
    with ctx.sessions() as session:
        total, rows = list_batches(
            session,
            actor,
            unit.code,
            item=item or None,
            on=day,
            state=state or None,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
    return _page(
        request,
        ctx,
        actor,
        unit,
        "ingest/batches.html",
        batches=[describe_batch(b) for b in rows],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        items=_my_items(ctx, unit.code),
        names=_item_names(ctx),
        item=item or "",
        on=day.isoformat() if day else "",
        state=state or "",
        states=BATCH_STATE_LABELS,
        when=_when,
    )


def _own_batch(ctx: Context, unit: ProviderUnit, batch_id: int) -> IngestBatch:
    with ctx.sessions() as session:
        row = session.get(IngestBatch, batch_id)
    if row is None or row.provider_code != unit.code:
        raise DomainError(code="ingest.unknown_batch", message=f"批次{batch_id}不存在", status=404)
    return row


@router.get("/provider/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: RowId, ctx: ContextDep, actor: ActorDep) -> Response:
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    receipt = describe_batch(_own_batch(ctx, unit, batch_id))
    return _page(
        request,
        ctx,
        actor,
        unit,
        "ingest/batch.html",
        b=receipt,
        names=_item_names(ctx),
        when=_when,
        ranges=lambda spans: "、".join(f"{a}" if a == z else f"{a}–{z}" for a, z in spans),
    )


def _rule_of(spec: Any, field: str | None, reason: dict[str, Any]) -> str:
    """The rule a refusal applies: its article, else what the catalog requires of the field."""
    labels = [c.get("label") for c in reason.get("citations", []) if c.get("label")]
    if labels:
        return "；".join(labels)
    found = next((f for f in spec.fields if f.name == field), None) if field else None
    if found is None:
        return f"目录项“{spec.name}”的字段规定"
    parts = [TYPE_LABELS.get(found.type, found.type)]
    if found.required:
        parts.append("必填")
    if found.values:
        parts.append("可用取值：" + "、".join(found.values))
    if found.max_length:
        parts.append(f"不超过{found.max_length}字")
    return f"目录规定：{'，'.join(parts)}"


def _as_date(value: str) -> str:
    """A date as a date input holds it (2026-05-10), or "" for text that is no date."""
    try:
        return parse_date(value).isoformat() if value else ""
    except FieldError:
        return ""


def _shown_row(ctx: Context, row: QuarantinedRow) -> dict[str, Any]:
    """One quarantined row as a page shows it: every field (catalog order, then the row's
    extra columns) with its value and the errors on it; a personal field's value masked."""
    described = quarantine.describe(row)
    with ctx.sessions() as session:
        spec = spec_of(get_item(session, row.item_code))
    payload: dict[str, Any] = described["payload"]
    personal = {f.name for f in spec.fields if f.personal}
    errors: dict[str | None, list[dict[str, str]]] = {}
    for reason in described["reasons"]:
        field = reason.get("field")
        errors.setdefault(
            field if field in payload or field in {f.name for f in spec.fields} else None, []
        ).append({"message": reason["message"], "rule": _rule_of(spec, field, reason)})
    names = [f.name for f in spec.fields] + [
        k for k in payload if k not in {f.name for f in spec.fields}
    ]
    kinds = {f.name: f for f in spec.fields}
    fields = []
    for name in names:
        value = "" if payload.get(name) is None else str(payload.get(name))
        found = kinds.get(name)
        kind = found.type if found is not None and name not in personal else "string"
        fields.append(
            {
                "name": name,
                "value": mask_for(name, value) if name in personal and value else value,
                "personal": name in personal,
                "errors": errors.get(name, []),
                "known": found is not None,
                # the form's input: a select list of the catalog's values, a date input, or text
                "input": kind if kind in ("enum", "date") and found is not None else "text",
                "choices": list(found.values or ()) if found is not None else [],
                "date": _as_date(value) if kind == "date" else "",
            }
        )
    return {**described, "fields": fields, "row_errors": errors.get(None, [])}


@router.get("/provider/quarantine", response_class=HTMLResponse)
def quarantine_page(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    item: Key | None = None,
    state: Key | None = "open",
    page: PageNumber = 1,
) -> Response:
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    with ctx.sessions() as session:
        total, rows = quarantine.list_quarantine(
            session,
            actor,
            unit.code,
            state=state or None,
            item=item or None,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
    return _page(
        request,
        ctx,
        actor,
        unit,
        "ingest/quarantine.html",
        rows=[_shown_row(ctx, r) for r in rows],
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        names=_item_names(ctx),
        items=_my_items(ctx, unit.code),
        item=item or "",
        state=state or "",
        states=quarantine.STATE_LABELS,
        when=_when,
    )


def _row_page(
    request: Request,
    ctx: Context,
    actor: Actor,
    unit: ProviderUnit,
    quarantine_id: int,
    *,
    error: DomainError | None = None,
    typed: dict[str, str] | None = None,
    outcome: dict[str, Any] | None = None,
) -> Response:
    with ctx.sessions() as session:
        row = quarantine.get_row(session, actor, quarantine_id)
    return _page(
        request,
        ctx,
        actor,
        unit,
        "ingest/row.html",
        422 if error else 200,
        q=_shown_row(ctx, row),
        names=_item_names(ctx),
        error=error,
        typed=typed or {},
        outcome=outcome,
        prefix=FIX_PREFIX,
        when=_when,
    )


@router.get("/provider/quarantine/{quarantine_id}", response_class=HTMLResponse)
def row_page(request: Request, quarantine_id: RowId, ctx: ContextDep, actor: ActorDep) -> Response:
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    return _row_page(request, ctx, actor, unit, quarantine_id)


@router.post("/provider/quarantine/{quarantine_id}/fix", response_class=HTMLResponse)
async def fix_row(
    request: Request, quarantine_id: RowId, ctx: ContextDep, actor: ActorDep
) -> Response:
    """The form sends every field; only those that differ from the kept row are changed (a
    personal field left blank keeps its value: the page never shows it in full)."""
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    form = await request.form()
    typed = {
        str(k)[len(FIX_PREFIX) :]: str(v).strip()
        for k, v in form.multi_items()
        if str(k).startswith(FIX_PREFIX) and isinstance(v, str)
    }

    def run() -> Response:
        with ctx.sessions() as session:
            row = quarantine.get_row(session, actor, quarantine_id)
            kept = json.loads(row.payload_json)
            spec = spec_of(get_item(session, row.item_code))
        personal = {f.name for f in spec.fields if f.personal}
        dates = {f.name for f in spec.fields if f.type == "date" and not f.personal}
        changed: dict[str, Any] = {}
        for name, value in typed.items():
            before = "" if kept.get(name) is None else str(kept.get(name)).strip()
            if name in personal and not value:
                continue
            if name in dates and _as_date(before) == value and (value or not before):
                continue  # the same date (a date input writes 2026-05-10 for 2026年5月10日)
            if name in dates and not value and before and not _as_date(before):
                continue  # a wrong date the input could not hold, left as it was
            if value != before:
                changed[name] = value
        try:
            if not changed:
                raise DomainError(
                    code="quarantine.nothing_changed", message="没有字段被修改，请先更正出错的字段"
                )
            receipt = quarantine.fix(
                ctx, actor=actor, quarantine_id=quarantine_id, fields=changed, after=AFTER_PUSH
            )
        except DomainError as exc:
            return _row_page(request, ctx, actor, unit, quarantine_id, error=exc, typed=typed)
        return _row_page(
            request,
            ctx,
            actor,
            unit,
            quarantine_id,
            outcome={**receipt.as_dict(), "fields": sorted(changed)},
        )

    return await run_in_threadpool(run)


@router.post("/provider/quarantine/{quarantine_id}/withdraw", response_class=HTMLResponse)
def withdraw_row(
    request: Request,
    quarantine_id: RowId,
    ctx: ContextDep,
    actor: ActorDep,
    reason: Annotated[Text, Form()] = "",
) -> Response:
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    try:
        quarantine.withdraw(ctx, actor=actor, quarantine_id=quarantine_id, reason=reason)
    except DomainError as exc:
        return _row_page(request, ctx, actor, unit, quarantine_id, error=exc)
    return RedirectResponse(f"/provider/quarantine/{quarantine_id}", status_code=303)


@router.get("/provider/timeliness", response_class=HTMLResponse)
def timeliness_page(
    request: Request,
    ctx: ContextDep,
    actor: ActorDep,
    year: CalendarYear | None = None,
) -> Response:
    unit = _unit(ctx, actor)
    if unit is None:
        return _login()
    items = {i.code: i for i in _my_items(ctx, unit.code)}
    with ctx.sessions() as session:
        rows = timeliness(session, unit.code, year)
        for code in {r["item"] for r in rows} - set(items):
            items[code] = get_item(session, code)
    by_item = {r["item"]: r for r in rows}
    table = []
    for code, found in sorted(items.items()):
        counts = by_item.get(code, {"records": 0, "late": 0, "on_time": 0, "on_time_ratio": None})
        ratio = counts["on_time_ratio"]
        table.append(
            {
                "code": code,
                "name": found.name,
                "cycle": _cycle(found),
                **counts,
                "ratio": f"{ratio * 100:.1f}%" if ratio is not None else "—",
            }
        )
    this_year = ctx.today().year
    return _page(
        request,
        ctx,
        actor,
        unit,
        "ingest/timeliness.html",
        table=table,
        year=year,
        years=list(range(this_year, this_year - 5, -1)),
        total=sum(r["records"] for r in table),
        late=sum(r["late"] for r in table),
    )
