"""`make bench`: every benchmark, one run, results written to docs/benchmarks.md.

python -m bench.run [--quick]     # --quick: fewer repetitions, 1k/10k tickets (~2 min)

Functions and routes come from template.yaml (events from events/), so routes added
later are measured without touching the benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from local.template import ROOT

OUT = ROOT / "docs" / "benchmarks.md"
RAW = ROOT / "bench" / "out"

# AWS list prices, us-east-1 (checked 2026-11; see each service's pricing page).
PRICE = {
    "http_api_per_m": 1.00,  # HTTP API requests, first 300M/month
    "lambda_req_per_m": 0.20,  # Lambda requests
    "lambda_gb_s_arm": 0.0000133334,  # Lambda duration, arm64, per GB-second
    "ddb_wru_per_m": 0.625,  # DynamoDB on-demand write request units
    "ddb_rru_per_m": 0.125,  # DynamoDB on-demand read request units
}
# Assumed production durations (ms) for a warm invocation: our code (measured) plus
# DynamoDB latency of ~5 ms per call in the same region (documented assumption).
DDB_MS_PER_CALL = 5.0
AUTHORIZER_MS = 2.0  # a cached token verification
S3_PUT_PER_M = 5.00  # S3 PUT, COPY, POST, LIST requests ($0.005 per 1,000)
S3_GET_PER_M = 0.40  # S3 GET, HEAD and other requests ($0.0004 per 1,000); DELETE is free
MIX = {  # a typical mix, per 100 requests: a customer portal and an agent desk
    "GET /tickets": 15,
    "GET /tickets/{ticket_id}": 15,
    "POST /tickets": 5,
    "POST /tickets/{ticket_id}/messages": 8,
    "POST /tickets/{ticket_id}/read": 5,
    "GET /me": 3,
    "GET /categories": 2,
    "GET /admin/tickets": 15,
    "GET /admin/tickets/{ticket_id}": 15,
    "POST /admin/tickets/{ticket_id}/messages": 7,
    "PATCH /admin/tickets/{ticket_id}": 5,
    "POST /admin/tickets/{ticket_id}/read": 5,
}


COLD_NOTES = """The floor row is the house style with nothing of ours: the bare handler (boto3 +
json) plus Powertools' resolver with validation, its Logger and one pydantic model. "x floor"
is what our code changes on top of the framework; it can be below 1 because our functions
pause the garbage collector while they import and the floor does not.

Two measures: the import alone (the issue's measure, and its target) and the import plus
the AWS clients the function uses ("with clients"). Our functions create their clients on
the first request (cached per container), and botocore's session and client modules load
with the first client (`helpdesk.aws`), in every function alike; the baseline's import of
boto3 includes those modules. The second measure puts that work back on both sides, so
nothing deferred escapes the comparison.

What keeps the import small:
- `helpdesk.coldstart`, imported first by every app.py, pauses the garbage collector until
  the handler is built, then freezes what the import built (`gc.freeze`) and turns it back
  on. Nearly everything an import allocates lives as long as the container; the collector
  was scanning that growing heap again and again (seen with `python -X importtime` as ~20 ms
  of "self" time on whichever trivial module a full pass fell in). Measured with
  `python -m bench.cold_start` before and after (2026-11-25, same machine): admin_get_ticket
  254 -> 224 ms median, 1.85x -> 1.65x the bare handler.
- No `from __future__ import annotations` in the modules that define pydantic models: with
  it, pydantic evaluates every annotation string with `compile()` when a class is created
  (~340 compiles, about half of `domain`'s and `models`' import; admin_get_ticket 318 -> 285 ms
  by `python -X importtime`).
- botocore clients instead of boto3 (no s3transfer), and botocore's session and client
  modules imported with the first client rather than at import (the catalog functions
  already worked that way, the ticket functions did not); pydantic models built on first use
  (`defer_build`); no module-level work beyond resolvers and cached client factories; typed
  settings as plain deferred pydantic models instead of pydantic-settings; pyjwt and
  cryptography only in the authorizer and, in the console, only on the sign-in callback;
  email-validator only when an `EmailStr` model is first built.
- The models are one module per area (`helpdesk.models.tickets`, `.staff`, `.catalog`, ...),
  imported by name, so a function builds only its area's classes: even with `defer_build`,
  pydantic's class creation costs ~0.3 ms per model, and the single `models` module (48
  classes) was ~15 ms of every ticket route's import. Customer functions and the console no
  longer load the staff desk's models; the console imports `desk`, `catalog` and the staff
  and catalog request models in the pages that use them (its customer pages do not).
  Measured with `python -m bench.cold_start --runs 11` (2026-11-25): worst 1.52x -> 1.47x on
  3.13, 1.55x -> 1.49x on 3.11.
- Small records are `NamedTuple`s (the principal, list filters, store records, the
  lifecycle outcome), not dataclasses: `@dataclass` generates and `exec`s its methods when
  the class is created, ~0.4-0.5 ms each against ~0.08 ms for a `NamedTuple` (3.11 and
  3.13); the ticket routes' import created eleven of them.
- `tests/unit/test_import_cost.py` imports every function in a fresh interpreter and fails
  when one loads a heavy package it does not need, leaves the collector paused, imports
  anything before `helpdesk.coldstart`, when a model module postpones its annotations, when
  a customer-facing function (or the console) loads the staff desk's modules, or when the
  console's customer pages load the catalog.

What is left: the floor alone, Powertools' event handler (its package imports every
resolver it ships, its Logger, Metrics and Tracer, the OpenAPI and validation middleware,
data classes, jmespath) and pydantic, has measured 1.62x-1.71x the bare handler in every
run so far, on 3.11 and on 3.13; our functions import below it. What remains of ours is
mostly the pydantic class bodies of `domain` and of the route's model areas, and the store
(~20 ms in all for admin_get_ticket with the collector paused, by `python -X importtime`). Going further would mean leaving the house
style (no Powertools resolver, or no pydantic validation) and with it the OpenAPI document
generated from the code; deferring those imports to the first request would only move the
cost from the init phase into the first request. In production, Lambda SnapStart for
Python (3.12+, published versions) restores an initialised snapshot instead of importing; it is not enabled here because it
adds caching and restore charges and needs versions behind an alias. The import is paid
once per container."""


RUNTIME_VENV = ROOT / ".venv-runtime"


def runtime_python() -> tuple[str, str | None]:
    """(the template's Runtime, an interpreter of that version with the layer's requirements).

    Looks for the runtime's `pythonX.Y` on PATH, then in pyenv's versions; builds
    `.venv-runtime` with uv (the layer's requirements and the pinned boto3). None when this
    machine has no such Python: the cold-start table is then measured only on the venv's."""
    from local.template import load

    runtime = str(load()["Globals"]["Function"]["Runtime"])  # e.g. python3.13
    version = runtime.removeprefix("python")
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        shutil.which(runtime),
        *sorted(map(str, pyenv.glob(f"versions/{version}*/bin/{runtime}"))),
    ]
    found = next(
        (
            c
            for c in candidates
            if c and subprocess.run([c, "-c", "pass"], capture_output=True).returncode == 0
        ),
        None,
    )
    if found is None:
        return runtime, None
    uv = str(Path(sys.executable).parent / "uv")
    python = RUNTIME_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([uv, "venv", "-q", "-p", found, str(RUNTIME_VENV)], check=True)
    boto3 = next(
        line.split("#")[0].strip()
        for line in (ROOT / "requirements" / "dev.txt").read_text().splitlines()
        if line.startswith("boto3==")
    )
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "-p",
            str(python),
            "-r",
            str(ROOT / "layers" / "shared" / "requirements.txt"),
            boto3,
        ],
        check=True,
    )
    return runtime, str(python)


# Measured by hand with `bench.cold_start --against` (not part of `make bench`): carried over.
KEPT = "### Before and after this wave's split (interleaved)"


def kept(doc: str, heading: str = KEPT) -> str:
    """A hand-measured subsection of the current document, up to the next heading."""
    return heading + doc.split(heading, 1)[1].split("\n#", 1)[0] if heading in doc else ""


# Subsections measured by their own commands (not part of `make bench`'s run: minutes each at
# 50,000 tickets), kept as they are when the document is regenerated; re-run the command a
# subsection names to refresh it.
KEPT_SECTIONS = (
    "### Write cost: what SLA adds (issue 23)",
    "### The SLA sweep: reads per run (issue 23)",
    "### Saved views: write cost with 0, 10 and 50 views defined (issue 22)",
    "### Combined queue filters: items read per page (issue 22)",
    "### The staff queue at 500 per page (issue 22)",
)


def kept_sections(doc: str) -> str:
    return "".join(kept(doc, heading) for heading in KEPT_SECTIONS)


ROUND_TRIP_NOTES = """Against the target (reads: 1 call, 2 where a total is returned; writes: 1 transaction plus
what idempotency needs):
- Reads are one Query or GetItem; a list with a total is the page's Query and its counter's
  GetItem (one person's list) or one BatchGetItem of its counter's shards (a shared list:
  the whole queue, its status lists, ...). Following a guest link is the link's GetItem and the thread's Query.
- A ticket write is the ticket's GetItem and one TransactWriteItems: the transaction is
  conditioned on the version that read returned (optimistic concurrency: DynamoDB cannot
  compute a ticket's next state for us). Staff writes carry the caller's staff directory
  entry inside that transaction; the public form carries the ticket's private link.
- Beyond that, and not idempotency: creates, replies and uploads count against a rate limit
  (one UpdateItem in `ratelimit`; the public form counts per IP and per address instead of
  per caller); a new ticket takes its number from an atomic counter (one UpdateItem: a
  transaction cannot return a value it computed); an `Idempotency-Key` adds Powertools'
  record writes (not in these events). A PATCH that changes a category or department reads
  the catalog (one Query) first.
- A bulk update is one GetItem and one transaction per ticket (each ticket all or nothing, and
  reported on its own), plus the caller's staff directory entry once per request (PutItem).
- Rare admin operations make more: deleting a category or department checks it is unused; a
  merge copies the source thread with BatchWriteItem before its transaction; erasure walks
  the requester's tickets. Each access pattern is listed in docs/design.md."""


def run(module: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{ROOT}"}
    out = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


BEFORE = ROOT / "bench" / "write_cost_before.json"
TARGETS = {  # issue 18's targets, total WRU of a request with its list index
    "POST /tickets/{ticket_id}/read": 4,
    "POST /admin/tickets/{ticket_id}/read": 4,
    "POST /tickets/{ticket_id}/messages": 16,
    "POST /admin/tickets/{ticket_id}/messages": 20,
    "PATCH /admin/tickets/{ticket_id}": 20,
    "POST /tickets": 24,
}


def write_cost(warm: dict[str, dict[str, float]]) -> str:
    """Every route that writes a ticket, before the list index (bench/write_cost_before.json,
    measured with the same bench.warm) and now: WRU of the request, of the indexer after it,
    items in the request's transaction."""
    before = json.loads(BEFORE.read_text())
    lines = [
        "## Write cost: before and after the list index",
        "",
        f"Before: {before['revision']}, `{before['command']}`; now: this run. WRU billed by "
        "DynamoDB's sizing rules (bench.warm's `write_units`: one per started KB of an item, "
        'two inside a transaction, plus its index copies); "tx items": items in the '
        "request's transaction; \"index\": the list indexer's writes for the request's stream "
        "record (counters included). Targets: issue 18's, for the total.",
        "",
        "| route | WRU before | tx items before | WRU now (request) | index WRU | total now | "
        "tx items now | target | RRU before | RRU now |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for route, was in sorted(before["routes"].items()):
        now = warm.get(route)
        if now is None or not (was["wru"] or now["wru"]):
            continue
        total = now["wru"] + now.get("index_wru", 0)
        target = TARGETS.get(route)
        lines.append(
            f"| {route} | {was['wru']:.0f} | {was['transact_items']} | {now['wru']:.0f} | "
            f"{now.get('index_wru', 0):.0f} | {total:.0f} | {now.get('transact_items', 0)} | "
            f"{target if target else '-'}"
            f"{(' met' if total <= target else ' **not met**') if target else ''} | "
            f"{was['rru']:.1f} | {now['rru'] + now.get('index_rru', 0):.1f} |"
        )
    return "\n".join(lines)


def indexer_gb() -> float:
    """The memory of the list indexer (the stream function every ticket write invokes)."""
    from local.template import app as load_app

    return load_app().functions["IndexListsFunction"].memory / 1024


def authorizer_gb() -> float:
    """The memory of the authorizer function, from template.yaml."""
    from local.template import app as load_app

    tpl = load_app()
    auth = next(iter(tpl.authorizers.values()))
    return tpl.functions[auth.function].memory / 1024


def cost_table(warm: dict[str, dict[str, float]], auth_gb: float, index_gb: float) -> str:
    lines = [
        "| route | MB | authorizer | calls | WRU | index WRU | RRU | S3 requests | assumed ms | "
        "Lambda $ | DynamoDB $ | S3 $ | $ per million requests |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    per_route: dict[str, float] = {}
    for route, w in warm.items():
        public = bool(w["public"])
        ms = w["ours_ms"] + DDB_MS_PER_CALL * w["calls"] + 1.0
        auth_gb_ms = 0.0 if public else auth_gb * AUTHORIZER_MS
        # the list indexer's invocation for this write's stream record (a batch of one: the
        # upper bound; a busy stream hands it up to 100 records at once)
        index_calls = w.get("index_calls", 0)
        index_gb_ms = index_gb * (DDB_MS_PER_CALL * index_calls + 1.0) if index_calls else 0.0
        lam = (
            PRICE["lambda_req_per_m"] * ((1 if public else 2) + (1 if index_calls else 0))
            + (
                1e6
                * PRICE["lambda_gb_s_arm"]
                * (w["memory_mb"] / 1024 * ms + auth_gb_ms + index_gb_ms)
            )
            / 1000
        )
        wru = w["wru"] + w.get("index_wru", 0)
        rru = w["rru"] + w.get("index_rru", 0)
        ddb = wru * PRICE["ddb_wru_per_m"] + rru * PRICE["ddb_rru_per_m"]
        s3 = w["s3_put"] * S3_PUT_PER_M + w["s3_get"] * S3_GET_PER_M
        total = PRICE["http_api_per_m"] + lam + ddb + s3
        per_route[route] = total
        lines.append(
            f"| {route} | {w['memory_mb']:.0f} | {'no' if public else 'yes'} | {w['calls']:.0f} | "
            f"{w['wru']:.0f} | {w.get('index_wru', 0):.0f} | {rru:.1f} | "
            f"{w['s3_put'] + w['s3_get']:.0f} | {ms:.1f} | {lam:.2f} | {ddb:.2f} | {s3:.2f} | "
            f"{total:.2f} |"
        )
    in_mix = {r: n for r, n in MIX.items() if r in per_route}
    mix = sum(per_route[r] * n for r, n in in_mix.items()) / sum(in_mix.values())
    lines += [
        "",
        f"**Typical mix** ({', '.join(f'{n}% {r}' for r, n in in_mix.items())}): "
        f"**${mix:.2f} per million requests**, the list indexer's invocations and writes "
        "included. Writes still dominate: a request writes only the ticket's own items (its "
        "transaction, 2 WRU per item and KB), but the indexer then moves the ticket's thin "
        "entries (1 WRU each, 2 to move one, more on the lists with index keys) on every list "
        "whose sort key or membership changed, so a reply, which moves the ticket up every list "
        "it is on, still costs about two units per list. A create_attachment upload adds one "
        "S3 PUT ($0.005 per 1,000) billed when the client posts the file.",
        "",
        "For scale: a team of 10 agents handling 10,000 tickets a month at ~40 API requests per "
        f"ticket (portal, agent views, replies) makes 400,000 requests: about **${mix * 0.4:.2f} a month** "
        "in requests, plus storage (DynamoDB $0.25/GB-month; a ticket with its entries is a few KB) "
        "and S3 for attachments. Hosted help desks list per-agent prices of roughly $15 to $115 "
        "per agent per month (Freshdesk Growth to Zendesk Suite Professional, published list prices), "
        "that is $150 to $1,150 a month for the same 10 agents.",
    ]
    return "\n".join(lines)


CONTENTION_NOTES = """### Contention on the list counters: before and after sharding

`python -m bench.contention` (issue 22): the share of the list indexer's commit transactions
that DynamoDB rejects (TransactionConflict) because another commit holds the same counter
item, before (one item per list) and after the shared lists' counters were split into
`keys.COUNTER_SHARDS` shards (a ticket's moves on the shard of a hash of its id, the same on
every shared list; docs/design.md 2., "Counter shards"). Model: writes arrive as a Poisson
stream of rate λ, each one moving the hot counter (the worst case: a burst of creations all
moves `C#Q`); a shard sees λ/N; a commit of duration d is rejected if another took the item
within the d before it: P = 1 - exp(-λ d / N). d is a documented assumption for DynamoDB
(20 ms in-region) and, beside it, the commit as measured on moto. The model is an upper
bound: the indexer runs at most one batch per stream shard at a time, so part of the stream
is serialised. A rejected commit fails its record, which Lambda retries (with the rest of
the batch after it); counting retries as arrivals, a counter keeps up only while
λ d / N <= 1/e."""


MAIL_COST_NOTES = """### Mail: cost per 1,000 notifications

`python -m bench.mail_cost --runs 5`: three changes that mail the customer side, each on a
ticket with one cc address (two mails per record), handed to `ProcessChangesFunction`
in-process on moto; medians of 5. Per record the consumers read the ticket, its events, the
message and the thread of each recipient, the recipients' preferences and suppressions (one
BatchGetItem), and per mail claim it (PutItem), mark it sent (UpdateItem) and remember its
Message-ID for replies (PutItem); the webhook dispatcher's Query of the subscriptions is in
the count. Priced at SES's $0.10 per 1,000 outbound mails, Lambda arm64 at 256 MB with an
assumed duration of our time plus 5 ms per DynamoDB call and 40 ms per SES call, one Lambda
request per record (the upper bound: the mapping batches up to 25), and DynamoDB on-demand.
SES is almost all of it: the rest is under 3 % of the price of the mail itself."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    RAW.mkdir(parents=True, exist_ok=True)
    # Full: the repetitions (~7 minutes on 2 shared cores); quick: ~2 minutes.
    runs = "5" if args.quick else "15"
    n = "200" if args.quick else "1000"
    sizes = "1000,10000" if args.quick else "1000,10000,50000"
    scale_runs = "3" if args.quick else "5"
    print("bench: cold starts ...", flush=True)
    cold = run("bench.cold_start", "--runs", runs)
    runtime, runtime_py = runtime_python()
    if runtime_py:
        print(f"bench: cold starts on {runtime} ...", flush=True)
        cold_runtime = run("bench.cold_start", "--runs", runs, "--python", runtime_py)
        cold_runtime_text = (
            f"The same measurement with the template's runtime, {runtime} (`.venv-runtime`, "
            f"built by `make bench`; `python -m bench.cold_start --runs {runs} --python "
            f".venv-runtime/bin/python`):\n\n" + cold_runtime.rsplit("\n{", 1)[0].strip()
        )
    else:
        cold_runtime_text = (
            f"No {runtime} interpreter on this machine: measured on the venv's Python only."
        )
    print("bench: warm overhead and round trips ...", flush=True)
    warm_out = run("bench.warm", "--n", n)
    warm = json.loads(warm_out.strip().splitlines()[-1])
    print("bench: list index cost by lists ...", flush=True)
    list_cost = run("bench.list_cost")
    print("bench: counter contention ...", flush=True)
    contention = run("bench.contention")
    print("bench: mail cost ...", flush=True)
    mail_cost = run("bench.mail_cost", "--runs", "5")
    print("bench: scale ...", flush=True)
    scale = run("bench.scale", "--sizes", sizes, "--runs", scale_runs)
    auth_gb = authorizer_gb()
    index_gb = indexer_gb()
    cold_text = cold.rsplit("\n{", 1)[0]
    warm_text = warm_out.rsplit("\n{", 1)[0]
    previous = OUT.read_text() if OUT.exists() else ""
    doc = f"""# Benchmarks

Measured with `make bench` (`python -m bench.run{" --quick" if args.quick else ""}`) on
{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.
These machines are noisy: compare ratios measured side by side in one run, not absolute
numbers across runs. Raw outputs of the last run are in `bench/out/` (not committed).

## Cold start (import of each handler: the Lambda init phase)

Command: `python -m bench.cold_start --runs {runs}` (every function in template.yaml).

{cold_text.strip()}

### On the template's runtime

{cold_runtime_text}

{kept(OUT.read_text() if OUT.exists() else "")}
### What keeps the import small, and what is left

{COLD_NOTES}

## Warm overhead and round trips

Command: `python -m bench.warm --n {n}`. Every route in template.yaml with an event in
events/. One real invocation against moto records the AWS calls and their responses; the
timed invocations replay them through botocore's `Stubber`, so no backend runs. "ours"
subtracts the time inside each AWS call as botocore hooks see it (request build, stubbed
answer, response parse), leaving routing + validation + logic + serialisation; "with
botocore" is the whole in-process invocation with the stubbed calls. Shares split "ours":
validation = Powertools' request validation middleware (pydantic), serialisation = its
response validation/serialisation, route logic = the route function and the layer below it
(excluding AWS calls), routing + plumbing = the rest (entrypoint, principal, logger context,
route matching, response building).

{warm_text.strip()}

{ROUND_TRIP_NOTES}

## Scale

Command: `python -m bench.scale --sizes {sizes} --runs {scale_runs}`. The customer list is
`tickets.list_tickets` for a requester with 30 tickets (a page of 20 and its total); the
staff queue is the queue's list partition and the queue by one assignee. Background
tickets are other requesters' and all sit in the queue; each one's creation is also a
change in the change feed (its `FEED` record and event, as the store writes them), so the
feed holds as many changes as the table holds tickets: its first page and a page from the
middle (a cursor half-way) are `helpdesk.changes.page` with `limit=50`. ScannedCount is
constant: each page is one Query with `Limit` on its own partition (the feed's: `limit + 1`),
whatever the table holds; "keys batch-read" is the page's one BatchGetItem (the page's
tickets; the feed page's events). moto's
latency still grows with the table: a Query sorts its whole partition and walks it from the
start to the cursor (the feed is one partition holding every change), and a GSI Query walks
every item of the table (`local.backend`'s patch spares only a base-table Query the walk of
the other partitions); DynamoDB seeks to the key, and its latency does not grow.

{scale.strip()}

## Cost model

AWS list prices (us-east-1): HTTP API ${PRICE["http_api_per_m"]:.2f}/M requests, Lambda
${PRICE["lambda_req_per_m"]:.2f}/M requests and ${PRICE["lambda_gb_s_arm"]}/GB-s (arm64), DynamoDB on-demand
${PRICE["ddb_wru_per_m"]}/M WRU and ${PRICE["ddb_rru_per_m"]}/M RRU. Each request is two Lambda
invocations where the route has the authorizer in front (the authorizer, {auth_gb * 1024:.0f} MB,
~{AUTHORIZER_MS:.0f} ms with a cached token; public routes are one), and a ticket write one
more, of the list indexer (its stream record in a batch of its own: the upper bound; "index
WRU" is what it writes); each function's memory
("MB") is its `MemorySize` in template.yaml. Assumed production duration: our measured code
time plus {DDB_MS_PER_CALL:.0f} ms per DynamoDB call plus 1 ms. Free tiers are ignored.

{cost_table(warm, auth_gb, index_gb)}

{write_cost(warm)}

### How the index's write cost grows with the lists a ticket is on

`python -m bench.list_cost`: a ticket on its usual lists plus k more (tags standing for the
saved views of the views issue: each view a ticket matches is one more list), changed three
ways. A reply moves the ticket up every list it is on: one delete and one put per list
(2 WRU, a little more on the whole queue's entry, which carries index keys), so it grows
with the lists the ticket is on, never with the lists that exist. A read marker or a
priority change touches only the lists it changes. The commit transaction holds the index
record and the counters of the lists gained or left (at most ~50 today, under DynamoDB's
100-item cap; a change that joined more than 99 lists at once would fail into the
indexer's failure queue: the views issue must split such a commit).

{list_cost.rsplit(chr(10) + "[", 1)[0].strip()}

{kept_sections(previous)}{CONTENTION_NOTES}

{contention.strip()}

{MAIL_COST_NOTES}

{mail_cost.rsplit(chr(10) + "{", 1)[0].strip()}
"""
    OUT.write_text(doc)
    (RAW / "last.json").write_text(json.dumps(warm, indent=1))
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
