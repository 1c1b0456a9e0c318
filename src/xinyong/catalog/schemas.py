"""What a catalog item says (HLJ 18 ¶2): conduct, provider units, data source, nature, sharing and
opening attributes, publicity period, update cycle — and the fields its records carry."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FieldType = Literal["string", "text", "date", "amount", "integer", "enum"]
Nature = Literal["registration", "good", "dishonesty"]
Severity = Literal["minor", "general", "serious"]
Attribute = Literal["unconditional", "conditional", "none"]

#: The platform's words for the kinds of subject (HLJ 19), as providers write them.
SUBJECT_KINDS = {
    "法人及非法人组织": "legal_person",
    "自然人": "natural_person",
    "个体工商户": "individual_business",
}
CITIZEN_ID_TYPE = "身份证"


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=60)
    type: FieldType
    required: bool = False
    personal: bool = False  # personal information of a natural person (HLJ 23 ¶4)
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    values: list[str] | None = None
    collection_class: str | None = None  # an HLJ 20 ¶2 class (income, tax_amount, ...)
    allow_future: bool = False  # dates such as 有效期至 may lie ahead


class Roles(BaseModel):
    """Which fields identify the subject and the record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject_kind: str
    subject_name: str
    uscc: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    record_key: list[str] = Field(min_length=1)
    decision_date: str | None = None
    procedure: str | None = None


class UpdateCycle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(ge=0, le=3650)
    unit: Literal["working_day", "calendar_day", "month"]


class CatalogItemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")
    name: str = Field(min_length=2, max_length=200)
    conduct: str = Field(min_length=2)
    category: str
    nature: Nature
    severity: Severity | None = None
    sharing: Attribute
    opening: Attribute
    public_by_law: bool
    publicity: Literal["rule", "long_term", "none"]
    update_cycle: UpdateCycle
    data_source: str = Field(min_length=2, max_length=300)
    providers: list[str] = Field(min_length=1)
    roles: Roles
    fields: list[FieldSpec] = Field(min_length=1)
    unverified: bool = False
    note: str | None = None

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        """The fields' names in the catalog's order (specs are read, never changed, once built)."""
        return tuple(f.name for f in self.fields)

    @cached_property
    def personal_names(self) -> frozenset[str]:
        """The fields holding a natural person's personal information (HLJ 23 ¶4)."""
        return frozenset(f.name for f in self.fields if f.personal)


class CatalogItemOut(CatalogItemSpec):
    """A catalog item as the catalog answers it: its definition (absent attributes left out),
    the version, and a notice when its source has not been verified."""

    version: int = Field(description="目录项版本")
    unverified_notice: str | None = Field(default=None, description="出处未经核实时的提示")
