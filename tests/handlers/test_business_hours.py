"""Business hours (`GET/PUT /admin/business-hours`) through the handlers, on moto."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from tests.conftest import call

pytestmark = pytest.mark.usefixtures("aws")

ADMIN: dict[str, Any] = {"user": "adam", "roles": "admin"}
AGENT: dict[str, Any] = {"user": "agnes", "roles": "agent"}
OFFICE = {
    "id": "office",
    "name": "Berlin office",
    "timezone": "Europe/Berlin",
    "hours": {
        **{d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu")},
        "fri": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "16:00"}],
    },
    "holidays": ["2026-12-31"],
    "public_holidays": {"country": "DE", "subdivision": "BE"},
}


def test_a_new_install_counts_in_calendar_hours() -> None:
    status, body, _ = call("admin_get_business_hours", **AGENT)
    assert status == 200, body
    assert [s["id"] for s in body["schedules"]] == ["calendar"]
    assert body["schedules"][0]["always_open"] is True and body["schedules"][0]["open_now"]
    assert body["updated_at"] is None


def test_the_admin_saves_schedules_with_public_holidays_and_staff_read_them() -> None:
    # Given Friday 27 November 2026, 15:30 UTC (16:30 in Berlin: the office has closed)
    with time_machine.travel(datetime(2026, 11, 27, 15, 30, tzinfo=UTC), tick=False):
        calendar = {
            "id": "calendar",
            "name": "Around the clock",
            "timezone": "UTC",
            "always_open": True,
        }
        status, body, _ = call(
            "admin_put_business_hours", **ADMIN, body={"schedules": [OFFICE, calendar]}
        )
        assert status == 200, body
        office = body["schedules"][0]
        # Then Berlin's public holidays are dates on the schedule, and it tells its state
        assert "2026-12-25" in office["public_holiday_dates"]
        assert "2027-10-03" in office["public_holiday_dates"]  # German Unity Day, next year
        assert office["open_now"] is False
        assert office["next_open"] == "2026-11-30T08:00:00.000000Z"  # Monday 09:00 CET
        assert body["updated_by"] == "adam"
        # And an agent reads what the admin saved
        status, read, _ = call("admin_get_business_hours", **AGENT)
        assert status == 200 and read == body


def test_only_admins_change_schedules_and_customers_see_none() -> None:
    status, problem, _ = call("admin_put_business_hours", **AGENT, body={"schedules": [OFFICE]})
    assert (status, problem["code"]) == (403, "FORBIDDEN")
    status, problem, _ = call("admin_get_business_hours", user="carl", roles="customer")
    assert (status, problem["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"timezone": "Mars/Olympus"}, "SCHEDULE_INVALID"),
        ({"hours": {"mon": [{"start": "17:00", "end": "09:00"}]}}, "SCHEDULE_INVALID"),
        (
            {
                "hours": {
                    "mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]
                }
            },
            "SCHEDULE_INVALID",
        ),
        ({"hours": {}}, "SCHEDULE_INVALID"),  # never open
        ({"public_holidays": {"country": "XX"}}, "SCHEDULE_INVALID"),
        ({"hours": {"someday": []}}, "VALIDATION_FAILED"),
        ({"hours": {"mon": [{"start": "9h", "end": "17:00"}]}}, "VALIDATION_FAILED"),
        ({"id": "Not A Slug"}, "VALIDATION_FAILED"),
        ({"colour": "blue"}, "VALIDATION_FAILED"),
    ],
)
def test_a_schedule_that_cannot_be_used_is_a_clear_422(change: dict[str, Any], code: str) -> None:
    status, problem, _ = call(
        "admin_put_business_hours", **ADMIN, body={"schedules": [{**OFFICE, **change}]}
    )
    assert (status, problem["code"]) == (422, code), problem
    # and nothing was saved
    assert call("admin_get_business_hours", **AGENT)[1]["schedules"][0]["id"] == "calendar"


def test_duplicate_schedule_ids_are_refused() -> None:
    status, problem, _ = call(
        "admin_put_business_hours", **ADMIN, body={"schedules": [OFFICE, OFFICE]}
    )
    assert status == 422, problem


def test_a_stored_schedule_drives_the_arithmetic() -> None:
    from helpdesk import business_hours, schedules

    call("admin_put_business_hours", **ADMIN, body={"schedules": [OFFICE]})
    _, body, _ = call("admin_get_business_hours", **AGENT)
    office = schedules.schedule_of(body["schedules"][0])
    # Thursday 24 December 2026 16:00 Berlin + 2 business hours: 1 h that day; Friday 25 and
    # Saturday 26 are closed (Christmas, weekend), Monday 28 opens 09:00
    start = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    assert business_hours.add(office, start, 120) == datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
