"""`xinyong` command line: serve, migrate, the law, the calendar, the audit log, demo data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xinyong.common.roles import SYSTEM, Role

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


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """启动平台（API、接口文档 /docs、页面）。"""
    import uvicorn

    from xinyong.web.app import create_app

    typer.echo(f"平台地址 http://{host}:{port}  接口文档 http://{host}:{port}/docs")
    uvicorn.run(create_app(), host=host, port=port)


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
def audit_verify(full: Annotated[bool, typer.Option(help="从第1条起全量核验")] = False) -> None:
    """核验审计日志哈希链；被修改、删除或插入的条目使命令以非零状态退出。"""
    ctx = _ctx()
    with ctx.sessions() as session:
        result = ctx.audit.verify(session, full=full)
    if not result.ok:
        _fail(result.message, code=2)
    typer.echo(result.message)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """在最新条目处写入签名检查点。"""
    ctx = _ctx()
    with ctx.sessions() as session, session.begin():
        cp = ctx.audit.checkpoint(session, ctx.clock)
    typer.echo(f"检查点：第{cp.upto_id}条" if cp else "审计日志为空")


@demo_app.command("load")
def demo_load() -> None:
    """数据库为空时载入演示账户和少量合成数据，并打印演示账户。"""
    from xinyong.common.roles import ROLE_LABELS
    from xinyong.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo

    created = load_demo(_ctx())
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
) -> None:
    """创建账户。"""
    from xinyong.accounts.service import create_user

    ctx = _ctx()
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
        )
    typer.echo(f"已创建账户 {user.username}（{user.role}）")


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
    """导入CSV或Excel文件（表头为目录的中文字段名），流式处理并打印回执。"""
    from xinyong.common.errors import DomainError
    from xinyong.ingest.readers import reader_for
    from xinyong.ingest.service import ingest_file

    ctx = _ctx()
    try:
        kind = reader_for(file.name)
    except DomainError as exc:
        _fail(str(exc))
        return
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
    from xinyong.lists.service import sync_court_debtors

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
    for row in as_csv_rows(answer):
        typer.echo(",".join(row))
    typer.echo(f"核查编号{answer.check.id}，摘要{answer.check.digest}", err=True)


jobs_app = typer.Typer(help="定时任务", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run")
def jobs_run() -> None:
    """执行全部定时工作（逾期标记、名单期限届满移出、失信被执行人同步）；可重复、可并发运行。"""
    from xinyong.cases.jobs import run_jobs

    done = run_jobs(_ctx())
    typer.echo(json.dumps(done, ensure_ascii=False))


if __name__ == "__main__":
    app()
