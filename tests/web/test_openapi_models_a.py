"""/docs for the cases and lists domains (issue 16): every answer of their /api operations has a
response model (no untyped JSON object or array of objects), the downloads declare their media
types, and the typed answers are the JSON the services built before the models existed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import login
from xinyong.cases import service as cases
from xinyong.common.roles import Actor, Role
from xinyong.context import Context
from xinyong.demo.seed import DEMO_COMPANY
from xinyong.lists import measures, recognition
from xinyong.lists.check import load_check
from xinyong.lists.demo import DEMO_LISTED
from xinyong.web.app import create_app

CASES = [
    ("post", "/api/me/objections"),
    ("post", "/api/me/list-objections"),
    ("post", "/api/me/repairs"),
    ("post", "/api/me/complaints"),
    ("post", "/api/basis-changes"),
    ("get", "/api/me/cases"),
    ("get", "/api/cases"),
    ("get", "/api/cases/{number}"),
    ("post", "/api/cases/{number}/transition"),
    ("post", "/api/cases/paper"),
    ("post", "/api/cases/{number}/pauses"),
    ("get", "/api/case-notices"),
    ("post", "/api/case-notices/{notice_id}/acted"),
]
LISTS = [
    ("get", "/api/measures"),
    ("post", "/api/measures"),
    ("post", "/api/measures/{code}/publish"),
    ("post", "/api/measures/{code}/withdraw"),
    ("get", "/api/red-list-criteria"),
    ("post", "/api/red-list-criteria"),
    ("get", "/api/lists/{list_kind}"),
    ("post", "/api/lists/{list_kind}"),
    ("get", "/api/list-entries/{number}"),
    ("post", "/api/list-entries/{number}/notice-delivered"),
    ("post", "/api/list-entries/{number}/remove"),
    ("post", "/api/lists/court-debtors/sync"),
    ("get", "/api/state-unit-notices"),
    ("post", "/api/state-unit-notices/{notice_id}/answer"),
    ("post", "/api/emergencies"),
    ("post", "/api/checks"),
    ("get", "/api/checks/{check_id}"),
]
DOWNLOADS = {
    "/api/cases/{number}/attachments/{attachment_id}": {
        "application/pdf",
        "image/jpeg",
        "image/png",
    },
    "/api/checks/{check_id}/csv": {"text/csv"},
}
STAFF = Actor(role=Role.STAFF, user_id=1, username="staff")


@pytest.fixture
def document(ctx: Context) -> dict[str, Any]:
    with TestClient(create_app(ctx)) as c:
        answer: dict[str, Any] = c.get("/openapi.json").json()
    return answer


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def untyped(schema: dict[str, Any], doc: dict[str, Any]) -> str | None:
    """Why a JSON answer's schema says nothing about its fields, or None if it does."""
    schema = _resolve(schema, doc)
    if schema.get("type") == "array":
        return untyped(schema.get("items", {}), doc)
    if "anyOf" in schema:
        return next((u for s in schema["anyOf"] if (u := untyped(s, doc))), None)
    if schema.get("type") == "null":
        return None
    if not schema.get("properties"):
        return f"an object without named fields: {schema}"
    return None


def test_every_answer_has_a_model(document: dict[str, Any]) -> None:
    problems = []
    for method, path in CASES + LISTS:
        operation = document["paths"][path][method]
        answers = {code: r for code, r in operation["responses"].items() if code[0] == "2"}
        if not answers:
            problems.append(f"{method.upper()} {path}: no success answer documented")
        for code, answer in answers.items():
            problem = untyped(answer["content"]["application/json"]["schema"], document)
            if problem:
                problems.append(f"{method.upper()} {path} {code}: {problem}")
    assert not problems, "\n".join(problems)


def test_downloads_declare_their_media_types(document: dict[str, Any]) -> None:
    for path, types in DOWNLOADS.items():
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == types, path  # and no JSON
        for body in content.values():
            assert body["schema"] == {"type": "string", "format": "binary"}


def test_the_models_change_no_answer(ctx: Context, client: TestClient) -> None:
    """The answers through the models are the services' own JSON: same keys, same values (a
    check line's name or problem only where it has one; `from` and `list` by those names)."""
    staff, agency = login(client, "staff"), login(client, "agency")
    queue = client.get("/api/cases", headers=staff).json()
    assert queue, "the demo has a pending objection"
    with ctx.sessions() as session:
        assert queue == cases.queue(session, ctx)
        for item in queue:
            shown = client.get(f"/api/cases/{item['number']}", headers=staff).json()
            assert shown == cases.describe(session, ctx, cases.get_case(session, item["number"]))
            assert shown["events"] and "from" in shown["events"][0]
        assert client.get("/api/case-notices", headers=staff).json() == cases.notices_for(
            session, ctx, STAFF
        )
        everything = measures.list_measures(session, published_only=False, on=ctx.today())
        assert client.get("/api/measures", headers=staff).json() == [
            measures.describe_measure(m) for m in everything
        ]
        listed = recognition.public_list(session, "serious", ctx.today())
        public = client.get("/api/lists/serious").json()
        assert public == [recognition.describe_entry(e, ctx.today(), full=False) for e in listed]
        number = next(e["number"] for e in public if e["subject_key"] == DEMO_LISTED)
        assert client.get(f"/api/list-entries/{number}", headers=staff).json() == (
            recognition.shown_entry(session, number, STAFF, ctx.today())
        )

    body = {"scenario": "procurement", "subjects": [DEMO_LISTED, DEMO_COMPANY, "abc"]}
    made = client.post("/api/checks", json=body, headers=agency)
    assert made.status_code == 201
    answer = made.json()
    listed_line, company, typo = answer["results"]
    assert "problem" not in listed_line and "problem" not in company and "name" not in typo
    assert typo["status"] == "invalid" and typo["problem"]
    stored = client.get(f"/api/checks/{answer['check_id']}", headers=agency).json()
    assert stored == answer
    with ctx.sessions() as session:
        assert stored == load_check(session, STAFF, answer["check_id"], ctx).as_dict()
    csv = client.get(f"/api/checks/{answer['check_id']}/csv", headers=agency)
    assert csv.headers["content-type"].startswith("text/csv")
