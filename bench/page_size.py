"""The staff queue at 20, 100 and 500 tickets per page (issue 22: staff lists take up to 500):
the response's size, the DynamoDB calls and read units, and our code's time.

1,000 tickets are in the whole queue (`bench.scale`'s loader: the store's own items). For each
page size one request is recorded against moto (calls, RRU, body bytes), then it is replayed
`--n` times with the recorded answers stubbed, as `bench.warm` does: "ours" is the handler's
time minus the time inside AWS calls (routing, validation, the layer, serialisation).
DynamoDB's own time for a page is not in it: a Query of 500 thin entries and five
BatchGetItem calls of 100 tickets each.

    python -m bench.page_size [--n 50] [--sizes 20,100,500]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

from bench.warm import Clock, _client_of, _snake  # first: it sets the offline environment
from tests.conftest import FakeContext, _mocked_aws, load_event, load_function, pump

FUNCTION = "admin_list_tickets"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--sizes", default="20,100,500")
    parser.add_argument("--tickets", type=int, default=1000)
    args = parser.parse_args()
    from botocore.stub import Stubber

    from bench.scale import _background, _fast_moto_items

    rows = []
    for _ in _mocked_aws():
        from helpdesk import aws
        from helpdesk.store import codec as store_codec

        clock = Clock()
        store_codec.client.cache_clear()
        aws.session().register("provide-client-params.*.*", clock.before)
        aws.session().register("after-call.*.*", clock.after)
        with _fast_moto_items():
            _background(args.tickets, 0)
        pump().settle()
        handler = load_function(FUNCTION).lambda_handler
        ctx = FakeContext()
        for size in [int(s) for s in args.sizes.split(",")]:
            event = load_event(FUNCTION)
            event["queryStringParameters"] = {"limit": str(size)}
            event["rawQueryString"] = f"limit={size}"
            handler(copy.deepcopy(event), ctx)  # warm: the catalog's names are cached after it
            clock.reset()
            result = handler(copy.deepcopy(event), ctx)
            assert result["statusCode"] == 200, result
            body = result["body"].encode()
            calls, responses, rru = list(clock.calls), list(clock.responses), clock.rru
            stubbers = {s: Stubber(_client_of(s)) for s in {c[0] for c in calls}}
            ours: list[float] = []
            for s in stubbers.values():
                s.activate()
            try:
                for i in range(args.n + 1):
                    for (service, op), parsed in zip(calls, responses, strict=True):
                        stubbers[service].add_response(_snake(op), parsed)
                    clock.inside = 0.0
                    t = time.perf_counter()
                    handler(copy.deepcopy(event), ctx)
                    if i:  # the first replay builds botocore's caches
                        ours.append((time.perf_counter() - t - clock.inside) * 1000)
            finally:
                for s in stubbers.values():
                    s.deactivate()
            ddb = [op for svc, op in calls if svc == "dynamodb"]
            rows.append((size, len(body), ddb, rru, statistics.median(ours), max(ours)))
    print(f"{args.tickets:,} tickets in the queue; {args.n} stubbed replays per page size\n")
    print("| limit | body KB | DynamoDB calls | RRU | ours median ms | ours max ms |")
    print("|---:|---:|---|---:|---:|---:|")
    for size, nbytes, ddb, rru, median, worst in rows:
        counted = ", ".join(f"{ddb.count(op)} {op}" for op in dict.fromkeys(ddb))
        print(
            f"| {size} | {nbytes / 1024:.1f} | {counted} | {rru:g} | {median:.1f} | {worst:.1f} |"
        )


if __name__ == "__main__":
    main()
