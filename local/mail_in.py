"""Mail a raw message to the running runner (`make mail-in FILE=x.eml`): its
`POST /_local/inbound` stores the file's bytes where SES would and the receiving function
gets it, as it gets mail in AWS. `-` reads the message from standard input."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", help="an RFC 5322 message (.eml), or - for standard input")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as ex:
        print(f"mail-in: {ex}", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{args.port}/_local/inbound"
    request = urllib.request.Request(
        url, data=raw, method="POST", headers={"Content-Type": "message/rfc822"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            stored = json.load(answer)
    except urllib.error.HTTPError as ex:  # the runner's problem+json
        print(f"mail-in: {ex.code}: {ex.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    except OSError as ex:
        print(f"mail-in: {url}: {ex} (is `make run` running?)", file=sys.stderr)
        return 1
    print(f"mail-in: stored s3://{stored['bucket']}/{stored['key']} ({len(raw)} bytes)")
    print("mail-in: GET /admin/inbound (as staff) says what became of it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
