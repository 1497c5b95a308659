"""Business hours (issue 23): the schedules SLA targets are counted in."""

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from helpdesk.domain import BaseModel
from helpdesk.models.common import Name, RequestBody

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TimeOfDay = Annotated[
    str,
    StringConstraints(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"),
    Field(description="Local wall time HH:MM; 24:00 ends a day", examples=["09:00"]),
]
ScheduleId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$"),
    Field(description="A short slug, referred to by SLA policies", examples=["office"]),
]


class OpeningInterval(RequestBody):
    start: TimeOfDay
    end: TimeOfDay


class PublicHolidays(RequestBody):
    country: Annotated[
        str,
        StringConstraints(pattern=r"^[A-Z]{2}$"),
        Field(description="ISO 3166-1 alpha-2 code", examples=["DE"]),
    ]
    subdivision: Annotated[
        str | None,
        StringConstraints(pattern=r"^[A-Z0-9]{1,5}$"),
        Field(description="ISO 3166-2 subdivision (state, province)", examples=["BE"]),
    ] = None


class ScheduleBody(RequestBody):
    id: ScheduleId
    name: Name
    timezone: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64),
        Field(description="IANA time zone", examples=["Europe/Berlin"]),
    ]
    always_open: bool = Field(
        default=False, description="Calendar hours: open around the clock, no holidays"
    )
    hours: dict[Weekday, Annotated[list[OpeningInterval], Field(max_length=6)]] = Field(
        default_factory=dict, description="Opening intervals per weekday; days left out are closed"
    )
    holidays: list[date] = Field(default_factory=list, max_length=400, description="Closed dates")
    public_holidays: PublicHolidays | None = Field(
        default=None, description="Also closed on this country's public holidays"
    )


class BusinessHoursRequest(RequestBody):
    schedules: list[ScheduleBody] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _unique_ids(self) -> "BusinessHoursRequest":
        ids = [s.id for s in self.schedules]
        if len(set(ids)) != len(ids):
            raise ValueError("schedule ids must be unique")
        return self


class ScheduleResponse(ScheduleBody):
    public_holiday_dates: list[date] = Field(
        default_factory=list,
        description="public_holidays expanded to dates when the schedule was saved",
    )
    open_now: bool
    next_open: str | None = Field(description="When it next opens (now if open); null if never")


class BusinessHoursResponse(BaseModel):
    schedules: list[ScheduleResponse]
    updated_at: str | None
    updated_by: str | None
