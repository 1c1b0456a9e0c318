"""Every table, imported in one place for Alembic and the schema test."""

from xinyong.accounts.models import ApiKey, AuthSession, User
from xinyong.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from xinyong.db import Base
from xinyong.deadlines.models import CalendarNotice, StatutoryDeadline
from xinyong.records.models import CreditRecord
from xinyong.subjects.models import Subject

__all__ = [
    "ApiKey",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "AuthSession",
    "Base",
    "CalendarNotice",
    "CreditRecord",
    "StatutoryDeadline",
    "Subject",
    "User",
]
