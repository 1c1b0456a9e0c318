"""`records/store.py` is the one module that writes `credit_records` (issue 15): statically, no
other module of src holds an INSERT, UPDATE, DELETE or COPY against the table or builds a
`CreditRecord`; at run time, every such statement a push, a file upload and an upheld objection
send through the HTTP API is issued with `records/store.py` on the call stack."""

from __future__ import annotations

import ast
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

import xinyong
from tests.ingest.conftest import TODAY, csv_bytes, seed_catalog_and_unit
from xinyong.accounts.service import create_user
from xinyong.common.roles import SYSTEM, Role
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.records import store
from xinyong.web.app import create_app

SRC = Path(xinyong.__file__).parent
STORE = Path(store.__file__).resolve()
PASSWORD = "store-test-password"
ITEM = "HLJ-CF-001"
PROVIDER = "HRB-SCJG"

#: SQL that writes the table, in a string literal of the code or a statement sent to the driver.
WRITE_SQL = re.compile(
    r'\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?credit_records"?\b', re.IGNORECASE
)
_WRITERS = {"insert", "update", "delete"}

# ---------------------------------------------------------------- the static scan


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@dataclass
class _Scan(ast.NodeVisitor):
    """Every place in one module's source that writes credit_records, as (line, what)."""

    hits: list[tuple[int, str]]
    tables: set[str]  # names bound to the table (`_records = table_of(CreditRecord)`)

    def is_model(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name | ast.Attribute) and _name(node) == "CreditRecord"

    def is_table(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name) and node.id in self.tables:
            return True
        if isinstance(node, ast.Call) and _name(node.func) == "table_of" and node.args:
            return self.is_model(node.args[0])
        if isinstance(node, ast.Attribute) and node.attr == "__table__":
            return self.is_model(node.value)
        return False

    def bind(self, targets: list[ast.expr], value: ast.expr) -> None:
        for target in targets:
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                # a, b = table_of(A), table_of(B)
                for name, part in zip(target.elts, value.elts, strict=False):
                    if isinstance(name, ast.Name) and self.is_table(part):
                        self.tables.add(name.id)
            elif isinstance(target, ast.Name) and self.is_table(value):
                self.tables.add(target.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.bind(node.targets, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.bind([node.target], node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        called = _name(node.func)
        if called in _WRITERS and node.args:  # insert(CreditRecord), sqlite.insert(_records)
            first = node.args[0]
            if self.is_model(first) or self.is_table(first):
                self.hits.append((node.lineno, f"{called}(credit_records)"))
        if (  # table_of(CreditRecord).insert(), CreditRecord.__table__.update()
            called in _WRITERS
            and isinstance(node.func, ast.Attribute)
            and self.is_table(node.func.value)
        ):
            self.hits.append((node.lineno, f"credit_records.{called}()"))
        if self.is_model(node.func):  # an ORM add
            self.hits.append((node.lineno, "CreditRecord(...)"))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and WRITE_SQL.search(node.value):
            self.hits.append((node.lineno, "SQL writing credit_records"))


def writes_in(source: str) -> list[tuple[int, str]]:
    """Where `source` writes credit_records. Names bound to the table anywhere in the module
    count everywhere in it (a first pass collects them)."""
    tree = ast.parse(source)
    names = _Scan([], set())
    names.visit(tree)
    scan = _Scan([], names.tables)
    scan.visit(tree)
    return sorted(set(scan.hits))


@pytest.mark.parametrize(
    "source",
    [
        "insert(CreditRecord)",
        "sa.update(CreditRecord).values(state='x')",
        "delete(CreditRecord)",
        "sqlite.insert(table_of(CreditRecord)).on_conflict_do_nothing()",
        "t = table_of(CreditRecord)\ndef f():\n    conn.execute(insert(t), rows)",
        "def f():\n    conn.execute(update(_records))\n_records = table_of(CreditRecord)",
        "_records, _cases = table_of(CreditRecord), table_of(Case)\nupdate(_records)",
        "table: Table = CreditRecord.__table__\ntable.update()",
        "table_of(CreditRecord).insert()",
        "CreditRecord.__table__.update()",
        "conn.exec_driver_sql('INSERT INTO credit_records (id) VALUES (1)')",
        "text('update  credit_records set state = :s')",
        "text('UPDATE \"credit_records\" SET state = :s')",
        "cursor.copy(f'COPY credit_records ({columns}) FROM STDIN (FORMAT BINARY)')",
        "conn.execute(text('DELETE FROM credit_records'))",
        "session.add(CreditRecord(subject_key='x'))",
        "session.add(models.CreditRecord(subject_key='x'))",
    ],
)
def test_the_scanner_catches_each_way_of_writing_the_table(source: str) -> None:
    assert writes_in(source), source


@pytest.mark.parametrize(
    "source",
    [
        "select(CreditRecord).where(CreditRecord.id == 1)",
        "session.get(CreditRecord, 1)",
        "t = table_of(CreditRecord)\nselect(t.c.id)",
        "text('SELECT id FROM credit_records WHERE is_current')",
        "insert(Subject)",
        "_subjects = table_of(Subject)\nupdate(_subjects)",
        "'the credit_records table is updated by the store'",
    ],
)
def test_the_scanner_lets_reads_and_other_tables_be(source: str) -> None:
    assert writes_in(source) == [], source


def test_only_the_store_writes_credit_records() -> None:
    writers: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        hits = writes_in(path.read_text(encoding="utf-8"))
        if hits:
            writers[path.relative_to(SRC).as_posix()] = hits
    assert list(writers) == ["records/store.py"], writers
    found = {what for _, what in writers["records/store.py"]}
    assert {"CreditRecord(...)", "SQL writing credit_records", "insert(credit_records)"} <= found


# ---------------------------------------------------------------- through the doors


def _from_store() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if Path(frame.f_code.co_filename).resolve() == STORE:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


@dataclass
class Seen:
    statement: str
    from_store: bool


@pytest.fixture
def watched(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Seen]]:
    """Every statement that writes credit_records from here on, and whether the store sent it."""
    seen: list[Seen] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if WRITE_SQL.search(statement):
            seen.append(Seen(statement[:80], _from_store()))

    event.listen(ctx.engine, "before_cursor_execute", before)
    if ctx.engine.dialect.name == "postgresql":
        # COPY goes to the driver's cursor, past SQLAlchemy's events: watched there
        import psycopg

        copy = psycopg.Cursor.copy

        def watched_copy(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
            if WRITE_SQL.search(str(statement)):
                seen.append(Seen(str(statement)[:80], _from_store()))
            return copy(self, statement, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "copy", watched_copy)
    yield seen
    event.remove(ctx.engine, "before_cursor_execute", before)


def _token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_every_write_of_a_push_an_upload_and_an_upheld_objection_comes_from_the_store(
    ctx: Context, watched: list[Seen]
) -> None:
    seed_catalog_and_unit(ctx, PASSWORD)
    row = penalty_row(1, TODAY)
    with ctx.sessions() as session, session.begin():
        for username, role, key in (
            ("staff", Role.STAFF, None),
            ("owner", Role.SUBJECT, row["统一社会信用代码"]),
        ):
            create_user(
                session,
                ctx,
                actor=SYSTEM,
                username=username,
                password=PASSWORD,
                role=role,
                display_name=username,
                subject_key=key,
            )
    client = TestClient(create_app(ctx))
    unit = _token(client, "unit")
    pushed = client.post(f"/api/ingest/{ITEM}/records", json=row, headers=unit)
    assert pushed.status_code == 200 and pushed.json()["accepted"] == 1, pushed.text
    changed = dict(row, 处罚内容="罚款人民币六千元。")
    again = client.post(f"/api/ingest/{ITEM}/records", json=changed, headers=unit)
    assert again.json()["updated"] == 1, again.text
    rows = [penalty_row(i, TODAY) for i in (2, 3)]
    upload = client.post(
        f"/api/ingest/{ITEM}/files",
        files={"file": ("处罚.csv", io.BytesIO(csv_bytes(rows)), "text/csv")},
        headers=unit,
    )
    assert upload.status_code == 200 and upload.json()["accepted"] == 2, upload.text

    with ctx.sessions() as session:
        record = store.current(session, PROVIDER, ITEM, row["处罚决定书文号"])
        assert record is not None and record.version == 2
        record_id = record.id
    filed = client.post(
        "/api/me/objections",
        json={"record_id": record_id, "request": "罚款已撤销"},
        headers=_token(client, "owner"),
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["number"]
    staff = _token(client, "staff")
    for to, reasons in (("marked", None), ("upheld", "处罚决定已被复议机关撤销")):
        moved = client.post(
            f"/api/cases/{number}/transition", json={"to": to, "reasons": reasons}, headers=staff
        )
        assert moved.status_code == 200, moved.text

    with ctx.sessions() as session:
        versions = store.versions(session, PROVIDER, ITEM, row["处罚决定书文号"])
    assert [(v.version, v.change, v.is_current) for v in versions] == [
        (1, "new", False),
        (2, "update", False),
        (3, "objection_upheld", True),
    ]
    assert versions[-1].state == "withdrawn"
    kinds = {s.statement.split()[0].upper() for s in watched}
    appended = "COPY" if ctx.engine.dialect.name == "postgresql" else "INSERT"
    assert {appended, "UPDATE", "INSERT"} <= kinds, watched  # INSERT: the ORM's new version
    assert [s for s in watched if not s.from_store] == []
