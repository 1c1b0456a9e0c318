"""Every audit tag, in one enumeration: `source:subject:action`, three parts each.

A tag is written (`ctx.log(..., action=AuditTag.X)`) and queried (`AuditEvent.action == AuditTag.X`)
only through this enumeration; `tests/audit/test_tags.py` fails on a literal tag string anywhere
else. Tags built from a state (a case's transition, a record's change, a list decision) are looked
up here by `case_tag`, `record_tag` and `list_tag`, which refuse a combination with no member, so
the full set of tags the platform can write is the list below. Entries written before a tag was
renamed keep their old text (the chain covers it); `audit/labels.py` names both."""

from __future__ import annotations

from enum import StrEnum


class AuditTag(StrEnum):
    # accounts
    ACCOUNTS_USER_CREATE = "accounts:user:create"
    ACCOUNTS_USER_LOGIN = "accounts:user:login"
    ACCOUNTS_USER_LOGIN_FAILED = "accounts:user:login-failed"
    ACCOUNTS_USER_LOGOUT = "accounts:user:logout"
    ACCOUNTS_USER_UNLOCK = "accounts:user:unlock"
    ACCOUNTS_API_KEY_CREATE = "accounts:api-key:create"
    ACCOUNTS_API_KEY_REVOKE = "accounts:api-key:revoke"
    ACCOUNTS_API_KEY_ROTATE = "accounts:api-key:rotate"
    # the administrators' console (issue 16, part admin): accounts and the units they act for
    ACCOUNTS_USER_DISABLE = "accounts:user:disable"
    ACCOUNTS_USER_ENABLE = "accounts:user:enable"
    ACCOUNTS_USER_BIND = "accounts:user:bind"
    ACCOUNTS_PASSWORD_RESET = "accounts:password:reset"
    ACCOUNTS_PASSWORD_CHANGE = "accounts:password:change"
    PROVIDERS_UNIT_REGISTER = "providers:unit:register"
    PROVIDERS_AGENCY_REGISTER = "providers:agency:register"
    # exchange between platforms (HLJ 6, 21, 39, 40; HRB 7)
    EXCHANGE_PEER_ADD = "exchange:peer:add"
    EXCHANGE_PEER_REMOVE = "exchange:peer:remove"
    EXCHANGE_MESSAGE_SEND = "exchange:message:send"
    EXCHANGE_MESSAGE_RECEIVE = "exchange:message:receive"
    EXCHANGE_MESSAGE_REFUSE = "exchange:message:refuse"
    EXCHANGE_ITEM_APPLY = "exchange:item:apply"
    EXCHANGE_RECORD_FORWARD = "exchange:record:forward"
    EXCHANGE_ITEM_RETRY = "exchange:item:retry"
    EXCHANGE_ITEM_WITHDRAW = "exchange:item:withdraw"
    EXCHANGE_ITEM_OVERDUE = "exchange:item:overdue"
    # authorisations and publicity choices
    AUTHORISATIONS_AUTHORISATION_GRANT = "authorisations:authorisation:grant"
    AUTHORISATIONS_AUTHORISATION_REVOKE = "authorisations:authorisation:revoke"
    AUTHORISATIONS_PREFERENCE_GOOD_PUBLICITY = "authorisations:preference:good-publicity"
    # catalog, consents, subjects
    CATALOG_ITEM_DEFINE = "catalog:item:define"
    CONSENTS_CONSENT_RECORD = "consents:consent:record"
    # commitments (issue 18): matters (HRB 17), filing (HLJ 45, HRB 15 ¶2), publicity (HLJ 50)
    COMMITMENTS_MATTER_CREATE = "commitments:matter:create"
    COMMITMENTS_MATTER_CHANGE = "commitments:matter:change"
    COMMITMENTS_MATTER_RETIRE = "commitments:matter:retire"
    COMMITMENTS_COMMITMENT_FILE = "commitments:commitment:file"
    COMMITMENTS_COMMITMENT_READ = "commitments:commitment:read"
    # integrity points (issue 19, HLJ 26 ¶2): opt-in, read for a published incentive only
    POINTS_MEMBERSHIP_JOIN = "points:membership:join"
    POINTS_MEMBERSHIP_LEAVE = "points:membership:leave"
    POINTS_POINTS_READ = "points:points:read"
    POINTS_POINTS_REFUSE = "points:points:refuse"
    POINTS_BENEFIT_PUBLISH = "points:benefit:publish"
    POINTS_BENEFIT_WITHDRAW = "points:benefit:withdraw"
    SUBJECTS_LINK_ADD = "subjects:link:add"
    SUBJECTS_LINKS_READ = "subjects:links:read"
    # deadlines and the calendar
    DEADLINES_DEADLINE_START = "deadlines:deadline:start"
    DEADLINES_DEADLINE_RECOMPUTE = "deadlines:deadline:recompute"
    DEADLINES_DEADLINE_PAUSE = "deadlines:deadline:pause"
    DEADLINES_DEADLINE_OVERDUE = "deadlines:deadline:overdue"
    CALENDAR_NOTICE_IMPORT = "calendar:notice:import"
    # ingestion
    INGEST_BATCH_OPEN = "ingest:batch:open"
    INGEST_BATCH_CLOSE = "ingest:batch:close"
    INGEST_BATCH_FAIL = "ingest:batch:fail"
    INGEST_BATCH_INTERRUPTED = "ingest:batch:interrupted"
    INGEST_CHUNK_COMMIT = "ingest:chunk:commit"
    INGEST_QUARANTINE_RESUBMIT = "ingest:quarantine:resubmit"
    INGEST_QUARANTINE_WITHDRAW = "ingest:quarantine:withdraw"
    # records: a new version in another state, named by its change
    RECORDS_RECORD_CORRECTION = "records:record:correction"
    RECORDS_RECORD_WITHDRAWAL = "records:record:withdrawal"
    RECORDS_RECORD_OBJECTION_UPHELD = "records:record:objection_upheld"
    RECORDS_RECORD_REPAIRED = "records:record:repaired"
    RECORDS_RECORD_BASIS_REVOKED = "records:record:basis_revoked"
    # reads
    SHARING_PROFILE_READ = "sharing:profile:read"
    SHARING_HISTORY_READ = "sharing:history:read"
    SHARING_PUBLICITY_READ = "sharing:publicity:read"
    SEARCH_CITIZEN_ID_LOOKUP = "search:citizen-id:lookup"
    REPORTS_REPORT_GENERATE = "reports:report:generate"
    # chapter 4: measures, criteria, emergencies, lists, checks, notices
    LISTS_MEASURE_DEFINE = "lists:measure:define"
    LISTS_MEASURE_PUBLISH = "lists:measure:publish"
    LISTS_MEASURE_WITHDRAW = "lists:measure:withdraw"
    LISTS_MEASURE_RECEIVE = "lists:measure:receive"
    LISTS_CRITERIA_DEFINE = "lists:criteria:define"
    LISTS_EMERGENCY_DECLARE = "lists:emergency:declare"
    LISTS_RED_RECOGNISE = "lists:red:recognise"
    LISTS_RED_EXEMPT = "lists:red:exempt"
    LISTS_SERIOUS_RECOGNISE = "lists:serious:recognise"
    LISTS_SERIOUS_EXEMPT = "lists:serious:exempt"
    LISTS_ENTRY_READ = "lists:entry:read"
    LISTS_ENTRY_REMOVE = "lists:entry:remove"
    LISTS_ENTRY_RECEIVE = "lists:entry:receive"
    LISTS_ENTRY_TERM_END = "lists:entry:term-end"
    LISTS_NOTICE_DELIVER = "lists:notice:deliver"
    LISTS_NOTICE_ANSWER = "lists:notice:answer"
    LISTS_CHECK_RUN = "lists:check:run"
    # cases: one tag per transition a flow can make (cases/service.py FLOWS)
    CASES_OBJECTION_FILED = "cases:objection:filed"
    CASES_OBJECTION_MARKED = "cases:objection:marked"
    CASES_OBJECTION_REDIRECTED = "cases:objection:redirected"
    CASES_OBJECTION_ASSISTING = "cases:objection:assisting"
    CASES_OBJECTION_UPHELD = "cases:objection:upheld"
    CASES_OBJECTION_REJECTED = "cases:objection:rejected"
    CASES_SERIOUS_OBJECTION_FILED = "cases:serious_objection:filed"
    CASES_SERIOUS_OBJECTION_UPHELD = "cases:serious_objection:upheld"
    CASES_SERIOUS_OBJECTION_REJECTED = "cases:serious_objection:rejected"
    CASES_REPAIR_FILED = "cases:repair:filed"
    CASES_REPAIR_APPROVED = "cases:repair:approved"
    CASES_REPAIR_REJECTED = "cases:repair:rejected"
    CASES_COMPLAINT_FILED = "cases:complaint:filed"
    CASES_COMPLAINT_ANSWERED = "cases:complaint:answered"
    CASES_BASIS_CHANGE_REPORTED = "cases:basis_change:reported"
    CASES_BASIS_CHANGE_ACTED = "cases:basis_change:acted"
    CASES_NOTICE_ACTED = "cases:notice:acted"
    # the staff case desk (issue 16, desk): the case page read, evidence stored and downloaded
    CASES_CASE_READ = "cases:case:read"
    CASES_ATTACHMENT_STORED = "cases:attachment:stored"
    CASES_ATTACHMENT_READ = "cases:attachment:read"
    # commitments after acceptance (issue 18, cverify): 容缺受理, decisions, verification (HLJ 46)
    COMMITMENTS_MATERIALS_ACCEPT = "commitments:materials:accept"
    COMMITMENTS_MATERIALS_RECEIVE = "commitments:materials:receive"
    COMMITMENTS_MATERIALS_LATE = "commitments:materials:late"
    COMMITMENTS_LICENCE_DECIDE = "commitments:licence:decide"
    COMMITMENTS_VERIFY_RECORD = "commitments:verify:record"
    COMMITMENTS_BREACH_RECORD = "commitments:breach:record"
    COMMITMENTS_REPAIR_FILE = "commitments:repair:file"
    COMMITMENTS_QUEUE_READ = "commitments:queue:read"
    # graded supervision and the 双随机 draw (issue 19, supervision: HLJ 48, 49)
    SUPERVISION_PLAN_CREATE = "supervision:plan:create"
    SUPERVISION_POOL_ADD = "supervision:pool:add"
    SUPERVISION_PLAN_PUBLISH = "supervision:plan:publish"
    SUPERVISION_INSPECTOR_REGISTER = "supervision:inspector:register"
    SUPERVISION_CONFLICT_REGISTER = "supervision:conflict:register"
    SUPERVISION_DRAW_RUN = "supervision:draw:run"
    SUPERVISION_DRAW_ANNOUNCE = "supervision:draw:announce"
    # the comprehensive credit evaluation (issue 19, HLJ 47)
    EVALUATION_RUN_COMPLETE = "evaluation:run:complete"
    EVALUATION_SUBJECT_REEVALUATE = "evaluation:subject:reevaluate"
    EVALUATION_GRADE_READ = "evaluation:grade:read"
    # the platform's own work
    DEMO_DATA_GENERATE = "demo:data:generate"

    @property
    def source(self) -> str:
        return self.value.split(":", 1)[0]


def _member(value: str) -> AuditTag:
    try:
        return AuditTag(value)
    except ValueError:
        raise LookupError(f"no audit tag {value!r}: add it to AuditTag") from None


def case_tag(kind: str, state: str) -> AuditTag:
    """The tag of a case entering `state` (a flow's first state, or a transition's target)."""
    return _member(":".join(("cases", kind, state)))


def record_tag(change: str) -> AuditTag:
    """The tag of a record's new version, by its change label."""
    return _member(":".join(("records", "record", change)))


def list_tag(list_kind: str, *, exempt: bool) -> AuditTag:
    """The tag of a list decision: recognised, or exempted (HLJ 30 ¶3)."""
    return _member(":".join(("lists", list_kind, "exempt" if exempt else "recognise")))
