"""The published OpenAPI document is the code's: no drift, no route missing either way."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local import openapi
from local.template import app as load_app


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.build()


def test_checked_in_copies_match_the_code(document: dict[str, Any]) -> None:
    text = openapi.render(document)
    for copy in (openapi.DOCS_COPY, openapi.LAYER_COPY):
        assert copy.read_text() == text, f"{copy} is stale: run `make openapi`"


def test_template_routes_and_document_operations_are_the_same(document: dict[str, Any]) -> None:
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    routed = {(r.method, r.path) for r in load_app().routes if r.path != "$default" and not r.html}
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented operations with no route in template.yaml"


def test_every_operation_documents_its_errors_as_problems(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, op in item.items():
            statuses = {int(s) for s in op["responses"]}
            assert 500 in statuses, (method, path)
            if op.get("security"):
                assert 401 in statuses, (method, path)
            for status, resp in op["responses"].items():
                if int(status) >= 400:
                    assert "application/problem+json" in resp["content"], (method, path, status)
                    assert re.match(r"Problem: [A-Z_]+", resp["description"])


def test_public_operations_are_only_the_public_ones(document: dict[str, Any]) -> None:
    public = {
        path
        for path, item in document["paths"].items()
        for op in item.values()
        if not op.get("security")
    }
    assert all(p.startswith("/public/") or p in ("/openapi.json", "/docs") for p in public), public


def test_document_is_openapi_3_1_with_bearer_security(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    json.dumps(document)  # serialisable


def test_operation_ids_are_the_handler_functions_names(document: dict[str, Any]) -> None:
    # Each routed function has one handler, named like its directory (functions/<name>/):
    # that name is the operation id, not Powertools' generated `<name>_<path>_<method>`.
    directories = {name: Path(fn.code_uri).name for name, fn in load_app().functions.items()}
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert op["operationId"] == directories[op["x-function"]], (method, path)
