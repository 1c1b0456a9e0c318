"""Fuzzing: schemathesis generates requests from the OpenAPI document for every operation, as the
public, staff, a provider unit and a citizen, valid ones and invalid ones, against the app
in-process (ASGI) over a migrated database holding the demo set, on SQLite and PostgreSQL.

Two checks: no answer is a server error (5xx, or an exception escaping the app), and every status
code answered is one the document lists for that operation. Deterministic (derandomized, no
example database), bounded (EXAMPLES per operation, caller and mode)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import status_code_conformance
from sqlalchemy import select

from tests.ingest.conftest import push_as_system
from xinyong.context import Context
from xinyong.demo.rows import penalty_row
from xinyong.demo.seed import DEMO_COMPANY, DEMO_PASSWORD, load_demo
from xinyong.lists.models import ListEntry
from xinyong.web.app import create_app

EXAMPLES = 8  # per operation, caller and mode: ~4,400 requests a database
KNOWN_EXAMPLES = 4  # the same, with objects on file in the path (~1,000 requests more)
CALLERS = ("public", "staff", "provider", "citizen")
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same requests on every run: CI does not flake
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=list(HealthCheck),
)
KNOWN_SETTINGS = settings(SETTINGS, max_examples=KNOWN_EXAMPLES)


@dataclass
class Finding:
    operation: str
    caller: str
    problem: str
    repro: str

    def __str__(self) -> str:
        return f"{self.operation} as {self.caller}: {self.problem}\n    {self.repro}"


Platform = tuple[Any, dict[str, dict[str, str]], dict[str, str]]


@pytest.fixture
def platform(ctx: Context) -> Iterator[Platform]:
    """The demo set plus penalties (one of a person), a token for each caller, and objects on
    file to put in paths (random ones all answer 404 before any service logic runs)."""
    load_demo(ctx, subjects=10, records=20)
    rows = [penalty_row(i, ctx.today(), person=i == 2) for i in range(3)]
    push_as_system(ctx, rows)
    with ctx.sessions() as session:
        entry = session.scalars(select(ListEntry.number).order_by(ListEntry.id)).first()
    assert entry is not None
    known = {
        "key": DEMO_COMPANY,
        "item_code": "HLJ-CF-001",
        "record_key": rows[0]["处罚决定书文号"],
        "list_kind": "serious",
        "number": entry,
        "/api/providers/{code}": "HRB-SCJG",
        "/api/measures/{code}": "DEMO-PUN-PROCUREMENT",
        "/api/catalog/{code}": "HLJ-CF-001",
    }
    app = create_app(ctx)
    with TestClient(app) as client:
        headers: dict[str, dict[str, str]] = {"public": {}}
        for caller in ("staff", "provider", "citizen"):
            headers[caller] = _bearer(client, caller)
    yield app, headers, known


def _bearer(client: TestClient, username: str) -> dict[str, str]:
    answer = client.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _cases(app: Any) -> list[tuple[Any, list[Any]]]:
    """EXAMPLES valid and EXAMPLES invalid requests for every operation, drawn once (drawing
    costs more than sending) and sent by every caller on every database."""
    if not _DRAWN:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()
            _DRAWN.append((operation, [c for mode in MODES for c in _draw(operation, mode)]))
    return _DRAWN


def _known_cases(drawn: list[tuple[Any, list[Any]]], known: dict[str, str]) -> list[Any]:
    """KNOWN_EXAMPLES valid and invalid requests for each operation whose path can name objects
    on file (drawn for each database: their numbers differ)."""
    cases: list[tuple[Any, list[Any]]] = []
    for operation, _ in drawn:
        names = [
            p["name"] for p in operation.definition.raw.get("parameters", []) if p["in"] == "path"
        ]
        path = {}
        for name in names:
            prefix = operation.path.split("{" + name + "}")[0] + "{" + name + "}"
            path[name] = known.get(name) or known.get(prefix)
        if names and all(path.values()):
            found = [c for m in MODES for c in _draw(operation, m, KNOWN_SETTINGS, path)]
            cases.append((operation, found))
    return cases


def _draw(
    operation: Any,
    mode: schemathesis.GenerationMode,
    how: Any = None,
    path: dict[str, Any] | None = None,
) -> list[Any]:
    drawn: list[Any] = []

    @(how or SETTINGS)
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path))
    def draw(case: Any) -> None:
        drawn.append(case)

    with contextlib.suppress(Unsatisfiable):  # nothing to vary (no parameters, negative mode)
        draw()
    return drawn


_DRAWN: list[tuple[Any, list[Any]]] = []


def _send(
    app: Any, operation: Any, case: Any, caller: str, headers: dict[str, str]
) -> Finding | None:
    try:
        response = case.call(headers=dict(headers), app=app)
    except requests.exceptions.RequestException:
        return None  # the client could not even send it (e.g. a header it cannot encode)
    except Exception as exc:  # the app raised: a 500 for a real client
        return Finding(operation.label, caller, repr(exc)[:300], _repro(case, headers))
    if response.status_code >= 500:
        problem = f"{response.status_code} {response.text[:200]}"
        return Finding(operation.label, caller, problem, _repro(case, headers))
    try:
        case.validate_response(response, checks=[status_code_conformance])
    except FailureGroup:
        documented = sorted(operation.definition.raw.get("responses", {}))
        problem = f"undocumented {response.status_code} (documented: {documented})"
        return Finding(operation.label, caller, problem, _repro(case, headers))
    return None


def _repro(case: Any, headers: dict[str, str]) -> str:
    try:
        return str(case.as_curl_command(headers=headers))[:600]
    except Exception:  # a case curl cannot express
        return repr((case.path_parameters, case.query, case.body))[:600]


def test_no_server_error_and_no_undocumented_status(platform: Platform) -> None:
    app, headers, known = platform
    drawn = _cases(app)
    assert len(drawn) > 60  # every operation of the API, not a filtered few
    on_file = _known_cases(drawn, known)
    assert len(on_file) > 20  # most operations with a path parameter
    findings: list[Finding] = []
    for caller in CALLERS:
        for operation, cases in drawn + on_file:
            for case in cases:
                finding = _send(app, operation, case, caller, headers[caller])
                if finding is not None:
                    findings.append(finding)
    shown = {(f.operation, f.caller, f.problem[:40]): f for f in findings}  # one of each kind
    assert not findings, f"{len(findings)} findings, e.g.:\n" + "\n".join(
        map(str, list(shown.values())[:60])
    )
