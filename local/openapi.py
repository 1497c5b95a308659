"""Assemble the one OpenAPI 3.1 document from every function's Powertools resolver.

Each routed function's `app` describes its own route (pydantic models, params);
this module merges them, adds what is common (security, problem+json errors,
tags) and writes the document where it is published:

    python -m local.openapi           # write docs/openapi.json and the layer's copy
    python -m local.openapi --check   # exit 1 if either differs from the code
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from local.template import ROOT
from local.template import app as load_app

DOCS_COPY = ROOT / "docs" / "openapi.json"
LAYER_COPY = ROOT / "layers" / "shared" / "helpdesk" / "openapi.json"
VERSION = "1.0.0"

TAGS = [
    {"name": "account", "description": "Who am I; personal API tokens"},
    {"name": "catalog", "description": "Categories and departments"},
    {"name": "tickets", "description": "A customer's tickets, messages, read state and ratings"},
    {"name": "attachments", "description": "Presigned uploads and downloads"},
    {"name": "staff", "description": "The staff desk: queue, triage, answers, notes, history"},
    {"name": "admin", "description": "Catalog management"},
    {"name": "public", "description": "The contact form and private ticket links (no account)"},
    {"name": "meta", "description": "This document and its viewer"},
]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable and machine-readable",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:helpdesk:error:TICKET_NOT_FOUND"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "examples": ["TICKET_NOT_FOUND"]},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "validation failures: where, what kind, why (never the input)",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "type": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


def _problem(codes: list[str]) -> dict[str, Any]:
    return {
        "description": "Problem: " + ", ".join(sorted(set(codes))),
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _load(fn_dir: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"openapi_{name}", fn_dir / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _add_errors(op: dict[str, Any], public: bool) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    extra: dict[str, list[str]] = {}

    def need(status: int, *codes: str) -> None:
        extra.setdefault(str(status), []).extend(codes)

    # Powertools' own 422/500 bodies are replaced by ours.
    for status in ("422", "500"):
        ref = json.dumps(responses.get(status, {}))
        if "HTTPValidationError" in ref or "ResponseValidationError" in ref:
            del responses[status]
    has_params = bool(op.get("parameters")) or "requestBody" in op
    if "requestBody" in op:
        need(400, "MALFORMED_JSON")
        need(415, "UNSUPPORTED_MEDIA_TYPE")
    if has_params:
        need(422, "VALIDATION_FAILED")
    if any(p.get("name") == "idempotency-key" for p in op.get("parameters", [])):
        need(409, "IDEMPOTENCY_IN_PROGRESS")
        need(422, "IDEMPOTENCY_KEY_REUSED")
    if not public:
        need(401, "TOKEN_MISSING", "TOKEN_EXPIRED", "TOKEN_INVALID")
    need(500, "INTERNAL_ERROR")
    need(503, "STORE_UNAVAILABLE")
    if not public:
        need(503, "ISSUER_UNAVAILABLE")
    for status, codes in extra.items():
        if status in responses and "content" in responses[status]:
            have = responses[status]["description"].removeprefix("Problem: ").split(", ")
            responses[status] = _problem(have + codes)
        else:
            responses[status] = _problem(codes)
    op["responses"] = dict(sorted(responses.items()))


def _link_creates(paths: dict[str, dict[str, Any]], schemas: dict[str, Any]) -> None:
    """OpenAPI links from each create (POST P answering 201 with an `id`) to the operations on
    P/{param}...: clients and schemathesis' stateful tests follow create -> get -> reply."""
    for path, item in paths.items():
        op = item.get("post")
        created = ((op or {}).get("responses") or {}).get("201", {})
        schema = created.get("content", {}).get("application/json", {}).get("schema", {})
        ref = schema.get("$ref", "").rsplit("/", 1)[-1]
        if "id" not in schemas.get(ref, {}).get("properties", {}):
            continue
        links: dict[str, Any] = {}
        for target, target_item in sorted(paths.items()):
            m = re.fullmatch(re.escape(path) + r"/\{(\w+)\}(/.*)?", target)
            if not m:
                continue
            for method, target_op in sorted(target_item.items()):
                links[target_op["operationId"]] = {
                    "operationId": target_op["operationId"],
                    "parameters": {m.group(1): "$response.body#/id"},
                    "description": f"{method.upper()} {target} on what was just created",
                }
        if links:
            created["links"] = links


def build() -> dict[str, Any]:
    """The whole API's OpenAPI document, from the code."""
    os.environ.setdefault("TABLE_NAME", "openapi")
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    tpl = load_app()
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    for name, fn in sorted(tpl.functions.items()):
        # the web console serves HTML pages, not API operations: it is not in the document
        routes = [r for r in fn.routes if r.path != "$default" and not r.html]
        if not routes:
            continue
        module = _load(ROOT / fn.code_uri, name)
        spec = module.app.get_openapi_schema(title="helpdesk", version=VERSION)
        doc = json.loads(spec.model_dump_json(by_alias=True, exclude_none=True))
        public = all(r.authorizer is None for r in routes)
        for path, item in doc.get("paths", {}).items():
            for method, op in item.items():
                _add_errors(op, public)
                # Powertools documents a body from the return type; a 204 has none by definition.
                op.get("responses", {}).get("204", {}).pop("content", None)
                if not public:
                    op["security"] = [{"bearerAuth": []}]
                op["x-function"] = name
                paths.setdefault(path, {})[method] = op
        for key, schema in doc.get("components", {}).get("schemas", {}).items():
            if key in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
                continue
            if key in schemas and schemas[key] != schema:
                raise SystemExit(f"two different schemas are both called {key}: rename one")
            schemas[key] = schema
    _link_creates(paths, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "helpdesk",
            "version": VERSION,
            "description": (
                "A serverless support-ticket API. Errors are application/problem+json with a "
                "stable `code`. Creates and replies honour `Idempotency-Key`; lists use opaque "
                "cursors and return exact totals. See docs/api.md."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:3000", "description": "make run"}],
        "tags": TAGS,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An OIDC ID token (Cognito by default) or a personal API token",
                }
            },
        },
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = render(build())
    stale = [p for p in (DOCS_COPY, LAYER_COPY) if not p.exists() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"{p.relative_to(ROOT)} is out of date: run `make openapi`")
        return 1 if stale else 0
    for p in (DOCS_COPY, LAYER_COPY):
        p.write_text(text)
    print(f"wrote {DOCS_COPY.relative_to(ROOT)} and {LAYER_COPY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
