"""Typed configuration, read from the function's environment (never at import time).

Each model matches the `Environment` a function gets in template.yaml.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class _Base(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)


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


class RateLimitSettings(_Base):
    """Per-caller write limits (template parameters WriteLimit and WriteWindowSeconds)."""

    write_limit: int = 30
    write_window_seconds: int = 60


@lru_cache(maxsize=1)
def rate_limit_settings() -> RateLimitSettings:
    return RateLimitSettings()


@lru_cache(maxsize=1)
def attachment_settings() -> AttachmentSettings:
    return AttachmentSettings()  # fields come from the environment


@lru_cache(maxsize=1)
def table_settings() -> TableSettings:
    return TableSettings()  # fields come from the environment


@lru_cache(maxsize=1)
def auth_settings() -> AuthSettings:
    return AuthSettings()
