"""Who a request acts as. Every service call and every audit entry carries an Actor."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    PUBLIC = "public"  # 社会公众（匿名）
    SUBJECT = "subject"  # 信用主体本人（自然人或组织）
    PROVIDER = "provider"  # 公共信用信息提供单位
    AGENCY = "agency"  # 依法履职的国家机关
    ORGANISATION = "organisation"  # 依约定查询的金融机构、信用服务机构等（HLJ 23）
    STAFF = "staff"  # 公共信用工作机构工作人员
    ADMIN = "admin"  # 系统管理员


ROLE_LABELS: dict[Role, str] = {
    Role.PUBLIC: "社会公众",
    Role.SUBJECT: "信用主体",
    Role.PROVIDER: "信息提供单位",
    Role.AGENCY: "国家机关",
    Role.ORGANISATION: "协议机构（金融机构、信用服务机构）",
    Role.STAFF: "公共信用工作机构工作人员",
    Role.ADMIN: "系统管理员",
}


@dataclass(frozen=True)
class Actor:
    role: Role
    user_id: int | None = None
    username: str | None = None
    display_name: str | None = None
    subject_key: str | None = None  # for a credit subject: its USCC or citizen ID number
    organisation: str | None = None
    provider_code: str | None = None  # for a provider unit's account: the unit it acts for
    agency_code: str | None = None  # for an agency's account: the agency's USCC
    #: A person signed in with a password an administrator reset: only changing it is allowed.
    must_change_password: bool = False

    @property
    def label(self) -> str:
        return self.display_name or self.username or ROLE_LABELS[self.role]


ANONYMOUS = Actor(role=Role.PUBLIC)
SYSTEM = Actor(role=Role.ADMIN, username="system", display_name="系统任务")
