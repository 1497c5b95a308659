"""Housekeeping end to end: delete/restore, merge, external references, bulk and erasure
through the local runner, with the backend scanned (not the API) for counters and leaks."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from helpdesk.store.keys import SLA_DUE, SLA_NEXT, counter_of
from tests.e2e.conftest import Runner
from tests.e2e.test_foundation import assert_problem

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

MISSING = "tkt_01jexample0000000000009999"


def _backend(runner: Runner) -> tuple[Any, str]:
    """The runner's own moto endpoint and table (from its start-up banner)."""
    log = (runner.state_dir / "runner.log").read_text()
    match = re.search(r"backend : \w+ at (\S+) \(table (\S+), bucket", log)
    assert match, log
    import botocore.session

    session = botocore.session.get_session()
    client = session.create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=match.group(1),
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return client, match.group(2).rstrip(",")


def scan(runner: Runner) -> list[dict[str, Any]]:
    client, table = _backend(runner)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        out = client.scan(**kwargs)
        items += out["Items"]
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def recount(runner: Runner) -> Counter[str]:
    """Every list's entries counted in the table must equal its counter item."""
    items = scan(runner)
    # the SLA due lists have no counter (their pages' totals are null by design)
    uncounted = {f"L#{SLA_DUE}", f"L#{SLA_NEXT}"}
    entries = Counter(
        i["PK"]["S"][2:]
        for i in items
        if i["PK"]["S"].startswith("L#") and i["PK"]["S"] not in uncounted
    )
    counters: Counter[str] = Counter()  # a list's counter is the sum of its shards
    for i in items:
        held = counter_of(i["PK"]["S"])
        if held is not None:
            counters[held[0]] += int(i["n"]["N"])
    wrong = {
        k: (entries.get(k, 0), counters.get(k, 0))
        for k in set(entries) | set(counters)
        if entries.get(k, 0) != counters.get(k, 0)
    }
    assert wrong == {}
    return entries


def _api(runner: Runner, user: str, role: str = "customer", org: str | None = None) -> httpx.Client:
    return runner.client(user, role, org)


def _open(runner: Runner, user: str, org: str | None = None, subject: str = "Printer") -> Any:
    with _api(runner, user, org=org) as api:
        resp = api.post("/tickets", json={"subject": subject, "message": f"Help {user}"})
    assert resp.status_code == 201, resp.text
    return resp.json()


@pytest.fixture
def staff(runner: Runner) -> dict[str, httpx.Client]:
    return {
        "agent": _api(runner, f"ag{uuid.uuid4().hex[:6]}", "agent"),
        "admin": _api(runner, f"ad{uuid.uuid4().hex[:6]}", "admin"),
    }


def test_delete_and_restore(runner: Runner, user: str, staff: dict[str, httpx.Client]) -> None:
    # Given a customer's ticket
    ticket = _open(runner, user)
    path = f"/admin/tickets/{ticket['id']}"
    before = recount(runner)
    # When an admin deletes it
    resp = staff["admin"].delete(path)
    assert resp.status_code == 200, resp.text
    assert resp.json()["deleted_at"]
    # Then the customer gets 404 and his list is empty; the queue hides it unless deleted=true
    with _api(runner, user) as api:
        assert_problem(api.get(f"/tickets/{ticket['id']}"), 404, "TICKET_NOT_FOUND")
        assert_problem(
            api.post(f"/tickets/{ticket['id']}/messages", json={"message": "x"}),
            404,
            "TICKET_NOT_FOUND",
        )
        assert api.get("/tickets").json()["total"] == 0
    queue = staff["agent"].get("/admin/tickets", params={"requester": user}).json()
    assert queue["total"] == 0
    deleted = staff["agent"].get("/admin/tickets", params={"deleted": "true"}).json()
    assert ticket["id"] in [t["id"] for t in deleted["items"]]
    after_delete = recount(runner)
    assert after_delete[f"Q#DEL#R#{user}"] == 1 and f"R#{user}" not in after_delete
    # When it is restored, Then it is back and every counter equals its recount again
    resp = staff["admin"].post(f"{path}/restore")
    assert resp.status_code == 200 and resp.json()["deleted_at"] is None
    with _api(runner, user) as api:
        assert api.get(f"/tickets/{ticket['id']}").status_code == 200
    after = recount(runner)
    assert {k: v for k, v in after.items() if user in k} == {
        k: v for k, v in before.items() if user in k
    }
    assert after[f"R#{user}"] == 1


def test_delete_and_restore_errors(
    runner: Runner, user: str, staff: dict[str, httpx.Client]
) -> None:
    ticket = _open(runner, user)
    path = f"/admin/tickets/{ticket['id']}"
    with httpx.Client(base_url=runner.url) as anon:
        assert_problem(anon.delete(path), 401, "TOKEN_MISSING")
    with _api(runner, user) as api:
        assert_problem(api.delete(path), 403, "FORBIDDEN")
        assert_problem(api.post(f"{path}/restore"), 403, "FORBIDDEN")
    assert_problem(staff["agent"].delete(path), 403, "FORBIDDEN")
    assert_problem(staff["agent"].post(f"{path}/restore"), 403, "FORBIDDEN")
    assert_problem(staff["admin"].delete(f"/admin/tickets/{MISSING}"), 404, "TICKET_NOT_FOUND")
    assert_problem(
        staff["admin"].post(f"/admin/tickets/{MISSING}/restore"), 404, "TICKET_NOT_FOUND"
    )
    assert_problem(staff["admin"].delete("/admin/tickets/bad%20id"), 422, "VALIDATION_FAILED")


def test_merge(runner: Runner, user: str, staff: dict[str, httpx.Client]) -> None:
    # Given two tickets of one customer and one of another
    target, source = _open(runner, user), _open(runner, user)
    other = _open(runner, f"{user}x")
    agent = staff["agent"]
    # When the agent merges the second into the first
    resp = agent.post(f"/admin/tickets/{source['id']}/merge", json={"target_id": target["id"]})
    # Then the source is closed and points to the target; the target holds both messages
    assert resp.status_code == 200, resp.text
    assert resp.json()["messages_moved"] == 1
    with _api(runner, user) as api:
        old = api.get(f"/tickets/{source['id']}").json()
        assert old["status"] == "closed" and old["merged_into"] == target["id"]
        thread = api.get(f"/tickets/{target['id']}").json()["messages"]
        assert [m["merged_from"] for m in thread] == [None, source["number"]]
    recount(runner)
    # and again is the same merge; errors are 409/404/403/422
    again = agent.post(f"/admin/tickets/{source['id']}/merge", json={"target_id": target["id"]})
    assert again.status_code == 200 and again.json()["messages_moved"] == 0
    for src, dst in ((target, target), (target, source), (target, other)):
        resp = agent.post(f"/admin/tickets/{src['id']}/merge", json={"target_id": dst["id"]})
        assert_problem(resp, 409, "MERGE_NOT_ALLOWED")
    resp = agent.post(
        f"/admin/tickets/{target['id']}/merge", json={"target_id": other["id"], "force": True}
    )
    assert_problem(resp, 403, "FORBIDDEN")
    resp = agent.post(f"/admin/tickets/{MISSING}/merge", json={"target_id": target["id"]})
    assert_problem(resp, 404, "TICKET_NOT_FOUND")
    resp = agent.post(f"/admin/tickets/{target['id']}/merge", json={"target_id": MISSING})
    assert_problem(resp, 404, "MERGE_TARGET_NOT_FOUND")
    assert_problem(
        agent.post(f"/admin/tickets/{target['id']}/merge", json={}), 422, "VALIDATION_FAILED"
    )
    with _api(runner, user) as api:
        resp = api.post(f"/admin/tickets/{target['id']}/merge", json={"target_id": other["id"]})
        assert_problem(resp, 403, "FORBIDDEN")
    # and an admin may force it
    resp = staff["admin"].post(
        f"/admin/tickets/{target['id']}/merge", json={"target_id": other["id"], "force": True}
    )
    assert resp.status_code == 200, resp.text
    recount(runner)


def test_external_refs(runner: Runner, user: str, staff: dict[str, httpx.Client]) -> None:
    ticket = _open(runner, user)
    agent = staff["agent"]
    view = agent.get(f"/admin/tickets/{ticket['id']}")
    ref = f"OPS-{uuid.uuid4().hex[:6]}"
    resp = agent.patch(
        f"/admin/tickets/{ticket['id']}",
        json={"external_refs": {"jira": ref}},
        headers={"If-Match": view.headers["etag"]},
    )
    assert resp.status_code == 200, resp.text
    found = agent.get("/admin/tickets", params={"external_ref": f"jira:{ref}"}).json()
    assert [t["id"] for t in found["items"]] == [ticket["id"]] and found["total"] == 1
    assert agent.get(f"/admin/tickets/{ticket['id']}").json()["external_refs"] == {"jira": ref}
    assert_problem(agent.get("/admin/tickets", params={"external_ref": "jira"}), 400, "BAD_REQUEST")
    resp = agent.patch(
        f"/admin/tickets/{ticket['id']}",
        json={"external_refs": {"Bad Key": "x"}},
        headers={"If-Match": resp.headers["etag"]},
    )
    assert_problem(resp, 422, "VALIDATION_FAILED")
    recount(runner)


def test_bulk(runner: Runner, user: str, staff: dict[str, httpx.Client]) -> None:
    a, b = _open(runner, user), _open(runner, user)
    agent = staff["agent"]
    body = {"ticket_ids": [a["id"], b["id"], MISSING], "change": {"priority": "urgent"}}
    resp = agent.post("/admin/tickets/bulk", json=body, headers={"Idempotency-Key": user})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert (out["succeeded"], out["failed"]) == (2, 1)
    assert out["results"][2]["code"] == "TICKET_NOT_FOUND"
    replay = agent.post("/admin/tickets/bulk", json=body, headers={"Idempotency-Key": user})
    assert replay.json() == out
    urgent = agent.get("/admin/tickets", params={"requester": user}).json()["items"]
    assert {t["priority"] for t in urgent} == {"urgent"}
    recount(runner)
    with _api(runner, user) as api:
        assert_problem(api.post("/admin/tickets/bulk", json=body), 403, "FORBIDDEN")
    assert_problem(
        agent.post("/admin/tickets/bulk", json={"ticket_ids": [], "change": {}}),
        422,
        "VALIDATION_FAILED",
    )
    assert_problem(
        agent.post(
            "/admin/tickets/bulk",
            json={"ticket_ids": [a["id"]], "change": {"assignee_id": "nobody"}},
        ),
        422,
        "ASSIGNEE_UNKNOWN",
    )


def test_erasure(runner: Runner, user: str, staff: dict[str, httpx.Client]) -> None:
    # Given a requester with two tickets and a reply
    secret = f"my address is {uuid.uuid4().hex}"
    t = _open(runner, user, subject=f"Subject {user}")
    _open(runner, user)
    with _api(runner, user) as api:
        api.post(f"/tickets/{t['id']}/messages", json={"message": secret})
    before = recount(runner)
    admin = staff["admin"]
    path = f"/admin/requesters/{user}/erase"
    # Then a wrong confirmation is 422, a non-admin 403, an unknown requester 404
    assert_problem(admin.post(path, json={"confirm": "x"}), 422, "ERASURE_NOT_CONFIRMED")
    assert_problem(staff["agent"].post(path, json={"confirm": user}), 403, "FORBIDDEN")
    assert_problem(
        admin.post("/admin/requesters/nobody-here/erase", json={"confirm": "nobody-here"}),
        404,
        "REQUESTER_NOT_FOUND",
    )
    # When an admin erases him
    resp = admin.post(path, json={"confirm": user})
    assert resp.status_code == 200, resp.text
    assert resp.json()["tickets_anonymized"] == 2 and resp.json()["messages_redacted"] == 3
    # Then no item in the table holds his email, name, subject or message text
    needles = [f"{user}@example.com", user.capitalize(), secret, f"Help {user}", f"Subject {user}"]
    leaks = [n for i in scan(runner) for n in needles if n in json.dumps(i)]
    assert leaks == []
    # and the skeletons keep every list and counter
    assert {k: v for k, v in recount(runner).items() if user in k} == {
        k: v for k, v in before.items() if user in k
    }
