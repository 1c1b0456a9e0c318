"""The answers of the sharing domain: a subject's profile as a viewer may see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from xinyong.visibility.engine import RecordView


@dataclass
class Profile:
    """A subject's header and current records as one viewer may see them, with the receipt of
    the read's audit entry."""

    subject: dict[str, Any]
    records: list[RecordView] = field(default_factory=list)
    audit_id: int | None = None  # the audit entry of this read: the requester's receipt
    #: the records as `as_dict` gives them, kept with an answer that is served again
    rendered: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    #: `as_json` up to the receipt, kept with an answer that is served again
    encoded: bytes | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "records": self.rendered or [r.as_dict() for r in self.records],
            "audit_receipt": self.audit_id,
        }

    def encoded_head(self) -> bytes:
        """The JSON of `as_dict` without its last member, the receipt (which each read has
        its own of): `{"subject":…,"records":[…]`."""
        if self.encoded is not None:
            return self.encoded
        records = self.rendered or [r.as_dict() for r in self.records]
        return orjson.dumps({"subject": self.subject, "records": records})[:-1]

    def as_json(self) -> bytes:
        """`as_dict` as orjson writes it, byte for byte."""
        receipt = orjson.dumps(self.audit_id)
        return b"".join((self.encoded_head(), b',"audit_receipt":', receipt, b"}"))
