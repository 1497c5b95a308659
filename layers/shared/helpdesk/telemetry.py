"""Metrics an on-call person reads, as CloudWatch Embedded Metric Format (EMF) log lines.

Services record what happened (`count("TicketsCreated")`, `count("Replies", side="staff")`,
`seconds("FirstResponseSeconds", 42)`); nothing is printed then. Each function flushes once
per invocation (`flush(context)`: `http.entrypoint` for every API function, and the
authorizer, the purge and the console themselves), which prints one EMF document per
dimension set, plus `ColdStart` (dimension `function_name`) on an instance's first
invocation, as Powertools' `capture_cold_start_metric` would.

Namespace `Helpdesk` (`POWERTOOLS_METRICS_NAMESPACE`), every metric with the dimension
`service=helpdesk`. Dimensions stay low-cardinality: a side, never an id or a user.
`POWERTOOLS_METRICS_DISABLED=true` (the tests, the local runner) records nothing.

Built on Powertools' EMF provider (its schema checks, units, serialisation), which
`aws_lambda_powertools` imports anyway: no import cost. Not its `Metrics` class and
`log_metrics` decorator: one `Metrics` carries one dimension set per document, its
`single_metric` (used for the cold-start metric) prints even when metrics are disabled,
and an invocation with no metric would warn on every read (docs/design.md section 7).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider import cold_start
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

logger = logging.getLogger(__name__)
NAMESPACE = "Helpdesk"
SERVICE = "helpdesk"

Dimensions = tuple[tuple[str, str], ...]
# this invocation's metrics, printed by flush(): (name, unit, value, extra dimensions)
_pending: list[tuple[str, MetricUnit, float, Dimensions]] = []


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Count `value` occurrences of `name` in this invocation (low-cardinality dimensions)."""
    _pending.append((name, MetricUnit.Count, value, tuple(sorted(dimensions.items()))))


def seconds(name: str, value: float, **dimensions: str) -> None:
    """A duration in seconds (e.g. FirstResponseSeconds)."""
    _pending.append((name, MetricUnit.Seconds, value, tuple(sorted(dimensions.items()))))


def replayed(response: Any, idempotent_data: Any) -> Any:
    """Powertools idempotency `response_hook`: a stored answer was returned (a replay)."""
    count("IdempotentReplays")
    return response


def flush(context: Any = None) -> None:
    """Print this invocation's metrics as EMF (one document per dimension set); clear them."""
    if context is not None and cold_start.is_cold_start:
        cold_start.is_cold_start = False  # Powertools' flag: False under provisioned concurrency
        name = getattr(context, "function_name", None) or os.environ.get(
            "AWS_LAMBDA_FUNCTION_NAME", "unknown"
        )
        _pending.append(("ColdStart", MetricUnit.Count, 1, (("function_name", str(name)),)))
    if not _pending:
        return
    pending = list(_pending)
    _pending.clear()
    if is_metrics_disabled():
        return
    groups: dict[Dimensions, list[tuple[str, MetricUnit, float]]] = {}
    for name, unit, value, dims in pending:
        groups.setdefault(dims, []).append((name, unit, value))
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE
    for dims, metrics in groups.items():
        try:
            emf = AmazonCloudWatchEMFProvider(
                namespace=namespace,
                service=SERVICE,
                default_dimensions={"service": SERVICE, **dict(dims)},
            )
            for name, unit, value in metrics:
                emf.add_metric(name=name, unit=unit, value=value)
            emf.flush_metrics()
        except Exception:  # a metric never turns an answer into an error
            logger.exception("metrics not published")
