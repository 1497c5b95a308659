"""The authorization matrix: every route in template.yaml x every kind of caller.

One row per route key (as the template spells it). A new route fails
tests/e2e/test_authz_matrix.py until it has a row here; add one with
`row(...)` and regenerate docs/authorization.md with
`python -m tests.authz_matrix`.

Columns (callers):
- none: no Authorization header; malformed: not a token; expired: a JWT past
  its exp; foreign: a JWT signed by another key; revoked: a revoked API token
  (all five must be 401 on every route that is not public);
- customer: owns the ticket, attachment and token the path names;
- other: another customer (another organization);
- manager: an org manager of the customer's organization;
- agent, admin: support staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "authorization.md"

UNAUTHENTICATED = ("none", "malformed", "expired", "foreign", "revoked")
CALLERS = ("customer", "other", "manager", "agent", "admin")
COLUMNS = UNAUTHENTICATED + CALLERS


@dataclass(frozen=True)
class Row:
    """How to call a route and what each caller gets. `prepare` names the state the
    path's ticket must be in ("closed"), `body` is a valid request body."""

    expect: dict[str, int]
    body: Any = None
    prepare: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""  # a concrete path, for routes without a literal one ($default)


def row(
    customer: int,
    other: int,
    manager: int,
    agent: int,
    admin: int,
    *,
    public: int | None = None,
    **how: Any,
) -> Row:
    """A row: statuses for the five callers; unauthenticated callers get 401
    unless the route is `public` (then everyone gets that status)."""
    if public is not None:
        return Row(expect=dict.fromkeys(COLUMNS, public), **how)
    statuses = dict(zip(CALLERS, (customer, other, manager, agent, admin), strict=True))
    return Row(expect=dict.fromkeys(UNAUTHENTICATED, 401) | statuses, **how)


def public(status: int, **how: Any) -> Row:
    return row(0, 0, 0, 0, 0, public=status, **how)


TICKET = {"subject": "Matrix", "message": "hello"}
SLA_POLICY = {"name": "Matrix", "targets": {"urgent": {"first_reply": {"minutes": 60}}}}
# "<email>" is a fresh address per call (the form is rate-limited per address)
GUEST_FORM = {
    "first_name": "Gail",
    "last_name": "Guest",
    "email": "<email>",
    "subject": "Matrix",
    "message": "hello",
}

# Customer routes: another customer gets 404 (never 403: that would confirm the
# ticket exists); the organization's manager may read the org's tickets but only
# the requester acts on one; staff work through /admin and get 404 on a
# customer's view. A pending (unlinked) upload is its uploader's alone.
MATRIX: dict[str, Row] = {
    "$default": public(404, path="/no/such/route"),
    "GET /openapi.json": public(200),
    "GET /docs": public(200),
    "GET /me": row(200, 200, 200, 200, 200),
    "GET /me/tokens": row(200, 200, 200, 200, 200),
    "GET /me/notifications": row(200, 200, 200, 200, 200),
    "PUT /me/notifications": row(200, 200, 200, 200, 200, body={"kinds": {"staff_reply": True}}),
    "POST /me/tokens": row(201, 201, 201, 201, 201, body={"name": "matrix"}),
    "DELETE /me/tokens/{token_id}": row(204, 404, 404, 404, 404),
    "GET /categories": row(200, 200, 200, 200, 200),
    "GET /departments": row(200, 200, 200, 200, 200),
    "POST /tickets": row(201, 201, 201, 201, 201, body=TICKET),
    "GET /tickets": row(200, 200, 200, 200, 200),
    "GET /tickets/{ticket_id}": row(200, 404, 200, 404, 404),
    "POST /tickets/{ticket_id}/messages": row(201, 404, 404, 404, 404, body={"message": "m"}),
    "POST /tickets/{ticket_id}/close": row(200, 404, 404, 404, 404),
    "POST /tickets/{ticket_id}/reopen": row(200, 404, 404, 404, 404, prepare="closed"),
    "POST /tickets/{ticket_id}/read": row(200, 404, 404, 404, 404),
    "PUT /tickets/{ticket_id}/rating": row(
        200, 404, 404, 404, 404, prepare="closed", body={"rating": 5}
    ),
    "POST /attachments": row(
        201,
        201,
        201,
        201,
        201,
        body={"file_name": "a.txt", "content_type": "text/plain", "size": 3},
    ),
    "GET /attachments/{attachment_id}": row(200, 404, 404, 404, 404),
    "DELETE /attachments/{attachment_id}": row(204, 404, 404, 404, 404),
    # Staff routes: customers and managers are refused outright (403).
    "GET /admin/tickets": row(403, 403, 403, 200, 200),
    "POST /admin/tickets": row(
        403,
        403,
        403,
        201,
        201,
        body={
            "requester": {"email": "matrix@example.com", "name": "Matrix"},
            "subject": "s",
            "message": "m",
        },
    ),
    "GET /admin/tickets/{ticket_id}": row(403, 403, 403, 200, 200),
    "GET /admin/tickets/{ticket_id}/events": row(403, 403, 403, 200, 200),
    "PATCH /admin/tickets/{ticket_id}": row(
        403, 403, 403, 200, 200, body={"priority": "high"}, headers={"if-match": "<etag>"}
    ),
    "POST /admin/tickets/{ticket_id}/messages": row(
        403, 403, 403, 201, 201, body={"message": "on it"}
    ),
    "POST /admin/tickets/{ticket_id}/read": row(403, 403, 403, 200, 200),
    "POST /admin/categories": row(403, 403, 403, 403, 201, body={"name": "Matrix"}),
    "PATCH /admin/categories/{category_id}": row(403, 403, 403, 403, 200, body={"position": 7}),
    "DELETE /admin/categories/{category_id}": row(403, 403, 403, 403, 204),
    "POST /admin/departments": row(403, 403, 403, 403, 201, body={"name": "Matrix"}),
    "PATCH /admin/departments/{department_id}": row(403, 403, 403, 403, 200, body={"position": 7}),
    "DELETE /admin/departments/{department_id}": row(403, 403, 403, 403, 204),
    # Housekeeping: deleting, restoring and erasing are the admin's; merging and bulk
    # changes are for every agent. ("<target>" and "<user_id>" are filled in per call.)
    "DELETE /admin/tickets/{ticket_id}": row(403, 403, 403, 403, 200),
    "POST /admin/tickets/{ticket_id}/restore": row(403, 403, 403, 403, 200, prepare="deleted"),
    "POST /admin/tickets/{ticket_id}/merge": row(
        403, 403, 403, 200, 200, body={"target_id": "<target>"}
    ),
    "POST /admin/tickets/bulk": row(
        403, 403, 403, 200, 200, body={"ticket_ids": ["<ticket>"], "change": {"priority": "low"}}
    ),
    "POST /admin/requesters/{user_id}/erase": row(
        403, 403, 403, 403, 200, body={"confirm": "<user_id>"}
    ),
    # Staff access and API tokens (admin): the staff directory (the path names an agent who
    # made a staff token, so he is in it) and any user's tokens (the customer's).
    "GET /admin/staff": row(403, 403, 403, 403, 200),
    "GET /admin/changes": row(403, 403, 403, 403, 200),
    # Business hours: staff read them (the SLA targets on tickets use them), admins set them.
    "GET /admin/business-hours": row(403, 403, 403, 200, 200),
    "PUT /admin/business-hours": row(
        403,
        403,
        403,
        403,
        200,
        body={
            "schedules": [
                {"id": "matrix", "name": "Matrix", "timezone": "UTC", "always_open": True}
            ]
        },
    ),
    # SLA policies: staff read them (the targets on their tickets), admins write them.
    "GET /admin/sla-policies": row(403, 403, 403, 200, 200),
    "POST /admin/sla-policies": row(403, 403, 403, 403, 201, body=SLA_POLICY),
    "PATCH /admin/sla-policies/{policy_id}": row(403, 403, 403, 403, 200, body={"position": 7}),
    "DELETE /admin/sla-policies/{policy_id}": row(403, 403, 403, 403, 204),
    "GET /admin/reports/sla": row(
        403,
        403,
        403,
        200,
        200,
        path="/admin/reports/sla?from=2026-11-01T00:00Z&to=2026-12-01T00:00Z",
    ),
    "DELETE /admin/staff/{user_id}": row(403, 403, 403, 403, 200),
    "POST /admin/staff/{user_id}/reactivate": row(403, 403, 403, 403, 200),
    "GET /admin/users/{user_id}/tokens": row(403, 403, 403, 403, 200),
    "DELETE /admin/users/{user_id}/tokens/{token_id}": row(403, 403, 403, 403, 204),
    # Webhooks: the admin's alone (a subscription's secret signs what the whole desk does)
    "POST /admin/webhooks": row(
        403, 403, 403, 403, 201, body={"url": "https://hooks.invalid/m", "events": ["*"]}
    ),
    "GET /admin/webhooks": row(403, 403, 403, 403, 200),
    # received mail holds customers' mail: staff only (agents work the queue with it)
    "GET /admin/inbound": row(403, 403, 403, 200, 200),
    "GET /admin/inbound/{inbound_id}": row(
        403, 403, 403, 404, 404, path="/admin/inbound/inb_" + "0" * 40
    ),
    "GET /admin/suppressions": row(403, 403, 403, 200, 200),
    # nobody is suppressed in the matrix's data: the admin gets past the check to the 404
    "DELETE /admin/suppressions/{email}": row(
        403, 403, 403, 403, 404, path="/admin/suppressions/nobody@example.com"
    ),
    "GET /admin/webhooks/{webhook_id}": row(403, 403, 403, 403, 200),
    "PATCH /admin/webhooks/{webhook_id}": row(403, 403, 403, 403, 200, body={"description": "m"}),
    "DELETE /admin/webhooks/{webhook_id}": row(403, 403, 403, 403, 204),
    "POST /admin/webhooks/{webhook_id}/rotate-secret": row(403, 403, 403, 403, 200),
    "POST /admin/webhooks/{webhook_id}/ping": row(403, 403, 403, 403, 202),
    "GET /admin/webhooks/{webhook_id}/deliveries": row(403, 403, 403, 403, 200),
    "POST /admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": row(
        403, 403, 403, 403, 202
    ),
    # Saved views: staff read them; agents make personal ones, admins shared ones (the
    # path's view is a shared one the admin made: an agent may use it, not change it)
    "GET /admin/views": row(403, 403, 403, 200, 200),
    "GET /admin/views/counts": row(403, 403, 403, 200, 200),
    "POST /admin/views": row(403, 403, 403, 201, 201, body={"name": "Matrix"}),
    "PATCH /admin/views/{view_id}": row(403, 403, 403, 403, 200, body={"name": "M2"}),
    "DELETE /admin/views/{view_id}": row(403, 403, 403, 403, 204),
    # The web console signs in with its own session cookie, not a bearer token: without
    # one, everyone is sent to its sign-in page.
    # The public contact form: no account; a guest ticket is followed with its private
    # link secret only (without one, as here, every caller gets 404, never 401/403).
    "POST /public/tickets": public(201, body=GUEST_FORM),
    "GET /public/tickets/{ticket_id}": public(404),
    "POST /public/tickets/{ticket_id}/messages": public(404, body={"message": "m"}),
    # one-click unsubscribe: the signed token is the only credential (a forged one: 404)
    "POST /public/unsubscribe/{token}": public(404, path="/public/unsubscribe/forged.token"),
    "GET /app": public(303),
    "ANY /app/{proxy+}": public(303, path="/app/tickets"),
}


def render() -> str:
    """docs/authorization.md, from MATRIX."""
    lines = [
        "# Authorization matrix",
        "",
        "Generated from `tests/authz_matrix.py` (`python -m tests.authz_matrix`); the",
        "end-to-end test `tests/e2e/test_authz_matrix.py` calls every route in",
        "template.yaml as each caller and checks these statuses. A route missing from",
        "the table fails that test.",
        "",
        "Callers: **none** (no header), **malformed** (not a token), **expired** (JWT past",
        "its expiry), **foreign** (JWT signed by another key), **revoked** (revoked API",
        "token), **customer** (owns what the path names), **other** (another customer),",
        "**manager** (org manager of the customer's organization), **agent**, **admin**.",
        "",
        "| Route | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for key in sorted(MATRIX):
        cells = [str(MATRIX[key].expect[c]) for c in COLUMNS]
        lines.append(f"| `{key}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"wrote {DOC.relative_to(ROOT)}")
