"""SLA policies (issue 23): `GET/POST /admin/sla-policies`, `PATCH/DELETE
/admin/sla-policies/{policy_id}` (staff read, admins write), kept in one item
(`store.sla`); `helpdesk.slaclock` reads them for the ticket write path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpdesk import sla
from helpdesk.clock import iso, now
from helpdesk.errors import (
    SlaPolicyInvalidError,
    SlaPolicyLimitReachedError,
    SlaPolicyNotFoundError,
)
from helpdesk.ids import new_id
from helpdesk.models.sla import (
    SlaPolicy,
    SlaPolicyCreateRequest,
    SlaPolicyList,
    SlaPolicyUpdateRequest,
)
from helpdesk.principal import Principal
from helpdesk.store import schedules as store_schedules
from helpdesk.store import sla as store_sla
from helpdesk.store.retry import on_conflict

MAX_POLICIES = 50


def _ordered(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(policies, key=lambda p: (p["position"], p["created_at"], p["id"]))


def _stored() -> tuple[list[dict[str, Any]], int]:
    doc = store_sla.get_policies()
    return (list(doc.get("policies") or []), int(doc.get("version", 0))) if doc else ([], 0)


def list_policies(p: Principal) -> SlaPolicyList:
    """Every policy, in the order they are tried (staff)."""
    p.require_staff()
    policies, _ = _stored()
    return SlaPolicyList(policies=[SlaPolicy.model_validate(d) for d in _ordered(policies)])


def create_policy(p: Principal, req: SlaPolicyCreateRequest) -> SlaPolicy:
    """A new policy (admin); without a position it goes last."""
    p.require_admin()
    body = req.model_dump(mode="json")
    _check_schedules(body["targets"])
    at = iso(now())
    doc = {**body, "id": new_id("sla"), "created_at": at, "updated_at": at, "updated_by": p.user_id}

    def change(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(policies) >= MAX_POLICIES:
            raise SlaPolicyLimitReachedError(f"At most {MAX_POLICIES} SLA policies")
        if doc["position"] is None:
            doc["position"] = max((q["position"] for q in policies), default=-1) + 1
        return [*policies, doc]

    _save(change, "create_sla_policy")
    return SlaPolicy.model_validate(doc)


def update_policy(p: Principal, policy_id: str, req: SlaPolicyUpdateRequest) -> SlaPolicy:
    """Change a policy's name, position, conditions or targets (admin). Tickets it applies
    to take the new targets at their next change; their clocks keep the time spent."""
    p.require_admin()
    body = req.model_dump(mode="json", include=req.model_fields_set, exclude_none=True)
    if "targets" in body:
        _check_schedules(body["targets"])
    out: dict[str, Any] = {}

    def change(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = next((q for q in policies if q["id"] == policy_id), None)
        if found is None:
            raise SlaPolicyNotFoundError()
        updated = {**found, **body, "updated_at": iso(now()), "updated_by": p.user_id}
        out.update(updated)
        return [updated if q["id"] == policy_id else q for q in policies]

    _save(change, "update_sla_policy")
    return SlaPolicy.model_validate(out)


def delete_policy(p: Principal, policy_id: str) -> None:
    """Delete a policy (admin); its tickets take the next matching policy at their next
    change."""
    p.require_admin()

    def change(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not any(q["id"] == policy_id for q in policies):
            raise SlaPolicyNotFoundError()
        return [q for q in policies if q["id"] != policy_id]

    _save(change, "delete_sla_policy")


def _save(change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]], operation: str) -> None:
    def attempt() -> None:
        policies, version = _stored()
        store_sla.put_policies({"policies": change(policies)}, version)

    on_conflict(attempt, operation=operation)


def _check_schedules(targets: dict[str, Any]) -> None:
    """Every target's schedule is `calendar` or a saved business-hours schedule."""
    named = {
        t["schedule"]
        for metrics in targets.values()
        for t in metrics.values()
        if t and t.get("schedule") != sla.CALENDAR
    }
    if not named:
        return
    stored = store_schedules.get_business_hours()
    known = {s["id"] for s in (stored or {}).get("schedules", [])}
    unknown = sorted(named - known)
    if unknown:
        raise SlaPolicyInvalidError(f"Unknown schedule(s): {', '.join(unknown)}")
