"""The public contact form: a visitor without an account opens a ticket."""

from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from helpdesk.domain import BaseModel
from helpdesk.models.common import Body, Id, RequestBody, Subject


class PublicTicketRequest(RequestBody):
    """The public contact form: no account; `website` is a honeypot humans leave empty."""

    first_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    last_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    email: EmailStr
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    company: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    subject: Subject
    message: Body
    category_id: Id | None = None
    website: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="Leave empty (a filled value is rejected as spam)"
    )


class PublicTicketCreated(BaseModel):
    """The new ticket and the private link secret (shown once; only its hash is kept)."""

    id: str
    number: int
    token: str = Field(description="Send as X-Ticket-Token (or ?token=) to follow the ticket")
