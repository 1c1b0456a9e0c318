"""The statutory forwarding clock (HLJ 21 ¶2) and the exchange's state per peer.

A city's public credit work agency forwards what it aggregated to the province's platform within
the working days `platform.city_forward_to_province` fixes (3, HLJ 21 ¶2), counted from the day
it was aggregated (the start day not counted, 民法典 art. 201) on the working-day calendar. Each
outbox row of kind `record` for the upper platform carries its due day, computed once per call
when it is queued (`outbox.on_versions`); on the province forwarding to the national platform no
statutory clock is known and the due day stays empty. A receipt settles the row; a row still
pending after its due day is overdue: missing it is an offence under HLJ 51 (1) (未按照规定归集、
共享公共信用信息), flagged for staff on /staff/exchange, by `xinyong jobs run` (once per row) and
by `xinyong exchange status`. Refused rows are the exchange's quarantine: staff retry or withdraw
them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from xinyong.audit.tags import AuditTag
from xinyong.common.clock import PLATFORM_TZ
from xinyong.common.errors import Citation, DomainError, NotFound
from xinyong.common.roles import Actor
from xinyong.context import Context
from xinyong.deadlines.service import load_calendar
from xinyong.exchange.models import OutboxItem, Peer
from xinyong.exchange.peers import RELATIONS
from xinyong.law.rules import RuleAnswer, RuleSet
from xinyong.law.workdays import DueDate

FORWARD_RULE = "platform.city_forward_to_province"
#: the level whose platform the forwarding clock binds (a city forwarding to the province)
CLOCK_LEVEL = "city"
NO_CLOCK = "法规未规定时限"
HLJ_51 = Citation(instrument="黑龙江省社会信用条例", article=51, item=1)
PENDING, REFUSED, WITHDRAWN = "pending", "refused", "withdrawn"
#: how many refused items the page and the status list per peer
REFUSED_SHOWN = 200


def forward_rule(rules: RuleSet | None, aggregated_on: dt.date) -> RuleAnswer | None:
    """The HLJ 21 ¶2 rule binding this platform as of a day, None where no clock is known (a
    province or the national platform, or a day before the rule was in force)."""
    if rules is None or rules.platform.level != CLOCK_LEVEL or not rules.leaves(FORWARD_RULE):
        return None
    try:
        return rules.get(FORWARD_RULE, aggregated_on)
    except DomainError:  # not yet in force on that day
        return None


def forward_due(session: Session, rules: RuleSet | None, aggregated_on: dt.date) -> DueDate | None:
    """The day by which what was aggregated on `aggregated_on` must reach the upper platform."""
    answer = forward_rule(rules, aggregated_on)
    if answer is None:
        return None
    return load_calendar(session).add_working_days(aggregated_on, int(answer.value))


def clock_text(rules: RuleSet, on: dt.date) -> str:
    """The clock in words, with its article, or that the law sets none."""
    answer = forward_rule(rules, on)
    if answer is None:
        return NO_CLOCK
    cites = "；".join(c.label() for c in answer.citations)
    return f"自归集之日起{answer.value}{answer.unit_label}内推送（{cites}）"


def overdue_article(rules: RuleSet, on: dt.date) -> str:
    """What an overdue item means in law: the clock's article and HLJ 51's words."""
    answer = forward_rule(rules, on)
    if answer is None:
        return ""
    cites = "；".join(c.label() for c in answer.citations)
    return (
        f"逾期未推送，违反{cites}；属{HLJ_51.label()}“未按照规定采集、归集、共享、开放、应用"
        "公共信用信息”的情形，由有权机关责令改正"
    )


def _overdue_where(on: dt.date) -> Any:
    return (OutboxItem.state == PENDING) & (OutboxItem.due_on < on)


@dataclass
class OverdueItem:
    id: int
    peer_code: str
    ref: str
    version: int
    aggregated_on: dt.date
    due_on: dt.date
    provisional: bool


def overdue(session: Session, ctx: Context, on: dt.date, *, limit: int = 1000) -> list[OverdueItem]:
    """Items still pending after their due day (a day past `due_on`, not on it), oldest first."""
    rows = session.execute(
        select(
            OutboxItem.id,
            OutboxItem.peer_code,
            OutboxItem.ref,
            OutboxItem.ref_version,
            OutboxItem.aggregated_on,
            OutboxItem.due_on,
            OutboxItem.due_provisional,
        )
        .where(_overdue_where(on))
        .order_by(OutboxItem.due_on, OutboxItem.id)
        .limit(limit)
    ).all()
    return [
        OverdueItem(
            id=r.id,
            peer_code=r.peer_code,
            ref=r.ref,
            version=r.ref_version,
            aggregated_on=r.aggregated_on,
            due_on=r.due_on or on,  # never None: due_on < on selected it
            provisional=r.due_provisional,
        )
        for r in rows
    ]


def flag_overdue(session: Session, ctx: Context, *, actor: Actor) -> dict[str, int]:
    """`xinyong jobs run`: flag, once each, the items that went overdue; one audit entry per
    peer naming how many and the article. Set-based and idempotent."""
    today, now = ctx.today(), ctx.clock.now()
    done: dict[str, int] = {}
    codes = session.scalars(
        select(OutboxItem.peer_code)
        .where(_overdue_where(today), OutboxItem.overdue_flagged_at.is_(None))
        .distinct()
    ).all()
    for code in sorted(codes):
        result = session.execute(
            update(OutboxItem)
            .where(
                OutboxItem.peer_code == code,
                _overdue_where(today),
                OutboxItem.overdue_flagged_at.is_(None),
            )
            .values(overdue_flagged_at=now)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            done[code] = count
            ctx.log(
                session,
                actor=actor,
                action=AuditTag.EXCHANGE_ITEM_OVERDUE,
                object_type="exchange_peer",
                object_id=code,
                detail={"count": count, "on": today.isoformat(), "article": HLJ_51.label()},
            )
    return done


# -- the state per peer ------------------------------------------------------------------------


@dataclass
class RefusedItem:
    id: int
    kind: str
    ref: str
    version: int
    aggregated_on: dt.date
    reasons: list[str]
    attempts: int


@dataclass
class PeerStatus:
    code: str
    name: str
    relation: str  # in Chinese
    active: bool
    pending: int
    oldest_pending: dt.date | None
    overdue: int
    refused: int
    last_success_at: dt.datetime | None
    lag_seconds: int | None
    clock: str
    overdue_article: str
    refused_items: list[RefusedItem] = field(default_factory=list)

    @property
    def lag(self) -> str:
        return lag_text(self.lag_seconds)

    @property
    def last_success(self) -> str:
        return moment_text(self.last_success_at)


def moment_text(moment: dt.datetime | None) -> str:
    """A moment in the platform's time zone, to the minute; 尚无 where there is none."""
    if moment is None:
        return "尚无"
    return _aware(moment).astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")


def lag_text(seconds: int | None) -> str:
    """A lag in Chinese: 2天3小时 / 3小时5分钟 / 5分钟 / 不足1分钟; 无积压 where none."""
    if seconds is None:
        return "无积压"
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{minutes}分钟"
    return f"{minutes}分钟" if minutes else "不足1分钟"


def _reasons(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError:
        return [text]
    if not isinstance(raw, list):
        raw = [raw]
    out = []
    for reason in raw:
        if isinstance(reason, dict):
            out.append(str(reason.get("message") or reason.get("code") or ""))
        else:
            out.append(str(reason))
    return [r for r in out if r]


def status(session: Session, ctx: Context) -> list[PeerStatus]:
    """Per peer: pending, oldest pending, overdue, refused (with the receiver's reasons), last
    success, lag (now − the oldest pending item's queuing). One grouped query for the counts."""
    now, today = ctx.clock.now(), ctx.today()
    counts = {
        row.peer_code: row
        for row in session.execute(
            select(
                OutboxItem.peer_code,
                func.sum(case((OutboxItem.state == PENDING, 1), else_=0)).label("pending"),
                func.min(case((OutboxItem.state == PENDING, OutboxItem.aggregated_on))).label(
                    "oldest_on"
                ),
                func.min(case((OutboxItem.state == PENDING, OutboxItem.created_at))).label(
                    "oldest_at"
                ),
                func.sum(case((_overdue_where(today), 1), else_=0)).label("overdue"),
                func.sum(case((OutboxItem.state == REFUSED, 1), else_=0)).label("refused"),
            )
            .where(OutboxItem.state.in_((PENDING, REFUSED)))
            .group_by(OutboxItem.peer_code)
        )
    }
    peers = {p.code: p for p in session.scalars(select(Peer))}
    codes = sorted(
        (c for c in peers if peers[c].active or c in counts),
        key=lambda c: (peers[c].relation, c),
    )
    clock, article = clock_text(ctx.rules, today), overdue_article(ctx.rules, today)
    out = []
    for code in codes:
        peer, row = peers[code], counts.get(code)
        oldest_at = _aware(row.oldest_at) if row is not None and row.oldest_at else None
        upper = peer.relation == "upper"
        entry = PeerStatus(
            code=code,
            name=peer.name,
            relation=RELATIONS.get(peer.relation, peer.relation),
            active=peer.active,
            pending=int(row.pending or 0) if row is not None else 0,
            oldest_pending=row.oldest_on if row is not None else None,
            overdue=int(row.overdue or 0) if row is not None else 0,
            refused=int(row.refused or 0) if row is not None else 0,
            last_success_at=_aware(peer.last_success_at) if peer.last_success_at else None,
            lag_seconds=int((now - oldest_at).total_seconds()) if oldest_at else None,
            clock=clock if upper else NO_CLOCK,
            overdue_article=article if upper else "",
        )
        if entry.refused:
            entry.refused_items = refused_items(session, code)
        out.append(entry)
    return out


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def refused_items(session: Session, peer_code: str) -> list[RefusedItem]:
    rows = session.execute(
        select(
            OutboxItem.id,
            OutboxItem.kind,
            OutboxItem.ref,
            OutboxItem.ref_version,
            OutboxItem.aggregated_on,
            OutboxItem.reasons_json,
            OutboxItem.attempts,
        )
        .where(OutboxItem.peer_code == peer_code, OutboxItem.state == REFUSED)
        .order_by(OutboxItem.id)
        .limit(REFUSED_SHOWN)
    ).all()
    return [
        RefusedItem(
            id=r.id,
            kind=r.kind,
            ref=r.ref,
            version=r.ref_version,
            aggregated_on=r.aggregated_on,
            reasons=_reasons(r.reasons_json),
            attempts=r.attempts,
        )
        for r in rows
    ]


# -- the exchange quarantine: retry or withdraw a refused item --------------------------------


def _refused(session: Session, item_id: int) -> OutboxItem:
    item = session.get(OutboxItem, item_id, with_for_update=True)
    if item is None:
        raise NotFound("exchange.unknown_item", "没有该推送条目")
    if item.state != REFUSED:
        raise DomainError(
            code="exchange.not_refused",
            message="只有被对方平台拒收的条目才能重新推送或撤回",
            status=409,
        )
    return item


def retry(session: Session, ctx: Context, actor: Actor, item_id: int) -> OutboxItem:
    """Queue a refused item again (after the data was fixed at its source): it is sent with the
    next message; its due day is unchanged (the clock runs from aggregation, HLJ 21 ¶2)."""
    item = _refused(session, item_id)
    reasons = _reasons(item.reasons_json)
    item.state, item.attempts, item.next_attempt_at = PENDING, 0, None
    item.last_error, item.settled_at = None, None
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.EXCHANGE_ITEM_RETRY,
        object_type="exchange_outbox",
        object_id=str(item.id),
        detail={
            "peer": item.peer_code,
            "ref": item.ref,
            "version": item.ref_version,
            "reasons": reasons,
        },
    )
    return item


def withdraw(session: Session, ctx: Context, actor: Actor, item_id: int) -> OutboxItem:
    """Give up a refused item: it leaves the quarantine and is never sent again (the refusal
    and this decision stay in the audit log)."""
    item = _refused(session, item_id)
    reasons = _reasons(item.reasons_json)
    item.state, item.settled_at = WITHDRAWN, ctx.clock.now()
    ctx.log(
        session,
        actor=actor,
        action=AuditTag.EXCHANGE_ITEM_WITHDRAW,
        object_type="exchange_outbox",
        object_id=str(item.id),
        detail={
            "peer": item.peer_code,
            "ref": item.ref,
            "version": item.ref_version,
            "reasons": reasons,
        },
    )
    return item
