"""Issue 16, /docs: every answer of these operations (all domains but cases and lists) has a
response model, so the OpenAPI document names and types each field; the report PDF is declared
as a binary application/pdf body. Read through the door an integrator uses: /openapi.json."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

#: (method, path) of the operations that answered an untyped object before issue 16.
OPERATIONS = [
    ("get", "/api/subjects/{key}/records"),
    ("get", "/api/me/records"),
    ("get", "/api/me/accesses"),
    ("get", "/api/me/records/{item_code}/{record_key}/history"),
    ("get", "/api/auth/api-keys"),
    ("post", "/api/auth/api-keys"),
    ("post", "/api/auth/api-keys/{key_id}/rotate"),
    ("post", "/api/auth/api-keys/{key_id}/revoke"),
    ("get", "/api/admin/api-keys"),
    ("post", "/api/admin/api-keys"),
    ("get", "/api/audit/verify"),
    ("get", "/api/me/authorisations"),
    ("post", "/api/me/authorisations"),
    ("post", "/api/me/authorisations/{authorisation_id}/revoke"),
    ("put", "/api/me/preferences"),
    ("get", "/api/catalog"),
    ("post", "/api/catalog"),
    ("get", "/api/catalog/{code}"),
    ("post", "/api/consents"),
    ("get", "/api/workdays/add"),
    ("get", "/api/calendar/{year}"),
    ("get", "/api/law"),
    ("get", "/api/law/{key}"),
    ("get", "/api/ingest/batches"),
    ("get", "/api/quarantine"),
    ("get", "/api/quarantine/{quarantine_id}"),
    ("post", "/api/quarantine/{quarantine_id}/fix"),
    ("post", "/api/quarantine/{quarantine_id}/withdraw"),
    ("post", "/api/records/{item_code}/{record_key}/correction"),
    ("get", "/api/records/{item_code}/{record_key}/history"),
    ("get", "/api/providers"),
    ("get", "/api/providers/{code}/timeliness"),
    ("post", "/api/reports"),
    ("get", "/api/reports/verify"),
    ("post", "/api/reports/verify"),
    ("get", "/api/search"),
    ("get", "/api/subjects/{key}/links"),
    ("post", "/api/subjects/{key}/links"),
    ("get", "/api/identifiers/{value}"),
]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The document /openapi.json serves (built once, as the app builds it)."""
    from xinyong.web.app import create_app

    return create_app().openapi()


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _untyped(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """An object without named properties (or an array of them), or no schema at all."""
    schema = _resolve(doc, schema)
    if schema.get("type") == "array":
        return _untyped(doc, schema.get("items", {}))
    if "anyOf" in schema:
        return any(_untyped(doc, s) for s in schema["anyOf"] if s.get("type") != "null")
    return not schema or (schema.get("type") == "object" and not schema.get("properties"))


def _success(op: dict[str, Any]) -> dict[str, Any]:
    return next(r for code, r in op["responses"].items() if code.startswith("2"))


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_each_answer_is_a_named_model(document: dict[str, Any], method: str, path: str) -> None:
    op = document["paths"][path][method]
    schema = _success(op)["content"]["application/json"]["schema"]
    assert not _untyped(document, schema), f"{method.upper()} {path} answers an untyped object"
    props = _resolve(document, schema.get("items", schema))
    assert props.get("title"), "a named model, documented in components"


def test_the_profile_of_the_fast_route_is_documented(document: dict[str, Any]) -> None:
    """The busiest route serialises its own answer; its 200 is still the profile model."""
    op = document["paths"]["/api/subjects/{key}/records"]["get"]
    schema = _resolve(document, _success(op)["content"]["application/json"]["schema"])
    assert {"subject", "records", "audit_receipt"} <= set(schema["properties"])


def test_report_pdf_is_declared_as_a_binary_pdf(document: dict[str, Any]) -> None:
    content = _success(document["paths"]["/api/reports/{number}/pdf"]["get"])["content"]
    assert content == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


def test_answers_keep_their_keys(client: TestClient) -> None:
    """A response model filters what it does not name: the answers keep every key they had."""
    from tests.web.conftest import login

    body = client.get("/api/catalog").json()
    assert body and "version" in body[0] and "fields" in body[0]
    assert all("max_length" not in f or f["max_length"] for i in body for f in i["fields"])
    check = client.get("/api/identifiers/91350100M000100Y44").json()
    assert set(check) == {"value", "kind", "valid", "failures", "info", "unverified"}
    headers = login(client, "staff")
    verify = client.get("/api/audit/verify", headers=headers).json()
    assert set(verify) == {"ok", "checked", "last_id", "bad_id", "problem", "message"}
    fake = client.get("/api/reports/verify", params={"number": "X1", "code": "Y1"}).json()
    assert fake == {"authentic": False, "message": fake["message"]}
