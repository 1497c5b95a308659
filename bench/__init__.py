"""Benchmarks (docs/benchmarks.md). `offline_env` first: every bench runs against moto."""

from __future__ import annotations

import os


def offline_env(**extra: str) -> None:
    """Fake credentials in us-east-1, quiet logs, and none of the caller's endpoint, profile
    or session: call it before anything that reads the environment is imported."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_LOG_LEVEL="ERROR",
        **extra,
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
