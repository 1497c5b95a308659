"""Business hours (issue 23): the schedules SLA targets are counted in (`GET/PUT
/admin/business-hours`), and `schedule_of`, which turns a stored schedule into the
`business_hours.Schedule` the arithmetic reads.

Public holidays are expanded to dates when the schedules are saved (`HOLIDAY_YEARS` around
the saving year), so no other function imports the `holidays` package.
"""

from __future__ import annotations

from typing import Any

from helpdesk import business_hours
from helpdesk.clock import iso, now
from helpdesk.errors import ScheduleInvalidError
from helpdesk.models.schedules import (
    BusinessHoursRequest,
    BusinessHoursResponse,
    ScheduleBody,
    ScheduleResponse,
)
from helpdesk.principal import Principal
from helpdesk.store import schedules as store_schedules

HOLIDAY_YEARS = range(-1, 4)  # the saving year, the one before, and three after
CALENDAR_HOURS: dict[str, Any] = {
    "id": "calendar",
    "name": "Calendar hours",
    "timezone": "UTC",
    "always_open": True,
}


def schedule_of(stored: dict[str, Any]) -> business_hours.Schedule:
    """The arithmetic's schedule for a stored (or requested) schedule document."""
    return business_hours.from_doc(stored)


def get_business_hours(p: Principal) -> BusinessHoursResponse:
    """Every schedule (staff may read them; the SLA targets shown on tickets use them)."""
    p.require_staff()
    stored = store_schedules.get_business_hours()
    docs = stored["schedules"] if stored else [CALENDAR_HOURS]
    return _response(docs, stored)


def put_business_hours(p: Principal, req: BusinessHoursRequest) -> BusinessHoursResponse:
    """Replace every schedule (admin; last writer wins): each is checked by the arithmetic
    (zone, overlapping or empty intervals, open at least once), and its public holidays
    expanded to dates."""
    p.require_admin()
    year = now().year
    docs = []
    for body in req.schedules:
        doc = body.model_dump(mode="json", exclude_none=True)
        if body.public_holidays is not None:
            try:
                dates = business_hours.expand_holidays(
                    body.public_holidays.country,
                    [year + n for n in HOLIDAY_YEARS],
                    body.public_holidays.subdivision,
                )
            except (business_hours.ScheduleError, NotImplementedError) as ex:
                raise ScheduleInvalidError(f"{body.id}: {ex}") from ex
            doc["public_holiday_dates"] = [d.isoformat() for d in dates]
        _check(body, doc)
        docs.append(doc)
    stored = {"schedules": docs, "updated_at": iso(now()), "updated_by": p.user_id}
    store_schedules.put_business_hours(stored)
    return _response(docs, stored)


def _check(body: ScheduleBody, doc: dict[str, Any]) -> None:
    try:
        schedule = schedule_of(doc)
        business_hours.next_open(schedule, now())
    except business_hours.ScheduleError as ex:
        raise ScheduleInvalidError(f"{body.id}: {ex}") from ex


def _response(docs: list[dict[str, Any]], stored: dict[str, Any] | None) -> BusinessHoursResponse:
    at = now()
    out = []
    for doc in docs:
        schedule = schedule_of(doc)
        try:
            opens: str | None = iso(business_hours.next_open(schedule, at))
        except business_hours.ScheduleError:
            opens = None  # saved open, its holidays have since closed every day ahead
        out.append(
            ScheduleResponse.model_validate(
                {**doc, "open_now": business_hours.is_open(schedule, at), "next_open": opens}
            )
        )
    return BusinessHoursResponse(
        schedules=out,
        updated_at=stored.get("updated_at") if stored else None,
        updated_by=stored.get("updated_by") if stored else None,
    )
