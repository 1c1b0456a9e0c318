"""/api/exchange/status: the exchange's state per peer (staff); /api/admin/peers: register,
change, list and remove peers (administrators)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Path

from xinyong.context import Context
from xinyong.exchange import clocks, peers
from xinyong.exchange.models import Peer
from xinyong.exchange.schemas import (
    ExchangeStatusOut,
    PeerIn,
    PeerOut,
    PeersOut,
    PeerStatusOut,
    RefusedItemOut,
)
from xinyong.exchange.signing import public_key_hex
from xinyong.web.deps import AdminDep, ContextDep, Router, SessionDep, StaffDep
from xinyong.web.errors import error_responses

router = Router(tags=["平台交换"])


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
