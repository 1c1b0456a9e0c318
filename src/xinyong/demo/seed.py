"""`make run`'s demo set: one account per role and a small synthetic population."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from xinyong.accounts.models import User
from xinyong.accounts.service import create_user
from xinyong.catalog.service import seed_catalog
from xinyong.common.identifiers import region_codes
from xinyong.common.roles import SYSTEM, Role
from xinyong.context import Context
from xinyong.demo.generate import generate, synthetic_citizen_id, synthetic_uscc
from xinyong.lists.demo import load_lists_demo
from xinyong.subjects.models import Subject

DEMO_PASSWORD = "xinyong-demo"  # demo accounts only; printed by `make run`
DEMO_COMPANY = synthetic_uscc(7_000_001, "230103")
DEMO_CITIZEN = synthetic_citizen_id(7_000_001, region_codes("2301"))


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    display_name: str
    subject_key: str | None = None
    organisation: str | None = None
    provider_code: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("admin", Role.ADMIN, "系统管理员（演示）"),
    DemoAccount(
        "staff",
        Role.STAFF,
        "公共信用工作机构工作人员（演示）",
        organisation="公共信用信息中心（演示）",
    ),
    DemoAccount(
        "provider",
        Role.PROVIDER,
        "信息提供单位（演示）",
        organisation="哈尔滨市市场监督管理局（演示）",
        provider_code="HRB-SCJG",
    ),
    DemoAccount(
        "agency", Role.AGENCY, "国家机关（演示）", organisation="哈尔滨市住房和城乡建设局（演示）"
    ),
    DemoAccount(
        "bank", Role.ORGANISATION, "协议金融机构（演示）", organisation="龙江示范银行（演示）"
    ),
    DemoAccount(
        "company", Role.SUBJECT, "哈尔滨示范科技有限公司（演示）", subject_key=DEMO_COMPANY
    ),
    DemoAccount("citizen", Role.SUBJECT, "张示范（演示）", subject_key=DEMO_CITIZEN),
)


def load_demo(
    ctx: Context, *, subjects: int = 200, records: int = 1000, seed: int = 2026
) -> list[DemoAccount] | None:
    """Create the demo set if the database has no accounts yet; returns the accounts created."""
    with ctx.sessions() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
    with ctx.sessions() as session, session.begin():
        seed_catalog(session, ctx, actor=SYSTEM)
        for key, kind, name in (
            (DEMO_COMPANY, "legal_person", "哈尔滨示范科技有限公司（演示）"),
            (DEMO_CITIZEN, "natural_person", "张示范（演示）"),
        ):
            session.add(
                Subject(
                    subject_key=key,
                    kind=kind,
                    name=name,
                    region_code=key[2:8] if kind == "legal_person" else key[:6],
                    state="active",
                    synthetic=True,
                    created_at=ctx.clock.now(),
                )
            )
        for acc in DEMO_ACCOUNTS:
            create_user(
                session,
                ctx,
                actor=SYSTEM,
                username=acc.username,
                password=DEMO_PASSWORD,
                role=acc.role,
                display_name=acc.display_name,
                subject_key=acc.subject_key,
                organisation=acc.organisation,
                provider_code=acc.provider_code,
                synthetic=True,
            )
    generate(ctx, subjects=subjects, records=records, seed=seed)
    load_lists_demo(ctx, company=DEMO_COMPANY)
    _own_records(ctx)
    return list(DEMO_ACCOUNTS)


def _own_records(ctx: Context) -> None:
    """The demo subjects' own information, pushed as a provider's import would push it: a
    penalty of the company's, later changed by its provider (two versions, so the self-service
    page has a history to show, HLJ 35), and one of the citizen's."""
    from xinyong.demo.rows import penalty_row
    from xinyong.flows import AFTER_PUSH
    from xinyong.ingest.readers import read_json_records
    from xinyong.ingest.service import ingest

    today = ctx.today()
    company = penalty_row(90, today) | {
        "行政相对人名称": "哈尔滨示范科技有限公司（演示）",
        "统一社会信用代码": DEMO_COMPANY,
    }
    citizen = penalty_row(60, today, person=True) | {
        "行政相对人名称": "张示范（演示）",
        "证件号码": DEMO_CITIZEN,
    }
    changed = company | {"处罚内容": "罚款人民币三千元，没收违法所得八百元。"}
    for rows in ([company, citizen], [changed]):
        ingest(
            ctx,
            actor=SYSTEM,
            provider_code="HRB-SCJG",
            item_code="HLJ-CF-001",
            rows=read_json_records(rows),
            source="api",
            after=AFTER_PUSH,
        )
