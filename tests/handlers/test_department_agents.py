"""A department's agents (issue 20): set on POST and PATCH /admin/departments, checked
against the staff directory, shown to staff and never to customers; through the handlers,
on moto. (Who is mailed: tests/handlers/test_notifications.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import call

pytestmark = pytest.mark.usefixtures("catalog")

ADMIN: dict[str, Any] = {"user": "adam", "roles": "admin"}


def staff(*user_ids: str, roles: tuple[str, ...] = ("agent",)) -> None:
    """Entries of the staff directory (as a staff write leaves them)."""
    from helpdesk.store import people as store_people

    for u in user_ids:
        store_people.put_staff(
            store_people.StaffMember(
                u, u.capitalize(), f"{u}@example.com", roles, last_seen_at="2026-01-01T00:00:00Z"
            )
        )


def create(**body: Any) -> tuple[int, Any]:
    status, got, _ = call("admin_create_department", **ADMIN, body={"name": "Field", **body})
    return status, got


def update(department_id: str, **body: Any) -> tuple[int, Any]:
    status, got, _ = call(
        "admin_update_department", **ADMIN, path={"department_id": department_id}, body=body
    )
    return status, got


def test_an_admin_sets_a_departments_agents_on_create_and_replaces_them_on_update() -> None:
    staff("ann", "ben", "cas")
    # When an admin creates a department with two agents
    status, dep = create(agent_ids=["ann", "ben"])
    # Then it has them, in the order given
    assert status == 201, dep
    assert dep["agent_ids"] == ["ann", "ben"] and dep["active"] is True
    # and it is kept: a change of something else leaves them
    status, renamed = update(dep["id"], name="Field service")
    assert status == 200 and renamed["agent_ids"] == ["ann", "ben"]
    # When he replaces them, then clears them
    status, replaced = update(dep["id"], agent_ids=["cas"])
    assert status == 200 and replaced["agent_ids"] == ["cas"]
    from helpdesk.store import catalog as store_catalog

    stored = store_catalog.get_department(dep["id"])
    assert stored is not None and stored.agent_ids == ["cas"]
    status, cleared = update(dep["id"], agent_ids=[])
    assert status == 200 and cleared["agent_ids"] == []
    # A department made without agents has none; a null leaves them as they are
    status, plain = create()
    assert status == 201 and plain["agent_ids"] == []
    assert update(dep["id"], agent_ids=["ann"])[1]["agent_ids"] == ["ann"]
    assert update(dep["id"], agent_ids=None)[1]["agent_ids"] == ["ann"]


def test_unknown_and_inactive_staff_are_refused_with_agent_unknown() -> None:
    staff("ann", "ben")
    staff("cleo", roles=("customer",))  # an entry that no longer lists a staff role
    status, member, _ = call("admin_deactivate_staff", **ADMIN, path={"user_id": "ben"})
    assert status == 200 and member["active"] is False
    _, dep = create(agent_ids=["ann"])
    for ids, bad in (
        (["ann", "nobody"], ["nobody"]),  # not in the staff directory
        (["ben", "ann"], ["ben"]),  # deactivated
        (["cleo"], ["cleo"]),  # demoted
    ):
        for status, problem in (create(agent_ids=ids), update(dep["id"], agent_ids=ids)):
            assert status == 422, problem
            assert problem["code"] == "AGENT_UNKNOWN" and problem["agent_ids"] == bad
            assert problem["type"].endswith("AGENT_UNKNOWN") and problem["status"] == 422
            assert all(b in problem["detail"] for b in bad)
    # nothing was written: the department keeps its agent, no new department appeared
    from helpdesk.store import catalog as store_catalog

    stored = store_catalog.get_department(dep["id"])
    assert stored is not None and stored.agent_ids == ["ann"]
    _, deps = store_catalog.list_catalog()
    assert [d.name for d in deps].count("Field") == 1
    # an unknown department is still 404, whatever the agents
    status, problem = update("dep_nope", agent_ids=["nobody"])
    assert (status, problem["code"]) == (404, "DEPARTMENT_NOT_FOUND")


def test_repeated_ids_and_more_than_fifty_agents_are_validation_failures() -> None:
    staff(*(f"a{n}" for n in range(51)))
    _, dep = create()
    too_many = [f"a{n}" for n in range(51)]
    for ids, why in (
        (["a1", "a2", "a1"], "value_error"),  # "agent_ids must not repeat"
        (too_many, "too_long"),
        (["not an id"], "string_pattern_mismatch"),
    ):
        for status, problem in (create(agent_ids=ids), update(dep["id"], agent_ids=ids)):
            assert (status, problem["code"]) == (422, "VALIDATION_FAILED"), problem
            (error,) = problem["errors"]
            assert error["loc"][:2] == ["body", "agent_ids"] and error["type"] == why
    # fifty is allowed
    status, full = create(agent_ids=too_many[:50])
    assert status == 201 and len(full["agent_ids"]) == 50
    # and a category has no agents
    status, problem, _ = call(
        "admin_update_category",
        **ADMIN,
        path={"category_id": "cat_billing"},
        body={"agent_ids": ["a1"]},
    )
    assert (status, problem["code"]) == (422, "VALIDATION_FAILED")


def test_staff_listing_departments_see_agent_ids_and_customers_never() -> None:
    staff("ann")
    status, dep = create(agent_ids=["ann"])
    assert status == 201
    # a customer sees the departments, never a staff id
    status, listed, _ = call("list_departments", user="carl")
    assert status == 200
    mine = next(d for d in listed["items"] if d["id"] == dep["id"])
    assert mine == {
        "id": dep["id"],
        "name": mine["name"],
        "position": mine["position"],
        "agent_ids": None,
    }
    assert all(d["agent_ids"] is None for d in listed["items"])
    # staff (an agent, an admin) see who gets an unassigned ticket's mail
    for who in ({"user": "agnes", "roles": "agent"}, ADMIN):
        status, listed, _ = call("list_departments", **who)
        assert status == 200
        mine = next(d for d in listed["items"] if d["id"] == dep["id"])
        assert mine["agent_ids"] == ["ann"]
