"""Domain errors. Each carries a stable machine-readable code, a Chinese message for users,
and, where a rule refused the action, the citation of that rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Citation:
    instrument: str
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None
    document: str | None = None

    def label(self) -> str:
        """e.g. 《黑龙江省社会信用条例》第三十九条第二款 (made once per citation, then kept)."""
        return _label(self)

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "article": self.article,
            "paragraph": self.paragraph,
            "item": self.item,
            "document": self.document,
            "label": self.label(),
        }


@lru_cache(maxsize=4096)
def _label(citation: Citation) -> str:
    from xinyong.common.numerals import chinese_number

    text = f"《{citation.instrument}》"
    if citation.article is not None:
        text += f"第{chinese_number(citation.article)}条"
    if citation.paragraph is not None:
        text += f"第{chinese_number(citation.paragraph)}款"
    if citation.item is not None:
        text += f"第（{chinese_number(citation.item)}）项"
    return text


@dataclass
class DomainError(Exception):
    """A refusal a user can understand: `code` is stable, `message` is Chinese."""

    code: str
    message: str
    citations: list[Citation] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    status: int = 422

    def __str__(self) -> str:
        cites = "；".join(c.label() for c in self.citations)
        return f"[{self.code}] {self.message}" + (f"（依据：{cites}）" if cites else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "citations": [c.as_dict() for c in self.citations],
            "details": self.details,
        }


class NotFound(DomainError):
    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(code=code, message=message, details=details, status=404)


class Forbidden(DomainError):
    def __init__(self, code: str, message: str, citations: list[Citation] | None = None) -> None:
        super().__init__(code=code, message=message, citations=citations or [], status=403)


class Unauthenticated(DomainError):
    def __init__(self, message: str = "请先登录或提供有效的访问令牌") -> None:
        super().__init__(code="auth.required", message=message, status=401)


class Busy(DomainError):
    """The platform is saturated and refused the request before doing anything (HTTP 503 with
    Retry-After): waiting any longer would have kept the client waiting without bound."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code=code, message=message, status=503)
