"""Print the latest mail the running runner captured (`make outbox`): its
`GET /_local/outbox`, the newest `-n` messages, headers then the text part."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request

HEADERS = (
    "from",
    "to",
    "subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Reply-To",
    "List-Unsubscribe",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("-n", type=int, default=1, help="how many of the newest mails")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}/_local/outbox"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            messages = json.load(answer)["messages"]
    except OSError as ex:
        print(f"outbox: {url}: {ex} (is `make run` running?)", file=sys.stderr)
        return 1
    if not messages:
        print("outbox: no mail yet")
    for m in messages[-args.n :]:
        for name in HEADERS:
            value = m.get(name)
            if value:
                print(f"{name}: {', '.join(value) if isinstance(value, list) else value}")
        print()
        print(m.get("text") or "")
        print("=" * 72)
    return 0


if __name__ == "__main__":
    sys.exit(main())
