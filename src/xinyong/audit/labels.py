"""Chinese names of the audit log's actions and of roles, for pages a person reads (the access
log on /me): a tag such as `sharing:profile:read` is for machines, not for the subject."""

from __future__ import annotations

from xinyong.common.roles import ROLE_LABELS, Role

#: Exact tags a subject meets in its access log.
ACTION_LABELS: dict[str, str] = {
    "accounts:user:create": "开立账户",
    "accounts:user:login": "登录",
    "accounts:user:logout": "退出登录",
    "accounts:user:unlock": "解除登录锁定",
    "authorisations:authorisation:grant": "授权查询",
    "authorisations:authorisation:revoke": "撤销授权",
    "consents:consent:record": "登记信息采集同意",
    "lists:check": "联合奖惩核查",
    "lists:entry:read": "查阅名单认定",
    "lists:remove": "移出名单",
    "lists:notice_delivered": "送达名单认定告知",
    "lists:notice_answered": "答复名单认定告知",
    "reports:report:generate": "出具信用报告",
    "sharing:history:read": "查阅信息来源和变更记录",
    "sharing:profile:read": "查询信用信息",
    "sharing:publicity:read": "查阅公示信息",
    "subjects:link:add": "登记关联人员",
    "subjects:links:read": "查阅关联人员",
}

#: By the tag's first part, for tags built from states (`cases:objection:decided`, …).
DOMAIN_LABELS: dict[str, str] = {
    "accounts": "账户操作",
    "authorisations": "授权",
    "cases": "异议、修复与投诉办理",
    "consents": "信息采集同意",
    "deadlines": "法定时限",
    "ingest": "信息归集",
    "jobs": "定时工作",
    "lists": "守信激励与失信惩戒",
    "measures": "惩戒措施",
    "records": "信用信息变更",
    "red_list": "守信激励",
    "reports": "信用报告",
    "sharing": "信息查询",
    "subjects": "信用主体",
}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    return DOMAIN_LABELS.get(action.split(":", 1)[0], "平台操作")


def role_label(role: str | None) -> str:
    try:
        return ROLE_LABELS[Role(role or "")]
    except ValueError:  # the platform's own work (jobs, migrations)
        return "平台"
