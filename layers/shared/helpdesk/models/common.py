"""What every area's models share: the request base and the field types."""

from typing import Annotated

from pydantic import ConfigDict, StringConstraints

from helpdesk.domain import BaseModel
from helpdesk.ids import ID_MAX_LENGTH, ID_PATTERN

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class RequestBody(BaseModel):
    """A request body: unknown fields are an error (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class CategoryRef(BaseModel):
    id: str
    name: str
