"""/api/exchange/messages: where peers deliver their signed messages (no user account: the
sender's registered key is its authority); /api/exchange/status: the exchange's state per peer
(staff); /api/admin/peers: register, change, list and remove peers (administrators)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import anyio.to_thread
from fastapi import Header, Path, Request
from fastapi.responses import Response

from xinyong.common.errors import DomainError
from xinyong.context import Context
from xinyong.exchange import clocks, peers, service
from xinyong.exchange.models import Peer
from xinyong.exchange.schemas import (
    ExchangeStatusOut,
    PeerIn,
    PeerOut,
    PeersOut,
    PeerStatusOut,
    RefusedItemOut,
)
from xinyong.exchange.signing import SENDER_HEADER, SIGNATURE_HEADER, public_key_hex
from xinyong.web.deps import AdminDep, ContextDep, Router, SessionDep, StaffDep
from xinyong.web.errors import error_responses

router = Router(tags=["平台交换"])


@router.post(
    "/api/exchange/messages",
    summary="接收其他平台推送的交换报文",
    description=(
        "已登记的上级或下级平台以其交换私钥签名报文（请求头 X-Xinyong-Sender、"
        "X-Xinyong-Signature），本平台逐条校验并应用，答复逐条回执（已应用、无变化、拒收及理由），"
        "回执以本平台交换私钥签名（响应头 X-Xinyong-Signature）。格式见 docs/exchange.md。"
        + service.FORMAT_NOTE
    ),
    responses={
        200: {"description": "签名回执", "content": {"application/json": {}}},
        **error_responses(401, 403, 409, 413, 422),
    },
    response_class=Response,
)
async def receive_message(
    request: Request,
    ctx: ContextDep,
    sender: Annotated[str, Header(alias=SENDER_HEADER, max_length=12)] = "",
    signature: Annotated[str, Header(alias=SIGNATURE_HEADER, max_length=256)] = "",
) -> Response:
    body = await request.body()

    def apply() -> tuple[bytes, str]:
        with ctx.sessions() as session, session.begin():
            return service.receive(session, ctx, sender, body, signature)

    try:
        receipt, receipt_signature = await anyio.to_thread.run_sync(apply)
    except DomainError as refused:
        await anyio.to_thread.run_sync(service.log_refusal, ctx, sender, refused, len(body))
        raise
    return Response(
        receipt, media_type="application/json", headers={SIGNATURE_HEADER: receipt_signature}
    )


@router.get(
    "/api/exchange/status",
    summary="各交换平台的推送状态（待推送、逾期、被拒收、积压）",
    response_model=ExchangeStatusOut,
)
def exchange_status(ctx: ContextDep, session: SessionDep, actor: StaffDep) -> ExchangeStatusOut:
    """Overdue items are those still pending after their HLJ 21 ¶2 due day (HLJ 51)."""
    rows = clocks.status(session, ctx)
    return ExchangeStatusOut(
        platform=ctx.platform.code,
        on=ctx.today(),
        peers=[
            PeerStatusOut(
                **{
                    f.name: getattr(p, f.name)
                    for f in dataclasses.fields(p)
                    if f.name != "refused_items"
                },
                lag=p.lag,
                refused_items=[RefusedItemOut(**dataclasses.asdict(i)) for i in p.refused_items],
            )
            for p in rows
        ],
    )


def _peer_out(peer: Peer) -> PeerOut:
    return PeerOut(
        code=peer.code,
        name=peer.name,
        relation=peer.relation,
        relation_label=peers.RELATIONS.get(peer.relation, peer.relation),
        url=peer.url,
        public_key=peer.public_key,
        active=peer.active,
        last_success_at=peer.last_success_at,
    )


def peers_out(ctx: Context, rows: list[Peer]) -> PeersOut:
    return PeersOut(
        platform=ctx.platform.code,
        platform_name=ctx.platform.name,
        public_key=public_key_hex(ctx.settings),
        peers=[_peer_out(p) for p in rows],
    )


@router.get("/api/admin/peers", summary="本平台的交换平台与本平台公钥", response_model=PeersOut)
def list_peers(ctx: ContextDep, session: SessionDep, actor: AdminDep) -> PeersOut:
    return peers_out(ctx, peers.listed(session))


@router.post(
    "/api/admin/peers",
    summary="登记或变更交换平台",
    response_model=PeerOut,
    responses=error_responses(422),
)
def add_peer(body: PeerIn, ctx: ContextDep, session: SessionDep, actor: AdminDep) -> PeerOut:
    peer = peers.add(
        session,
        ctx,
        actor=actor,
        code=body.code,
        name=body.name,
        relation=body.relation,
        url=body.url,
        public_key=body.public_key,
    )
    return _peer_out(peer)


@router.delete(
    "/api/admin/peers/{code}",
    summary="停止与交换平台交换（历史保留）",
    response_model=PeerOut,
    responses=error_responses(404),
)
def remove_peer(
    code: Annotated[str, Path(max_length=6)], ctx: ContextDep, session: SessionDep, actor: AdminDep
) -> PeerOut:
    return _peer_out(peers.remove(session, ctx, actor=actor, code=code))
