"""SLA policies (`GET/POST /admin/sla-policies`, `PATCH/DELETE .../{policy_id}`) through the
handlers, on moto."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import call

pytestmark = pytest.mark.usefixtures("aws")

ADMIN: dict[str, Any] = {"user": "adam", "roles": "admin"}
AGENT: dict[str, Any] = {"user": "agnes", "roles": "agent"}
URGENT = {
    "name": "Urgent: one business hour",
    "conditions": {"priority": ["urgent"], "tags": ["vip"]},
    "targets": {
        "urgent": {
            "first_reply": {"minutes": 60, "schedule": "office"},
            "resolution": {"minutes": 480},
        }
    },
}
OFFICE = {
    "id": "office",
    "name": "Berlin office",
    "timezone": "Europe/Berlin",
    "hours": {d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")},
}


def _office() -> None:
    status, body, _ = call("admin_put_business_hours", **ADMIN, body={"schedules": [OFFICE]})
    assert status == 200, body


def test_the_admin_creates_policies_in_order_and_staff_read_them() -> None:
    _office()
    status, first, _ = call("admin_create_sla_policy", **ADMIN, body=URGENT)
    assert status == 201, first
    assert first["position"] == 0 and first["updated_by"] == "adam"
    assert first["targets"]["urgent"]["first_reply"] == {"minutes": 60, "schedule": "office"}
    assert first["targets"]["urgent"]["resolution"]["schedule"] == "calendar"
    body = {"name": "Everyone else", "targets": {"normal": {"first_reply": {"minutes": 1440}}}}
    status, second, _ = call("admin_create_sla_policy", **ADMIN, body=body)
    assert status == 201 and second["position"] == 1
    status, listed, _ = call("admin_list_sla_policies", **AGENT)
    assert status == 200
    assert [p["id"] for p in listed["policies"]] == [first["id"], second["id"]]
    # reordering: the catch-all first
    status, moved, _ = call(
        "admin_update_sla_policy",
        **ADMIN,
        path={"policy_id": first["id"]},
        body={"position": 5, "name": "Urgent"},
    )
    assert status == 200 and moved["position"] == 5 and moved["name"] == "Urgent"
    assert moved["conditions"] == first["conditions"]
    _, listed, _ = call("admin_list_sla_policies", **AGENT)
    assert [p["id"] for p in listed["policies"]] == [second["id"], first["id"]]
    status, _, _ = call("admin_delete_sla_policy", **ADMIN, path={"policy_id": second["id"]})
    assert status == 204
    _, listed, _ = call("admin_list_sla_policies", **AGENT)
    assert [p["id"] for p in listed["policies"]] == [first["id"]]


def test_an_unknown_schedule_is_422_and_an_unknown_policy_404() -> None:
    status, body, _ = call("admin_create_sla_policy", **ADMIN, body=URGENT)
    assert status == 422 and body["code"] == "SLA_POLICY_INVALID" and "office" in body["detail"]
    status, body, _ = call(
        "admin_update_sla_policy", **ADMIN, path={"policy_id": "sla_nope"}, body={"position": 1}
    )
    assert status == 404 and body["code"] == "SLA_POLICY_NOT_FOUND"
    status, body, _ = call("admin_delete_sla_policy", **ADMIN, path={"policy_id": "sla_nope"})
    assert status == 404 and body["code"] == "SLA_POLICY_NOT_FOUND"


def test_agents_read_but_do_not_write_and_bodies_are_checked() -> None:
    status, body, _ = call("admin_create_sla_policy", **AGENT, body=URGENT)
    assert status == 403, body
    bad = {"name": "x", "targets": {"urgent": {"first_reply": {"minutes": 0}}}}
    status, body, _ = call("admin_create_sla_policy", **ADMIN, body=bad)
    assert status == 422 and body["code"] == "VALIDATION_FAILED"
    status, body, _ = call("admin_create_sla_policy", **ADMIN, body={"name": "x", "targets": {}})
    assert status == 422
    status, body, _ = call("admin_list_sla_policies", user="alice", roles="customer")
    assert status == 403
