"""Request and response bodies of the commitments' routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from xinyong.common.inputs import CalendarDate, Name, Text
from xinyong.config import LIST_MAX_ITEMS

# ---------------------------------------------------------------- verification (cverify)


class CitationOut(BaseModel):
    instrument: str
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    document: str | None = None
    label: str


class MissingIn(BaseModel):
    """容缺受理 (HLJ 45 ¶2): what is missing; the due day comes from the matter's setting."""

    missing: Text


class DecideIn(BaseModel):
    on: CalendarDate | None = None


class VerifyIn(BaseModel):
    """HLJ 46's finding: kept, not kept or false; for the last two, guidance or an order to
    rectify by a day the staff member sets."""

    outcome: Literal["kept", "not_kept", "false"]
    measure: Literal["guidance", "rectify"] | None = None
    rectify_by: CalendarDate | None = None
    note: Text | None = None


class RectifiedIn(BaseModel):
    result: Literal["kept", "partly"]
    note: Text | None = None


class SanctionIn(BaseModel):
    sanction: Literal["revoked", "penalty"]
    reason: Literal["still_not_kept", "not_rectified", "still_not_meeting"]
    document: Name


class CommitmentEventOut(BaseModel):
    kind: str
    label: str
    happened_on: str
    due_on: str | None = None
    note: str | None = None
    actor: str


class BreachRecordOut(BaseModel):
    """The credit record a breach created (HLJ 18 (3)), by its natural key."""

    key: str
    record_id: int | None = None
    state: str | None = None


class VerificationOut(BaseModel):
    number: str
    subject_key: str
    subject_name: str
    commitment_type: str
    fulfilment: str
    fulfilment_label: str
    decided_on: str | None = None
    verify_due_on: str | None = None
    #: where the due day comes from: HLJ 46's two months (Civil Code art. 201-203 for months)
    verify_citations: list[CitationOut] = Field(default_factory=list)
    missing_materials: str | None = None
    materials_due_on: str | None = None
    materials_received_on: str | None = None
    #: "平台设定，非法定": the days for missing materials are the platform's, not the law's
    cure_days_note: str | None = None
    rectify_by: str | None = None
    case_number: str | None = None
    breach_record: BreachRecordOut | None = None
    events: list[CommitmentEventOut] = Field(default_factory=list, max_length=LIST_MAX_ITEMS)


class QueueItemOut(BaseModel):
    number: str
    subject_name: str
    commitment_type: str
    type_label: str
    stage: str
    due_on: str | None = None
    article: str
    fulfilment_label: str
    overdue: bool


class VerifyQueueOut(BaseModel):
    items: list[QueueItemOut]
    note: str
