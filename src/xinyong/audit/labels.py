"""Chinese names of the audit log's actions and of roles, for pages a person reads (the access
log on /me): a tag such as `sharing:profile:read` is for machines, not for the subject."""

from __future__ import annotations

from xinyong.audit.tags import AuditTag
from xinyong.common.roles import ROLE_LABELS, Role

#: Exact tags a subject meets in its access log.
ACTION_LABELS: dict[str, str] = {
    AuditTag.ACCOUNTS_USER_CREATE: "开立账户",
    AuditTag.ACCOUNTS_USER_LOGIN: "登录",
    AuditTag.ACCOUNTS_USER_LOGOUT: "退出登录",
    AuditTag.ACCOUNTS_USER_UNLOCK: "解除登录锁定",
    AuditTag.ACCOUNTS_USER_LOGIN_FAILED: "登录失败",
    AuditTag.ACCOUNTS_USER_DISABLE: "停用账户",
    AuditTag.ACCOUNTS_USER_ENABLE: "恢复账户",
    AuditTag.ACCOUNTS_USER_BIND: "关联所属单位",
    AuditTag.ACCOUNTS_PASSWORD_RESET: "重置密码",
    AuditTag.ACCOUNTS_PASSWORD_CHANGE: "修改密码",
    AuditTag.ACCOUNTS_API_KEY_CREATE: "签发API密钥",
    AuditTag.ACCOUNTS_API_KEY_ROTATE: "轮换API密钥",
    AuditTag.ACCOUNTS_API_KEY_REVOKE: "撤销API密钥",
    AuditTag.PROVIDERS_UNIT_REGISTER: "登记信息提供单位",
    AuditTag.EXCHANGE_PEER_ADD: "登记交换平台",
    AuditTag.EXCHANGE_PEER_REMOVE: "移除交换平台",
    AuditTag.EXCHANGE_MESSAGE_SEND: "向其他平台推送信息",
    AuditTag.EXCHANGE_MESSAGE_RECEIVE: "接收其他平台推送的信息",
    AuditTag.EXCHANGE_MESSAGE_REFUSE: "拒收其他平台的报文",
    AuditTag.EXCHANGE_ITEM_APPLY: "应用其他平台推送的信息",
    AuditTag.EXCHANGE_RECORD_FORWARD: "推送至其他信用平台",
    AuditTag.EXCHANGE_ITEM_RETRY: "重新推送被拒收的信息",
    AuditTag.EXCHANGE_ITEM_WITHDRAW: "撤回被拒收的推送信息",
    AuditTag.EXCHANGE_ITEM_OVERDUE: "向上级平台推送逾期",
    AuditTag.PROVIDERS_AGENCY_REGISTER: "登记国家机关",
    AuditTag.AUTHORISATIONS_AUTHORISATION_GRANT: "授权查询",
    AuditTag.AUTHORISATIONS_AUTHORISATION_REVOKE: "撤销授权",
    AuditTag.CONSENTS_CONSENT_RECORD: "登记信息采集同意",
    AuditTag.SUPERVISION_PLAN_CREATE: "制定抽查计划",
    AuditTag.SUPERVISION_POOL_ADD: "登记检查对象名录",
    AuditTag.SUPERVISION_PLAN_PUBLISH: "公布抽查计划和随机种子承诺值",
    AuditTag.SUPERVISION_INSPECTOR_REGISTER: "登记执法检查人员",
    AuditTag.SUPERVISION_CONFLICT_REGISTER: "登记检查人员回避关系",
    AuditTag.SUPERVISION_DRAW_RUN: "双随机抽取",
    AuditTag.SUPERVISION_DRAW_ANNOUNCE: "公开抽查结果",
    AuditTag.COMMITMENTS_MATTER_CREATE: "新增适用信用承诺制的事项",
    AuditTag.COMMITMENTS_MATTER_CHANGE: "变更适用信用承诺制的事项",
    AuditTag.COMMITMENTS_MATTER_RETIRE: "停止适用信用承诺制的事项",
    AuditTag.COMMITMENTS_COMMITMENT_FILE: "登记信用承诺",
    AuditTag.COMMITMENTS_COMMITMENT_READ: "查阅信用承诺",
    AuditTag.POINTS_MEMBERSHIP_JOIN: "加入诚信积分",
    AuditTag.POINTS_MEMBERSHIP_LEAVE: "退出诚信积分",
    AuditTag.POINTS_POINTS_READ: "查阅诚信积分",
    AuditTag.POINTS_POINTS_REFUSE: "拒绝以诚信积分限制基本公共服务的查询",
    AuditTag.POINTS_BENEFIT_PUBLISH: "发布诚信积分激励场景",
    AuditTag.POINTS_BENEFIT_WITHDRAW: "撤销诚信积分激励场景",
    AuditTag.LISTS_CHECK_RUN: "联合奖惩核查",
    AuditTag.LISTS_ENTRY_READ: "查阅名单认定",
    AuditTag.LISTS_ENTRY_REMOVE: "移出名单",
    AuditTag.LISTS_ENTRY_RECEIVE: "接收其他平台的名单认定",
    AuditTag.LISTS_MEASURE_RECEIVE: "接收其他平台公布或撤销的措施",
    AuditTag.LISTS_NOTICE_DELIVER: "送达名单认定告知",
    AuditTag.LISTS_NOTICE_ANSWER: "答复名单认定告知",
    AuditTag.REPORTS_REPORT_GENERATE: "出具信用报告",
    AuditTag.SHARING_HISTORY_READ: "查阅信息来源和变更记录",
    AuditTag.SHARING_PROFILE_READ: "查询信用信息",
    AuditTag.SHARING_PUBLICITY_READ: "查阅公示信息",
    AuditTag.SUBJECTS_LINK_ADD: "登记关联人员",
    AuditTag.SUBJECTS_LINKS_READ: "查阅关联人员",
}

#: By the tag's first part, for tags built from states (`cases:objection:decided`, …).
# commitments after acceptance (issue 18, cverify)
ACTION_LABELS.update(
    {
        AuditTag.COMMITMENTS_MATERIALS_ACCEPT: "容缺受理",
        AuditTag.COMMITMENTS_MATERIALS_RECEIVE: "补齐容缺材料",
        AuditTag.COMMITMENTS_MATERIALS_LATE: "未按期补交容缺材料",
        AuditTag.COMMITMENTS_LICENCE_DECIDE: "依信用承诺作出决定",
        AuditTag.COMMITMENTS_VERIFY_RECORD: "核查信用承诺",
        AuditTag.COMMITMENTS_BREACH_RECORD: "记入违背信用承诺信息",
        AuditTag.COMMITMENTS_REPAIR_FILE: "随信用修复作出信用承诺",
        AuditTag.COMMITMENTS_QUEUE_READ: "查阅信用承诺核查队列",
    }
)

# the comprehensive credit evaluation (issue 19, HLJ 47)
ACTION_LABELS.update(
    {
        AuditTag.EVALUATION_RUN_COMPLETE: "完成公共信用综合评价",
        AuditTag.EVALUATION_SUBJECT_REEVALUATE: "重新评价信用主体",
        AuditTag.EVALUATION_GRADE_READ: "查阅公共信用综合评价结果",
    }
)

DOMAIN_LABELS: dict[str, str] = {
    "accounts": "账户操作",
    "authorisations": "授权",
    "cases": "异议、修复与投诉办理",
    "consents": "信息采集同意",
    "deadlines": "法定时限",
    "evaluation": "公共信用综合评价",
    "ingest": "信息归集",
    "jobs": "定时工作",
    "lists": "守信激励与失信惩戒",
    "providers": "信息提供单位与国家机关",
    "measures": "惩戒措施",  # entries written before the tags had three parts
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
