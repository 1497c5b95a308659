"""Write events/<function>.json: one payload-2.0 event per routed function.

For `sam local invoke -e events/<name>.json <Function>` and the handler tests.
Routes come from template.yaml; only the sample bodies live here.

    python -m local.events            # (re)write missing event files
    python -m local.events --force    # rewrite all
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from local.runner import build_event
from local.template import ROOT, Function
from local.template import app as load_app

EVENTS = ROOT / "events"
SAMPLE_ID = "tkt_01jexample0000000000000000"
SAMPLE_INBOUND_ID = "inb_" + "5d41402abc4b2a76b9719d911017c592" + "0" * 8  # a digest
SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "POST /tickets": {"subject": "Printer on fire", "message": "It started this morning."},
    "POST /tickets/{ticket_id}/messages": {"message": "Any news?"},
    "PUT /tickets/{ticket_id}/rating": {"rating": 5, "comment": "Quick and kind"},
    "PATCH /admin/tickets/{ticket_id}": {"status": "waiting", "priority": "high", "tags": ["vip"]},
    "POST /admin/tickets/{ticket_id}/messages": {
        "message": "We are on it.",
        "next_status": "waiting",
    },
    "POST /admin/tickets": {
        "requester": {"email": "caller@example.com", "name": "Casey Caller"},
        "subject": "Phoned: invoice missing",
        "message": "The March invoice never arrived.",
        "channel": "phone",
        "priority": "high",
    },
    "POST /admin/categories": {"name": "Shipping", "position": 4},
    "PUT /admin/business-hours": {
        "schedules": [
            {
                "id": "office",
                "name": "Berlin office",
                "timezone": "Europe/Berlin",
                "hours": {
                    d: [{"start": "09:00", "end": "17:00"}]
                    for d in ("mon", "tue", "wed", "thu", "fri")
                },
                "public_holidays": {"country": "DE", "subdivision": "BE"},
            }
        ]
    },
    "POST /admin/sla-policies": {
        "name": "Urgent: one business hour",
        "conditions": {"priority": ["urgent"]},
        "targets": {
            "urgent": {
                "first_reply": {"minutes": 60},
                "resolution": {"minutes": 480, "schedule": "calendar"},
            }
        },
    },
    "PATCH /admin/sla-policies/{policy_id}": {"position": 0},
    "PATCH /admin/categories/{category_id}": {"name": "Shipping and returns"},
    "POST /admin/departments": {"name": "Billing", "position": 3},
    "PATCH /admin/departments/{department_id}": {"active": False},
    "POST /attachments": {"file_name": "screenshot.png", "content_type": "image/png", "size": 2048},
    "POST /admin/tickets/{ticket_id}/merge": {"target_id": "tkt_01jexample0000000000000001"},
    "POST /admin/tickets/bulk": {
        "ticket_ids": ["tkt_01jexample0000000000000000"],
        "change": {"priority": "high"},
    },
    "POST /admin/requesters/{user_id}/erase": {"confirm": "alice"},
    "POST /me/tokens": {"name": "CI pipeline", "scopes": ["tickets:read"]},
    "PUT /me/notifications": {"kinds": {"staff_reply": False}},
    "POST /public/tickets": {
        "first_name": "Gail",
        "last_name": "Guest",
        "email": "gail@example.com",
        "company": "Acme",
        "subject": "Where is my invoice?",
        "message": "I ordered last week and have no invoice yet.",
    },
    "POST /public/tickets/{ticket_id}/messages": {"message": "Any news?"},
    "POST /admin/webhooks": {
        "url": "https://hooks.example.com/helpdesk",
        "events": ["ticket.created", "message.created"],
        "description": "CRM sync",
    },
    "PATCH /admin/webhooks/{webhook_id}": {"enabled": False},
    "POST /admin/views": {
        "name": "Open billing, unassigned",
        "filter": {"statuses": ["open"], "assignee": "none", "tag": "billing"},
    },
    "PATCH /admin/views/{view_id}": {"name": "Billing backlog", "position": 5},
}
# query strings of the routes that need one
SAMPLE_QUERIES: dict[str, str] = {
    "GET /admin/reports/sla": "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z",
}
# Staff routes only an admin may call (the rest of /admin/* is for agents too).
ADMIN_ONLY = (
    "POST /admin/categories",
    "PATCH /admin/categories/{category_id}",
    "DELETE /admin/categories/{category_id}",
    "POST /admin/departments",
    "PATCH /admin/departments/{department_id}",
    "DELETE /admin/departments/{department_id}",
    "DELETE /admin/tickets/{ticket_id}",
    "POST /admin/tickets/{ticket_id}/restore",
    "POST /admin/requesters/{user_id}/erase",
    "GET /admin/staff",
    "GET /admin/changes",
    "PUT /admin/business-hours",
    "POST /admin/sla-policies",
    "PATCH /admin/sla-policies/{policy_id}",
    "DELETE /admin/sla-policies/{policy_id}",
    "DELETE /admin/staff/{user_id}",
    "POST /admin/staff/{user_id}/reactivate",
    "GET /admin/users/{user_id}/tokens",
    "DELETE /admin/users/{user_id}/tokens/{token_id}",
    "POST /admin/webhooks",
    "GET /admin/webhooks",
    "GET /admin/webhooks/{webhook_id}",
    "PATCH /admin/webhooks/{webhook_id}",
    "DELETE /admin/webhooks/{webhook_id}",
    "POST /admin/webhooks/{webhook_id}/rotate-secret",
    "POST /admin/webhooks/{webhook_id}/ping",
    "GET /admin/webhooks/{webhook_id}/deliveries",
    "POST /admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    "DELETE /admin/suppressions/{email}",
)
CUSTOMER = {
    "user_id": "alice",
    "name": "Alice",
    "email": "alice@example.com",
    "roles": "customer",
    "org_id": "",
}


def event_name(fn: Function) -> str:
    return Path(fn.code_uri).name


def sample_event(fn: Function) -> dict[str, Any]:
    route = fn.routes[0]
    path = "/nope" if route.path == "$default" else route.path
    samples = {"user_id": "alice", "inbound_id": SAMPLE_INBOUND_ID, "email": "gone@example.com"}
    params = {name: samples.get(name, SAMPLE_ID) for name in re.findall(r"\{([^}+]+)\+?\}", path)}
    target = re.sub(r"\{([^}]+)\}", lambda m: params[m.group(1).rstrip("+")], path)
    if route.key in SAMPLE_QUERIES:
        target += "?" + SAMPLE_QUERIES[route.key]
    body = SAMPLE_BODIES.get(route.key)
    headers = {"content-type": "application/json"} if body else {}
    raw = json.dumps(body).encode() if body else b""
    method = "GET" if route.method == "ANY" else route.method
    event = build_event(method, target, headers, raw, route, params)
    event["requestContext"]["requestId"] = f"example-{event_name(fn)}"
    if route.authorizer:
        caller = dict(CUSTOMER)
        if route.path.startswith("/admin/"):
            admin = route.key in ADMIN_ONLY
            caller = {
                "user_id": "olivia",
                "name": "Olivia",
                "email": "olivia@example.com",
                "roles": "admin" if admin else "agent",
                "org_id": "",
            }
        event["requestContext"]["authorizer"] = {"lambda": caller}
    if route.method == "PATCH" and route.path.startswith("/admin/tickets/"):
        event["headers"]["if-match"] = f'"{SAMPLE_ID}.1"'
    return event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    EVENTS.mkdir(exist_ok=True)
    for fn in load_app().functions.values():
        if not fn.routes:
            continue
        path = EVENTS / f"{event_name(fn)}.json"
        if path.exists() and not args.force:
            continue
        path.write_text(json.dumps(sample_event(fn), indent=2) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
