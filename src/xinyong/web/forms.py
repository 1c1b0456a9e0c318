"""What a page says when a form it posted is refused, in Chinese: a refusal's message with its
articles, or the fields a form left empty or got wrong named by their Chinese descriptions (never
by their code names), and a form's values as the routes read them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from xinyong.common.errors import DomainError

_CUT = ("（", "：", "(", ":")


def _label(field: str, models: tuple[type[BaseModel], ...]) -> str:
    for model in models:
        info = model.model_fields.get(field)
        if info is not None and info.description:
            text = info.description
            for mark in _CUT:
                text = text.split(mark, 1)[0]
            return text.strip() or "某项内容"
    return "某项内容"


def form_problem(exc: Exception, *models: type[BaseModel]) -> str:
    """The Chinese sentence a refused form shows; `models` name its fields."""
    if isinstance(exc, DomainError):
        cited = "、".join(c.label() for c in exc.citations)
        return exc.message + (f"（{cited}）" if cited and cited not in exc.message else "")
    if isinstance(exc, ValidationError):
        names = [_label(str(e["loc"][-1]), models) for e in exc.errors() if e.get("loc")]
        return f"填写不完整或有误：{'、'.join(dict.fromkeys(names)) or '请检查填写的内容'}"
    return "填写有误"


def form_values(form: Any) -> dict[str, Any]:
    """A posted form's fields, stripped, empty ones as None, without the anti-forgery token."""
    return {k: (str(v).strip() or None) for k, v in form.items() if k != "csrf_token"}
