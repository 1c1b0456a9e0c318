"""Cross-domain flows: work that spans domains, composed here from single-domain services.

A service of one domain does not import another domain's service for a side effect; when one
domain's event must set off work in another, the flow is written here (in the style of Netflix
Dispatch's `flows.py`). Entry points (`api.py`, `pages.py`, the CLI, the demo) call the flows;
services and scheduled jobs never import this module (tests/test_structure.py).

- After a push: the batch's closing transaction lists the court debtors it carried (HLJ 28 ¶3)
  and indexes the names of new subjects (`AFTER_PUSH`, passed to ingestion as its `after`).
- A link registered (HLJ 33): the person it names reaches the organisation's listings
  (`register_link`).
- Nightly: clocks overdue, list terms ended, court debtors synchronised (`run_jobs`).

After a case decision the downstream notices stay in `cases.service` (same transaction as the
decision, all or nothing); who read the record comes from `audit.service.readers_of`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xinyong.commitments.jobs import lapse_missing_materials
from xinyong.common.roles import SYSTEM, Actor
from xinyong.context import Context
from xinyong.deadlines.service import mark_overdue
from xinyong.evaluation.jobs import monthly_run
from xinyong.exchange import forwarder
from xinyong.exchange.clocks import flag_overdue
from xinyong.ingest.service import Receipt
from xinyong.lists.court_debtors import COURT_DEBTOR_ITEM, sync_court_debtors
from xinyong.lists.jobs import end_terms
from xinyong.lists.recognition import extend_to_link
from xinyong.search.service import refresh_index
from xinyong.subjects.models import SubjectLink
from xinyong.subjects.schemas import LinkIn
from xinyong.subjects.service import add_link

# ---------------------------------------------------------------- a link registered


def register_link(
    session: Session, ctx: Context, *, actor: Actor, organisation_key: str, body: LinkIn
) -> tuple[SubjectLink, list[str]]:
    """Register a person's link to an organisation and, in the same transaction, extend the
    organisation's serious-list entries to that person (HLJ 33; lists.recognition.extend_to_link
    says why the listing is extended rather than decided at check time). Returns the link and
    the numbers of the entries made for the person."""
    link = add_link(session, ctx, actor=actor, organisation_key=organisation_key, body=body)
    return link, extend_to_link(session, ctx, actor=actor, link=link)


# ---------------------------------------------------------------- after a push


class AfterPush:
    """What a closing batch sets off (ingest.service.AfterBatch), in its closing transaction, so
    the client is told "done" only when the listing and the index are committed with it."""

    def before_close(
        self, session: Session, ctx: Context, item_code: str, receipt: Receipt
    ) -> None:
        if item_code == COURT_DEBTOR_ITEM:  # HLJ 28 ¶3: court debtors are listed at once
            counts_listed = sync_court_debtors(session, ctx, actor=SYSTEM)
            receipt.notes.append(
                f"失信被执行人：新列入严重失信主体名单{counts_listed['added']}个，"
                f"移出{counts_listed['removed']}个（"
                + "；".join(
                    c.label()
                    for c in ctx.rules.get(
                        "serious_dishonesty.court_debtors", ctx.today()
                    ).citations
                )
                + "）"
            )

    def at_close(self, session: Session) -> None:
        refresh_index(session)  # new subjects become searchable by name


AFTER_PUSH = AfterPush()


# ---------------------------------------------------------------- nightly


def run_jobs(ctx: Context) -> dict[str, Any]:
    """`xinyong jobs run`: all time-driven work, idempotent and safe to run twice at once.

    Each step is a set-based conditional update (or a sync guarded by a unique key) in its own
    transaction, so a second run — or a concurrent one — finds nothing left to do. Reads never
    wait for these jobs: expiry and terms are also computed on every read."""
    today = ctx.today()
    done: dict[str, Any] = {"on": today.isoformat()}
    with ctx.sessions() as session, session.begin():
        done["clocks_overdue"] = mark_overdue(session, ctx, actor=SYSTEM)
    with ctx.sessions() as session, session.begin():
        done["exchange_overdue"] = flag_overdue(session, ctx, actor=SYSTEM)
    with ctx.sessions() as session, session.begin():
        done["entries_term_ended"] = end_terms(session, ctx, today, done)
    try:
        with ctx.sessions() as session, session.begin():
            done["court_debtors"] = sync_court_debtors(session, ctx, actor=SYSTEM)
    except IntegrityError:  # a concurrent run listed them first
        done["court_debtors"] = {"added": 0, "removed": 0, "concurrent": True}
    try:
        with ctx.sessions() as session, session.begin():
            done["commitments_lapsed"] = lapse_missing_materials(session, ctx)
    except IntegrityError:  # a concurrent run recorded the same breaches first
        done["commitments_lapsed"] = 0
    # the month's comprehensive evaluation (HLJ 47), once a month
    done["evaluation"] = monthly_run(ctx)
    # what the peers must learn (HLJ 21 ¶2, HLJ 39 ¶3): sent now, each peer until it fails
    done["exchange"] = forwarder.run(ctx).lines()
    return done
