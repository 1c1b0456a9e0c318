"""What every lists module shares: how a refusal or a change cites the rule it applies."""

from __future__ import annotations

import json
from typing import Any

from xinyong.common.errors import DomainError
from xinyong.law.rules import RuleAnswer


def labels(answer: RuleAnswer) -> str:
    return "；".join(c.label() for c in answer.citations)


def refuse(code: str, message: str, answer: RuleAnswer, **details: Any) -> DomainError:
    return DomainError(
        code=code, message=message, citations=list(answer.citations), details=details
    )


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
