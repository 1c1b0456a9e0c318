"""The registry of peers: this node's upper platform (at most one) and its lower ones (HLJ 6 ¶1:
each city platform connects to the province's, the province's to the national one; HRB 7)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.errors import DomainError, NotFound
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.exchange.models import Peer
from xinyong.exchange.signing import valid_public_key

RELATIONS = {"upper": "上级平台", "lower": "下级平台"}


def add(
    session: Session,
    ctx: Context,
    *,
    actor: Actor,
    code: str,
    name: str,
    relation: str,
    url: str,
    public_key: str,
) -> Peer:
    """Register a peer, or change the URL, name or key of one registered."""
    code, name, url = code.strip(), name.strip(), url.strip().rstrip("/")
    if len(code) != 6 or not code.isdigit():
        raise DomainError(code="exchange.peer_code", message="平台代码应为6位行政区划代码")
    if code == ctx.settings.platform:
        raise DomainError(code="exchange.peer_self", message="不能把本平台登记为交换对象")
    if relation not in RELATIONS:
        raise DomainError(code="exchange.relation", message="交换关系应为上级平台或下级平台")
    if not name:
        raise DomainError(code="exchange.peer_name", message="平台名称不能为空")
    if not url.startswith(("http://", "https://")):
        raise DomainError(code="exchange.peer_url", message="交换地址应以 http:// 或 https:// 开头")
    try:
        key = valid_public_key(public_key)
    except ValueError as exc:
        raise DomainError(code="exchange.public_key", message=str(exc)) from None
    if relation == "upper":
        other = session.scalar(
            select(Peer).where(Peer.relation == "upper", Peer.active, Peer.code != code)
        )
        if other is not None:
            raise DomainError(
                code="exchange.one_upper",
                message=f"本平台已登记上级平台“{other.name}”，一个平台只有一个上级平台",
            )
    peer = session.get(Peer, code)
    if peer is None:
        peer = Peer(code=code, created_at=ctx.clock.now(), seq_out=0, seq_in=0)
        session.add(peer)
    peer.name, peer.relation, peer.url, peer.public_key, peer.active = (
        name,
        relation,
        url,
        key,
        True,
    )
    session.flush()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.EXCHANGE_PEER_ADD,
        object_type="exchange_peer",
        object_id=code,
        detail={"name": name, "relation": relation, "url": url, "public_key": key},
    )
    return peer


def remove(session: Session, ctx: Context, *, actor: Actor, code: str) -> Peer:
    """A removed peer is kept (its history explains what was sent) but no longer active:
    nothing more is sent to it or accepted from it."""
    peer = session.get(Peer, code.strip())
    if peer is None or not peer.active:
        raise NotFound("exchange.unknown_peer", "未登记该交换平台")
    peer.active = False
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.EXCHANGE_PEER_REMOVE,
        object_type="exchange_peer",
        object_id=peer.code,
    )
    return peer


def listed(session: Session) -> list[Peer]:
    return list(session.scalars(select(Peer).where(Peer.active).order_by(Peer.relation, Peer.code)))


def active(session: Session, code: str) -> Peer | None:
    peer = session.get(Peer, code)
    return peer if peer is not None and peer.active else None


def upper(session: Session) -> Peer | None:
    return session.scalar(select(Peer).where(Peer.relation == "upper", Peer.active))
