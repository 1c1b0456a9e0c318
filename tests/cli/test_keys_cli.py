"""`xinyong keys create|list|rotate|revoke` and `xinyong accounts unlock`, run as the operator
runs them: a subprocess against the platform's database; the keys are then tried over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from xinyong.context import Context
from xinyong.demo.seed import DEMO_PASSWORD, load_demo
from xinyong.web.app import create_app

SRC = str(Path(__file__).resolve().parents[2] / "src")


def xinyong(ctx: Context, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "XINYONG_DATABASE_URL": ctx.settings.resolved_database_url(),
        "XINYONG_DATA_DIR": str(ctx.settings.data_dir),
        "XINYONG_SECRET_KEY": ctx.settings.resolved_secret_key(),
    }
    return subprocess.run(
        [sys.executable, "-m", "xinyong.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# The keys' storage is tested on both databases through HTTP (tests/web/test_security.py); this
# door, five subprocesses of ~2-4 s of imports each, runs on the embedded database only.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_keys_create_list_rotate_revoke_as_a_subprocess(ctx: Context) -> None:
    load_demo(ctx, subjects=2, records=2)  # each subprocess costs ~2-4 s of imports: few of them
    created = xinyong(ctx, "keys", "create", "provider", "--label", "系统对接", "--days", "30")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("xyk_") and "只显示这一次" in created.stderr
    listed = xinyong(ctx, "keys", "list", "--user", "provider", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["username"], r["status"], r["label"]) for r in rows] == [
        ("provider", "active", "系统对接")
    ]
    assert key not in listed.stdout
    key_id = str(rows[0]["id"])

    with TestClient(create_app(ctx)) as client:
        assert client.get("/api/me", headers={"X-API-Key": key}).json()["username"] == "provider"
        rotated = xinyong(ctx, "keys", "rotate", key_id)
        assert rotated.returncode == 0, rotated.stderr
        new = rotated.stdout.strip()
        assert new.startswith("xyk_") and new != key
        assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 401
        assert client.get("/api/me", headers={"X-API-Key": new}).status_code == 200
        revoked = xinyong(ctx, "keys", "revoke", str(int(key_id) + 1))  # the successor
        assert revoked.returncode == 0 and "已撤销" in revoked.stdout
        assert client.get("/api/me", headers={"X-API-Key": new}).status_code == 401

        # a locked account, unlocked by the operator
        for _ in range(ctx.settings.login_account_failures):
            client.post("/api/auth/token", data={"username": "staff", "password": "wrong!!"})
        form = {"username": "staff", "password": DEMO_PASSWORD}
        assert client.post("/api/auth/token", data=form).status_code == 429
        unlocked = xinyong(ctx, "accounts", "unlock", "staff")
        assert unlocked.returncode == 0, unlocked.stderr
        assert client.post("/api/auth/token", data=form).status_code == 200
