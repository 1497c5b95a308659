"""Typed configuration, read from the function's environment (never at import time).

Each model matches the `Environment` a function gets in template.yaml.
"""

import os
from functools import lru_cache
from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class _Base(BaseModel):
    """A pydantic model whose fields default to the environment variable of the same name
    (upper case). Plain pydantic rather than pydantic-settings: importing pydantic-settings
    costs ~15% of a route's cold start (its provider modules), and env-by-name is all we use."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    def __init__(self, **values: Any) -> None:
        for name in type(self).model_fields:
            if name not in values and name.upper() in os.environ:
                values[name] = os.environ[name.upper()]
        super().__init__(**values)

    @classmethod
    def from_environment(cls) -> Self:
        """Every field from the environment (a missing required one is a ValidationError)."""
        return cls.model_validate(
            {n: os.environ[n.upper()] for n in cls.model_fields if n.upper() in os.environ}
        )


class TableSettings(_Base):
    table_name: str
    stage: str = "dev"


class AuthSettings(_Base):
    """The authorizer's view: which issuer to trust and where its keys are."""

    issuer: str
    audience: str
    jwks_url: str = ""
    # Verified results are kept this long in a warm authorizer (seconds).
    auth_cache_seconds: int = 300

    @property
    def resolved_jwks_url(self) -> str:
        return self.jwks_url or self.issuer.rstrip("/") + "/.well-known/jwks.json"


class ConsoleSettings(_Base):
    """The web console: where its signing key is and, in production, the Cognito hosted UI."""

    stage: str = "dev"
    # the Secrets Manager secret holding the signing keys (ARN or name; never the key itself)
    console_signing_key_id: str = ""
    # e.g. https://helpdesk.auth.us-east-1.amazoncognito.com (empty: no hosted-UI sign-in)
    console_auth_domain: str = ""
    issuer: str = ""
    audience: str = ""  # the Cognito app client id (a public client: PKCE, no secret)
    jwks_url: str = ""

    @property
    def dev_signin(self) -> bool:
        return self.stage == "local"

    @property
    def base_path(self) -> str:
        # an HTTP API's named stage prefixes every path (https://host/<stage>/app)
        return "" if self.dev_signin else f"/{self.stage}"


DEFAULT_ATTACHMENT_TYPES = (
    "image/png,image/jpeg,image/webp,image/gif,application/pdf,text/plain,text/csv,application/zip"
)


class AttachmentSettings(_Base):
    """Where attachments live and what may be uploaded (template parameters feed the limits)."""

    bucket_name: str
    attachment_max_bytes: int = 10 * 1024 * 1024
    # comma-separated media types, e.g. "image/png,application/pdf"
    attachment_allowed_types: str = DEFAULT_ATTACHMENT_TYPES

    @property
    def allowed_types(self) -> frozenset[str]:
        return frozenset(
            t.strip().lower() for t in self.attachment_allowed_types.split(",") if t.strip()
        )


class HousekeepingSettings(_Base):
    """Soft delete: how long a deleted ticket stays restorable before DynamoDB TTL purges it."""

    deleted_retention_days: int = 30


class FeedSettings(_Base):
    """The change feed: how long a committed change stays invisible (the longest a request
    can run between taking its time and committing; the functions' Timeout is 10 s).
    0 turns the holdback off (tests)."""

    feed_holdback_seconds: float = 15


@lru_cache(maxsize=1)
def feed_settings() -> FeedSettings:
    return FeedSettings.from_environment()


@lru_cache(maxsize=1)
def housekeeping_settings() -> HousekeepingSettings:
    return HousekeepingSettings.from_environment()


class RateLimitSettings(_Base):
    """Per-caller write limits (template parameters WriteLimit and WriteWindowSeconds)."""

    write_limit: int = 30
    write_window_seconds: int = 60


@lru_cache(maxsize=1)
def rate_limit_settings() -> RateLimitSettings:
    return RateLimitSettings.from_environment()


class PublicFormSettings(_Base):
    """The public contact form's limits (template parameters PublicFormIpLimit,
    PublicFormEmailLimit and PublicFormWindowSeconds)."""

    public_form_ip_limit: int = 20
    public_form_email_limit: int = 5
    public_form_window_seconds: int = 3600


@lru_cache(maxsize=1)
def public_form_settings() -> PublicFormSettings:
    return PublicFormSettings.from_environment()


@lru_cache(maxsize=1)
def attachment_settings() -> AttachmentSettings:
    return AttachmentSettings.from_environment()


@lru_cache(maxsize=1)
def table_settings() -> TableSettings:
    return TableSettings.from_environment()


@lru_cache(maxsize=1)
def auth_settings() -> AuthSettings:
    return AuthSettings.from_environment()


@lru_cache(maxsize=1)
def console_settings() -> ConsoleSettings:
    return ConsoleSettings.from_environment()


class WebhookSettings(_Base):
    """Webhook delivery (template parameters; the runner shortens the backoff and allows
    http://127.0.0.1 receivers, docs/design.md, "Webhooks")."""

    webhook_queue_url: str = ""
    webhook_retry_base_seconds: float = 30
    webhook_retry_max_seconds: float = 3600
    webhook_retry_window_seconds: float = 86400
    webhook_max_consecutive_failures: int = 100
    webhook_delivery_log_days: int = 30
    # local runner and tests only: http:// and loopback receivers (never in AWS)
    webhook_allow_loopback: bool = False


@lru_cache(maxsize=1)
def webhook_settings() -> WebhookSettings:
    return WebhookSettings.from_environment()


class MailSettings(_Base):
    """E-mail notifications (the notifier and the preference routes; docs/design.md, "Mail")."""

    sender_address: str = "support@example.com"  # the From (a verified identity's address)
    support_domain: str = "example.com"  # Reply-To: support+<token>@<support_domain>
    mail_configuration_set: str = ""  # SES configuration set every mail is sent through
    public_base_url: str = "http://127.0.0.1:3000"  # links in mail (API and console)
    notification_queue_address: str = ""  # unassigned tickets' customer mail (no agents)
    mail_template_dir: str = ""  # an operator's templates, tried before the layer's own
    aws_region: str = "us-east-1"
    unsubscribe_max_age_days: int = 365


@lru_cache(maxsize=1)
def mail_settings() -> MailSettings:
    return MailSettings()


class InboundSettings(_Base):
    """Mail in (the receiving function and the inbound log; docs/design.md, "Mail in")."""

    inbound_bucket: str = ""  # where SES stores received mail (inbound/<object>)
    inbound_max_message_bytes: int = 10 * 1024 * 1024  # larger mail is dropped, unread
    inbound_new_tickets_per_sender_per_hour: int = 5
    sender_address: str = "support@example.com"  # our own From: mail from it is a loop
    support_domain: str = "example.com"  # support+<token>@<support_domain> routes replies


@lru_cache(maxsize=1)
def inbound_settings() -> InboundSettings:
    return InboundSettings()
