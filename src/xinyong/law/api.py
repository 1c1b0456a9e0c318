"""/api/law: the rules of a platform, and a rule's value and citations as of a date."""

from __future__ import annotations

from typing import Any

from xinyong.common.inputs import CalendarDate, Key
from xinyong.law.schemas import RuleKeysOut, RuleOut
from xinyong.web.deps import ContextDep, Router
from xinyong.web.errors import error_responses

router = Router(tags=["法规数据"])


@router.get("/api/law", summary="法定规则一览", responses=error_responses(404))
def law_keys(ctx: ContextDep, platform: Key | None = None) -> RuleKeysOut:
    rules = ctx.library.ruleset(platform or ctx.platform.code)
    return RuleKeysOut(platform=rules.platform.code, keys=rules.rule_keys())


@router.get("/api/law/{key}", summary="查看一项法定规则及其条文依据", response_model=RuleOut)
def law_show(
    key: Key,
    ctx: ContextDep,
    platform: Key | None = None,
    on: CalendarDate | None = None,
) -> dict[str, Any]:
    """The value, unit and citations of a rule for a platform as of a date."""
    rules = ctx.library.ruleset(platform or ctx.platform.code)
    return rules.get(key, on or ctx.today()).as_dict()
