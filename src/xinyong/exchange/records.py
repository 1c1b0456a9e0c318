"""The record kind: a version of a credit record, sent up to the upper platform and applied
there as ingestion would apply it.

The receiver validates the record's fields against its own catalog as of today, under the law
of the record's origin platform (`origin_rules`: the receiver's law and the local law that bound
the collection; the same `RowValidator` a provider's push goes through); a record it cannot
accept is refused with the validator's reasons, and waits in the sender's exchange quarantine.
A received record keeps the origin's provider code, item code and record key, and notes its
origin platform and its version there: a version that is not newer than the one held changes
nothing (a re-delivered message, or versions arriving out of order). Natural persons' consents
(HLJ 20) are checked where the information was collected, by the origin platform; they are not
sent."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from xinyong.catalog.service import get_item, spec_of
from xinyong.common.errors import DomainError
from xinyong.context import Context
from xinyong.exchange.kinds import APPLIED, REFUSED, UNCHANGED, ItemResult, register
from xinyong.exchange.models import OutboxItem, Peer
from xinyong.exchange.outbox import RECORD, record_ref, split_ref
from xinyong.ingest.validate import Rejected, RowValidator
from xinyong.law.rules import RuleSet
from xinyong.records import store
from xinyong.records.models import CreditRecord
from xinyong.subjects.service import ensure_subjects

#: the states a received version may carry (what the origin's record can be in)
STATES = frozenset({"active", "withdrawn", "repaired", "corrected"})
CHANGES = frozenset({"new", "update", "correction", "withdrawal", "repair", "objection"})


def uid(origin: str, ref: str, version: int) -> str:
    return f"{RECORD}:{origin}:{ref}:{version}"


def _item(record: CreditRecord, origin: str, version: int) -> dict[str, Any]:
    ref = record_ref(record.provider_code, record.item_code, record.record_key)
    return {
        "uid": uid(origin, ref, version),
        "kind": RECORD,
        "origin": origin,
        "ref": ref,
        "version": version,
        "aggregated_on": None,
        "body": {
            "provider_code": record.provider_code,
            "item_code": record.item_code,
            "record_key": record.record_key,
            "payload": json.loads(record.payload_json),
            "state": record.state,
            "change": record.change,
            "decided_on": record.decided_on.isoformat() if record.decided_on else None,
            "valid_from": record.valid_from.isoformat(),
            "reason": record.reason,
        },
    }


def _refused(item_uid: str, code: str, message: str) -> ItemResult:
    return ItemResult(item_uid, REFUSED, [{"code": code, "message": message}])


class RecordKind:
    name = RECORD

    def items(self, session: Session, ctx: Context, rows: list[OutboxItem]) -> list[dict[str, Any]]:
        keys = [store.VersionKey(*split_ref(r.ref), r.ref_version) for r in rows]
        found = store.versions_by_key(session, keys)
        here = ctx.settings.platform
        out = []
        for row, key in zip(rows, keys, strict=True):
            record = found.get(key)
            if record is None:  # cannot happen: versions are never deleted
                raise RuntimeError(f"outbox {row.id}: no version {key}")
            origin = record.origin_platform or here
            version = record.origin_version or record.version
            item = _item(record, origin, version)
            item["aggregated_on"] = row.aggregated_on.isoformat()
            out.append(item)
        return out

    def apply(
        self, session: Session, ctx: Context, sender: Peer, items: list[dict[str, Any]]
    ) -> list[ItemResult]:
        results: dict[int, ItemResult] = {}
        groups: dict[tuple[str, str, str], list[int]] = {}
        for index, item in enumerate(items):
            item_uid = str(item.get("uid", ""))
            body = item.get("body")
            if not isinstance(body, dict) or not isinstance(item.get("version"), int):
                results[index] = _refused(item_uid, "exchange.malformed", "报文条目格式不正确")
                continue
            if item.get("origin") == ctx.settings.platform:
                results[index] = _refused(
                    item_uid, "exchange.own_record", "该记录由本平台归集，不接收其他平台的副本"
                )
                continue
            key = (
                str(item.get("origin", "")),
                str(body.get("provider_code", "")),
                str(body.get("item_code", "")),
            )
            groups.setdefault(key, []).append(index)
        today, now = ctx.today(), ctx.clock.now()
        rows: list[dict[str, Any]] = []
        subjects: dict[str, dict[str, Any]] = {}
        close: list[int] = []
        for (origin_code, provider_code, item_code), indexes in groups.items():
            try:
                rules = origin_rules(ctx, origin_code)
            except DomainError:
                for i in indexes:
                    results[i] = _refused(
                        items[i]["uid"],
                        "exchange.unknown_origin",
                        f"未知的归集平台“{origin_code[:12]}”，无从确定其适用的法规",
                    )
                continue
            try:
                catalog_item = get_item(session, item_code)
            except DomainError:
                for i in indexes:
                    results[i] = _refused(
                        items[i]["uid"],
                        "exchange.unknown_item",
                        f"本平台目录中没有信息项“{item_code}”（《黑龙江省社会信用条例》第十八条："
                        "按目录归集）",
                    )
                continue
            spec = spec_of(catalog_item)
            validator = RowValidator(spec, rules, today)
            held = store.held_versions(
                session,
                provider_code,
                item_code,
                {items[i]["body"].get("record_key", "") for i in indexes},
            )
            for i in indexes:
                item, body = items[i], items[i]["body"]
                result = validator.validate(i, body.get("payload") or {})
                if isinstance(result, Rejected):
                    results[i] = ItemResult(
                        item["uid"],
                        REFUSED,
                        [{"code": r.code, "message": r.message} for r in result.reasons],
                    )
                    continue
                state = str(body.get("state", "active"))
                change = str(body.get("change", "new"))
                if result.record_key != body.get("record_key") or state not in STATES:
                    results[i] = _refused(
                        item["uid"], "exchange.inconsistent", "记录键或状态与记录内容不一致"
                    )
                    continue
                current = held.get(result.record_key)
                origin, version = str(item["origin"]), int(item["version"])
                if current is not None:
                    if current.origin_platform is None:
                        results[i] = _refused(
                            item["uid"],
                            "exchange.own_record",
                            "本平台已由信息提供单位直接归集同一记录，不以其他平台的副本覆盖",
                        )
                        continue
                    if (current.origin_version or 0) >= version or (
                        current.payload_hash == result.payload_hash and current.state == state
                    ):
                        results[i] = ItemResult(item["uid"], UNCHANGED)
                        continue
                    close.append(current.id)
                held[result.record_key] = store.HeldVersion(
                    -1,
                    (current.version if current else 0) + 1,
                    result.payload_hash,
                    state,
                    origin,
                    version,
                )
                decided = result.decided_on
                rows.append(
                    {
                        "subject_key": result.subject_key,
                        "provider_code": provider_code,
                        "item_code": item_code,
                        "item_version": catalog_item.version,
                        "record_key": result.record_key,
                        "version": (current.version if current else 0) + 1,
                        "is_current": True,
                        "category": spec.category,
                        "nature": spec.nature,
                        "severity": spec.severity,
                        "title": f"{spec.name}（{result.record_key}）"[:300],
                        "decided_on": decided,
                        "payload_json": result.payload_json,
                        "payload_hash": result.payload_hash,
                        "state": state,
                        "change": change if change in CHANGES else "update",
                        "valid_from": _date(body.get("valid_from")) or decided or today,
                        "valid_to": None,
                        "recorded_at": now,
                        "superseded_at": None,
                        "batch_id": None,
                        "arrival_due_on": None,
                        "late": None,
                        "discovered_on": None,
                        "correction_due_on": None,
                        "correction_on_time": None,
                        "reason": body.get("reason"),
                        "synthetic": False,
                        "origin_platform": origin,
                        "origin_version": version,
                    }
                )
                results[i] = ItemResult(item["uid"], APPLIED)
                subjects.setdefault(
                    result.subject_key,
                    {
                        "subject_key": result.subject_key,
                        "kind": result.subject_kind,
                        "id_type": result.id_type,
                        "name": result.subject_name[:200],
                        "region_code": result.region_code,
                        "state": "active",
                        "synthetic": False,
                        "created_at": now,
                    },
                )
        # two versions of one record in one message: only the newest stays current
        last: dict[tuple[str, str, str], int] = {}
        for n, row in enumerate(rows):
            natural = (row["provider_code"], row["item_code"], row["record_key"])
            if natural in last:
                earlier = rows[last[natural]]
                earlier.update(is_current=False, superseded_at=now, valid_to=today)
            last[natural] = n
        ensure_subjects(session, list(subjects.values()))
        store.close_versions(session, close, now, today)
        store.append_versions(session, rows)
        return [results[i] for i in range(len(items))]


_ORIGIN_RULES: dict[tuple[int, str], RuleSet] = {}


def origin_rules(ctx: Context, origin: str) -> RuleSet:
    """The rule set a received record is validated under: that of its origin platform, where
    it was collected. A lower platform's chain of law packs contains its upper's (the city's:
    national, Heilongjiang, Harbin), so this is the receiver's law and the local law that bound
    the collection; the national platform's own packs alone have no provincial catalog rules
    (HLJ 18), and a record from Harbin could not be validated there under them."""
    if origin == ctx.settings.platform:
        return ctx.rules
    key = (id(ctx.library), origin)
    found = _ORIGIN_RULES.get(key)
    if found is None:
        found = _ORIGIN_RULES[key] = ctx.library.ruleset(origin)
    return found


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


register(RecordKind())
