"""What a notification costs: the change consumers' work per mail, priced per 1,000 mails.

Three changes that mail the customer side (where the volume is), each on a ticket with one
cc address, so each record sends two mails: a new ticket (the acknowledgement), an agent's
public reply, the move to resolved. For each, the change-feed record is handed to
`ProcessChangesFunction` in-process on moto (the webhook dispatcher runs too, with no
subscription: one Query) and its AWS calls are counted with bench.warm's Clock (DynamoDB
request units by DynamoDB's sizing rules, SES calls), and our code's time is the
invocation's wall time less the time inside those calls.

Priced with AWS list prices (us-east-1, bench.run's PRICE, plus SES outbound $0.10 per
1,000 mails): an assumed production duration of our time plus `DDB_MS_PER_CALL` per
DynamoDB call and `SES_MS_PER_CALL` per SES call, on the function's 256 MB, one Lambda
request per record (the upper bound: the mapping batches up to 25).

    python -m bench.mail_cost [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.run import DDB_MS_PER_CALL, PRICE
from bench.warm import Clock

SES_PER_THOUSAND = 0.10  # SES outbound mail, per 1,000 messages (attachments' data aside)
SES_MS_PER_CALL = 40.0  # assumed SendEmail latency in-region
MEMORY_GB = 256 / 1024  # ProcessChangesFunction's MemorySize (the Globals' default)


def _feed() -> list[dict[str, Any]]:
    from tests.handlers.test_notifications import feed_records

    return feed_records()


def _measure(clock: Clock, record: dict[str, Any]) -> dict[str, Any]:
    from tests.conftest import invoke_mapped

    clock.reset()
    clock.inside = 0.0
    start = time.perf_counter()
    result = invoke_mapped("ProcessChangesFunction", {"Records": [record]})
    wall = time.perf_counter() - start
    assert result == {"batchItemFailures": []}, result
    ddb = [op for svc, op in clock.calls if svc == "dynamodb"]
    mails = [op for svc, op in clock.calls if svc == "sesv2" and op == "SendEmail"]
    return {
        "ddb_calls": len(ddb),
        "mails": len(mails),
        "wru": clock.wru,
        "rru": clock.rru,
        "ours_ms": (wall - clock.inside) * 1000,
    }


def scenario(clock: Clock, runs: int) -> list[tuple[str, dict[str, Any]]]:
    from tests.conftest import call
    from tests.handlers.test_notifications import resolve, staff_reply

    out: dict[str, list[dict[str, Any]]] = {}
    for n in range(runs):
        user = f"bench{n}"
        seen = len(_feed())
        body = {"subject": "Printer", "message": "Help", "cc": [f"boss{n}@example.com"]}
        status, t, _ = call("create_ticket", user=user, body=body)
        assert status == 201, t
        steps: list[tuple[str, Callable[[], Any] | None]] = [
            ("new ticket: acknowledgement", None),
            ("agent's public reply", partial(staff_reply, t["id"], "Fixed")),
            ("moved to resolved", partial(resolve, t["id"])),
        ]
        for name, act in steps:
            if act is not None:
                seen = len(_feed())
                act()  # each asserts its own answer
            records = _feed()[seen:]
            assert len(records) == 1, (name, len(records))
            out.setdefault(name, []).append(_measure(clock, records[0]))
    return [
        (name, {k: statistics.median(r[k] for r in rows) for k in rows[0]})
        for name, rows in out.items()
    ]


def price(row: dict[str, Any]) -> dict[str, float]:
    """Dollars per 1,000 mails of this kind (the record's cost over its mails)."""
    mails = row["mails"] or 1
    ms = row["ours_ms"] + DDB_MS_PER_CALL * row["ddb_calls"] + SES_MS_PER_CALL * row["mails"]
    lam = PRICE["lambda_req_per_m"] / 1e6 + MEMORY_GB * ms / 1000 * PRICE["lambda_gb_s_arm"]
    ddb = (row["wru"] * PRICE["ddb_wru_per_m"] + row["rru"] * PRICE["ddb_rru_per_m"]) / 1e6
    per_mail = {"lambda": lam / mails, "dynamodb": ddb / mails, "ses": SES_PER_THOUSAND / 1000}
    out = {k: v * 1000 for k, v in per_mail.items()}
    out["assumed_ms"] = ms
    out["total"] = out["lambda"] + out["dynamodb"] + out["ses"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import tests.conftest as conftest
    from tests.conftest import _mocked_aws

    for _ in _mocked_aws():
        from helpdesk import aws, mail
        from helpdesk.store import codec as store_codec

        conftest.DRAIN_AFTER_CALL = False  # each record is delivered here, measured
        clock = Clock()
        store_codec.client.cache_clear()
        mail.client.cache_clear()
        aws.session().register("provide-client-params.*.*", clock.before)
        aws.session().register("after-call.*.*", clock.after)
        rows = scenario(clock, args.runs)
    lines = [
        "| change (one record, requester + 1 cc) | mails | DynamoDB calls | WRU | RRU | "
        "our ms | assumed ms | Lambda $ | DynamoDB $ | SES $ | $ per 1,000 mails |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows:
        p = price(row)
        lines.append(
            f"| {name} | {row['mails']:.0f} | {row['ddb_calls']:.0f} | {row['wru']:.0f} | "
            f"{row['rru']:.1f} | {row['ours_ms']:.1f} | {p['assumed_ms']:.0f} | "
            f"{p['lambda']:.4f} | {p['dynamodb']:.4f} | {p['ses']:.4f} | {p['total']:.4f} |"
        )
    print("\n".join(lines) + "\n")
    print(json.dumps({name: {**row, **price(row)} for name, row in rows}))


if __name__ == "__main__":
    main()
