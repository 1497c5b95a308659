"""The change feed's page (`GET /admin/changes`): docs/api.md, "Change feed"."""

from typing import Any, Literal

from helpdesk.domain import BaseModel


class ChangeActor(BaseModel):
    id: str | None
    side: Literal["customer", "staff", "system"] | None


class ChangeItem(BaseModel):
    id: str
    type: str
    occurred_at: str
    ticket_id: str
    ticket_number: int
    actor: ChangeActor
    data: dict[str, Any]


class ChangePage(BaseModel):
    items: list[ChangeItem]
    next_cursor: str
    end_of_stream: bool
