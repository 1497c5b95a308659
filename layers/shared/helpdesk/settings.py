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


@lru_cache(maxsize=1)
def table_settings() -> TableSettings:
    return TableSettings()  # fields come from the environment


@lru_cache(maxsize=1)
def auth_settings() -> AuthSettings:
    return AuthSettings()
