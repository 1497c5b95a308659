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
import subprocess
import sys
from datetime import UTC, datetime

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
MEMORY_GB = 0.25
AUTHORIZER_GB = 0.5
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
is what our code adds on top of the framework. By `python -X importtime` (create_ticket
against the floor, self times), what we add is ~10% of the import: the class bodies of our
pydantic models (`models` ~35% of that, `domain` ~30%: validators are deferred with
`defer_build`, but each class still collects and evaluates its annotated fields), the error
classes, the pydantic types we use (`EmailStr`, `StringConstraints`), and our other modules
(1-2 ms each).

Done: botocore clients instead of boto3 (no s3transfer), models built on first use, no
module-level work beyond resolvers and cached client factories, typed settings as plain
deferred pydantic models instead of pydantic-settings (whose import, with its provider
modules, was ~15% of a route's), pyjwt/cryptography only in the authorizer, email-validator
only when an `EmailStr` model is first built.

Why the 1.5x target is not met: the floor itself, Powertools' event handler (its package
imports every resolver it ships, the OpenAPI/validation middleware, data classes, jmespath)
and pydantic, is most of the gap to the bare boto3 handler; our code on top of it is the
small "x floor" above. Reaching 1.5x would mean leaving the house style (no Powertools
resolver, or no pydantic validation); within it, the remaining lever is splitting `models`
by area so a route builds only its own classes. The difference is paid once per container."""


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


def cost_table(warm: dict[str, dict[str, float]]) -> str:
    lines = [
        "| route | calls | WRU | RRU | S3 requests | assumed ms | Lambda $ | DynamoDB $ | S3 $ | "
        "$ per million requests |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    per_route: dict[str, float] = {}
    for route, w in warm.items():
        public = route.startswith(("GET /openapi.json", "GET /docs", "$default"))
        ms = w["ours_ms"] + DDB_MS_PER_CALL * w["calls"] + 1.0
        auth_gb_ms = 0.0 if public else AUTHORIZER_GB * AUTHORIZER_MS
        lam = PRICE["lambda_req_per_m"] * (1 if public else 2) + 1e6 * (
            PRICE["lambda_gb_s_arm"] * (MEMORY_GB * ms + auth_gb_ms) / 1000
        )
        ddb = w["wru"] * PRICE["ddb_wru_per_m"] + w["rru"] * PRICE["ddb_rru_per_m"]
        s3 = w["s3_put"] * S3_PUT_PER_M + w["s3_get"] * S3_GET_PER_M
        total = PRICE["http_api_per_m"] + lam + ddb + s3
        per_route[route] = total
        lines.append(
            f"| {route} | {w['calls']:.0f} | {w['wru']:.0f} | {w['rru']:.1f} | "
            f"{w['s3_put'] + w['s3_get']:.0f} | {ms:.1f} | {lam:.2f} | {ddb:.2f} | {s3:.2f} | "
            f"{total:.2f} |"
        )
    in_mix = {r: n for r, n in MIX.items() if r in per_route}
    mix = sum(per_route[r] * n for r, n in in_mix.items()) / sum(in_mix.values())
    lines += [
        "",
        f"**Typical mix** ({', '.join(f'{n}% {r}' for r, n in in_mix.items())}): "
        f"**${mix:.2f} per million requests**. Writes dominate: a ticket transaction rewrites "
        "the ticket and its list entries (2 WRU per item and KB), so the cost of a write grows "
        "with the number of lists a ticket is in. A create_attachment upload adds one S3 PUT "
        "($0.005 per 1,000) billed when the client posts the file.",
        "",
        "For scale: a team of 10 agents handling 10,000 tickets a month at ~40 API requests per "
        f"ticket (portal, agent views, replies) makes 400,000 requests: about **${mix * 0.4:.2f} a month** "
        "in requests, plus storage (DynamoDB $0.25/GB-month; a ticket with its entries is a few KB) "
        "and S3 for attachments. Hosted help desks list per-agent prices of roughly $15 to $115 "
        "per agent per month (Freshdesk Growth to Zendesk Suite Professional, published list prices), "
        "that is $150 to $1,150 a month for the same 10 agents.",
    ]
    return "\n".join(lines)


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
    print("bench: warm overhead and round trips ...", flush=True)
    warm_out = run("bench.warm", "--n", n)
    warm = json.loads(warm_out.strip().splitlines()[-1])
    print("bench: scale ...", flush=True)
    scale = run("bench.scale", "--sizes", sizes, "--runs", scale_runs)
    cold_text = cold.rsplit("\n{", 1)[0]
    warm_text = warm_out.rsplit("\n{", 1)[0]
    doc = f"""# Benchmarks

Measured with `make bench` (`python -m bench.run{" --quick" if args.quick else ""}`) on
{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.
These machines are noisy: compare ratios measured side by side in one run, not absolute
numbers across runs. Raw outputs of the last run are in `bench/out/` (not committed).

## Cold start (import of each handler: the Lambda init phase)

Command: `python -m bench.cold_start --runs {runs}` (every function in template.yaml).

{cold_text.strip()}

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

## Scale

Command: `python -m bench.scale --sizes {sizes} --runs {scale_runs}`. The customer list is
`tickets.list_tickets` for a requester with 30 tickets (a page of 20 and its total); the
staff queue is the queue's list partition and the queue by one assignee. Background
tickets are other requesters' and all sit in the queue. ScannedCount is constant: each
page is one Query with `Limit` on its own partition, whatever the table holds. moto's
latency grows with the table (it walks its items in Python); DynamoDB's does not.

{scale.strip()}

## Cost model

AWS list prices (us-east-1): HTTP API ${PRICE["http_api_per_m"]:.2f}/M requests, Lambda
${PRICE["lambda_req_per_m"]:.2f}/M requests and ${PRICE["lambda_gb_s_arm"]}/GB-s (arm64), DynamoDB on-demand
${PRICE["ddb_wru_per_m"]}/M WRU and ${PRICE["ddb_rru_per_m"]}/M RRU. Each request is two Lambda
invocations (the authorizer, {AUTHORIZER_GB * 1024:.0f} MB, ~{AUTHORIZER_MS:.0f} ms with a cached token; the
route, {MEMORY_GB * 1024:.0f} MB). Assumed production duration: our measured code time plus
{DDB_MS_PER_CALL:.0f} ms per DynamoDB call plus 1 ms. Free tiers are ignored.

{cost_table(warm)}
"""
    OUT.write_text(doc)
    (RAW / "last.json").write_text(json.dumps(warm, indent=1))
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
