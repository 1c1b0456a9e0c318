"""Issue 14 item 5: every rewrite of the audit log is detected, through the CLI (a subprocess,
as an operator or a cron job runs it), on both databases. The attacker has write access to the
database (past its triggers: the `tampering` fixture) and can recompute every unkeyed hash and
the Merkle edge, but holds neither the signing key nor the second party's copy of the heads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import tampering
from xinyong.audit import merkle
from xinyong.audit.heads import public_hex
from xinyong.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from xinyong.audit.service import GENESIS, ensure_head, entry_hash, entry_leaf
from xinyong.common.roles import Actor, Role
from xinyong.context import Context

STAFF = Actor(role=Role.STAFF, user_id=7, username="staff")


def write(ctx: Context, n: int) -> None:
    with ctx.sessions() as session, session.begin():
        for i in range(n):
            ctx.log(
                session,
                actor=STAFF,
                action="test:entry:write",
                object_type="thing",
                object_id=i,
                subject_key="91230100MA1B2C3D49",
                detail={"i": i},
            )


def cli(ctx: Context, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "XINYONG_DATABASE_URL": ctx.settings.resolved_database_url(),
        "XINYONG_DATA_DIR": str(ctx.settings.data_dir),
        "XINYONG_SECRET_KEY": ctx.settings.resolved_secret_key(),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    return subprocess.run(
        [sys.executable, "-m", "xinyong.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def cli_in_process(ctx: Context, *args: str) -> subprocess.CompletedProcess[str]:
    """The same commands in this process (CliRunner), where the door is not the point: a
    subprocess costs seconds of imports each."""
    from typer.testing import CliRunner

    from xinyong.cli import app
    from xinyong.config import get_settings

    env = {
        "XINYONG_DATABASE_URL": ctx.settings.resolved_database_url(),
        "XINYONG_DATA_DIR": str(ctx.settings.data_dir),
        "XINYONG_SECRET_KEY": ctx.settings.resolved_secret_key(),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def rehash_from(conn: object, first: int, upto: int | None = None) -> None:
    """What an attacker with database access but no key does after an edit: recompute every
    later entry's hash and link, then the head row (number, last hash, Merkle edge)."""
    with Session(conn) as session:  # type: ignore[call-overload]
        query = select(AuditEvent).order_by(AuditEvent.id)
        if upto is not None:
            query = query.where(AuditEvent.id <= upto)
        events = list(session.scalars(query))
        prev, frontier = GENESIS, merkle.Frontier()
        for e in events:
            if e.id >= first:
                e.prev_hash = prev
                e.hash = entry_hash(e)
            prev = e.hash
            frontier.push(entry_leaf(e.hash))
        session.flush()
        session.execute(
            update(AuditHead).values(seq=len(events), last_hash=prev, frontier=frontier.dump())
        )
        session.flush()


def signed_log(ctx: Context, n: int = 30) -> None:
    ctx.audit.head_every = 10  # heads at 10, 20, 30
    write(ctx, n)
    sizes = [json.loads(x)["size"] for x in heads_file(ctx).read_text().splitlines()]
    assert sizes == list(range(10, n + 1, 10))


def heads_file(ctx: Context) -> Path:
    assert ctx.audit.heads_file is not None
    return ctx.audit.heads_file


def assert_caught(
    ctx: Context, *words: str, args: tuple[str, ...] = (), subprocess_: bool = True
) -> str:
    run = cli if subprocess_ else cli_in_process
    result = run(ctx, "audit", "verify", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


def test_an_intact_log_verifies_and_signs_a_head(ctx: Context) -> None:
    signed_log(ctx, 33)
    result = cli(ctx, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "核验33条" in result.stdout and "与3个签名树头一致" in result.stdout
    assert "树头：33条" in result.stdout  # a head for the tail, outside the database
    again = cli_in_process(ctx, "audit", "verify", "--no-sign")
    assert again.returncode == 0 and "与4个签名树头一致" in again.stdout


def test_truncated_tail_with_head_rewound_is_caught(ctx: Context) -> None:
    signed_log(ctx)
    with tampering(ctx.engine) as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id > 24))
        rehash_from(conn, 25)  # the head row rewound to entry 24, consistently
    assert_caught(ctx, "只有24条", "所记的30条", "数据库被回滚")


def test_rollback_to_an_earlier_state_then_new_writes_is_caught(ctx: Context) -> None:
    """A restored backup (the log as it was at entry 15) on which the platform then goes on
    writing: as long as the newest signed head, and then beyond it."""
    signed_log(ctx)
    with tampering(ctx.engine) as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id > 15))
        rehash_from(conn, 16)
    write(ctx, 20)  # the platform appends on the restored state: 35 entries again
    assert_caught(ctx, "对同一规模（20条）签署了不同的根", "日志曾被改写")
    with ctx.sessions() as session:  # and against the heads signed before the rollback alone
        lines = heads_file(ctx).read_text().splitlines(keepends=True)
        heads_file(ctx).write_text("".join(lines[:3]))
        result = ctx.audit.verify(session)
    assert not result.ok and result.problem == "rewritten" and result.bad_id == 11


def test_edit_with_every_later_entry_rehashed_is_caught(ctx: Context) -> None:
    signed_log(ctx)
    with tampering(ctx.engine) as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == 3).values(purpose="篡改"))
        rehash_from(conn, 3)  # hashes, links and the head row all agree again
    assert_caught(ctx, "前10条与", "第1条至第10条之间")


def test_deleted_checkpoints_and_heads_then_edit_is_caught_by_a_held_copy(ctx: Context) -> None:
    """The attacker removes the signed checkpoints from the database and the heads from the
    platform's file, then edits and re-hashes: the copy a second party holds still catches it,
    with only the public key."""
    signed_log(ctx)
    with ctx.sessions() as session, session.begin():
        ctx.audit.checkpoint(session, ctx.clock)
    held = ctx.settings.data_dir / "held-by-second-party.jsonl"
    shutil.copy(heads_file(ctx), held)
    public = public_hex(ctx.audit.signer.public_key())  # type: ignore[union-attr]
    with tampering(ctx.engine) as conn:
        conn.execute(delete(AuditCheckpoint))
        conn.execute(update(AuditEvent).where(AuditEvent.id == 12).values(action="forged"))
        rehash_from(conn, 12)
    heads_file(ctx).write_text("")  # the platform's own copy emptied
    assert_caught(ctx, "前20条与", args=("--heads", str(held), "--public-key", public))


def test_removed_or_forged_head_lines_are_caught(ctx: Context) -> None:
    signed_log(ctx)
    path = heads_file(ctx)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + lines[2])  # the middle head removed
    assert_caught(ctx, "第2行", "与上一行不衔接")
    forged = json.loads(lines[2]) | {"root": "0" * 64}
    path.write_text(lines[0] + lines[1] + json.dumps(forged) + "\n")
    assert_caught(ctx, "第3行", "签名无效", subprocess_=False)


def test_an_old_edit_is_caught_by_the_routine_verify(ctx: Context) -> None:
    """The routine run covers the whole log, not only what follows the newest checkpoint."""
    ctx.audit.checkpoint_every = 10
    write(ctx, 25)
    with tampering(ctx.engine) as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == 4).values(purpose="改"))
    assert_caught(ctx, "第4条被修改")


def test_truncate_is_refused_on_postgresql_and_caught_when_forced(ctx: Context) -> None:
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite's DELETE is refused by its triggers)")
    signed_log(ctx)
    for table in ("audit_events", "audit_head", "audit_checkpoints"):
        with pytest.raises(DBAPIError, match="不得清空"), ctx.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table}"))
    with tampering(ctx.engine) as conn:  # a superuser past the triggers
        conn.execute(text("TRUNCATE audit_events, audit_head, audit_checkpoints"))
        ensure_head(conn)
    assert_caught(ctx, "只有0条", "所记的30条")


def test_inclusion_and_consistency_proofs_hold_and_fail_on_a_wrong_leaf(ctx: Context) -> None:
    signed_log(ctx, 27)
    public = public_hex(ctx.audit.signer.public_key())  # type: ignore[union-attr]
    made = cli_in_process(ctx, "audit", "prove", "23")
    assert made.returncode == 0, made.stderr
    proof = json.loads(made.stdout)
    assert proof["entry"]["id"] == 23 and proof["head"]["size"] == 27  # a head signed for it
    folder = ctx.settings.data_dir

    def check(data: dict[str, object]) -> subprocess.CompletedProcess[str]:
        (folder / "proof.json").write_text(json.dumps(data, ensure_ascii=False))
        path = str(folder / "proof.json")
        return cli_in_process(ctx, "audit", "check-proof", path, "--public-key", public)

    assert check(proof).returncode == 0
    edited = json.loads(made.stdout)
    edited["entry"]["purpose"] = "改过"
    assert "条目被改动" in check(edited).stderr
    other = json.loads(cli_in_process(ctx, "audit", "prove", "24").stdout)
    swapped = proof | {"path": other["path"]}  # another leaf's path
    assert "包含证明不成立" in check(swapped).stderr
    forged = proof | {"head": proof["head"] | {"size": 28}}
    assert "树头签名无效" in check(forged).stderr

    made = cli_in_process(ctx, "audit", "prove", "--consistency", "10", "27")
    assert made.returncode == 0, made.stderr
    consistency = json.loads(made.stdout)
    assert check(consistency).returncode == 0
    wrong = consistency | {"path": list(reversed(consistency["path"]))}
    assert "一致性证明不成立" in check(wrong).stderr

    held = cli_in_process(ctx, "audit", "check-heads", str(heads_file(ctx)), "--public-key", public)
    assert held.returncode == 0 and "3个树头" in held.stdout


def test_a_rolled_back_transaction_leaves_no_entry_and_no_head(ctx: Context) -> None:
    """Entries are appended, and heads signed, only when their transaction commits."""
    ctx.audit.head_every = 5
    write(ctx, 4)
    with pytest.raises(RuntimeError), ctx.sessions() as session, session.begin():
        for _ in range(3):
            ctx.log(session, actor=STAFF, action="test:entry:lost")
        raise RuntimeError("boom")
    assert not heads_file(ctx).exists() or heads_file(ctx).read_text() == ""
    write(ctx, 1)
    with ctx.sessions() as session:
        result = ctx.audit.verify(session)
    assert result.ok and result.checked == 5 and result.heads == 1


def test_entries_of_a_session_closed_without_commit_are_not_appended_later(ctx: Context) -> None:
    session = ctx.sessions()
    ctx.log(session, actor=STAFF, action="test:entry:lost")
    session.close()  # no commit: the entry goes with the transaction
    ctx.log(session, actor=STAFF, action="test:entry:kept")
    session.commit()
    with ctx.sessions() as check:
        assert list(check.scalars(select(AuditEvent.action))) == ["test:entry:kept"]


def test_the_server_signs_the_newest_entries_on_a_quiet_platform(ctx: Context) -> None:
    """Fewer entries than the cadence: the server's periodic task still signs them, so cutting
    them off is found (here its period is 0: it runs as soon as it can)."""
    import asyncio

    from xinyong.audit.writer import sign_heads_every

    write(ctx, 3)
    assert ctx.audit.latest_head() is None

    async def run() -> None:
        task = asyncio.create_task(sign_heads_every(ctx.sessions, ctx.audit, ctx.clock, 0))
        try:
            for _ in range(500):  # until its worker thread has signed, bounded
                if ctx.audit.latest_head() is not None:
                    return
                await asyncio.sleep(0.01)
        finally:
            task.cancel()

    asyncio.run(run())
    head = ctx.audit.latest_head()
    assert head is not None and head.size == 3
    with tampering(ctx.engine) as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id == 3))
        rehash_from(conn, 3)
    with ctx.sessions() as session:
        result = ctx.audit.verify(session)
    assert not result.ok and result.problem == "truncated" and result.bad_id == 3
