"""Chinese pages: the staff's exchange page (/staff/exchange: per peer, what waits, what is
overdue under HLJ 21 ¶2, what the peer refused, with retry and withdraw) and the
administrators' registry of peers (/admin/peers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from xinyong.common.errors import DomainError
from xinyong.common.inputs import IntRowId
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.exchange import clocks, peers
from xinyong.exchange.signing import public_key_hex
from xinyong.web.deps import AdminDep, ContextDep, Router, SessionDep, StaffDep
from xinyong.web.layout import templates

router = Router(include_in_schema=False)


def _exchange_page(
    request: Request,
    ctx: Context,
    session: Session,
    actor: Actor,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    today = ctx.today()
    return templates.TemplateResponse(
        request,
        "exchange/staff_exchange.html",
        {
            "ctx": ctx,
            "actor": actor,
            "rows": clocks.status(session, ctx),
            "late": clocks.overdue(session, ctx, today, limit=200),
            "today": today,
            "done": done,
            "error": error,
        },
        status_code=status,
    )


@router.get("/staff/exchange", response_class=HTMLResponse)
def exchange_page(
    request: Request, ctx: ContextDep, session: SessionDep, actor: StaffDep
) -> Response:
    return _exchange_page(request, ctx, session, actor)


@router.post("/staff/exchange", response_class=HTMLResponse)
def exchange_action(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: StaffDep,
    action: Annotated[str, Form(max_length=16)],
    item_id: Annotated[IntRowId, Form()],
) -> Response:
    """retry / withdraw a refused item, from the page's forms (each with its CSRF token)."""
    try:
        if action == "retry":
            clocks.retry(session, ctx, actor, item_id)
            done = f"第{item_id}条已重新排入推送队列"
        elif action == "withdraw":
            clocks.withdraw(session, ctx, actor, item_id)
            done = f"第{item_id}条已撤回，不再推送"
        else:
            raise DomainError(code="exchange.unknown_action", message="未知的操作")
    except DomainError as refused:
        return _exchange_page(
            request, ctx, session, actor, error=refused.message, status=refused.status
        )
    return _exchange_page(request, ctx, session, actor, done=done)


def _peers_page(
    request: Request,
    ctx: Context,
    session: Session,
    actor: Actor,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request,
        "exchange/admin_peers.html",
        {
            "ctx": ctx,
            "actor": actor,
            "peers": peers.listed(session),
            "relations": peers.RELATIONS,
            "public_key": public_key_hex(ctx.settings),
            "moment_text": clocks.moment_text,
            "done": done,
            "error": error,
        },
        status_code=status,
    )


@router.get("/admin/peers", response_class=HTMLResponse)
def peers_page(request: Request, ctx: ContextDep, session: SessionDep, actor: AdminDep) -> Response:
    return _peers_page(request, ctx, session, actor)


@router.post("/admin/peers", response_class=HTMLResponse)
def peers_action(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: AdminDep,
    action: Annotated[str, Form(max_length=16)],
    code: Annotated[str, Form(max_length=6)],
    name: Annotated[str, Form(max_length=200)] = "",
    relation: Annotated[str, Form(max_length=8)] = "upper",
    url: Annotated[str, Form(max_length=500)] = "",
    public_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """add (register or change) / remove a peer, from the page's forms."""
    try:
        if action == "add":
            peer = peers.add(
                session,
                ctx,
                actor=actor,
                code=code,
                name=name,
                relation=relation,
                url=url,
                public_key=public_key,
            )
            done = f"已登记{peers.RELATIONS[peer.relation]}“{peer.name}”（{peer.code}）"
        elif action == "remove":
            peer = peers.remove(session, ctx, actor=actor, code=code)
            done = f"已停止与“{peer.name}”（{peer.code}）交换，历史记录保留"
        else:
            raise DomainError(code="exchange.unknown_action", message="未知的操作")
    except DomainError as refused:
        return _peers_page(
            request, ctx, session, actor, error=refused.message, status=refused.status
        )
    return _peers_page(request, ctx, session, actor, done=done)
