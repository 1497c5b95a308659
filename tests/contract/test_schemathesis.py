"""Schemathesis over every documented operation, against the local runner with real tokens.

Default checks: no server errors, documented status codes and content types, responses
that match their schemas. A bounded number of examples keeps the run to a few minutes.
(schemathesis' own pytest plugin does not run on pytest 9 yet, so operations are
parametrized here and each runs its Hypothesis strategy directly.)
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local import openapi
from local.events import ADMIN_ONLY
from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

MAX_EXAMPLES = 12
# The "default checks". positive_data_acceptance is left out on purpose: a
# schema-valid body can still be refused by a business rule (an unknown attachment id,
# a reused Idempotency-Key, an unsupported filter combination) with a documented 4xx.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@cache
def document() -> dict[str, Any]:
    return openapi.build()


OPERATIONS = [
    (method.upper(), path) for path, item in document()["paths"].items() for method in item
]


@pytest.fixture(scope="module")
def tokens(runner: Runner) -> dict[str, str]:
    return {
        "customer": runner.token("st-customer", "customer,org_manager", "acme"),
        "agent": runner.token("st-agent", "agent"),
        "admin": runner.token("st-admin", "admin"),
    }


def _role(method: str, path: str) -> str:
    """Who calls an operation: the role that may (an agent is refused admin-only routes)."""
    if f"{method} {path}" in ADMIN_ONLY:
        return "admin"
    return "agent" if path.startswith("/admin") else "customer"


# What a call may take before it counts as a failure: conformance, not latency (bench/ measures
# that). The runner answers after its pump has run what the request set off (stream and queue
# functions), and a loaded CI machine made one of thousands of calls pass schemathesis's
# 10-second default once (POST /public/tickets, which mails an acknowledgement).
CALL_TIMEOUT = 60


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_the_document(
    method: str, path: str, runner: Runner, tokens: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_dict(document())
    operation = schema[path][method]
    secured = bool(document()["paths"][path][method.lower()].get("security"))
    headers = {"Authorization": f"Bearer {tokens[_role(method, path)]}"} if secured else {}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        database=None,
    )
    def check(case: Any) -> None:
        response = case.call(base_url=runner.url, headers=headers, timeout=CALL_TIMEOUT)
        case.validate_response(response, checks=CHECKS)

    check()


# Scenarios of up to 4 steps. With ~70 operations a random draw rarely follows a link from
# a create that succeeded (about one call in 250 did): whether one did was luck, so that
# the links lead where they say is checked on its own, below, without chance.
STATEFUL_EXAMPLES = 30


def test_linked_operations_conform_statefully(runner: Runner, tokens: dict[str, str]) -> None:
    # Given the document's links (create -> get / reply / close / ... on what was created)
    schema = schemathesis.openapi.from_dict(document())
    base = schema.as_state_machine()
    linked_ok: list[str] = []
    every: list[str] = []
    # A failing step is recorded, not raised: the runner's state moves on between steps, so
    # Hypothesis cannot replay a scenario to shrink it (it would report only that generation
    # was "flaky" and hide the failure). The steps that failed are reported below instead.
    failures: list[str] = []

    class Machine(base):  # type: ignore[valid-type,misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            secured = bool(document()["paths"][case.path][case.method.lower()].get("security"))
            headers = (
                {"Authorization": f"Bearer {tokens[_role(case.method.upper(), case.path)]}"}
                if secured
                else {}
            )
            return {"base_url": runner.url, "headers": headers}

        def call(self, case: Any, **kwargs: Any) -> Any:
            # A fuzzed Content-Length (negative generation, e.g. "pd&") is answered by the
            # gateway itself, before any route (the runner: 400 BAD_REQUEST, connection
            # closed; tests/e2e/test_runner_edges.py), which no operation documents.
            if case.headers:
                case.headers = {
                    k: v for k, v in case.headers.items() if k.lower() != "content-length"
                }
            return super().call(case, **{"timeout": CALL_TIMEOUT, **kwargs})

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as ex:  # every check failure is reported below
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code} "
                    f"{response.text[:300]!r}: {ex}"
                )
                return
            every.append(f"{case.method} {case.path} -> {response.status_code}")
            if "{" in case.path and response.status_code < 300:
                linked_ok.append(f"{case.method} {case.path}")

    # When schemathesis walks them, each step's response is checked like a single operation's
    # Then no step fails the default checks
    Machine.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=4,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
            database=None,
        )
    )
    print(f"stateful: {len(every)} calls, {len(linked_ok)} linked calls on created objects")
    assert not failures, "\n\n".join(failures[:5])
    # (how many draws followed a link to an object they created: luck, see above)


@pytest.mark.parametrize(
    ("create", "body", "role"),
    [
        ("/tickets", {"subject": "Linked", "message": "m"}, "customer"),
        ("/admin/categories", {"name": "Linked category"}, "admin"),
        (
            "/admin/webhooks",
            {"url": "https://hooks.invalid/x", "events": ["ticket.purged"]},
            "admin",
        ),
    ],
)
def test_every_documented_link_leads_to_what_was_created(
    create: str, body: dict[str, Any], role: str, runner: Runner, tokens: dict[str, str]
) -> None:
    import httpx

    # Given an object made by an operation whose response documents links
    auth = {"Authorization": f"Bearer {tokens[role]}"}
    made = httpx.post(f"{runner.url}{create}", json=body, headers=auth, timeout=30)
    assert made.status_code == 201, made.text
    doc = openapi.build()  # not document(): schemathesis rewrites the one it was given
    by_id = {
        op["operationId"]: (method.upper(), path)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }
    links = doc["paths"][create]["post"]["responses"]["201"]["links"]
    # When each link's parameters are read from the response as the document says
    for link in links.values():
        method, path = by_id[link["operationId"]]
        for name, expression in link["parameters"].items():
            assert expression.startswith("$response.body#/"), expression
            value = made.json()[expression.removeprefix("$response.body#/")]
            path = path.replace("{" + name + "}", str(value))
        # Then the linked operation finds the object (never 404: a wrong link would)
        if method == "GET":
            got = httpx.get(f"{runner.url}{path}", headers=auth, timeout=30)
            assert got.status_code == 200, (link["operationId"], got.text)
    if create == "/admin/webhooks":
        runner.forget_webhooks()
