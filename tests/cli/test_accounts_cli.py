"""`xinyong accounts create|disable|enable|reset-password`, `xinyong providers add` and
`xinyong agencies add`, run as an operator runs them on a fresh data folder: a subprocess that
imports only what the command needs (the way `accounts create` once crashed with
NoReferencedTableError: users.provider_code could not find provider_units)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from xinyong.accounts.models import User
from xinyong.accounts.service import authenticate, resolve_token
from xinyong.common.errors import Unauthenticated
from xinyong.config import Settings
from xinyong.context import build_context
from xinyong.demo.generate import synthetic_uscc

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINYONG_")}
    env |= {
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "XINYONG_DATA_DIR": str(folder),
    }
    return subprocess.run(
        [sys.executable, "-m", "xinyong.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_provider_account_is_created_on_a_fresh_data_folder(tmp_path: Path) -> None:
    ok(run(tmp_path, "db", "upgrade"))
    ok(run(tmp_path, "catalog", "seed"))  # the seed's provider units, HRB-SCJG among them
    created = run(
        tmp_path,
        "accounts", "create", "unit1", "provider", "哈尔滨市市场监督管理局",
        "--password", "secret-123", "--provider-code", "HRB-SCJG",
    )  # fmt: skip
    assert "NoReferencedTableError" not in created.stderr
    assert "已创建账户 unit1" in ok(created)
    refused = run(
        tmp_path,
        "accounts", "create", "unit2", "provider", "某单位",
        "--password", "secret-123", "--provider-code", "NO-SUCH",
    )  # fmt: skip
    assert refused.returncode == 1 and "没有编码为“NO-SUCH”的信息提供单位" in refused.stderr
    uscc = synthetic_uscc(9_100_001, "230100", category="1")
    assert "已登记" in ok(
        run(
            tmp_path,
            "providers",
            "add",
            "HRB-NEW",
            "哈尔滨新局",
            "--uscc",
            uscc,
            "--region",
            "230100",
        )
    )
    bad = run(
        tmp_path,
        "agencies",
        "add",
        uscc[:-1] + ("0" if uscc[-1] != "0" else "1"),
        "某机关",
        "--region",
        "230100",
    )
    assert bad.returncode == 1 and "校验码" in bad.stderr
    agency = synthetic_uscc(9_100_002, "230100", category="1")
    assert "已登记国家机关" in ok(
        run(tmp_path, "agencies", "add", agency, "哈尔滨市发展和改革委员会", "--region", "230100")
    )
    ok(run(
        tmp_path,
        "accounts", "create", "fgw", "agency", "发改委查询员",
        "--password", "secret-123", "--agency-code", agency,
    ))  # fmt: skip

    ctx = build_context(Settings(data_dir=tmp_path))
    with ctx.sessions() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        assert users["unit1"].provider_code == "HRB-SCJG" and users["unit1"].organisation
        assert "unit2" not in users
        assert users["fgw"].agency_code == agency
        assert users["fgw"].organisation == "哈尔滨市发展和改革委员会"
    ctx.engine.dispose()


def test_disable_enable_and_reset_password_as_a_subprocess(tmp_path: Path) -> None:
    ok(run(tmp_path, "db", "upgrade"))
    ok(
        run(
            tmp_path, "accounts", "create", "clerk", "staff", "王办事员", "--password", "secret-123"
        )
    )
    ctx = build_context(Settings(data_dir=tmp_path))
    with ctx.sessions() as session, session.begin():
        user = authenticate(session, ctx, "clerk", "secret-123")
        from xinyong.accounts.service import open_session

        token, _ = open_session(session, ctx, user, "bearer")

    assert "已停用账户 clerk" in ok(run(tmp_path, "accounts", "disable", "clerk"))
    with ctx.sessions() as session:
        try:
            authenticate(session, ctx, "clerk", "secret-123")
            raise AssertionError("a disabled account logged in")
        except Unauthenticated as refused:
            assert "停用" in refused.message
        try:
            resolve_token(session, ctx, token)
            raise AssertionError("a disabled account's token was accepted")
        except Unauthenticated:
            pass

    ok(run(tmp_path, "accounts", "enable", "clerk"))
    reset = run(tmp_path, "accounts", "reset-password", "clerk")
    temporary = ok(reset).strip()
    assert len(temporary) >= 8 and "只显示这一次" in reset.stderr
    with ctx.sessions() as session, session.begin():
        user = authenticate(session, ctx, "clerk", temporary)
        assert user.must_change_password
        raw, _ = open_session(session, ctx, user, "cookie")
        assert resolve_token(session, ctx, raw).must_change_password
    ctx.engine.dispose()
