"""Scheduled functions, locally: every function with an EventBridge rate rule in the
template (`Events: {Type: Schedule, Properties: {Schedule: rate(...)}}`) runs at that rate
(`Ticker`, a background thread of the runner) and on demand (`POST
/_local/schedules/<FunctionLogicalId>/run`), with EventBridge's scheduled event (the time is
the runner's clock, `PUT /_local/clock`). Template-driven: nothing here names a function;
never in template.yaml nor the OpenAPI document.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.template import App

UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")


def rates(app: App) -> dict[str, float | None]:
    """Function logical id -> seconds between runs (None: a cron or other expression, which
    runs on demand only)."""
    out: dict[str, float | None] = {}
    for name, fn in app.functions.items():
        for ev in (fn.properties.get("Events") or {}).values():
            if ev.get("Type") != "Schedule":
                continue
            expression = str((ev.get("Properties") or {}).get("Schedule", ""))
            found = RATE.match(expression.strip())
            out[name] = int(found.group(1)) * UNITS[found.group(2)] if found else None
    return out


def scheduled_event(function: str, at: datetime, region: str = "us-east-1") -> dict[str, Any]:
    """EventBridge's event of a scheduled rule's firing."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),  # EventBridge: seconds
        "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/local-{function}"],
        "detail": {},
    }


class Ticker(threading.Thread):
    """Runs each rate-scheduled function every `rate` seconds of real time (the first run
    one period after the start, as EventBridge does); `run(name)` invokes one."""

    def __init__(self, schedule: dict[str, float | None], run: Callable[[str], Any]) -> None:
        super().__init__(name="schedules", daemon=True)
        self.schedule = {k: v for k, v in schedule.items() if v}
        self.run_one = run
        self.stopped = threading.Event()
        self.runs: dict[str, int] = dict.fromkeys(self.schedule, 0)

    def run(self) -> None:
        start = time.monotonic()
        next_at = {name: start + rate for name, rate in self.schedule.items()}
        while not self.stopped.wait(0.5):
            for name, rate in self.schedule.items():
                if time.monotonic() >= next_at[name]:
                    next_at[name] += rate
                    try:
                        self.run_one(name)
                        self.runs[name] += 1
                    except Exception as ex:  # as in AWS: the error is the function's log
                        print(f"runner: schedule {name}: {type(ex).__name__}: {ex}", flush=True)

    def stop(self) -> None:
        self.stopped.set()
