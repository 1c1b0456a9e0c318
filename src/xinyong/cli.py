"""`xinyong` command line: serve, migrate, the law, the calendar, the audit log, demo data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from xinyong.audit.tags import AuditTag
from xinyong.common.roles import ROLE_LABELS, SYSTEM, Role

if TYPE_CHECKING:
    from xinyong.context import Context

app = typer.Typer(
    help="公共信用信息平台（xinyong）命令行", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
law_app = typer.Typer(help="法规数据（规则包）", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历", no_args_is_help=True)
workdays_app = typer.Typer(help="工作日计算", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
demo_app = typer.Typer(help="演示数据（合成）", no_args_is_help=True)
id_app = typer.Typer(help="主体标识校验", no_args_is_help=True)
accounts_app = typer.Typer(help="账户", no_args_is_help=True)
catalog_app = typer.Typer(help="公共信用信息目录", no_args_is_help=True)
quarantine_app = typer.Typer(help="被拒收记录（隔离区）", no_args_is_help=True)
providers_app = typer.Typer(help="信息提供单位", no_args_is_help=True)
lists_app = typer.Typer(help="守信激励与严重失信主体名单、联合奖惩核查", no_args_is_help=True)
agencies_app = typer.Typer(help="国家机关（依法履职查询、联合奖惩核查）", no_args_is_help=True)
keys_app = typer.Typer(help="API密钥：签发、列出、轮换、撤销", no_args_is_help=True)
peers_app = typer.Typer(help="交换平台（上级、下级平台）登记", no_args_is_help=True)
exchange_app = typer.Typer(help="平台间信息交换", no_args_is_help=True)
supervision_app = typer.Typer(help="分级分类监管：双随机抽查", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (law_app, "law"),
    (calendar_app, "calendar"),
    (workdays_app, "workdays"),
    (audit_app, "audit"),
    (demo_app, "demo"),
    (id_app, "id"),
    (accounts_app, "accounts"),
    (catalog_app, "catalog"),
    (quarantine_app, "quarantine"),
    (providers_app, "providers"),
    (lists_app, "lists"),
    (keys_app, "keys"),
    (agencies_app, "agencies"),
    (peers_app, "peers"),
    (exchange_app, "exchange"),
    (supervision_app, "supervision"),
):
    app.add_typer(sub, name=name)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _ctx() -> Context:
    from xinyong.context import build_context

    return build_context()


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """迁移数据库到最新结构。"""
    from alembic import command

    from xinyong.config import get_settings

    url = get_settings().resolved_database_url()
    command.upgrade(alembic_config(url), revision)
    typer.echo(f"数据库已迁移至 {revision}：{url.split('@')[-1]}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """将数据库结构回退到指定版本（如 0016_links）。"""
    from alembic import command

    from xinyong.config import get_settings

    url = get_settings().resolved_database_url()
    command.downgrade(alembic_config(url), revision)
    typer.echo(f"数据库已回退至 {revision}：{url.split('@')[-1]}")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """启动平台（API、接口文档 /docs、页面）。"""
    import uvicorn

    from xinyong.config import get_settings
    from xinyong.web.app import create_app

    grace = get_settings().shutdown_grace_seconds
    typer.echo(f"平台地址 http://{host}:{port}  接口文档 http://{host}:{port}/docs")
    config = uvicorn.Config(create_app(), host=host, port=port, timeout_graceful_shutdown=grace)
    server = uvicorn.Server(config)
    graceful = server.handle_exit

    def handle_exit(sig: int, frame: FrameType | None) -> None:
        """SIGTERM/SIGINT: uvicorn stops accepting, waits `grace` seconds for requests in
        progress, then cancels them; a request blocked in a worker thread (a database wait)
        cannot be cancelled and would keep the process alive, so it is ended a few seconds
        later regardless (open transactions roll back when their connections drop)."""
        graceful(sig, frame)
        if not getattr(handle_exit, "armed", False):
            handle_exit.armed = True  # type: ignore[attr-defined]
            timer = threading.Timer(grace + 5, os._exit, args=(3,))
            timer.daemon = True
            timer.start()

    server.handle_exit = handle_exit  # type: ignore[method-assign]
    server.run()


@law_app.command("show")
def law_show(
    key: str,
    platform: Annotated[
        str | None, typer.Option(help="平台：230000/heilongjiang 或 230100/harbin")
    ] = None,
    on: Annotated[str | None, typer.Option(help="日期 YYYY-MM-DD（默认今天）")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """显示一条规则的值、单位和出处。"""
    from xinyong.common.clock import SystemClock, today
    from xinyong.common.errors import DomainError
    from xinyong.config import get_settings
    from xinyong.law.rules import default_library

    day = dt.date.fromisoformat(on) if on else today(SystemClock())
    try:
        answer = default_library().ruleset(platform or get_settings().platform).get(key, day)
    except DomainError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps(answer.as_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(answer.summary())
    for c in answer.contributions:
        mark = "适用" if c.applied else "未适用"
        cites = "；".join(
            x.label() + (f"（{x.document}）" if x.document else "") for x in c.citations
        )
        shown = len(c.value) if isinstance(c.value, list) else c.value
        typer.echo(f"  [{mark}] {c.pack}: {shown} — {cites}")
    for note in answer.notes:
        typer.echo(f"  注：{note}")


@law_app.command("list")
def law_list(platform: Annotated[str | None, typer.Option()] = None) -> None:
    """列出平台适用的全部规则键。"""
    from xinyong.config import get_settings
    from xinyong.law.rules import default_library

    for key in default_library().ruleset(platform or get_settings().platform).rule_keys():
        typer.echo(key)


@law_app.command("check")
def law_check() -> None:
    """严格校验全部规则包。"""
    from xinyong.law.rules import PackError, load_library
    from xinyong.law.workdays import shipped_calendars

    try:
        library = load_library()
        shipped_calendars()
    except PackError as exc:
        _fail(str(exc))
        return
    leaves = sum(len(p.leaves) for p in library.packs.values())
    typer.echo(f"规则包校验通过：{len(library.packs)}个规则包，{leaves}条规则")


@calendar_app.command("import")
def calendar_import(file: Path) -> None:
    """导入国务院办公厅节假日安排通知（YAML），并重算所有暂定期限。"""
    from xinyong.deadlines.service import import_calendar_notice
    from xinyong.law.rules import PackError

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            notice, changed = import_calendar_notice(session, ctx, actor=SYSTEM, path=file)
    except PackError as exc:
        _fail(str(exc))
        return
    typer.echo(
        f"已导入{notice.year}年（第{notice.version}版）：{notice.title}（{notice.document}）"
    )
    typer.echo(f"重算暂定期限{len(changed)}项")


@calendar_app.command("show")
def calendar_show(year: int) -> None:
    """显示某年的节假日和调休上班日。"""
    from xinyong.deadlines.service import load_calendar

    ctx = _ctx()
    with ctx.sessions() as session:
        cal = load_calendar(session)
    y = cal.year(year)
    status = "正式" if cal.is_official(year) else "暂定（仅法定节假日，未含调休）"
    typer.echo(f"{year}年：{status}；来源：{y.notice.get('title', y.source)}")
    typer.echo("放假（工作日）：" + " ".join(d.isoformat() for d in sorted(y.holidays)))
    typer.echo("调休上班（周末）：" + " ".join(d.isoformat() for d in sorted(y.workdays)))


@workdays_app.command("add")
def workdays_add(
    start: str,
    days: int,
    pause: Annotated[
        list[str] | None, typer.Option(help="不计入的期间 YYYY-MM-DD..YYYY-MM-DD")
    ] = None,
) -> None:
    """起算日不计入（民法典第二百零一条），计算若干工作日后的日期。"""
    from xinyong.common.errors import DomainError
    from xinyong.deadlines.service import load_calendar
    from xinyong.law.workdays import Pause

    try:
        pauses = [Pause.parse(raw) for raw in pause or []]
    except DomainError as exc:
        _fail(str(exc))
        return
    ctx = _ctx()
    with ctx.sessions() as session:
        due = load_calendar(session).add_working_days(dt.date.fromisoformat(start), days, pauses)
    line = due.due.isoformat()
    if due.provisional:
        line += (
            f"  （暂定：{'、'.join(str(y) for y in due.provisional_years)}年节假日安排尚未公布）"
        )
    typer.echo(line)


@audit_app.command("verify")
def audit_verify(
    full: Annotated[bool, typer.Option(help="（兼容旧用法：每次核验都从第1条起）")] = False,
    heads: Annotated[
        list[Path] | None, typer.Option("--heads", help="另行保存的树头文件副本（可多个）")
    ] = None,
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="树头签名公钥（十六进制），默认本平台密钥")
    ] = None,
    sign: Annotated[bool, typer.Option("--sign/--no-sign", help="核验通过后签署新的树头")] = True,
) -> None:
    """从第1条起核验整个审计日志：每条的哈希与衔接、默克尔树、每个签名树头；日志被修改、删除、
    插入、改写、截断或回滚时以状态2退出。核验通过后签署当前的树头。"""
    from xinyong.audit.heads import load_public

    del full
    ctx = _ctx()
    public = load_public(public_key) if public_key else None
    with ctx.sessions() as session:
        result = ctx.audit.verify(session, heads=list(heads or []), public=public)
    if not result.ok:
        _fail(result.message, code=2)
    typer.echo(result.message)
    if sign:
        with ctx.sessions() as session, session.begin():
            ctx.audit.restore_edge(session, result)
        with ctx.sessions() as session:
            head = ctx.audit.sign_head(session, ctx.clock)
        if head is not None:
            typer.echo(f"树头：{head.size}条，根{head.root}，{head.time}")


@audit_app.command("head")
def audit_head() -> None:
    """签署审计日志当前的树头（条数、默克尔根、时间）并追加到库外的树头文件。"""
    ctx = _ctx()
    with ctx.sessions() as session:
        head = ctx.audit.sign_head(session, ctx.clock)
    if head is None:
        _fail("无法签署树头：链头缺少默克尔树右边界，请先运行 xinyong audit verify")
        return
    typer.echo(json.dumps(dataclasses.asdict(head), ensure_ascii=False))


@audit_app.command("public-key")
def audit_public_key() -> None:
    """打印树头签名公钥（十六进制），交给保存树头文件的第三方用于核验。"""
    from xinyong.audit.heads import public_hex

    key = _ctx().audit.public_key()
    if key is None:
        _fail("未配置树头签名密钥")
        return
    typer.echo(public_hex(key))


@audit_app.command("prove")
def audit_prove(
    entry_id: Annotated[int | None, typer.Argument(help="审计条目编号")] = None,
    consistency: Annotated[
        tuple[int, int] | None,
        typer.Option("--consistency", help="两个已签署树头的条数：证明前者是后者的前缀"),
    ] = None,
) -> None:
    """给出一条审计条目的包含证明（相对于覆盖它的签名树头），或两个树头之间的一致性证明（JSON）。"""
    from xinyong.audit.proofs import consistency_of, inclusion_of

    ctx = _ctx()
    if (entry_id is None) == (consistency is None):
        _fail("请给出条目编号，或 --consistency 旧条数 新条数")
        return
    with ctx.sessions() as session:
        try:
            if entry_id is not None:
                proof = inclusion_of(session, ctx, entry_id)
            else:
                assert consistency is not None
                proof = consistency_of(session, ctx, *consistency)
        except ValueError as exc:
            _fail(str(exc))
            return
    typer.echo(json.dumps(proof, ensure_ascii=False, indent=2))


@audit_app.command("check-proof")
def audit_check_proof(
    proof_file: Annotated[Path, typer.Argument(help="xinyong audit prove 输出的证明（JSON）")],
    public_key: Annotated[str, typer.Option("--public-key", help="树头签名公钥（十六进制）")],
) -> None:
    """不连数据库，只凭公钥核验一份证明：树头签名、条目哈希、包含或一致性证明。"""
    from xinyong.audit.heads import load_public
    from xinyong.audit.proofs import check_proof

    problem = check_proof(json.loads(proof_file.read_text("utf-8")), load_public(public_key))
    if problem:
        _fail(problem, code=2)
    typer.echo("证明有效")


@audit_app.command("check-heads")
def audit_check_heads(
    heads_file: Annotated[Path, typer.Argument(help="树头文件（或其副本）")],
    public_key: Annotated[str, typer.Option("--public-key", help="树头签名公钥（十六进制）")],
) -> None:
    """不连数据库核验一份树头文件：每行的签名和与上一行的衔接。"""
    from xinyong.audit.heads import load_public
    from xinyong.audit.service import AuditLog

    heads, problem = AuditLog.check_heads([heads_file], load_public(public_key))
    if problem is not None:
        _fail(problem.message, code=2)
    newest = max(heads) if heads else 0
    typer.echo(f"树头文件有效：{len(heads)}个树头，最新的记{newest}条")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """在最新条目处写入签名检查点。"""
    ctx = _ctx()
    with ctx.sessions() as session, session.begin():
        cp = ctx.audit.checkpoint(session, ctx.clock)
    typer.echo(f"检查点：第{cp.upto_id}条" if cp else "审计日志为空")


@demo_app.command("load")
def demo_load(
    on: Annotated[
        str | None,
        typer.Option(help="按该日期（YYYY-MM-DD，北京时间上午9时）载入，用于演示和测试；默认今天"),
    ] = None,
) -> None:
    """数据库为空时载入演示账户和少量合成数据（全部成功或全部不写入），并打印演示账户。"""
    from xinyong.common.clock import FixedClock
    from xinyong.common.errors import DomainError
    from xinyong.common.roles import ROLE_LABELS
    from xinyong.context import build_context
    from xinyong.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo

    try:
        day = dt.date.fromisoformat(on) if on else None
    except ValueError:
        _fail(f"日期应为YYYY-MM-DD：{on}")
        return
    try:
        created = load_demo(build_context(clock=FixedClock(day)) if day else _ctx())
    except DomainError as exc:
        _fail(f"演示数据未载入（数据库未改动）：{exc.message}")
        return
    except RuntimeError as exc:  # the story's own checks (demo/seed.py)
        _fail(f"演示数据未载入（数据库未改动）：{exc}")
        return
    typer.echo("已创建演示数据（合成）。" if created else "数据库已有数据，未重复载入演示数据。")
    typer.echo(f"演示账户（密码均为 {DEMO_PASSWORD}）：")
    for acc in DEMO_ACCOUNTS:
        extra = f"  {acc.subject_key}" if acc.subject_key else ""
        typer.echo(f"  {acc.username:<10} {ROLE_LABELS[acc.role]}：{acc.display_name}{extra}")


@demo_app.command("generate")
def demo_generate(
    subjects: Annotated[int, typer.Option(min=0)] = 1000,
    records: Annotated[int, typer.Option(min=0)] = 10000,
    seed: int = 1,
    batch: Annotated[int, typer.Option(min=1)] = 5000,
) -> None:
    """流式生成合成信用主体和信用记录（标记为合成数据）。"""
    import time

    from xinyong.demo.generate import generate

    ctx = _ctx()
    began = time.perf_counter()
    with typer.progressbar(length=subjects, label="生成中") as bar:
        counts = generate(
            ctx, subjects=subjects, records=records, seed=seed, batch=batch, progress=bar.update
        )
    took = time.perf_counter() - began
    rate = (counts.subjects + counts.records) / took if took else 0
    typer.echo(
        f"已生成主体{counts.subjects}个、记录{counts.records}条，用时{took:.1f}秒（{rate:,.0f}行/秒）"
    )


@id_app.command("check")
def id_check(value: str) -> None:
    """校验统一社会信用代码或公民身份号码，指出不符合的规则。"""
    from xinyong.common.clock import SystemClock, today
    from xinyong.common.identifiers import RULE_LABELS, check_identifier

    result = check_identifier(value, today(SystemClock()))
    if result.valid:
        typer.echo(f"有效：{json.dumps(result.info, ensure_ascii=False)}")
        for note in result.unverified:
            typer.echo(f"  注（未核实）：{note}")
        return
    for f in result.failures:
        typer.echo(f"{RULE_LABELS[f.rule]}（{f.rule}）：{f.message}")
    raise typer.Exit(1)


@accounts_app.command("create")
def accounts_create(
    username: str,
    role: Role,
    display_name: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    subject_key: str | None = None,
    organisation: str | None = None,
    provider_code: Annotated[
        str | None, typer.Option(help="信息提供单位账户：所属提供单位编码")
    ] = None,
    agency_code: Annotated[
        str | None, typer.Option(help="国家机关账户：所属机关的统一社会信用代码")
    ] = None,
) -> None:
    """创建账户（信息提供单位账户须指明 --provider-code，国家机关账户可指明 --agency-code）。"""
    from xinyong.accounts.service import create_user
    from xinyong.common.errors import DomainError

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            user = create_user(
                session,
                ctx,
                actor=SYSTEM,
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                subject_key=subject_key,
                organisation=organisation,
                provider_code=provider_code,
                agency_code=agency_code,
            )
            shown = f"已创建账户 {user.username}（{ROLE_LABELS[role]}"
            shown += f"，{user.organisation}）" if user.organisation else "）"
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(shown)


@accounts_app.command("disable")
def accounts_disable(username: str) -> None:
    """停用账户：不能登录，其会话、令牌和API密钥一律拒绝。"""
    from xinyong.accounts.service import disable_user
    from xinyong.common.errors import DomainError

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            disable_user(session, ctx, actor=SYSTEM, username=username)
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(f"已停用账户 {username}")


@accounts_app.command("enable")
def accounts_enable(username: str) -> None:
    """恢复已停用的账户。"""
    from xinyong.accounts.service import enable_user
    from xinyong.common.errors import DomainError

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            enable_user(session, ctx, actor=SYSTEM, username=username)
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(f"已恢复账户 {username}")


@accounts_app.command("reset-password")
def accounts_reset_password(username: str) -> None:
    """重置密码：显示一次临时密码，账户下次登录须先修改密码。"""
    from xinyong.accounts.service import reset_password
    from xinyong.common.errors import DomainError

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            temporary = reset_password(session, ctx, actor=SYSTEM, username=username)
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(temporary)
    typer.echo(f"（账户 {username} 的临时密码只显示这一次；下次登录须先修改密码）", err=True)


@accounts_app.command("unlock")
def accounts_unlock(username: str) -> None:
    """清除某账户的登录失败计数（登录限制提前解除；按地址的计数不变）。"""
    from xinyong.accounts import throttle

    ctx = _ctx()
    with ctx.sessions() as session, session.begin():
        cleared = throttle.clear_account(session, username)
        ctx.log(
            session,
            actor=SYSTEM,
            action=AuditTag.ACCOUNTS_USER_UNLOCK,
            object_type="user",
            detail={"username": username, "failures_cleared": cleared},
        )
    typer.echo(f"已清除账户 {username} 的{cleared}次登录失败记录")


@keys_app.command("create")
def keys_create(
    username: str,
    label: Annotated[str, typer.Option(help="用途说明")],
    days: Annotated[int | None, typer.Option(help="有效天数（默认按平台设置）")] = None,
) -> None:
    """为账户签发API密钥（只显示这一次）。"""
    from sqlalchemy import select

    from xinyong.accounts.models import User
    from xinyong.accounts.service import create_api_key
    from xinyong.common.errors import DomainError

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                _fail(f"没有用户名为“{username}”的账户")
                return
            key = create_api_key(session, ctx, actor=SYSTEM, user=user, label=label, days=days)
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(key)
    typer.echo("（密钥只显示这一次，平台仅保存其摘要）", err=True)


@keys_app.command("list")
def keys_list(
    user: Annotated[str | None, typer.Option("--user", help="只列出该账户的密钥")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """列出API密钥（前缀、账户、有效期、状态；不含密钥本身）。"""
    from xinyong.accounts.service import list_api_keys

    ctx = _ctx()
    with ctx.sessions() as session:
        keys = list_api_keys(session, ctx, actor=SYSTEM, username=user)
    if as_json:
        typer.echo(json.dumps([k.as_dict() for k in keys], ensure_ascii=False, indent=2))
        return
    for k in keys:
        until = k.expires_at.date().isoformat() if k.expires_at else "-"
        typer.echo(
            f"{k.id:>5}  {k.username:<12} {k.prefix}…  至{until}  {k.status_label}  {k.label}"
        )


@keys_app.command("rotate")
def keys_rotate(
    key_id: int,
    grace_hours: Annotated[int, typer.Option(help="旧密钥继续有效的小时数（默认立即失效）")] = 0,
    days: Annotated[int | None, typer.Option(help="新密钥有效天数")] = None,
) -> None:
    """签发接替的新密钥（只显示这一次）；旧密钥立即或在宽限期后失效。"""
    from xinyong.accounts.service import rotate_api_key
    from xinyong.common.errors import DomainError

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            key = rotate_api_key(
                session, ctx, actor=SYSTEM, key_id=key_id, grace_hours=grace_hours, days=days
            )
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(key)
    typer.echo(f"（已轮换第{key_id}号密钥；新密钥只显示这一次）", err=True)


@keys_app.command("revoke")
def keys_revoke(key_id: int) -> None:
    """撤销API密钥：此后使用它的请求一律拒绝。"""
    from xinyong.accounts.service import revoke_api_key
    from xinyong.common.errors import DomainError

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            revoke_api_key(session, ctx, actor=SYSTEM, key_id=key_id)
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(f"已撤销第{key_id}号API密钥")


@catalog_app.command("seed")
def catalog_seed() -> None:
    """载入本省目录种子（目录项与提供单位）；已有的不覆盖。"""
    from xinyong.catalog.service import seed_catalog

    ctx = _ctx()
    with ctx.sessions() as session, session.begin():
        created = seed_catalog(session, ctx, actor=SYSTEM)
    typer.echo(f"新建{len(created)}项：{'、'.join(created) if created else '无'}")


@catalog_app.command("list")
def catalog_list() -> None:
    """列出现行目录项。"""
    from xinyong.catalog.service import list_items

    ctx = _ctx()
    with ctx.sessions() as session:
        for item in list_items(session):
            mark = "【未核实】" if item.unverified else ""
            typer.echo(f"{item.code}  v{item.version}  {item.category:<20} {item.name}{mark}")


@catalog_app.command("show")
def catalog_show(code: str, version: int | None = None) -> None:
    """显示目录项（字段、提供单位、属性）。"""
    from xinyong.catalog.service import describe, get_item
    from xinyong.common.errors import DomainError

    ctx = _ctx()
    with ctx.sessions() as session:
        try:
            typer.echo(
                json.dumps(describe(get_item(session, code, version)), ensure_ascii=False, indent=2)
            )
        except DomainError as exc:
            _fail(str(exc))


@catalog_app.command("define")
def catalog_define(file: Path) -> None:
    """按YAML/JSON文件新建目录项或其新版本。"""
    from pydantic import ValidationError

    from xinyong.catalog.schemas import CatalogItemSpec
    from xinyong.catalog.service import define_item
    from xinyong.common.errors import DomainError
    from xinyong.law.rules import load_yaml

    ctx = _ctx()
    try:
        spec = CatalogItemSpec.model_validate(load_yaml(file))
        with ctx.sessions() as session, session.begin():
            item = define_item(session, ctx, actor=SYSTEM, spec=spec)
    except (DomainError, ValidationError) as exc:
        _fail(str(exc))
        return
    typer.echo(f"已定义 {item.code} v{item.version}")


@app.command()
def ingest(
    file: Path,
    provider: Annotated[str, typer.Option(help="提供单位代码")],
    item: Annotated[str, typer.Option(help="目录项代码")],
    receipt: Annotated[Path | None, typer.Option(help="把完整回执写入此JSON文件")] = None,
) -> None:
    """导入CSV或Excel文件（.csv、.xlsx、.xls；表头为目录的中文字段名），流式处理并打印回执。"""
    from xinyong.common.errors import DomainError
    from xinyong.flows import AFTER_PUSH
    from xinyong.ingest.readers import reader_for
    from xinyong.ingest.service import close_crashed_batches, ingest_file

    ctx = _ctx()
    try:
        kind = reader_for(file.name)
    except DomainError as exc:
        _fail(str(exc))
        return
    for batch_id in close_crashed_batches(ctx):
        typer.echo(f"批次{batch_id}的导入进程已意外终止，已关闭该批次（见其回执）")
    with typer.progressbar(length=file.stat().st_size, label="导入中") as bar:
        seen = 0

        def progress(rows: int, position: int | None) -> None:
            nonlocal seen
            if position is not None:
                bar.update(position - seen)
                seen = position

        try:
            result = ingest_file(
                ctx,
                actor=SYSTEM,
                provider_code=provider,
                item_code=item,
                path=file,
                kind=kind,
                progress=progress,
                after=AFTER_PUSH,
            )
        except DomainError as exc:
            _fail(str(exc))
            return
    counts = result.counts()
    typer.echo(
        f"批次{result.batch_id}：共{counts['rows']}行，新增{counts['accepted']}，更新{counts['updated']}，"
        f"未变{counts['unchanged']}，拒收{counts['rejected']}"
    )
    for rejected in result.rejected[:20]:
        reasons = "；".join(r["message"] for r in rejected["reasons"])
        typer.echo(f"  第{rejected['row']}行（隔离记录{rejected['quarantine_id']}）：{reasons}")
    if len(result.rejected) > 20:
        typer.echo(f"  ……另有{len(result.rejected) - 20}行被拒收，见 xinyong quarantine list")
    if result.unverified:
        typer.echo(f"  注（未核实）：{result.unverified}")
    for note in result.as_dict().get("notes", []):
        typer.echo(f"  注：{note}")
    if receipt:
        receipt.write_text(
            json.dumps(result.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )


@quarantine_app.command("list")
def quarantine_list(
    provider: Annotated[str, typer.Option(help="提供单位代码")],
    state: str = "open",
    limit: int = 50,
) -> None:
    """列出被拒收的记录及其理由。"""
    from xinyong.ingest.quarantine import describe, list_quarantine

    ctx = _ctx()
    with ctx.sessions() as session:
        total, rows = list_quarantine(session, SYSTEM, provider, state=state, limit=limit)
    typer.echo(f"共{total}条（{state}）")
    for row in rows:
        d = describe(row)
        reasons = "；".join(r["message"] for r in d["reasons"])
        typer.echo(f"  #{d['id']} 批次{d['batch_id']} 第{d['row']}行 {d['item']}：{reasons}")


@providers_app.command("timeliness")
def providers_timeliness(code: str, year: int | None = None) -> None:
    """按目录项统计迟于更新周期报送的记录（哈尔滨条例第六条年度考核的依据）。"""
    from xinyong.records.service import timeliness

    ctx = _ctx()
    with ctx.sessions() as session:
        rows = timeliness(session, code, year)
    if not rows:
        typer.echo("无记录")
    for r in rows:
        typer.echo(
            f"{r['item']}：{r['records']}条，迟报{r['late']}条，及时率{r['on_time_ratio']:.2%}"
        )


@providers_app.command("add")
def providers_add(
    code: str,
    name: str,
    uscc: Annotated[str, typer.Option(help="单位的统一社会信用代码")],
    region: Annotated[str, typer.Option(help="行政区划代码（6位）")],
    level: Annotated[str, typer.Option(help="province/city/county/township")] = "city",
) -> None:
    """登记信息提供单位（已存在的编码则补登其统一社会信用代码等）。"""
    from xinyong.common.errors import DomainError
    from xinyong.providers.service import register_unit

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            register_unit(
                session,
                ctx,
                actor=SYSTEM,
                code=code,
                name=name,
                uscc=uscc,
                level=level,
                region=region,
            )
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(f"已登记信息提供单位 {code}（{name}）")


@agencies_app.command("add")
def agencies_add(
    uscc: str,
    name: str,
    region: Annotated[str, typer.Option(help="行政区划代码（6位）")],
) -> None:
    """登记依法履职查询、核查的国家机关。"""
    from xinyong.common.errors import DomainError
    from xinyong.providers.service import register_agency

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            register_agency(session, ctx, actor=SYSTEM, uscc=uscc, name=name, region=region)
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(f"已登记国家机关 {name}")


@app.command("search")
def search_cmd(query: str, reindex: bool = False) -> None:
    """按名称（两个字以上）或统一社会信用代码查询组织；--reindex 先补建名称索引。"""
    from xinyong.search.service import refresh_index, search

    ctx = _ctx()
    with ctx.sessions() as session, session.begin():
        if reindex:
            typer.echo(f"已为{refresh_index(session)}个主体建立名称索引")
        for row in search(session, ctx, SYSTEM, query):
            typer.echo(f"{row['subject_key']}  {row['name']}")


@lists_app.command("sync-court")
def lists_sync_court() -> None:
    """把法院推送的失信被执行人认定为严重失信主体（条例第二十八条第三款）；可重复运行。"""
    from xinyong.lists.court_debtors import sync_court_debtors

    ctx = _ctx()
    with ctx.sessions() as session, session.begin():
        done = sync_court_debtors(session, ctx, actor=SYSTEM)
    typer.echo(f"新列入{done['added']}个，移出{done['removed']}个")


@lists_app.command("check")
def lists_check(
    scenario: str,
    codes_file: Path,
    username: str = typer.Option(..., help="以哪个国家机关或工作人员账户的名义核查"),
    matter: str | None = None,
) -> None:
    """联合奖惩核查：文件每行一个主体代码；结果逐行打印，并留存核查记录。"""
    from sqlalchemy import select

    from xinyong.accounts.models import User
    from xinyong.accounts.service import actor_of
    from xinyong.lists.check import as_csv_rows, run_check

    ctx = _ctx()
    keys = [line.split(",")[0].strip() for line in codes_file.read_text("utf-8-sig").splitlines()]
    with ctx.sessions() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise typer.BadParameter(f"没有账户{username}")
        answer = run_check(
            session,
            ctx,
            actor=actor_of(user),
            scenario=scenario,
            subject_keys=[k for k in keys if k],
            matter=matter,
        )
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows(as_csv_rows(answer))
    typer.echo(buffer.getvalue(), nl=False)
    typer.echo(f"核查编号{answer.check.id}，摘要{answer.check.digest}", err=True)


@peers_app.command("add")
def peers_add(
    code: Annotated[str, typer.Argument(help="平台代码（6位行政区划代码，如230000）")],
    name: Annotated[str, typer.Argument(help="平台名称")],
    url: Annotated[str, typer.Option(help="对方交换接口的地址，如 http://10.0.0.2:8000")],
    public_key: Annotated[str, typer.Option(help="对方的交换公钥（64位十六进制）")],
    relation: Annotated[str, typer.Option(help="upper（上级平台）或 lower（下级平台）")] = "upper",
) -> None:
    """登记（或更新）一个交换平台：本平台的上级平台或下级平台。"""
    from xinyong.common.errors import DomainError
    from xinyong.exchange import peers

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            peers.add(
                session,
                ctx,
                actor=SYSTEM,
                code=code,
                name=name,
                relation=relation,
                url=url,
                public_key=public_key,
            )
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(f"已登记{peers.RELATIONS.get(relation, relation)} {code}（{name}）")


@peers_app.command("list")
def peers_list() -> None:
    """列出本平台的交换平台。"""
    from xinyong.exchange import peers

    ctx = _ctx()
    with ctx.sessions() as session:
        rows = peers.listed(session)
        if not rows:
            typer.echo("尚未登记交换平台")
        for p in rows:
            relation = peers.RELATIONS.get(p.relation, p.relation)
            typer.echo(f"{p.code}\t{relation}\t{p.name}\t{p.url}\t{p.public_key}")


@peers_app.command("remove")
def peers_remove(code: str) -> None:
    """停止与一个交换平台交换（记录保留）。"""
    from xinyong.common.errors import DomainError
    from xinyong.exchange import peers

    ctx = _ctx()
    try:
        with ctx.sessions() as session, session.begin():
            peers.remove(session, ctx, actor=SYSTEM, code=code)
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(f"已停止与 {code} 交换")


@exchange_app.command("public-key")
def exchange_public_key() -> None:
    """本平台的交换公钥（交给上级、下级平台登记）。"""
    from xinyong.exchange.signing import public_key_hex

    typer.echo(public_key_hex(_ctx().settings))


@exchange_app.command("run")
def exchange_run(
    peer: Annotated[str | None, typer.Option(help="只向这个平台推送")] = None,
    force: Annotated[bool, typer.Option(help="不等重试间隔，立即重发")] = False,
    follow: Annotated[bool, typer.Option(help="持续运行：有新信息即推送")] = False,
) -> None:
    """把待推送的信息发送给上级、下级平台，并按对方的签名回执逐条确认。"""
    import time

    from xinyong.exchange import forwarder

    ctx = _ctx()
    while True:
        report = forwarder.run(ctx, peer=peer, force=force)
        for line in report.lines():
            typer.echo(line)
        if not follow:
            if any(p.error for p in report.peers):
                raise typer.Exit(1)
            return
        if not any(p.messages for p in report.peers):
            time.sleep(ctx.settings.exchange_poll_seconds)


@exchange_app.command("export")
def exchange_export(
    peer: Annotated[str, typer.Option(help="导出给这个平台（6位平台代码）")],
    out: Annotated[Path, typer.Option(help="导出到这个目录（新建或空目录）")],
) -> None:
    """以文件方式导出待推送给一个平台的全部信息（数据文件、清单及签名），供离线传递。"""
    from xinyong.common.errors import DomainError
    from xinyong.exchange import files

    try:
        done = files.export(_ctx(), peer, out)
    except DomainError as refused:
        _fail(refused.message)
        return
    kinds = "，".join(f"{k}{n}条" for k, n in done.counts.items()) or "没有待推送的条目"
    typer.echo(f"已导出报文序号{done.seq}至{done.folder}：共{done.items}条（{kinds}）")


@exchange_app.command("import")
def exchange_import(
    folder: Annotated[Path, typer.Argument(help="对方平台导出的目录")],
    receipt_dir: Annotated[
        Path | None, typer.Option(help="回执文件写入的目录（默认写入导出目录）")
    ] = None,
) -> None:
    """校验并导入其他平台以文件方式交来的信息（签名、摘要、条数、序号），写出签名回执。"""
    from xinyong.common.errors import DomainError
    from xinyong.exchange import files

    ctx = _ctx()
    try:
        done = files.import_(ctx, folder, receipt_dir)
    except DomainError as refused:
        _fail(refused.message)
        return
    c = done.counts
    typer.echo(
        f"已导入{done.sender}的报文序号{done.seq}：已应用{c['applied']}条，无变化{c['unchanged']}条，"
        f"拒收{c['refused']}条；回执：{done.receipt}"
    )


@exchange_app.command("settle")
def exchange_settle(
    receipt: Annotated[Path, typer.Argument(help="对方平台写出的回执文件")],
) -> None:
    """按对方平台的签名回执文件确认已导出的信息。"""
    from xinyong.common.errors import DomainError
    from xinyong.exchange import files

    try:
        peer, seq, c = files.settle(_ctx(), receipt)
    except DomainError as refused:
        _fail(refused.message)
        return
    typer.echo(
        f"已按{peer}的回执确认报文序号{seq}：已应用{c['applied']}条，无变化{c['unchanged']}条，"
        f"被拒收{c['refused']}条"
    )


@exchange_app.command("status")
def exchange_status() -> None:
    """各交换平台的待推送、最早待推送、逾期、被拒收、最近成功与积压时长；逾期条目注明条款。"""
    from xinyong.common.clock import PLATFORM_TZ
    from xinyong.exchange import clocks

    ctx = _ctx()
    today = ctx.today()
    with ctx.sessions() as session:
        rows = clocks.status(session, ctx)
        late = clocks.overdue(session, ctx, today, limit=50)
    if not rows:
        typer.echo("尚未登记交换平台")
    for p in rows:
        oldest = p.oldest_pending.isoformat() if p.oldest_pending else "无"
        success = "尚无"
        if p.last_success_at:
            success = p.last_success_at.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")
        typer.echo(
            f"{p.code}（{p.name}，{p.relation}）：待推送{p.pending}条，最早待推送{oldest}，"
            f"逾期{p.overdue}条，被拒收{p.refused}条，最近成功{success}，积压{p.lag}；时限：{p.clock}"
        )
        if p.overdue and p.overdue_article:
            typer.echo(f"  {p.overdue_article}")
    for item in late:
        typer.echo(
            f"  逾期：{item.ref} 第{item.version}版，{item.aggregated_on.isoformat()}归集，"
            f"应于{item.due_on.isoformat()}前推送{'（暂定日历）' if item.provisional else ''}"
        )


evaluation_app = typer.Typer(help="公共信用综合评价（黑龙江条例第四十七条）", no_args_is_help=True)
app.add_typer(evaluation_app, name="evaluation")


@evaluation_app.command("run")
def evaluation_run(
    on: str = typer.Option("", help="评价日（YYYY-MM-DD），默认今天"),
) -> None:
    """评价全部法人和非法人组织，结果按次保存、不覆盖以往结果。"""
    from xinyong.evaluation.service import run_all

    ctx = _ctx()
    day = dt.date.fromisoformat(on) if on else None
    typer.echo(json.dumps(run_all(ctx, actor=SYSTEM, on=day), ensure_ascii=False))


jobs_app = typer.Typer(help="定时任务", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run")
def jobs_run() -> None:
    """执行全部定时工作（逾期标记、名单期限届满移出、失信被执行人同步）；可重复、可并发运行。"""
    from xinyong.flows import run_jobs
    from xinyong.ingest.service import close_crashed_batches

    ctx = _ctx()
    closed = close_crashed_batches(ctx)
    done = run_jobs(ctx)
    if closed:
        done["interrupted_batches_closed"] = len(closed)
    with ctx.sessions() as session:  # each run leaves a signed tree head outside the database
        head = ctx.audit.sign_head(session, ctx.clock)
    typer.echo(json.dumps(done, ensure_ascii=False))
    if head is not None:
        typer.echo(f"审计树头：{head.size}条，根{head.root}", err=True)


@supervision_app.command("verify-draw")
def supervision_verify_draw(
    number: Annotated[str | None, typer.Argument(help="抽查计划编号（即抽取编号）")] = None,
    file: Annotated[
        Path | None,
        typer.Option(help="离线核验：公开页下载的抽取输入（JSON），不连接数据库"),
    ] = None,
) -> None:
    """重新计算一次双随机抽取：核对种子与公布的承诺值、名录与摘要、结果与重算结果是否一致。"""
    from xinyong.common.errors import DomainError
    from xinyong.supervision import draw, service

    if file is not None:
        shown = json.loads(file.read_text(encoding="utf-8"))
        if not shown.get("seed") or shown.get("result") is None:
            _fail("该文件中尚无公开的种子或抽取结果")
            return
        inputs_text = draw.canonical(shown["inputs"])
        checks = {
            "种子与承诺值相符": draw.digest(shown["seed"]) == shown["seed_commitment"],
            "名录与摘要相符": draw.digest(inputs_text) == shown["inputs_digest"],
            "重算结果与公布结果一致": draw.run(shown["seed"], shown["inputs"]) == shown["result"],
        }
        label = shown.get("number", str(file))
    elif number:
        ctx = _ctx()
        with ctx.sessions() as session:
            try:
                checked = service.verify(service.public_plan(session, number))
            except DomainError as exc:
                _fail(exc.message)
                return
        checks = {
            "种子与承诺值相符": checked["seed_matches_commitment"],
            "名录与摘要相符": checked["inputs_match_digest"],
            "重算结果与公布结果一致": checked["result_matches"],
        }
        label = number
    else:
        _fail("须给出抽查计划编号或 --file")
        return
    for name, ok in checks.items():
        typer.echo(f"{name}：{'是' if ok else '否'}")
    if not all(checks.values()):
        _fail(f"抽取{label}核验未通过")
    typer.echo(f"抽取{label}核验通过")


if __name__ == "__main__":
    app()
