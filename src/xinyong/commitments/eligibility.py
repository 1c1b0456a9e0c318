"""Who may not promise (HLJ 45 ¶1): a serious-dishonesty subject, and one that made a false
commitment or failed to keep one, until its credit is repaired. Asked when a commitment is
filed and by the joint check (so an agency sees it before it accepts a promise); the refusal
lifts the moment the repair is granted: a listing ends with the repair, and a broken promise's
record stops being `active` (it becomes `repaired`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.commitments.models import Commitment
from xinyong.common.errors import Citation
from xinyong.law.rules import RuleSet
from xinyong.lists import check
from xinyong.lists.models import ListEntry
from xinyong.records import store

RULE = "commitment.ineligible"
BROKEN = {
    "false": "false_commitment",
    "not_kept": "broken_commitment",
    "partly": "broken_commitment",
}


@dataclass
class Eligibility:
    eligible: bool
    #: the codes of `commitment.ineligible` that apply (serious_dishonesty, false_commitment,
    #: broken_commitment), each with what it rests on (an entry's or commitment's number)
    reasons: list[tuple[str, str, str]] = field(default_factory=list)  # (code, name, ground)
    citations: tuple[Citation, ...] = ()

    def message(self) -> str:
        why = "；".join(f"{name}（{ground}）" for _, name, ground in self.reasons)
        cited = "、".join(c.label() for c in self.citations)
        return f"信用修复完成前不得适用信用承诺制：{why}（{cited}）"


def eligibility(session: Session, rules: RuleSet, subject_key: str, on: dt.date) -> Eligibility:
    """Whether `subject_key` may make a commitment on `on`, and if not, why."""
    rule = rules.get(RULE, on)
    names = {str(e["code"]): str(e["name"]) for e in rule.value}
    reasons: list[tuple[str, str, str]] = []
    if "serious_dishonesty" in names:
        for number in session.scalars(
            select(ListEntry.number).where(
                ListEntry.subject_key == subject_key,
                ListEntry.list_kind == "serious",
                ListEntry.state == "active",
                ListEntry.valid_from <= on,
                ListEntry.valid_until >= on,
            )
        ):
            reasons.append(("serious_dishonesty", names["serious_dishonesty"], f"认定{number}"))
    for commitment in session.scalars(
        select(Commitment).where(
            Commitment.subject_key == subject_key,
            Commitment.fulfilment.in_(list(BROKEN)),
        )
    ):
        code = BROKEN[commitment.fulfilment]
        if code in names and _unrepaired(session, commitment):
            reasons.append((code, names[code], f"承诺{commitment.number}"))
    return Eligibility(not reasons, reasons, rule.citations)


def _unrepaired(session: Session, commitment: Commitment) -> bool:
    """A broken promise counts until the credit record it created is repaired (or withdrawn,
    e.g. after an objection upheld); one with no record yet counts."""
    if not commitment.breach_record:
        return True
    provider_code, item_code, record_key = commitment.breach_record.split("|", 2)
    record = store.current(session, provider_code, item_code, record_key)
    return record is None or record.state == "active"


def grounds_of(
    session: Session, rules: RuleSet, keys: list[str], on: dt.date
) -> dict[str, dict[str, Any]]:
    """The joint check's answer for a chunk of subjects (lists/check.ON_CHECK_LINES): only the
    subjects that may not promise, each with its grounds and the article; two queries a chunk."""
    rule = rules.get(RULE, on)
    names = {str(e["code"]): str(e["name"]) for e in rule.value}
    found: dict[str, list[dict[str, str]]] = {}
    if "serious_dishonesty" in names:
        for key, number in session.execute(
            select(ListEntry.subject_key, ListEntry.number).where(
                check.key_filter(session, ListEntry.subject_key, keys),
                ListEntry.list_kind == "serious",
                ListEntry.state == "active",
                ListEntry.valid_from <= on,
                ListEntry.valid_until >= on,
            )
        ):
            found.setdefault(key, []).append(
                {
                    "code": "serious_dishonesty",
                    "name": names["serious_dishonesty"],
                    "ground": f"认定{number}",
                }
            )
    for commitment in session.scalars(
        select(Commitment).where(
            check.key_filter(session, Commitment.subject_key, keys),
            Commitment.fulfilment.in_(list(BROKEN)),
        )
    ):
        code = BROKEN[commitment.fulfilment]
        if code in names and _unrepaired(session, commitment):
            found.setdefault(commitment.subject_key, []).append(
                {"code": code, "name": names[code], "ground": f"承诺{commitment.number}"}
            )
    cited = [c.label() for c in rule.citations]
    return {
        key: {"eligible": False, "grounds": grounds, "citations": cited}
        for key, grounds in found.items()
    }


if grounds_of not in check.ON_CHECK_LINES:  # the joint check asks through a hook (no cycle)
    check.ON_CHECK_LINES.append(grounds_of)
