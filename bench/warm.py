"""Warm overhead and round trips for every route in template.yaml, in-process.

For each function with a route (discovered from the template, its event from
events/<function>.json), the objects its path names are created in moto (a
ticket owned by the event's user, an attachment, a category, a department),
then one real invocation against moto records every AWS call and its parsed
response (the round trips, from botocore event hooks). The timed invocations
replay those responses through botocore's `Stubber`, so no backend runs: what
is measured is our code, Powertools and botocore's client side. The time
inside AWS calls (request build to parsed response, botocore hooks) is then
subtracted: "ours" = routing + validation + logic + serialisation.

A second, shorter pass with timers on Powertools' request validation, response
serialisation/validation and the route function itself splits "ours" into
shares (the rest is routing and plumbing: entrypoint, logger, route match,
response building).

    python -m bench.warm [--n 1000] [--only get_ticket,create_ticket]
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench import offline_env

offline_env(TABLE_NAME="bench", BUCKET_NAME="bench-attachments", POWERTOOLS_TRACE_DISABLED="true")

from tests.conftest import (  # noqa: E402
    EVENTS,
    FakeContext,
    _mocked_aws,
    load_event,
    load_function,
    pump,
)

if TYPE_CHECKING:
    from helpdesk.principal import Principal

SEGMENTS = ("validation", "serialisation", "logic", "aws")
# S3 request pricing tiers (DELETE is free)
S3_PUT_TIER = {"PutObject", "CopyObject", "PostObject", "ListObjectsV2"}
S3_GET_TIER = {"GetObject", "HeadObject"}


DDB_DATA = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
DDB_DATA |= {"GetItem", "BatchGetItem", "Query"}


def av_bytes(value: dict[str, Any]) -> int:
    """The size DynamoDB bills for an attribute value (its sizing rules: UTF-8 bytes of a
    string, about one byte per two digits of a number, 3 bytes of list/map overhead plus one
    per element)."""
    ((kind, inner),) = value.items()
    if kind in ("S", "B"):
        return len(str(inner).encode())
    if kind == "N":
        return len(str(inner).lstrip("-").replace(".", "")) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + av_bytes(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + av_bytes(v) for k, v in inner.items())
    return sum(len(str(v).encode()) for v in inner)  # SS, NS, BS


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + av_bytes(v) for name, v in item.items())


GSI_KEYS = ("GSI1PK", "GSI2PK")
SORTABLE_ENTRIES = ("L#Q#", "L#Q#DEL#")  # PK + "#": the lists whose entries carry GSI keys


def _gsi_units(request: dict[str, Any]) -> int:
    """What the indexes add to a write (never doubled by a transaction): a put writes its
    item's copy in each index whose key it has; deleting an entry of the whole queue or the
    deleted list deletes its two copies."""
    item = request.get("Item")
    if item:
        return sum(item_bytes(item) // 1024 + 1 for k in GSI_KEYS if k in item)
    pk = (request.get("Key") or {}).get("PK", {}).get("S", "")
    return 2 if f"{pk}#" in SORTABLE_ENTRIES else 0


def write_units(op: str, params: dict[str, Any]) -> float:
    """WRU of one write: one per started KB of each item (a put's own size; an update or
    delete of our small items counted as one), doubled inside a transaction, plus the
    writes it makes in the global secondary indexes (estimated from the item's keys)."""

    def units(request: dict[str, Any]) -> int:
        item = request.get("Item")
        return item_bytes(item) // 1024 + 1 if item else 1

    if op == "TransactWriteItems":
        writes = [next(iter(i.values())) for i in params["TransactItems"]]
        return sum(2 * units(w) + _gsi_units(w) for w in writes)
    if op == "BatchWriteItem":
        requests = [
            r.get("PutRequest") or r.get("DeleteRequest") or {}
            for rs in params["RequestItems"].values()
            for r in rs
        ]
        return sum(units(r) + _gsi_units(r) for r in requests)
    if op in ("PutItem", "UpdateItem", "DeleteItem"):
        return units(params) + _gsi_units(params)
    return 0


def read_units(op: str, params: dict[str, Any], parsed: dict[str, Any]) -> float:
    """RRU of one read: a Query's items together, a GetItem's or each BatchGetItem item on its
    own, per started 4 KB; half a unit unless strongly consistent."""
    half = 1.0 if params.get("ConsistentRead") else 0.5
    if op == "Query":
        return (sum(item_bytes(i) for i in parsed.get("Items", [])) // 4096 + 1) * half
    if op == "GetItem":
        return (item_bytes(parsed.get("Item") or {}) // 4096 + 1) * half
    if op == "BatchGetItem":
        found = [i for items in parsed.get("Responses", {}).values() for i in items]
        return sum(item_bytes(i) // 4096 + 1 for i in found) * 0.5
    return 0.0


def write_items(op: str, params: dict[str, Any]) -> int:
    if op == "TransactWriteItems":
        return len(params["TransactItems"])
    if op == "BatchWriteItem":
        return sum(len(rs) for rs in params["RequestItems"].values())
    return 1 if op in ("PutItem", "UpdateItem", "DeleteItem") else 0


class Clock:
    """AWS calls: what one request makes, their request units and the time spent inside them."""

    def __init__(self) -> None:
        self.inside = 0.0
        self.calls: list[tuple[str, str]] = []  # (service, operation)
        self.responses: list[dict[str, Any]] = []
        self.wru = 0.0
        self.rru = 0.0
        self.items = 0  # items written
        self.transact_items = 0  # items of the largest TransactWriteItems
        self._t = 0.0
        self._params: dict[str, Any] = {}

    def reset(self) -> None:
        self.calls, self.responses = [], []
        self.wru = self.rru = 0.0
        self.items = self.transact_items = 0

    def before(self, **kwargs: Any) -> None:
        # Presigning also fires this hook but makes no call (no after-call): counted in `after`.
        self._params = kwargs["params"]
        self._t = time.perf_counter()

    def after(self, **kwargs: Any) -> None:
        parsed: dict[str, Any] = kwargs["parsed"]
        model = kwargs["model"]
        dt = time.perf_counter() - self._t
        SEG.credit("aws", dt)
        self.inside += dt
        self.calls.append((model.service_model.service_name, model.name))
        if model.service_model.service_name == "dynamodb":
            self.wru += write_units(model.name, self._params)
            self.items += write_items(model.name, self._params)
            if model.name == "TransactWriteItems":
                self.transact_items = max(self.transact_items, len(self._params["TransactItems"]))
        response = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        if "Error" in parsed:
            response["_status"] = parsed.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        self.responses.append(response)
        if model.service_model.service_name == "dynamodb":
            self.rru += read_units(model.name, self._params, parsed)


class Segments:
    """Exclusive time per segment (a segment's children are not counted in it)."""

    def __init__(self) -> None:
        self.on = False
        self.total: dict[str, float] = dict.fromkeys(SEGMENTS, 0.0)
        self._stack: list[tuple[str, float, float]] = []  # (name, start, children)

    def push(self, name: str) -> None:
        if self.on:
            self._stack.append((name, time.perf_counter(), 0.0))

    def pop(self) -> None:
        if not self.on or not self._stack:
            return
        name, start, children = self._stack.pop()
        dt = time.perf_counter() - start
        self.total[name] += dt - children
        if self._stack:
            parent, pstart, pchildren = self._stack[-1]
            self._stack[-1] = (parent, pstart, pchildren + dt)

    def credit(self, name: str, dt: float) -> None:
        """`dt` seconds spent in `name` inside the current segment (not a wrapped call)."""
        if not self.on:
            return
        self.total[name] += dt
        if self._stack:
            top, start, children = self._stack[-1]
            self._stack[-1] = (top, start, children + dt)

    def wrap(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(fn)  # Powertools inspects the route's signature through __wrapped__
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.push(name)
            try:
                return fn(*args, **kwargs)
            finally:
                self.pop()

        timed._bench_timed = True  # type: ignore[attr-defined]
        return timed


SEG = Segments()


def _instrument_powertools() -> None:
    from aws_lambda_powertools.event_handler.middlewares import openapi_validation as v

    req = v.OpenAPIRequestValidationMiddleware
    res = v.OpenAPIResponseValidationMiddleware
    # The request middleware calls the rest of the chain: only its own work is validation.
    original: Any = req.handler

    def handler(self: Any, app: Any, next_middleware: Any) -> Any:
        def rest(app: Any) -> Any:
            SEG.push("plumbing")
            try:
                return next_middleware(app)
            finally:
                SEG.pop()

        SEG.push("validation")
        try:
            return original(self, app, rest)
        finally:
            SEG.pop()

    req.handler = handler  # type: ignore[method-assign]
    res._handle_response = SEG.wrap(res._handle_response, "serialisation")  # type: ignore[method-assign]
    SEG.total["plumbing"] = 0.0


def _route_key(route: Any) -> str:
    return f"{route.method} {route.path}" if route.path != "$default" else "$default"


def _ticket_for(
    fn_name: str, customer: Principal, admin: Principal, headers: dict[str, str]
) -> str:
    """A fresh ticket in the state `fn_name` acts on; an If-Match header gets its ETag."""
    from helpdesk import housekeeping, tickets
    from helpdesk.models.tickets import CreateTicketRequest

    ticket = tickets.create_ticket(customer, CreateTicketRequest(subject="Bench", message="hello"))
    if "if-match" in headers:
        headers["if-match"] = f'"{ticket.etag}"' if '"' not in ticket.etag else ticket.etag
    if fn_name in ("reopen_ticket", "rate_ticket"):  # they act on a closed ticket
        tickets.close(customer, ticket.id)
    if fn_name == "admin_restore_ticket":  # it acts on a deleted ticket
        housekeeping.soft_delete(admin, ticket.id)
    return ticket.id


def _prepare(fn_name: str, event: dict[str, Any]) -> dict[str, Any]:
    """The event with its path naming fresh objects that the route can act on."""
    from helpdesk import attachments, catalog, guests, tickets, tokens
    from helpdesk.models.account import CreateApiTokenRequest
    from helpdesk.models.attachments import CreateAttachmentRequest
    from helpdesk.models.catalog import CategoryCreateRequest, DepartmentCreateRequest
    from helpdesk.models.public import PublicTicketRequest
    from helpdesk.models.tickets import CreateTicketRequest
    from helpdesk.principal import principal_from_event

    event = copy.deepcopy(event)
    customer = principal_from_event(load_event("get_ticket"))
    admin = principal_from_event(load_event("admin_create_category"))
    params = event.get("pathParameters") or {}
    headers = event.setdefault("headers", {})

    def new_ticket() -> str:
        return tickets.create_ticket(
            customer, CreateTicketRequest(subject="Bench", message="hello")
        ).id

    if fn_name in ("admin_bulk_update", "admin_merge_ticket"):
        body: dict[str, Any] = json.loads(event["body"])
        if fn_name == "admin_bulk_update":  # real tickets to change
            body["ticket_ids"] = [new_ticket()]
        else:  # a merge target of the same requester
            body["target_id"] = new_ticket()
        event["body"] = json.dumps(body)
    for key, old in list(params.items()):
        if key == "ticket_id" and fn_name.startswith("public_"):
            form = PublicTicketRequest(
                first_name="Gail",
                last_name="Guest",
                email=f"gail.{fn_name}@example.com",
                subject="Bench",
                message="hello",
            )
            created = guests.create(form, "198.51.100.7")
            new = created.id
            headers["x-ticket-token"] = created.token
        elif key == "user_id":  # erasure: a requester of her own with one ticket
            requester = customer._replace(
                user_id=f"erase-{fn_name}", email=f"erase.{fn_name}@example.com"
            )
            tickets.create_ticket(requester, CreateTicketRequest(subject="Bench", message="hi"))
            new = requester.user_id
            event["body"] = json.dumps({"confirm": new})
        elif key == "token_id":
            owner = principal_from_event(event)
            new = tokens.create_token(owner, CreateApiTokenRequest(name="bench")).id
        elif key == "ticket_id":
            new = _ticket_for(fn_name, customer, admin, headers)
        elif key == "attachment_id":
            new = attachments.request_upload(
                customer,
                CreateAttachmentRequest(file_name="a.txt", content_type="text/plain", size=5),
            ).id
        elif key == "category_id":
            new = catalog.create_category(admin, CategoryCreateRequest(name=f"c {fn_name}")).id
        elif key == "department_id":
            new = catalog.create_department(admin, DepartmentCreateRequest(name=f"d {fn_name}")).id
        else:
            continue
        params[key] = new
        event["rawPath"] = event["rawPath"].replace(old, new)
        event["requestContext"]["http"]["path"] = event["requestContext"]["http"]["path"].replace(
            old, new
        )
    return event


def _client_of(service: str) -> Any:
    from helpdesk import attachments
    from helpdesk.store import codec as store_codec

    return store_codec.client() if service == "dynamodb" else attachments.client()


def _snake(op: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_")


def measure(fn_name: str, route: str, n: int, clock: Clock) -> dict[str, Any]:
    from botocore.stub import Stubber

    module = load_function(fn_name)
    handler = module.lambda_handler
    # The web console is Starlette behind mangum, not a Powertools resolver: it is timed
    # whole, without the validation/serialisation/logic split.
    routes = getattr(module.app, "_static_routes", []) + getattr(module.app, "_dynamic_routes", [])
    for r in routes:
        if not getattr(r.func, "_bench_timed", False):
            _ = r.dependant, r.has_dependencies  # computed from the unwrapped function
            r.func = SEG.wrap(r.func, "logic")
            if not r._middleware_stack_built:  # the stack starts from the function itself
                r._middleware_stack = r.func
    ctx = FakeContext()
    event = _prepare(fn_name, load_event(fn_name))
    pump().settle()  # the setup's own tickets indexed first, not billed to the route
    clock.reset()
    result = handler(copy.deepcopy(event), ctx)  # against moto: records the round trips
    status = result["statusCode"]
    calls, responses, wru, rru = list(clock.calls), list(clock.responses), clock.wru, clock.rru
    items, transact_items = clock.items, clock.transact_items
    # then what the request costs after its response: the list indexer, from the stream
    clock.reset()
    pump().settle()
    index = {
        "calls": sum(1 for svc, op in clock.calls if svc == "dynamodb" and op in DDB_DATA),
        "wru": clock.wru,
        "rru": clock.rru,
        "items": clock.items,
        "transact_items": clock.transact_items,
    }
    assert len(calls) == len(responses), (fn_name, calls, responses, result)
    # The console reads its signing key once per container (Powertools caches it for 5
    # minutes): the recorded first request has GetSecretValue, a warm one does not.
    replay = [(c, r) for c, r in zip(calls, responses, strict=True) if c[0] != "secretsmanager"]
    stubbers = {s: Stubber(_client_of(s)) for s in {c[0] for c, _ in replay}}

    def run_once() -> float:
        for (service, op), parsed in replay:
            if "Error" in parsed:  # a recorded ClientError (e.g. a failed condition) replays as one
                stubbers[service].add_client_error(
                    _snake(op),
                    service_error_code=parsed["Error"].get("Code", ""),
                    service_message=parsed["Error"].get("Message", ""),
                    http_status_code=int(parsed.get("_status", 400)),
                )
            else:
                stubbers[service].add_response(_snake(op), parsed)
        e = copy.deepcopy(event)
        clock.inside = 0.0
        t = time.perf_counter()
        out = handler(e, ctx)
        dt = time.perf_counter() - t
        assert out["statusCode"] == status, (route, out)
        return dt

    ours, total = [], []
    for s in stubbers.values():
        s.activate()
    try:
        run_once()  # the first stubbed call builds botocore's caches for the replay
        for _ in range(n):
            dt = run_once()
            total.append(dt * 1000)
            ours.append((dt - clock.inside) * 1000)
        SEG.total = dict.fromkeys([*SEGMENTS, "plumbing"], 0.0)
        SEG.on = True
        k = max(20, n // 5)
        profiled = 0.0
        for _ in range(k):
            SEG.push("plumbing")
            profiled += run_once()
            SEG.pop()
        SEG.on = False
    finally:
        for s in stubbers.values():
            s.deactivate()
    mine = max(1e-9, sum(v for s, v in SEG.total.items() if s != "aws"))
    share: dict[str, float] | None = {
        s: SEG.total[s] / mine for s in ("validation", "serialisation", "logic", "plumbing")
    }
    if not routes:
        share = None
    return {
        "route": route,
        "function": fn_name,
        "status": status,
        "ours": sorted(ours),
        "total_median": statistics.median(total),
        "calls": calls,
        "wru": wru,
        "rru": rru,
        "items": items,
        "transact_items": transact_items,
        "index": index,
        "share": share,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--only", default="")
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    from local.template import app

    tpl = app()
    targets: list[tuple[str, str]] = []
    missing: list[str] = []
    # What the cost model needs from the template: the function's memory, and whether its
    # routes are public (no authorizer invocation in front of them).
    sizing: dict[str, tuple[int, bool]] = {}
    for fn in tpl.functions.values():
        name = fn.code_uri.rstrip("/").rsplit("/", 1)[-1]
        sizing[name] = (fn.memory, all(r.authorizer is None for r in fn.routes))
        if not fn.routes or (args.only and name not in args.only.split(",")):
            continue
        if not (EVENTS / f"{name}.json").exists():
            missing.append(name)
            continue
        targets.append((name, ", ".join(_route_key(r) for r in fn.routes)))

    for _ in _mocked_aws():  # moto with the template's resources, and the stream pump
        from helpdesk import attachments, aws
        from helpdesk.store import codec as store_codec
        from local.seed import seed_catalog

        # Hooks on the session before any client exists: every client inherits them.
        clock = Clock()
        store_codec.client.cache_clear()
        attachments.client.cache_clear()
        aws.session().register("provide-client-params.*.*", clock.before)
        aws.session().register("after-call.*.*", clock.after)
        _instrument_powertools()
        seed_catalog()
        rows = [measure(name, route, args.n, clock) for name, route in sorted(targets)]

    lines = [
        f"{args.n} stubbed invocations per route after two warm-ups (Python, in-process), "
        "min/median/max of our time; shares from a further "
        f"{max(20, args.n // 5)} timed invocations.",
        "",
        "| route | function | status | ours min ms | ours median ms | ours max ms | "
        "with botocore ms | validation | serialisation | route logic | routing + plumbing |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        o, s = r["ours"], r["share"]
        shares = (
            f"{s['validation']:.0%} | {s['serialisation']:.0%} | {s['logic']:.0%} | {s['plumbing']:.0%}"
            if s
            else "- | - | - | - (no Powertools route: not split)"
        )
        lines.append(
            f"| {r['route']} | {r['function']} | {r['status']} | {o[0]:.2f} | "
            f"{statistics.median(o):.2f} | {o[-1]:.2f} | {r['total_median']:.2f} | {shares} |"
        )
    worst = max(rows, key=lambda r: statistics.median(r["ours"]))
    over = [r["route"] for r in rows if statistics.median(r["ours"]) >= 2.0]
    lines += [
        "",
        f"Slowest: **{worst['route']}** at **{statistics.median(worst['ours']):.2f} ms** median. "
        + (
            f"Over the 2 ms target: {', '.join(over)}."
            if over
            else "Every route is under the 2 ms target."
        ),
    ]
    if missing:
        lines.append(f"\nNot measured (no event in events/): {', '.join(missing)}.")
    lines += [
        "",
        "### Round trips",
        "",
        "What one request makes, from botocore's event hooks (the recorded invocation), and "
        "what the list indexer then makes from the stream records it wrote. WRU/RRU: DynamoDB "
        "request units from the items' billed sizes (a write one unit per started KB of the "
        "item, two inside a transaction, plus one per index copy it writes or deletes; a read half a unit per started 4 KB, a whole one if "
        "strongly consistent; a BatchGetItem item rounded up on its own). Items: items written; "
        "tx: items in the request's largest transaction.",
        "",
        "| route | DynamoDB calls | S3 calls | calls | items | tx | WRU | RRU | "
        "index calls | index items | index WRU | total WRU |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:

        def desc(service: str, calls: list[tuple[str, str]]) -> str:
            counted: dict[str, int] = {}
            for svc, op in calls:
                if svc == service:
                    counted[op] = counted.get(op, 0) + 1
            return ", ".join(f"{op}{' x' + str(v) if v > 1 else ''}" for op, v in counted.items())

        ix = r["index"]
        lines.append(
            f"| {r['route']} | {desc('dynamodb', r['calls']) or '-'} | {desc('s3', r['calls']) or '-'} "
            f"| {len(r['calls'])} | {r['items']} | {r['transact_items']} | {r['wru']:.0f} "
            f"| {r['rru']:.1f} | {ix['calls']} | {ix['items']} | {ix['wru']:.0f} "
            f"| {r['wru'] + ix['wru']:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    print(
        json.dumps(
            {
                r["route"]: {
                    "function": r["function"],
                    "memory_mb": sizing[r["function"]][0],
                    "public": sizing[r["function"]][1],
                    "ours_ms": round(statistics.median(r["ours"]), 3),
                    "calls": len(r["calls"]),
                    "wru": r["wru"],
                    "rru": r["rru"],
                    "items": r["items"],
                    "transact_items": r["transact_items"],
                    "index_calls": r["index"]["calls"],
                    "index_wru": r["index"]["wru"],
                    "index_rru": r["index"]["rru"],
                    "index_items": r["index"]["items"],
                    "s3_put": sum(1 for svc, op in r["calls"] if svc == "s3" and op in S3_PUT_TIER),
                    "s3_get": sum(1 for svc, op in r["calls"] if svc == "s3" and op in S3_GET_TIER),
                }
                for r in rows
            }
        )
    )


if __name__ == "__main__":
    main()
