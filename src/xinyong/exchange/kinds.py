"""What travels between platforms, kind by kind. Each kind says how its outbox rows become
message items and how received items are applied; `records.py` is the record kind, and other
kinds (list entries, measures, case outcomes) register here the same way.

A message item (JSON):
    {"uid": "record:230100:HRB-SCJG|HLJ-CF-001|K1:2",   # the change, the same on every node
     "kind": "record", "origin": "230100",               # the platform that is its authority
     "ref": "HRB-SCJG|HLJ-CF-001|K1", "version": 2,       # what it is about, at the origin
     "aggregated_on": "2026-09-30",                       # HLJ 21 ¶2
     "body": {...}}                                       # the kind's content
A receipt item: {"uid": ..., "status": "applied" | "unchanged" | "refused",
                 "reasons": [{"code": ..., "message": "（中文，含条款）"}]}"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from xinyong.context import Context
from xinyong.exchange.models import OutboxItem, Peer

APPLIED, UNCHANGED, REFUSED = "applied", "unchanged", "refused"


@dataclass
class ItemResult:
    uid: str
    status: str  # APPLIED | UNCHANGED | REFUSED
    reasons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "status": self.status, "reasons": self.reasons}


class Kind(Protocol):
    name: str

    def items(self, session: Session, ctx: Context, rows: list[OutboxItem]) -> list[dict[str, Any]]:
        """The message items for these outbox rows of this kind, in their order."""
        ...

    def apply(
        self, session: Session, ctx: Context, sender: Peer, items: list[dict[str, Any]]
    ) -> list[ItemResult]:
        """Apply received items (already checked: signed by `sender`, not seen before), in
        the caller's transaction; one result per item, in their order."""
        ...


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    KINDS[kind.name] = kind
