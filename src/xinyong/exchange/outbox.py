"""The transactional outbox: what a peer must learn is queued in the same transaction as the
change, so nothing changes without being queued and nothing rolled back is ever sent.

Record versions (accepted, updated, corrected, withdrawn, repaired...) go to the upper platform
(HLJ 21 ¶2: a city forwards what it aggregated to the province; HLJ 6 ¶1: the province to the
national platform). The outbox row names the version by its natural key; the version itself is
read when it is sent (versions never change). Other kinds (list entries, measures, case
outcomes) are queued with their payload by `enqueue`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from xinyong.common.clock import PLATFORM_TZ
from xinyong.context import session_rules
from xinyong.db import table_of
from xinyong.exchange.clocks import forward_due
from xinyong.exchange.models import OutboxItem, Peer
from xinyong.records import store

RECORD = "record"
_outbox = table_of(OutboxItem)
_INSERT = insert(_outbox)
SEP = "|"


def record_ref(provider_code: str, item_code: str, record_key: str) -> str:
    """A record's natural key as the outbox names it."""
    return SEP.join((provider_code, item_code, record_key))


def split_ref(ref: str) -> tuple[str, str, str]:
    provider_code, item_code, record_key = ref.split(SEP, 2)
    return provider_code, item_code, record_key


def _upper(session: Session) -> str | None:
    return session.scalar(select(Peer.code).where(Peer.relation == "upper", Peer.active))


def on_versions(session: Session, keys: list[store.VersionKey], now: dt.datetime) -> None:
    """Queue every version written for the upper platform, if this node has one, each with its
    HLJ 21 ¶2 due day (computed once per call: every version of a call is aggregated the same
    day; none where no statutory clock binds this platform)."""
    peer = _upper(session)
    if peer is None:
        return
    aggregated_on = now.astimezone(PLATFORM_TZ).date()
    clock = forward_due(session, session_rules(session), aggregated_on)
    due_on = clock.due if clock is not None else None
    provisional = clock.provisional if clock is not None else False
    session.connection().execute(
        _INSERT,
        [
            {
                "peer_code": peer,
                "kind": RECORD,
                "ref": record_ref(k.provider_code, k.item_code, k.record_key),
                "ref_version": k.version,
                "payload_json": None,
                "created_at": now,
                "aggregated_on": aggregated_on,
                "due_on": due_on,
                "due_provisional": provisional,
                "state": "pending",
                "attempts": 0,
            }
            for k in keys
        ],
    )


def enqueue(
    session: Session,
    *,
    kind: str,
    ref: str,
    version: int,
    payload: dict[str, Any],
    now: dt.datetime,
    peers: list[str],
) -> None:
    """Queue an item that is not a record version (its payload kept as it is now) for `peers`."""
    if not peers:
        return
    aggregated_on = now.astimezone(PLATFORM_TZ).date()
    body = orjson.dumps(payload).decode()
    session.connection().execute(
        _INSERT,
        [
            {
                "peer_code": peer,
                "kind": kind,
                "ref": ref,
                "ref_version": version,
                "payload_json": body,
                "created_at": now,
                "aggregated_on": aggregated_on,
                "due_on": None,
                "due_provisional": False,
                "state": "pending",
                "attempts": 0,
            }
            for peer in peers
        ],
    )


if on_versions not in store.ON_VERSIONS:
    store.ON_VERSIONS.append(on_versions)
