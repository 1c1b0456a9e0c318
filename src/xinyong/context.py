"""What every service receives besides its session and actor: settings, clock, law, audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from xinyong.audit.heads import private_from_hex
from xinyong.audit.service import AuditLog, Logged, entry_values
from xinyong.audit.writer import ReadAuditWriter
from xinyong.common.clock import Clock, SystemClock, today
from xinyong.common.roles import Actor
from xinyong.config import Settings, get_settings
from xinyong.db import make_engine, make_sessionmaker
from xinyong.law.rules import LawLibrary, Platform, RuleSet, default_library

#: the key of a session's `info` under which it carries its platform's RuleSet (session_rules)
RULES_INFO = "xinyong.rules"


def session_rules(session: Session) -> RuleSet | None:
    """The rules of the platform a session of `Context.sessions` works for."""
    rules = session.info.get(RULES_INFO)
    return rules if isinstance(rules, RuleSet) else None


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    library: LawLibrary
    audit: AuditLog
    _rules: RuleSet | None = field(default=None, repr=False)
    _reads: ReadAuditWriter | None = field(default=None, repr=False)

    @property
    def rules(self) -> RuleSet:
        if self._rules is None:
            self._rules = self.library.ruleset(self.settings.platform)
        return self._rules

    @property
    def platform(self) -> Platform:
        return self.rules.platform

    def today(self) -> dt.date:
        return today(self.clock)

    def log(self, session: Session, *, actor: Actor, action: str, **fields: Any) -> Logged:
        """An audit entry at this context's clock, appended when `session` commits (see
        AuditLog.record for the fields and `then`)."""
        return self.audit.record(session, clock=self.clock, actor=actor, action=action, **fields)

    @property
    def reads(self) -> ReadAuditWriter:
        """Audit entries of reads that changed nothing, group-committed (see audit/writer.py)."""
        if self._reads is None:
            self._reads = ReadAuditWriter(self.engine, self.audit)
        return self._reads

    def read_entry(self, *, actor: Actor, action: str, **fields: Any) -> dict[str, Any]:
        """The values of a read's audit entry, stamped now, for `reads` to commit."""
        return entry_values(self.clock, actor, action, **fields)


def build_context(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
) -> Context:
    # the exchange's listeners: every record version, list entry, measure and case outcome
    # queued for the peers in the same transaction (the domains take hooks, never the exchange)
    import xinyong.commitments.eligibility  # the joint check's answer on commitments (HLJ 45)
    import xinyong.commitments.verification  # a repair's 信用修复型 commitment (cases hook)
    import xinyong.evaluation.service  # a correction or repair re-evaluates its subject at once
    import xinyong.exchange.outbox
    import xinyong.exchange.outcomes  # noqa: F401

    settings = settings or get_settings()
    engine = engine or make_engine(
        settings.resolved_database_url(),
        threads=settings.worker_threads,
        wait_seconds=settings.write_wait_seconds,
    )
    library = default_library()
    library.platform(settings.platform)  # refuse an unknown platform at start-up
    context = Context(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        clock=clock or SystemClock(),
        library=library,
        audit=AuditLog(
            settings.resolved_secret_key(),
            signer=private_from_hex(settings.resolved_signing_key()),
            heads_file=settings.resolved_heads_file(),
            head_every=settings.audit_head_every,
        ),
    )
    # Hooks called with a session alone (records/store.ON_VERSIONS) find this platform's rules
    # on it: the outbox dates each record's HLJ 21 ¶2 clock by them.
    context.sessions.configure(info={RULES_INFO: context.rules})
    return context
