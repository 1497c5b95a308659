"""The caller's account: who am I, and my API tokens."""

from typing import Literal

from pydantic import AwareDatetime, Field

from helpdesk.domain import ApiToken, BaseModel
from helpdesk.models.common import Name, RequestBody
from helpdesk.principal import Principal


class MeResponse(BaseModel):
    user_id: str
    name: str
    email: str
    roles: list[str]
    org_id: str | None

    @classmethod
    def of(cls, p: Principal) -> "MeResponse":
        return cls(
            user_id=p.user_id, name=p.name, email=p.email, roles=sorted(p.roles), org_id=p.org_id
        )


ScopeName = Literal["tickets:read", "tickets:write", "admin", "changes:read"]


class CreateApiTokenRequest(RequestBody):
    name: Name
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="When the token stops working (at most a year ahead); default: in 90 days",
    )
    expires_in: int | None = Field(
        default=None,
        ge=1,
        description="Seconds the token works for, instead of expires_at (at most a year)",
    )
    scopes: list[ScopeName] | None = Field(
        default=None,
        max_length=4,
        description=(
            "Narrow the token; default: tickets:read and tickets:write (plus admin for staff);"
            " changes:read (administrators): the change feed and nothing else"
        ),
    )


class ApiTokenResponse(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The secret's first characters, to recognise it")
    scopes: list[str]
    created_at: str
    last_used_at: str | None = Field(description="Updated at most once a minute")
    expires_at: str | None = Field(description="When it stops working")

    @classmethod
    def of(cls, t: ApiToken) -> "ApiTokenResponse":
        return cls(
            id=t.id,
            name=t.name,
            prefix=t.prefix,
            scopes=t.scopes,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            expires_at=t.expires_at,
        )


class CreatedApiTokenResponse(ApiTokenResponse):
    token: str = Field(description="The secret: shown this once, store it now")


class ApiTokenList(BaseModel):
    items: list[ApiTokenResponse]


class OwnedApiTokenResponse(ApiTokenResponse):
    """A token as an admin sees it (any user's)."""

    owner_id: str
    roles: list[str] = Field(
        description="The roles it was made with (staff ones hold only while "
        "its owner is active staff)"
    )

    @classmethod
    def of(cls, t: ApiToken) -> "OwnedApiTokenResponse":
        return cls(**ApiTokenResponse.of(t).model_dump(), owner_id=t.owner_id, roles=t.roles)


class OwnedApiTokenList(BaseModel):
    items: list[OwnedApiTokenResponse]


class StaffMemberResponse(BaseModel):
    user_id: str
    name: str
    email: str
    roles: list[str] = Field(description="As of the member's last staff write")
    active: bool = Field(description="False: deactivated, no staff access by JWT or API token")
    last_seen_at: str | None = Field(description="The member's last staff write")
    deactivated_at: str | None = Field(
        description="The last deactivation; API tokens made before it never regain staff roles"
    )


class StaffList(BaseModel):
    items: list[StaffMemberResponse]
