"""What every page shares: the Jinja templates (web/templates/<domain>/, with base.html and
error.html at the root as layout), their globals, and the names pages show for stored codes."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from xinyong.web.security import csrf_input, csrf_token

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Every POST form carries `{{ csrf_input(request) }}` (web/security.py).
templates.env.globals["csrf_input"] = csrf_input
templates.env.globals["csrf_token"] = csrf_token
# States and kinds stored as codes, in the words a page shows them.
templates.env.globals["STATE_LABELS"] = {
    "active": "有效",
    "archived": "已归档",
    "repaired": "已修复",
    "withdrawn": "已撤回",
    "corrected": "已更正",
    "running": "计时中",
    "met": "按时办结",
    "late": "逾期办结",
    "overdue": "已逾期",
    "paused": "已中止",
}
templates.env.globals["UNIT_LABELS"] = {"year": "年", "month": "个月", "day": "日"}
templates.env.globals["VALUE_LABELS"] = {"decision_date": "自处罚决定作出之日起"}
templates.env.globals["LIST_KIND_LABELS"] = {
    "incentive": "守信激励",
    "constraint": "失信约束",
    "punishment": "失信惩戒",
}
