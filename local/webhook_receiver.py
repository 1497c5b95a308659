"""A webhook receiver on 127.0.0.1 that prints each delivery and whether it verifies.

    python -m local.webhook_receiver --port 9000 --secret whsec_...

It verifies the Standard Webhooks signature with the `standardwebhooks` package (the one
line a receiver needs: `Webhook(secret).verify(body, headers)`). `--status 503 --status 503`
answers 503 twice before 200s, `--delay 3` answers after 3 s (to watch retries and
timeouts). The tests use `Receiver` in-process the same way.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

from standardwebhooks import Webhook, WebhookVerificationError


class Received(NamedTuple):
    headers: dict[str, str]
    body: str
    at: float  # time.time() when it arrived

    @property
    def id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    def verifies(self, secret: str) -> bool:
        try:
            Webhook(secret).verify(self.body, self.headers)
        except WebhookVerificationError:
            return False
        return True


class Receiver:
    """A threaded HTTP server on 127.0.0.1: records every POST, answers from `script`
    ((status, headers) in order, then 200), after `delay` seconds."""

    def __init__(
        self,
        port: int = 0,
        *,
        script: list[tuple[int, dict[str, str]]] | None = None,
        delay: float = 0.0,
        secrets: list[str] | None = None,
        echo: bool = False,
    ) -> None:
        self.script = list(script or [])
        self.delay = delay
        self.secrets = list(secrets or [])
        self.echo = echo
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                got = Received({k.lower(): v for k, v in self.headers.items()}, body, time.time())
                with receiver.lock:
                    receiver.received.append(got)
                    status, headers = receiver.script.pop(0) if receiver.script else (200, {})
                if receiver.echo:
                    receiver.print(got, status)
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def print(self, got: Received, status: int) -> None:
        verdict = ", ".join(
            f"{s[:12]}...: {'verified' if got.verifies(s) else 'NOT VERIFIED'}"
            for s in self.secrets
        )
        payload = got.payload
        print(
            f"{time.strftime('%H:%M:%S')} {payload.get('type')} webhook-id={got.id} "
            f"ticket=#{payload.get('ticket_number')} -> {status}"
            + (f" [{verdict}]" if verdict else ""),
            flush=True,
        )
        print(f"  {got.body}", flush=True)

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of_type(self, event_type: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.payload.get("type") == event_type]

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> list[Received]:
        """Wait until `predicate(received)` holds; the deliveries (AssertionError at the end)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                got = list(self.received)
            if predicate(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; received {[r.payload for r in got]}")
            time.sleep(0.05)


@contextmanager
def receiving(**kwargs: Any) -> Iterator[Receiver]:
    receiver = Receiver(**kwargs).start()
    try:
        yield receiver
    finally:
        receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", action="append", default=[], help="whsec_... (repeatable)")
    parser.add_argument(
        "--status", type=int, action="append", default=[], help="answer these first"
    )
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before answering")
    args = parser.parse_args()
    receiver = Receiver(
        args.port,
        script=[(s, {}) for s in args.status],
        delay=args.delay,
        secrets=args.secret,
        echo=True,
    )
    print(f"listening on {receiver.url} (127.0.0.1 only); Ctrl-C to stop", flush=True)
    try:
        receiver.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.server.server_close()


if __name__ == "__main__":
    main()
