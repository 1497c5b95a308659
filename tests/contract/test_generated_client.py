"""A typed client generated from docs/openapi.json works against the API: the contract holds.

openapi-python-client (pinned in requirements/tools.txt, installed into .venv-tools by
`make tools`) generates the client into a temporary directory, refusing the document on any
warning; the test then imports it and drives the local runner as a customer and as an agent.
If the generator rejects or mangles part of the document, fix the document (the models), not
this test.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from local import openapi
from tests.conftest import ROOT
from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

GENERATOR = ROOT / ".venv-tools" / "bin" / "openapi-python-client"
PACKAGE = "helpdesk_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    if not GENERATOR.exists():
        pytest.skip(
            f"openapi-python-client is not installed ({GENERATOR} missing): `make tools` "
            "installs it from requirements/tools.txt"
        )
    out = tmp_path_factory.mktemp("generated-client")
    config = out / "config.yaml"
    config.write_text("post_hooks: []\n")  # no ruff pass over code we only import
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(openapi.DOCS_COPY),
            "--output-path",
            str(out / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"the generator refused the document:\n{done.stdout}{done.stderr}"
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def operation(tag: str, operation_id: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation_id}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_every_operation_has_a_function_named_by_its_operation_id(generated: ModuleType) -> None:
    document = openapi.build()
    for path, item in document["paths"].items():
        for method, op in item.items():
            module = operation(op["tags"][0], op["operationId"])
            assert callable(module.sync_detailed), (method, path)


def test_customer_and_agent_work_a_ticket_through_the_generated_client(
    generated: ModuleType, runner: Runner, user: str
) -> None:
    def client(who: str, role: str) -> Any:
        token = runner.token(who, role)
        return generated.AuthenticatedClient(
            base_url=runner.url, token=token, raise_on_unexpected_status=True, timeout=30
        )

    customer, agent = client(user, "customer"), client(f"{user}-agent", "agent")

    # Given a customer who opens a ticket (with an Idempotency-Key) and retries it
    request = model("CreateTicketRequest")(subject="Generated", message="From the typed client")
    create = operation("tickets", "create_ticket")
    created = create.sync_detailed(client=customer, body=request, idempotency_key="gen-1")
    assert created.status_code == 201 and created.headers["location"].endswith(created.parsed.id)
    ticket = created.parsed
    assert isinstance(ticket, model("TicketResponse")) and ticket.status == model("Status").OPEN
    again = create.sync_detailed(client=customer, body=request, idempotency_key="gen-1")
    assert (again.status_code, again.parsed.id) == (201, ticket.id)

    # When the customer lists, replies and reads it
    listed = operation("tickets", "list_tickets").sync(client=customer)
    assert listed.total == 1 and [t.id for t in listed.items] == [ticket.id]
    replied = operation("tickets", "reply_ticket").sync(
        ticket.id, client=customer, body=model("ReplyRequest")(message="More detail")
    )
    assert replied.message.body == "More detail" and replied.ticket.message_count == 2
    read = operation("tickets", "get_ticket").sync(ticket.id, client=customer)
    assert [m.body for m in read.messages] == ["From the typed client", "More detail"]

    # And an agent finds it in the queue, reads it and answers (admin routes)
    queue = operation("staff", "admin_list_tickets").sync(
        client=agent, requester=f"{user}@example.com"
    )
    assert [t.id for t in queue.items] == [ticket.id]
    staff_view = operation("staff", "admin_get_ticket").sync(ticket.id, client=agent)
    assert isinstance(staff_view, model("StaffTicketResponse"))
    assert staff_view.requester.user_id == user and len(staff_view.messages) == 2
    answer = operation("staff", "admin_reply_ticket").sync(
        ticket.id,
        client=agent,
        body=model("StaffReplyRequest")(message="Fixed it"),
        idempotency_key="gen-answer",
    )
    assert answer.ticket.status == model("Status").IN_PROGRESS

    # Then the customer sees the answer unread, marks it read
    assert (
        operation("tickets", "get_ticket").sync(ticket.id, client=customer).customer_unread_count
        == 1
    )
    marked = operation("tickets", "read_ticket").sync(ticket.id, client=customer)
    assert marked.customer_unread_count == 0

    # And documented problems parse as the Problem model
    missing = operation("tickets", "get_ticket").sync_detailed("tkt_missing", client=customer)
    assert missing.status_code == 404 and missing.parsed.code == "TICKET_NOT_FOUND"
    refused = operation("staff", "admin_get_ticket").sync_detailed(ticket.id, client=customer)
    assert refused.status_code == 403 and isinstance(refused.parsed, model("Problem"))
    assert refused.parsed.code == "FORBIDDEN"
