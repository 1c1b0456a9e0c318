"""`make run`'s demo set: one account per role, a small synthetic population, and a story that
lets a newcomer try every door on the day it is loaded, whatever that day is (every date is
counted from `ctx.clock`, periods from the law packs):

- a company on the red list, with the incentive measures that apply to it (`company`);
- a company on the serious-dishonesty list with its legal representative linked, so that the
  joint check (`agency`) finds the person too;
- a penalty of the demo company's past its minimum publicity period: a repair can be applied
  for today (`company`);
- an objection filed by the demo citizen, waiting for staff to mark it (`citizen`, `staff`);
- a row of the demo provider's quarantined for a wrong code, to fix or withdraw (`provider`);
- the demo citizen's authorisation of the bank to read its penalties (`citizen`, `bank`);
- a licensing matter that accepts a commitment, the demo company's commitment under it with the
  licence decided today and its two-month verification due (`agency`, `staff`), and a voluntary
  commitment of the company's own, both on the public list (HLJ 45, 46, 50; HRB 15, 17).

Loading is atomic: everything is written in one database transaction, committed at the end or
not at all (`one_transaction`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from xinyong.accounts.models import User
from xinyong.accounts.service import actor_of, create_user
from xinyong.authorisations.schemas import GrantIn
from xinyong.authorisations.service import grant
from xinyong.cases.service import file_objection, repair_eligibility
from xinyong.catalog.service import seed_catalog
from xinyong.commitments import filing, matters, verification
from xinyong.commitments.schemas import CommitmentIn, MatterIn, VoluntaryIn
from xinyong.common.identifiers import region_codes
from xinyong.common.roles import SYSTEM, Actor, Role
from xinyong.context import Context
from xinyong.demo.generate import generate, synthetic_citizen_id, synthetic_uscc
from xinyong.evaluation.service import run_all
from xinyong.law.workdays import add_period
from xinyong.lists.demo import DEMO_LISTED, DEMO_LISTED_NAME, load_lists_demo
from xinyong.records import store
from xinyong.search.service import refresh_index
from xinyong.subjects.models import Subject
from xinyong.subjects.schemas import LinkIn
from xinyong.subjects.service import add_link

DEMO_PASSWORD = "xinyong-demo"  # demo accounts only; printed by `make run`
DEMO_COMPANY = synthetic_uscc(7_000_001, "230103")
DEMO_CITIZEN = synthetic_citizen_id(7_000_001, region_codes("2301"))
#: The listed company's legal representative (HLJ 33: listed with it, in a record of his own).
DEMO_LISTED_REPRESENTATIVE = synthetic_citizen_id(7_000_002, region_codes("2301"))
DEMO_LISTED_REPRESENTATIVE_NAME = "赵演示（演示）"
DEMO_PROVIDER = "HRB-SCJG"
PENALTY_ITEM = "HLJ-CF-001"
#: The demo company's penalty was decided this many days ago: past the general minimum
#: publicity period (3 months, so a repair may be applied for) and within its maximum (1 year).
REPAIRABLE_AGE_DAYS = 150
#: Rules that read the generated records (court debtors become serious-list entries): generated
#: records are not dated before these are in force.
RULES_OVER_GENERATED = (
    "serious_dishonesty.court_debtors",
    "serious_dishonesty.related_persons",
    "serious_dishonesty.decision_elements",
)


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
        provider_code=DEMO_PROVIDER,
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


@contextmanager
def one_transaction(ctx: Context) -> Iterator[Context]:
    """A context whose every `ctx.sessions()` transaction is a savepoint inside one database
    transaction, committed when the block ends and rolled back if it raises: services that
    commit on their own (ingestion commits chunk by chunk) write all or nothing here. Tree heads
    are not signed inside (a head in the heads file must never name entries rolled back)."""
    audit = copy(ctx.audit)
    audit.head_every = 0
    with ctx.engine.connect() as connection:
        outer = connection.begin()
        if connection.dialect.name == "sqlite":
            # pysqlite begins a transaction only before a DML statement: the first SAVEPOINT
            # would open one of its own, and its RELEASE commit it. Begin it here.
            connection.exec_driver_sql("BEGIN")
        sessions = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield dataclasses.replace(ctx, sessions=sessions, audit=audit, _reads=None)
        except BaseException:
            outer.rollback()
            raise
        outer.commit()


def load_demo(
    ctx: Context, *, subjects: int = 200, records: int = 1000, seed: int = 2026
) -> list[DemoAccount] | None:
    """Create the demo set if the database has no accounts yet; returns the accounts created.
    All or nothing: a failure leaves the database as it was."""
    with ctx.sessions() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
    with one_transaction(ctx) as tx:
        with tx.sessions() as session, session.begin():
            _accounts(session, tx)
        generate(tx, subjects=subjects, records=records, seed=seed, since=_rules_since(tx))
        load_lists_demo(tx, company=DEMO_COMPANY)
        _own_records(tx)
        _story(tx)
        run_all(tx, actor=SYSTEM)  # every organisation graded (HLJ 47): /me shows its grade
        with tx.sessions() as session, session.begin():
            refresh_index(session)  # the story's subjects, searchable by name
    with ctx.sessions() as session, session.begin():
        ctx.audit.sign_head(session, ctx.clock)  # the demo's entries under a signed head
    return list(DEMO_ACCOUNTS)


def _rules_since(ctx: Context) -> dt.date:
    return max(
        min(leaf.values[0][0] for leaf in ctx.rules.leaves(key)) for key in RULES_OVER_GENERATED
    )


def _accounts(session: Session, ctx: Context) -> None:
    seed_catalog(session, ctx, actor=SYSTEM)
    for key, kind, name in (
        (DEMO_COMPANY, "legal_person", "哈尔滨示范科技有限公司（演示）"),
        (DEMO_CITIZEN, "natural_person", "张示范（演示）"),
        (DEMO_LISTED, "legal_person", DEMO_LISTED_NAME),
        (DEMO_LISTED_REPRESENTATIVE, "natural_person", DEMO_LISTED_REPRESENTATIVE_NAME),
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
    # Registered before the listing, so that HLJ 33 lists the representative with the company.
    add_link(
        session,
        ctx,
        actor=SYSTEM,
        organisation_key=DEMO_LISTED,
        body=LinkIn(
            person_key=DEMO_LISTED_REPRESENTATIVE,
            person_name=DEMO_LISTED_REPRESENTATIVE_NAME,
            relation="legal_representative",
            valid_from=ctx.today() - dt.timedelta(days=730),
            source="市场主体登记信息（演示）",
        ),
    )


def _company_penalty(ctx: Context) -> dict[str, str]:
    """Decided REPAIRABLE_AGE_DAYS ago, or, loaded soon after the publicity periods came into
    force (2023-05-01), on the first day they were in force: never on a day without them."""
    from xinyong.demo.rows import penalty_row

    today = ctx.today()
    since = min(leaf.values[0][0] for leaf in ctx.rules.leaves("publicity.general.min"))
    age = max(0, min(REPAIRABLE_AGE_DAYS - 1, (today - since).days - 1))  # decided today-1-age
    if age in (42, 60):  # the keys of the quarantined row's and the citizen's penalties
        age -= 1
    return penalty_row(age, today) | {
        "行政相对人名称": "哈尔滨示范科技有限公司（演示）",
        "统一社会信用代码": DEMO_COMPANY,
    }


def _citizen_penalty(today: dt.date) -> dict[str, str]:
    from xinyong.demo.rows import penalty_row

    return penalty_row(60, today, person=True) | {
        "行政相对人名称": "张示范（演示）",
        "证件号码": DEMO_CITIZEN,
    }


def _own_records(ctx: Context) -> None:
    """The demo subjects' own information, pushed as a provider's import would push it: a
    penalty of the company's, later changed by its provider (two versions, so the self-service
    page has a history to show, HLJ 35), and one of the citizen's; and a row the provider got
    wrong (a check character that does not match), kept in its quarantine."""
    from xinyong.demo.rows import penalty_row
    from xinyong.flows import AFTER_PUSH
    from xinyong.ingest.readers import read_json_records
    from xinyong.ingest.service import ingest

    today = ctx.today()
    company, citizen = _company_penalty(ctx), _citizen_penalty(today)
    changed = company | {"处罚内容": "罚款人民币三千元，没收违法所得八百元。"}
    wrong = penalty_row(42, today)
    code = wrong["统一社会信用代码"]
    wrong["统一社会信用代码"] = code[:-1] + ("0" if code[-1] != "0" else "1")
    for rows in ([company, citizen], [changed], [wrong]):
        ingest(
            ctx,
            actor=SYSTEM,
            provider_code=DEMO_PROVIDER,
            item_code=PENALTY_ITEM,
            rows=read_json_records(rows),
            source="api",
            after=AFTER_PUSH,
        )


def _account(session: Session, username: str) -> Actor:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return actor_of(user)


def _story(ctx: Context) -> None:
    """What the subjects did after their information arrived: the citizen objected to its
    penalty and authorised the bank. The company's penalty is checked to be repairable today."""
    today = ctx.today()
    with ctx.sessions() as session, session.begin():
        company = store.current(
            session, DEMO_PROVIDER, PENALTY_ITEM, _company_penalty(ctx)["处罚决定书文号"]
        )
        citizen = store.current(
            session, DEMO_PROVIDER, PENALTY_ITEM, _citizen_penalty(today)["处罚决定书文号"]
        )
        if company is None or citizen is None:
            raise RuntimeError("演示数据：示范主体的行政处罚信息未能写入")
        first = repair_eligibility(ctx, company)
        if first is None or first > today:
            raise RuntimeError(f"演示数据：示范企业的行政处罚信息自{first}起才可申请信用修复")
        person = _account(session, "citizen")
        file_objection(
            session,
            ctx,
            actor=person,
            record_id=citizen.id,
            request="处罚决定书记载的违法行为发生日期有误，本人当日不在经营场所，"
            "请核实更正。（演示）",
        )
        grant(
            session,
            ctx,
            actor=person,
            body=GrantIn(
                grantee="bank",
                items=[PENALTY_ITEM],
                purpose="个人经营贷款授信审查（演示）",
                expires_on=add_period(today, 3, "month"),
            ),
        )
        _commitments(session, ctx)


def _commitments(session: Session, ctx: Context) -> None:
    """A matter that accepts a commitment, the company's licence on a commitment (decided today:
    verification due in two months), and a voluntary commitment of its own."""
    staff = _account(session, "staff")
    matters.create(
        session,
        ctx,
        actor=staff,
        body=MatterIn(
            code="DEMO-SGXK-01",
            name="建筑工程施工许可（告知承诺，演示）",
            kind="licensing",
            agency="哈尔滨市住房和城乡建设局（演示）",
            legal_basis="《建筑工程施工许可管理办法》（演示事项，依据以实施机关公布为准）",
            replaces="施工图审查合格文件等材料以书面承诺替代，许可决定后两个月内核查",
            cure_days=10,
        ),
    )
    agency = _account(session, "agency")
    licence = filing.file(
        session,
        ctx,
        actor=agency,
        body=CommitmentIn(
            subject_key=DEMO_COMPANY,
            subject_name=_name(session, DEMO_COMPANY),
            commitment_type="approval_substitute",
            matter_code="DEMO-SGXK-01",
            reason="申请建筑工程施工许可（演示）",
            content="本单位承诺所报材料真实有效，施工图设计文件已按规定审查合格。（演示）",
            liability="如有虚假承诺或未履行承诺，愿承担撤销许可等法律责任。（演示）",
        ),
        via="page",
    )
    verification.decide(session, ctx, actor=agency, number=licence.number)
    filing.file_own(
        session,
        ctx,
        actor=_account(session, "company"),
        body=VoluntaryIn(
            reason="向社会公开承诺守法诚信经营（演示）",
            content="本单位承诺依法经营、诚实守信，自觉接受社会监督。（演示）",
            liability="违背承诺的，愿意接受相应的失信约束。（演示）",
        ),
    )


def _name(session: Session, key: str) -> str:
    name = session.scalar(select(Subject.name).where(Subject.subject_key == key))
    if name is None:
        raise RuntimeError(f"演示数据：未找到主体{key}")
    return name
