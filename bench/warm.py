"""Warm overhead and round trips per route, in-process.

Each route's handler is invoked through `lambda_handler` with a realistic event
(a ticket to act on exists) against moto in-process. botocore event hooks time
every AWS call, so "our code" = wall time minus time inside AWS calls: routing,
validation, our logic and serialisation, without the backend. Round trips are
the calls one request makes.

    python -m bench.warm [--n 1000]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_DEFAULT_REGION="us-east-1",
    TABLE_NAME="bench",
    BUCKET_NAME="bench-attachments",
    POWERTOOLS_LOG_LEVEL="ERROR",
    POWERTOOLS_TRACE_DISABLED="true",
)
for _v in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_v, None)

from tests.conftest import BUCKET, TABLE, FakeContext, load_event, load_function  # noqa: E402

Setup = Callable[[dict[str, Any]], dict[str, Any]]


class Clock:
    """Time spent inside AWS calls, botocore's client side included (params .. parsed response)."""

    def __init__(self) -> None:
        self.inside = 0.0
        self.calls: list[str] = []
        self.wru = 0.0
        self.rru = 0.0
        self._t = 0.0

    def before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(f"{model.service_model.service_name}:{model.name}")
        if model.name == "TransactWriteItems":
            # transactional writes cost 2 WRU per started KB of each item
            self.wru += sum(2 * (len(json.dumps(i)) // 1024 + 1) for i in params["TransactItems"])
        elif model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            self.wru += 1
        self._t = time.perf_counter()

    def after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.inside += time.perf_counter() - self._t
        if model.name in ("Query", "GetItem", "BatchGetItem"):
            items = parsed.get("Items") or ([parsed["Item"]] if "Item" in parsed else [])
            size = len(json.dumps(items, default=str))
            self.rru += (
                max(1, (size // 4096 + 1)) * 0.5
            )  # eventually consistent: half a unit per 4 KB


def _customer(event: dict[str, Any], user: str = "bench-alice") -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["requestContext"]["authorizer"] = {
        "lambda": {
            "user_id": user,
            "name": "Bench",
            "email": "b@example.com",
            "roles": "customer",
            "org_id": "",
        }
    }
    return event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    from moto import mock_aws

    with mock_aws():
        from helpdesk import store
        from helpdesk.models import CreateTicketRequest
        from helpdesk.principal import Principal
        from helpdesk.tickets import create_ticket
        from local.backend import create_resources
        from local.seed import seed_catalog
        from local.template import app

        create_resources(app(), None, "us-east-1", TABLE, BUCKET)
        seed_catalog()
        alice = Principal(user_id="bench-alice", name="Bench")
        ticket = create_ticket(alice, CreateTicketRequest(subject="Bench", message="hello"))

        def on_ticket(name: str) -> dict[str, Any]:
            event = _customer(load_event(name))
            event["pathParameters"] = {"ticket_id": ticket.id}
            event["rawPath"] = event["rawPath"].replace("tkt_01jexample0000000000000000", ticket.id)
            return event

        routes: dict[str, Callable[[], dict[str, Any]]] = {
            "GET /me": lambda: _customer(load_event("get_me")),
            "GET /categories": lambda: _customer(load_event("list_categories")),
            "GET /departments": lambda: _customer(load_event("list_departments")),
            "GET /tickets": lambda: _customer(load_event("list_tickets")),
            "GET /tickets/{id}": lambda: on_ticket("get_ticket"),
            "POST /tickets": lambda: _customer(load_event("create_ticket")),
            "POST /tickets/{id}/messages": lambda: on_ticket("reply_ticket"),
            "POST /tickets/{id}/read": lambda: on_ticket("read_ticket"),
        }
        handlers = {
            "GET /me": "get_me",
            "GET /categories": "list_categories",
            "GET /departments": "list_departments",
            "GET /tickets": "list_tickets",
            "GET /tickets/{id}": "get_ticket",
            "POST /tickets": "create_ticket",
            "POST /tickets/{id}/messages": "reply_ticket",
            "POST /tickets/{id}/read": "read_ticket",
        }
        clock = Clock()
        client = store.client()
        client.meta.events.register("provide-client-params.*.*", clock.before)
        client.meta.events.register("after-call.*.*", clock.after)
        rows = []
        for route, make_event in routes.items():
            handler = load_function(handlers[route]).lambda_handler
            ctx = FakeContext()
            event = make_event()
            result = handler(copy.deepcopy(event), ctx)  # warm up (first call builds caches)
            assert result["statusCode"] < 300, (route, result)
            clock.calls.clear()
            clock.wru = clock.rru = 0.0
            handler(copy.deepcopy(event), ctx)
            calls, wru, rru = list(clock.calls), clock.wru, clock.rru
            ours, total = [], []
            # moto's transactions are slow (it copies the table): writes get a tenth of the runs
            for _ in range(args.n if route.startswith("GET") else max(20, args.n // 10)):
                e = copy.deepcopy(event)
                clock.inside = 0.0
                t = time.perf_counter()
                handler(e, ctx)
                dt = time.perf_counter() - t
                total.append(dt * 1000)
                ours.append((dt - clock.inside) * 1000)
            rows.append(
                (
                    route,
                    statistics.median(ours),
                    statistics.quantiles(ours, n=100)[98],
                    statistics.median(total),
                    calls,
                    wru,
                    rru,
                )
            )
    lines = [
        f"In-process, {args.n} invocations per route after one warm-up; moto in-process answers AWS calls,",
        'and the time inside them is subtracted ("ours" = routing + validation + logic + serialisation).',
        "",
        "| route | ours median ms | ours p99 ms | with moto median ms | AWS calls per request | WRU | RRU |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for route, med, p99, tot, calls, wru, rru in rows:
        counted: dict[str, int] = {}
        for c in calls:
            counted[c] = counted.get(c, 0) + 1
        desc = (
            ", ".join(
                f"{k.split(':')[1]}{' x' + str(v) if v > 1 else ''}" for k, v in counted.items()
            )
            or "none"
        )
        lines.append(
            f"| {route} | {med:.2f} | {p99:.2f} | {tot:.2f} | {len(calls)}: {desc} | {wru:.0f} | {rru:.1f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    print(
        json.dumps(
            {
                r[0]: {"ours_ms": round(r[1], 2), "calls": len(r[4]), "wru": r[5], "rru": r[6]}
                for r in rows
            }
        )
    )


if __name__ == "__main__":
    main()
