"""Every route in template.yaml as every kind of caller (tests/authz_matrix.py)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.template import app as load_app
from tests.authz_matrix import COLUMNS, DOC, MATRIX, SLA_POLICY, render
from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

TEMPLATE_ROUTES = sorted(r.key for r in load_app().routes)


def test_every_template_route_has_a_row_and_no_row_is_stale() -> None:
    assert sorted(MATRIX) == TEMPLATE_ROUTES


def test_the_document_is_the_table() -> None:
    assert DOC.read_text() == render(), "run: python -m tests.authz_matrix"


class World:
    """The callers and, per call, fresh things for the path to name."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        run = uuid.uuid4().hex[:8]
        self.org = f"org{run}"
        self.users = {
            "customer": (f"cust{run}", "customer", self.org),
            "other": (f"other{run}", "customer", f"else{run}"),
            "manager": (f"mgr{run}", "org_manager", self.org),
            "agent": (f"agent{run}", "agent", None),
            "admin": (f"admin{run}", "admin", None),
        }
        self.headers: dict[str, dict[str, str]] = {"none": {}}
        for name, (user, role, org) in self.users.items():
            self.headers[name] = self._bearer(runner.token(user, role, org))
        self.headers["malformed"] = {"Authorization": "Bearer not-a-token"}
        self.headers["expired"] = self._bearer(runner.token(f"cust{run}", ttl=-3600))
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.headers["foreign"] = self._bearer(runner.token(f"cust{run}", key=other_key))
        created = self.as_("customer").post("/me/tokens", json={"name": "revoked"}).json()
        assert self.as_("customer").delete(f"/me/tokens/{created['id']}").status_code == 204
        self.headers["revoked"] = self._bearer(created["token"])

    @staticmethod
    def _bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def as_(self, caller: str) -> httpx.Client:
        return httpx.Client(base_url=self.runner.url, headers=self.headers[caller], timeout=30)

    def params(self, key: str, prepare: str) -> dict[str, str]:
        """Fresh values for the path parameters of `key` (and the ticket's ETag)."""
        out: dict[str, str] = {}
        cust, admin = self.as_("customer"), self.as_("admin")
        if "{ticket_id}" in key:
            out.update(self._ticket(prepare))
        if key.endswith("/merge"):
            target = cust.post("/tickets", json={"subject": "Target", "message": "m"})
            out["<target>"] = target.json()["id"]
        if key.endswith("/bulk"):
            out["<ticket>"] = cust.post("/tickets", json={"subject": "B", "message": "m"}).json()[
                "id"
            ]
        if "{user_id}" in key:
            out.update(self._user(key))
        if key == "POST /public/tickets":
            out["<email>"] = f"guest{uuid.uuid4().hex[:8]}@example.com"
        if "{attachment_id}" in key:
            body = {"file_name": "a.txt", "content_type": "text/plain", "size": 3}
            out["attachment_id"] = cust.post("/attachments", json=body).json()["id"]
        if "{token_id}" in key:
            out["token_id"] = cust.post("/me/tokens", json={"name": "m"}).json()["id"]
        if "{webhook_id}" in key:
            out.update(self._webhook(key))
        out.update(self._configured(key, admin))
        return out

    @staticmethod
    def _configured(key: str, admin: httpx.Client) -> dict[str, str]:
        """The admin's configuration objects the route `key` names (category, department, a
        shared view: the admin's to change, an SLA policy), made fresh."""
        made: dict[str, tuple[str, dict[str, Any]]] = {
            "category_id": ("/admin/categories", {"name": "M"}),
            "department_id": ("/admin/departments", {"name": "M"}),
            "view_id": ("/admin/views", {"name": "M", "shared": True}),
            "policy_id": ("/admin/sla-policies", SLA_POLICY),
        }
        out: dict[str, str] = {}
        for param, (path, body) in made.items():
            if "{" + param + "}" in key:
                answer = admin.post(path, json=body)
                assert answer.status_code == 201, answer.text
                out[param] = answer.json()["id"]
        return out

    def _webhook(self, key: str) -> dict[str, str]:
        """The {webhook_id} (and {delivery_id}) the route `key` acts on: a fresh subscription
        (deleted after the test, see tests/e2e/conftest.py) to an event the matrix never
        causes. Its URL's .invalid never resolves: a delivery is refused, never sent."""
        admin = self.as_("admin")
        out: dict[str, str] = {}
        body = {"url": "https://hooks.invalid/m", "events": ["ticket.purged"]}
        made = admin.post("/admin/webhooks", json=body)
        assert made.status_code == 201, made.text
        out["webhook_id"] = made.json()["id"]
        if "{delivery_id}" in key:
            ping = admin.post(f"/admin/webhooks/{out['webhook_id']}/ping").json()
            out["delivery_id"] = ping["delivery_id"]
        return out

    def _ticket(self, prepare: str) -> dict[str, str]:
        """A fresh ticket of the customer's, closed or deleted if `prepare` says so."""
        cust, admin = self.as_("customer"), self.as_("admin")
        out: dict[str, str] = {}
        ticket = cust.post("/tickets", json={"subject": "Matrix", "message": "m"})
        assert ticket.status_code == 201, ticket.text
        out["ticket_id"], out["<etag>"] = ticket.json()["id"], ticket.headers["etag"]
        if prepare == "closed":
            closed = cust.post(f"/tickets/{out['ticket_id']}/close")
            assert closed.status_code == 200, closed.text
            out["<etag>"] = closed.headers.get("etag", out["<etag>"])
        if prepare == "deleted":
            gone = admin.delete(f"/admin/tickets/{out['ticket_id']}")
            assert gone.status_code == 200, gone.text
        return out

    def _user(self, key: str) -> dict[str, str]:
        """The {user_id} the route `key` acts on."""
        if "/admin/staff/{user_id}" in key:  # an agent in the staff directory
            user = f"staff{uuid.uuid4().hex[:8]}"
            with self.runner.client(user, "agent") as agent:
                assert agent.post("/me/tokens", json={"name": "staff"}).status_code == 201
            return {"user_id": user}
        if "/admin/users/{user_id}" in key:  # the customer, whose token {token_id} names
            return {"user_id": self.users["customer"][0]}
        # a requester of his own: erasure is for good
        user = f"gone{uuid.uuid4().hex[:8]}"
        with self.runner.client(user) as requester:
            assert requester.post("/tickets", json={"subject": "E", "message": "m"}).is_success
        return {"user_id": user, "<user_id>": user}


def _fill(body: Any, params: dict[str, str]) -> Any:
    """`body` with "<name>" placeholders replaced by this call's values."""
    if isinstance(body, dict):
        return {k: _fill(v, params) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, params) for v in body]
    return params.get(body, body) if isinstance(body, str) else body


@pytest.fixture(scope="module")
def world(runner: Runner) -> World:
    return World(runner)


@pytest.mark.parametrize("key", sorted(MATRIX))
def test_route_answers_each_caller_as_the_matrix_says(world: World, key: str) -> None:
    row = MATRIX[key]
    method, _, template_path = key.partition(" ")
    method = "GET" if key == "$default" or method == "ANY" else method
    got: dict[str, int] = {}
    for caller in COLUMNS:
        # Given fresh things owned by the customer (each caller acts on its own copy)
        params = world.params(key, row.prepare)
        path = row.path or template_path
        for name, value in params.items():
            path = path.replace("{" + name + "}", value)
        headers = {k: params.get(v, v) for k, v in row.headers.items()}
        body = _fill(row.body, params)
        # When the caller calls the route
        with world.as_(caller) as api:
            resp = api.request(method, path, json=body, headers=headers)
        got[caller] = resp.status_code
        if resp.status_code >= 400 and key != "GET /docs":
            assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    # Then each caller gets the status in the table
    expected: dict[str, Any] = {c: row.expect[c] for c in COLUMNS}
    assert got == expected
