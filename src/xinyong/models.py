"""Every table, imported in one place for Alembic and the schema test."""

from xinyong.accounts.models import ApiKey, AuthSession, User
from xinyong.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from xinyong.authorisations.models import Authorisation, SubjectPreference
from xinyong.cases.models import Case, CaseEvent, CaseNotice
from xinyong.catalog.models import CatalogItem
from xinyong.commitments.models import Commitment, CommitmentEvent, CommitmentMatter
from xinyong.consents.models import Consent
from xinyong.db import Base
from xinyong.deadlines.models import CalendarNotice, StatutoryDeadline
from xinyong.evaluation.models import EvaluationResult, EvaluationRun
from xinyong.exchange.models import InboxItem, OutboxItem, Peer
from xinyong.ingest.models import IngestBatch, QuarantinedRow
from xinyong.lists.models import (
    CreditCheck,
    CreditCheckResult,
    Emergency,
    ListEntry,
    Measure,
    RedListCriteria,
    StateUnitNotice,
)
from xinyong.points.models import PointsBenefit, PointsMembership
from xinyong.providers.models import Agency, ProviderUnit
from xinyong.records.models import CreditRecord
from xinyong.reports.models import CreditReport
from xinyong.search.models import GramPosition, SearchState, SubjectNameGram
from xinyong.subjects.models import Subject, SubjectLink
from xinyong.supervision.models import (
    InspectionObject,
    InspectionPlan,
    Inspector,
    InspectorConflict,
)

__all__ = [
    "Agency",
    "ApiKey",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "AuthSession",
    "Authorisation",
    "Base",
    "CalendarNotice",
    "Case",
    "CaseEvent",
    "CaseNotice",
    "CatalogItem",
    "Commitment",
    "CommitmentEvent",
    "CommitmentMatter",
    "Consent",
    "CreditCheck",
    "CreditCheckResult",
    "CreditRecord",
    "CreditReport",
    "Emergency",
    "EvaluationResult",
    "EvaluationRun",
    "GramPosition",
    "InboxItem",
    "IngestBatch",
    "InspectionObject",
    "InspectionPlan",
    "Inspector",
    "InspectorConflict",
    "ListEntry",
    "Measure",
    "OutboxItem",
    "Peer",
    "PointsBenefit",
    "PointsMembership",
    "ProviderUnit",
    "QuarantinedRow",
    "RedListCriteria",
    "SearchState",
    "StateUnitNotice",
    "StatutoryDeadline",
    "Subject",
    "SubjectLink",
    "SubjectNameGram",
    "SubjectPreference",
    "User",
]
