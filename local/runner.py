"""Serve template.yaml on 127.0.0.1 like `sam local start-api`, without Docker.

Routes come from the template's HttpApi events; each request becomes the
payload-2.0 event API Gateway would build; the route's authorizer runs first;
each function runs in its own warm worker processes (`local.worker`) with the
environment the template gives it. The default backend is an embedded moto
server holding the template's table and bucket.

    python -m local.runner [--port 3000] [--backend moto|aws] [--endpoint URL]
                           [--pump async|sync|off]

Functions the template triggers from a DynamoDB stream or an SQS queue get their records
from `local.pump` (on a background thread, or before each answer with `--pump sync`);
`/_local/streams`, `/_local/streams/drain`, `/_local/ttl/expire`, `/_local/clock`,
`/_local/schedules` (the template's scheduled functions; `POST
/_local/schedules/<FunctionLogicalId>/run` runs one now: `local.schedules`), `/_local/outbox`
(the mail SES accepted), `/_local/mail-events` (a bounce or complaint, as
SES publishes it: `local.mail_events`) and `/_local/inbound` (a raw message received as
SES would store it: `local.inbound`) are the runner's own development routes
(docs/design.md section 6), never part of the API.

A burst is held, never reset: the listening socket's backlog is `BACKLOG`, each
connection gets a thread, a request waits for a free instance of its function for up
to `--queue-seconds`, and past that (or past the stage's throttling rate and burst
from the template) it is answered 429 problem+json with `Retry-After`, as a throttled
API would answer.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3

from local import devauth, mail_events
from local import inbound as inbound_mail
from local import schedules as local_schedules
from local.backend import (
    FAKE_CREDENTIALS,
    Backend,
    NotExpirable,
    bucket_names,
    create_resources,
    expire_item,
    local_session,
    sent_mail,
    start_moto,
)
from local.pump import Busy, DrainTimeout, Pump
from local.template import ROOT, App, Function, Route, conditions, resolve
from local.template import app as load_app

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account (the embedded server's)
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
TEXT_TYPES = ("text/", "json", "xml", "javascript", "x-www-form-urlencoded", "yaml")
BACKLOG = 512  # pending connections the kernel holds (Python's default is 5: resets)
# How long a request waits for a free instance before a 429: just under API Gateway's
# 30 s integration timeout, past which the real gateway would have given up anyway.
QUEUE_SECONDS = 29.0
PROBLEM_JSON = "application/problem+json"


class InvokeError(Exception):
    pass


class Throttled(Exception):
    """No instance of the function became free in time, or the route's rate is spent."""


class TokenBucket:
    """API Gateway's per-route throttling: `rate` requests a second, bursts of `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class Worker:
    """One warm instance of a function, in its own process."""

    def __init__(self, fn: Function, env: dict[str, str]) -> None:
        self.fn = fn
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local.worker",
                str(ROOT / fn.code_uri),
                fn.handler,
                fn.logical_id,
                str(fn.memory),
                str(fn.timeout),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            text=True,
        )
        ready = self._read(timeout=60)
        if not ready.get("ready"):
            self.close()
            raise InvokeError(f"{fn.logical_id} failed to initialise (see log above)")
        self.init_ms = float(ready.get("init_ms", 0))

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.close()
            raise InvokeError(f"{self.fn.logical_id} timed out after {timeout:.0f}s")
        line = self.proc.stdout.readline()
        if not line:
            self.close()
            raise InvokeError(f"{self.fn.logical_id} exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def invoke(self, event: dict[str, Any], request_id: str, clock_offset: float = 0.0) -> Any:
        assert self.proc.stdin
        request = {"event": event, "request_id": request_id, "clock_offset": clock_offset}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = self._read(timeout=self.fn.timeout)
        if "error" in answer:
            raise InvokeError(f"{self.fn.logical_id} raised {answer['error']}")
        return answer.get("result")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# development routes that work with the pump off
PUMP_FREE_ROUTES = frozenset(
    {"/_local/clock", "/_local/outbox", "/_local/inbound", "/_local/schedules"}
)
SCHEDULE_RUN = re.compile(r"^/_local/schedules/([A-Za-z0-9]+)/run$")


class RunnerClock:
    """The time every function of this runner sees (`PUT /_local/clock`): real time plus
    `offset` seconds, sent with each invocation (local.worker applies it)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def set(self, at: datetime) -> None:
        self.offset = (at - datetime.now(UTC)).total_seconds()

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)


class Pool:
    """Warm instances of one function; at most `size` run at once (reserved concurrency)."""

    def __init__(
        self,
        fn: Function,
        env: dict[str, str],
        size: int,
        queue_seconds: float = QUEUE_SECONDS,
        clock: RunnerClock | None = None,
    ) -> None:
        self.fn, self.env, self.size, self.queue_seconds = fn, env, size, queue_seconds
        self.clock = clock or RunnerClock()
        self.idle: list[Worker] = []
        self.count = 0
        self.cond = threading.Condition()

    def invoke(self, event: dict[str, Any], request_id: str) -> Any:
        worker = self._acquire()
        try:
            result = worker.invoke(event, request_id, self.clock.offset)
        except InvokeError:
            self._release(worker, broken=not worker.alive)
            raise
        self._release(worker, broken=False)
        return result

    def _acquire(self) -> Worker:
        deadline = time.monotonic() + self.queue_seconds
        with self.cond:
            while not self.idle and self.count >= self.size:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Throttled(f"no free instance of {self.fn.logical_id}")
                self.cond.wait(left)
            if self.idle:
                return self.idle.pop()
            self.count += 1
        try:
            return Worker(self.fn, self.env)
        except Exception:
            with self.cond:
                self.count -= 1
                self.cond.notify()
            raise

    def _release(self, worker: Worker, broken: bool) -> None:
        with self.cond:
            if broken:
                worker.close()
                self.count -= 1
            else:
                self.idle.append(worker)
            self.cond.notify()

    def close(self) -> None:
        with self.cond:
            for w in self.idle:
                w.close()
            self.idle.clear()


def build_event(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    route: Route | None,
    params: dict[str, str],
    source_ip: str = "127.0.0.1",
    domain: str = "127.0.0.1:3000",
) -> dict[str, Any]:
    """The payload-2.0 event API Gateway builds for an HTTP API request."""
    url = urlsplit(target)
    query: dict[str, str] = {}
    for k, v in parse_qsl(url.query, keep_blank_values=True):
        query[k] = f"{query[k]},{v}" if k in query else v  # HTTP APIs join repeats with commas
    content_type = headers.get("content-type", "")
    is_text = not body or any(t in content_type for t in TEXT_TYPES)
    text = ""
    if is_text:
        try:
            text = body.decode()
        except UnicodeDecodeError:
            is_text = False
    now = datetime.now(UTC)
    route_key = route.key if route else "$default"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": {k: v for k, v in headers.items() if k != "cookie"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if "cookie" in headers:
        event["cookies"] = [c.strip() for c in headers["cookie"].split(";") if c.strip()]
    if query:
        event["queryStringParameters"] = query
    if params:
        event["pathParameters"] = params
    if body:
        event["body"] = text if is_text else base64.b64encode(body).decode()
    return event


def parameter_refs(app: App, port: int) -> dict[str, str]:
    """The template's parameters as the runner deploys them: its own values for the stage
    and the dev IdP, `HELPDESK_PARAM_<Name>` overrides, else each parameter's default."""
    refs = {
        "Stage": "local",
        "IssuerUrl": devauth.ISSUER,
        "Audience": devauth.AUDIENCE,
        "JwksUrl": f"http://127.0.0.1:{port}/.well-known/jwks.json",
        "AWS::Region": REGION,
        "AWS::AccountId": "123456789012",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": "helpdesk-local",
        # webhook receivers on http://127.0.0.1 (tests, the README demo); AWS keeps "false"
        "WebhookAllowLoopback": "true",
        "PublicBaseUrl": f"http://127.0.0.1:{port}",  # links in mail point at the runner
    }
    for name, param in (app.doc.get("Parameters") or {}).items():
        override = os.environ.get(f"HELPDESK_PARAM_{name}")
        if override is not None:
            refs[name] = override  # as `sam deploy --parameter-overrides` would
        elif name not in refs and "Default" in param:
            refs[name] = str(param["Default"])  # as `sam deploy` would take it
    return refs


class Gateway:
    """What API Gateway does for an HTTP API: route, authorize, invoke, answer."""

    def __init__(
        self,
        app: App,
        backend: Backend,
        port: int,
        concurrency: int,
        queue_seconds: float = QUEUE_SECONDS,
    ) -> None:
        self.app = app
        self.backend = backend
        self.port = port
        refs = parameter_refs(app, port)
        for logical_id in app.resources("AWS::DynamoDB::Table"):
            refs[logical_id] = backend.table_name
        # the attachments bucket is the backend's; a bucket the template names (the inbound
        # mail bucket) has that name, as the backend created it
        refs |= bucket_names(app, backend.bucket_name, refs)
        refs |= backend.secrets  # `!Ref` of a secret is its ARN, of a queue its URL
        refs |= conditions(app.doc, refs)  # IssuerUrl is set: no user pool locally
        self.refs = refs
        self.clock = RunnerClock()
        self.pools = {
            name: Pool(fn, self.environment(fn), concurrency, queue_seconds, self.clock)
            for name, fn in app.functions.items()
        }
        self.default_route = next((r for r in app.routes if r.path == "$default"), None)
        self.matchers = [(r, r.matcher()) for r in app.routes if r.path != "$default"]
        api = next(iter(app.resources("AWS::Serverless::HttpApi").values()), {})
        props = api.get("Properties", {})
        self.cors: dict[str, Any] = props.get("CorsConfiguration") or {}
        self.route_settings = {
            str(k): resolve(v, refs) for k, v in (props.get("RouteSettings") or {}).items()
        }
        self.default_settings = resolve(props.get("DefaultRouteSettings") or {}, refs)
        self.buckets: dict[str, TokenBucket | None] = {}
        self.buckets_lock = threading.Lock()
        self.pump: Pump | None = None
        self.pump_mode = "off"
        self.schedules = local_schedules.rates(app)
        self.ticker: local_schedules.Ticker | None = None

    def start_pump(self, mode: str) -> None:
        """Deliver stream records and queue messages to the functions the template maps
        them to: `async` on a background thread (as Lambda would, a few ms later), `sync`
        before each HTTP answer (deterministic tests), `off` not at all."""
        if mode == "off" or self.backend.kind == "aws":  # in AWS, Lambda's own mappings do it
            return
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        tables = dict.fromkeys(self.app.resources("AWS::DynamoDB::Table"), self.backend.table_name)
        self.pump = Pump(
            self.app, self.refs, self.invoke_mapped, tables, self.backend.endpoint, REGION, session
        )
        self.pump_mode = mode
        if mode == "async":
            self.pump.start()

    def invoke_mapped(self, function: str, event: dict[str, Any]) -> Any:
        """An event source mapping's invocation (the pump's): a function error raises."""
        try:
            return self.pools[function].invoke(event, str(uuid.uuid4()))
        except Throttled as ex:
            raise Busy(str(ex)) from ex

    def after_request(self) -> None:
        """In `sync` mode, deliver whatever the request wrote before it is answered; in
        `async` mode, wake the pump's thread (it polls every 50 ms anyway)."""
        if self.pump is not None and self.pump_mode == "async":
            self.pump.wake()
        if self.pump is not None and self.pump_mode == "sync":
            try:
                self.pump.settle()
            except Exception as ex:  # the request itself succeeded: log, answer it
                print(f"runner: pump: {type(ex).__name__}: {ex}", file=sys.stderr)

    def serve(
        self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One HTTP request: the dev IdP's keys, a development route, or the API."""
        path = urlsplit(target).path
        if path == "/.well-known/jwks.json":
            return self.plain(200, devauth.jwks())
        if path.startswith("/_local/"):
            answer = self.local(method, path, body)
        else:
            answer = self.handle(method, target, headers, body, source_ip)
        if path != "/_local/streams/drain":
            self.after_request()
        return answer

    # ------------------------------------------------------------ /_local/ (development only)

    def local(
        self, method: str, path: str, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The runner's own development routes: never in the template nor the OpenAPI."""
        if (method, path.rstrip("/")) == ("POST", "/_local/inbound"):
            return self.local_inbound(body, path)  # a raw message, not JSON
        routes = {
            ("GET", "/_local/streams"): self.local_streams,
            ("POST", "/_local/streams/drain"): self.local_drain,
            ("POST", "/_local/ttl/expire"): self.local_expire,
            ("GET", "/_local/clock"): self.local_clock,
            ("PUT", "/_local/clock"): self.local_set_clock,
            ("DELETE", "/_local/clock"): self.local_reset_clock,
            ("GET", "/_local/outbox"): self.local_outbox,
            ("POST", "/_local/mail-events"): self.local_mail_event,
            ("GET", "/_local/schedules"): self.local_schedules,
        }
        scheduled = SCHEDULE_RUN.match(path.rstrip("/"))
        if method == "POST" and scheduled:
            return self.local_run_schedule(scheduled.group(1), path)
        handler = routes.get((method, path.rstrip("/")))
        if handler is None:
            return self.local_problem(404, "LOCAL_ROUTE_NOT_FOUND", f"no {method} {path}", path)
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return self.local_problem(
                400, "VALIDATION_FAILED", "the body must be a JSON object", path
            )
        if self.pump is None and path.rstrip("/") not in PUMP_FREE_ROUTES:
            return self.local_problem(409, "PUMP_OFF", "the runner's pump is off", path)
        return handler(doc, path)

    @staticmethod
    def local_problem(
        status: int, code: str, detail: str, path: str, **extra: Any
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        doc = {
            "type": f"urn:helpdesk:local:{code}",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "code": code,
            "detail": detail,
            "instance": path,
            **extra,
        }
        return status, [("Content-Type", PROBLEM_JSON)], json.dumps(doc).encode()

    def local_clock(
        self, doc: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The time every function sees (`PUT` sets it, `DELETE` returns to real time)."""
        return self.plain(
            200,
            {
                "now": self.clock.now().isoformat(),
                "offset_seconds": round(self.clock.offset, 3),
                "set": self.clock.offset != 0.0,
            },
        )

    def local_outbox(
        self, doc: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The mail the embedded moto's SES accepted (oldest first): nothing is sent."""
        if self.backend.kind != "moto":
            return self.local_problem(
                501, "NOT_EMBEDDED_MOTO", "the outbox is the embedded moto's SES only", path
            )
        return self.plain(200, {"messages": sent_mail(ACCOUNT, REGION)})

    def local_mail_event(
        self, doc: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """`{"type": "bounce" | "complaint", "email": ..., "bounce_type": "Permanent"}`: SES's
        event of that bounce or complaint, sent where the configuration set publishes it
        (local.mail_events); in `sync` mode the function has handled it when this answers
        202 `{"queues", "event"}`."""
        kind, email = doc.get("type"), doc.get("email")
        bounce_type = str(doc.get("bounce_type") or "Permanent")
        if kind not in mail_events.KINDS or not isinstance(email, str) or "@" not in email:
            return self.local_problem(
                400,
                "VALIDATION_FAILED",
                'give "type": "bounce" or "complaint", and "email": the address',
                path,
            )
        if bounce_type not in mail_events.BOUNCE_TYPES:
            return self.local_problem(
                400,
                "VALIDATION_FAILED",
                f'"bounce_type" is one of {", ".join(mail_events.BOUNCE_TYPES)}',
                path,
            )
        event = mail_events.ses_event(
            str(kind),
            email,
            bounce_type=bounce_type,
            configuration_set=self.refs.get("MailConfigurationSet", ""),
        )
        session = (
            boto3.session.Session(region_name=REGION)
            if self.backend.kind == "aws"
            else local_session(REGION)
        )
        try:
            queues = mail_events.deliver(self.app, self.refs, event, session, self.backend.endpoint)
        except LookupError as ex:
            return self.local_problem(501, "NO_MAIL_EVENT_ROUTE", str(ex), path)
        return (
            202,
            [("Content-Type", "application/json")],
            json.dumps({"queues": queues, "event": event}).encode(),
        )

    def local_inbound(self, raw: bytes, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        """A raw RFC 5322 message (any content type) received: stored where SES's receipt
        rule stores it (`inbound/<uuid4 hex>` in the inbound bucket) and S3's notification
        of it sent to the queue (local.inbound); in `sync` mode the pump delivers it to the
        receiving function before this answers 202 `{"bucket", "key"}`."""
        if not raw.strip():
            return self.local_problem(
                400,
                "VALIDATION_FAILED",
                "the body must be a raw RFC 5322 message (make mail-in FILE=x.eml)",
                path,
            )
        if len(raw) > inbound_mail.SES_MAX_MESSAGE_BYTES:
            return self.local_problem(
                413,
                "MESSAGE_TOO_LARGE",
                f"SES receives messages of up to {inbound_mail.SES_MAX_MESSAGE_BYTES} bytes",
                path,
            )
        session = (
            boto3.session.Session(region_name=REGION)  # the caller's own credentials
            if self.backend.kind == "aws"
            else local_session(REGION)
        )
        try:
            stored = inbound_mail.store(
                self.app, self.refs, raw, session, self.backend.endpoint, REGION
            )
        except LookupError as ex:  # no receipt rule, or no queue to notify
            return self.local_problem(501, "NO_INBOUND_ROUTE", str(ex), path)
        return (
            202,
            [("Content-Type", "application/json")],
            json.dumps({"bucket": stored["bucket"], "key": stored["key"]}).encode(),
        )

    def local_schedules(
        self, doc: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """The template's scheduled functions, their rate (seconds; null: on demand only)
        and how often the ticker ran each."""
        runs = self.ticker.runs if self.ticker else {}
        return self.plain(
            200,
            {
                "ticking": self.ticker is not None,
                "functions": {
                    name: {"rate_seconds": rate, "runs": runs.get(name, 0)}
                    for name, rate in self.schedules.items()
                },
            },
        )

    def local_run_schedule(
        self, function: str, path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Run a scheduled function now, with EventBridge's event at the runner's clock;
        200 `{"function", "result"}` once it returned (in `sync` mode the stream records it
        wrote are delivered before the answer)."""
        if function not in self.schedules:
            return self.local_problem(
                404, "NO_SUCH_SCHEDULE", f"{function} has no Schedule event in the template", path
            )
        try:
            result = self.run_scheduled(function)
        except (InvokeError, Throttled) as ex:
            return self.local_problem(502, "FUNCTION_ERROR", str(ex), path)
        return self.plain(200, {"function": function, "result": result})

    def run_scheduled(self, function: str) -> Any:
        event = local_schedules.scheduled_event(function, self.clock.now(), REGION)
        return self.pools[function].invoke(event, str(uuid.uuid4()))

    def start_ticker(self) -> None:
        """Run the scheduled functions at their rate (the runner's `--schedules on`)."""
        if self.schedules and self.ticker is None:
            self.ticker = local_schedules.Ticker(self.schedules, self.run_scheduled)
            self.ticker.start()

    def local_set_clock(
        self, doc: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """`{"now": "<ISO 8601>"}`: every function sees that time, advancing from there."""
        try:
            at = datetime.fromisoformat(str(doc["now"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return self.local_problem(
                400, "VALIDATION_FAILED", 'give "now": an ISO 8601 time with its offset', path
            )
        if at.tzinfo is None:
            return self.local_problem(
                400, "VALIDATION_FAILED", '"now" needs an offset (Z or +01:00)', path
            )
        self.clock.set(at)
        return self.local_clock(doc, path)

    def local_reset_clock(
        self, doc: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        self.clock.offset = 0.0
        return self.local_clock(doc, path)

    def local_streams(
        self, doc: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self.pump is not None
        return self.plain(200, {"mode": self.pump_mode, "functions": self.pump.status()})

    def local_drain(
        self, doc: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self.pump is not None
        try:
            timeout = float(doc.get("timeout", 10))
        except (TypeError, ValueError):
            return self.local_problem(400, "VALIDATION_FAILED", "timeout: seconds", path)
        try:
            delivered = self.pump.drain(timeout)
        except DrainTimeout as ex:
            return self.local_problem(
                504,
                "DRAIN_TIMEOUT",
                f"still pending after {timeout:g} s",
                path,
                delivered=ex.report,
            )
        return self.plain(200, {"delivered": delivered})

    def local_expire(
        self, doc: dict[str, Any], path: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.backend.kind != "moto":
            return self.local_problem(
                501, "NOT_EMBEDDED_MOTO", "TTL expiry is emulated in the embedded moto only", path
            )
        key = doc.get("key")
        if isinstance(doc.get("ticket_id"), str):
            from helpdesk.store import keys as store_keys

            key = store_keys.ticket(doc["ticket_id"]).av()
        if not isinstance(key, dict) or not key:
            return self.local_problem(
                400, "VALIDATION_FAILED", 'give "ticket_id", or "key" (attribute values)', path
            )
        try:
            expire_item(self.backend.table_name, key)
        except NotExpirable as ex:
            status = 404 if "no such item" in str(ex) else 409
            return self.local_problem(status, "NOT_EXPIRABLE", str(ex), path)
        return self.plain(200, {"expired": key})

    def environment(self, fn: Function) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env |= {str(k): str(resolve(v, self.refs)) for k, v in fn.environment.items()}
        layer_paths = [str(ROOT / d) for d in self.app.layer_dirs]
        env |= {
            "PYTHONPATH": os.pathsep.join([str(ROOT), *layer_paths]),
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory),
            "POWERTOOLS_TRACE_DISABLED": "true",
            # EMF documents would fill the runner's log: opt in with POWERTOOLS_METRICS_DISABLED=false
            "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
            "POWERTOOLS_DEV": os.environ.get("POWERTOOLS_DEV", "false"),
            "PYTHONUNBUFFERED": "1",
        }
        env |= self.backend.env
        return env

    # ------------------------------------------------------------ routing

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route, rx in self.matchers:
            if route.method not in (method, "ANY"):
                continue
            m = rx.match(path)
            if m:
                return route, m.groupdict()
        return self.default_route, {}

    def event(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        route: Route | None,
        params: dict[str, str],
        source_ip: str,
    ) -> dict[str, Any]:
        return build_event(
            method, target, headers, body, route, params, source_ip, f"127.0.0.1:{self.port}"
        )

    def bucket(self, route_key: str) -> TokenBucket | None:
        """The route's throttle: its RouteSettings, else the stage's DefaultRouteSettings
        (each route has its own bucket, as in API Gateway); None if unlimited."""
        with self.buckets_lock:
            if route_key not in self.buckets:
                settings = {**self.default_settings, **self.route_settings.get(route_key, {})}
                try:
                    rate = float(settings["ThrottlingRateLimit"])
                    burst = int(settings["ThrottlingBurstLimit"])
                except (KeyError, TypeError, ValueError):
                    rate, burst = 0.0, 0  # not set (or not resolvable here): unlimited
                self.buckets[route_key] = TokenBucket(rate, burst) if burst > 0 else None
            return self.buckets[route_key]

    def authorize(self, route: Route, event: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """None if the request may proceed (context added to `event`), else (status, body)."""
        auth = self.app.authorizers[route.authorizer or ""]
        headers = event["headers"]
        if auth.identity_headers and any(not headers.get(h) for h in auth.identity_headers):
            return 401, {"message": "Unauthorized"}
        auth_event = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": f"arn:aws:execute-api:{REGION}:123456789012:local/$default/{route.key}",
            "identitySource": [headers[h] for h in auth.identity_headers if h in headers],
            **{k: v for k, v in event.items() if k not in ("body", "isBase64Encoded", "version")},
        }
        try:
            result = self.pools[auth.function].invoke(
                auth_event, event["requestContext"]["requestId"]
            )
        except Throttled:
            raise
        except InvokeError as ex:
            print(f"runner: authorizer error: {ex}", file=sys.stderr)
            return 500, {"message": "Internal Server Error"}
        if not isinstance(result, dict) or not result.get("isAuthorized"):
            return 403, {"message": "Forbidden"}
        event["requestContext"]["authorizer"] = {"lambda": result.get("context") or {}}
        return None

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        path = urlsplit(target).path
        if method == "OPTIONS" and self.cors and "access-control-request-method" in headers:
            return 204, self.cors_headers(headers, preflight=True), b""
        if len(body) > MAX_BODY:
            return self.plain(413, {"message": "Request Entity Too Large"})
        route, params = self.match(method, path)
        if route is None:
            return self.plain(404, {"message": "Not Found"})
        event = self.event(method, target, headers, body, route, params, source_ip)
        request_id = event["requestContext"]["requestId"]
        bucket = self.bucket(route.key)
        if bucket is not None and not bucket.take():
            return self.throttled(path, request_id, "The API's request rate is exceeded")
        try:
            if route.authorizer:
                refused = self.authorize(route, event)
                if refused:
                    return self.plain(*refused)
            result = self.pools[route.function].invoke(event, request_id)
        except Throttled:
            return self.throttled(path, request_id, "Too many requests at once; retry shortly")
        except InvokeError as ex:
            print(f"runner: {ex}", file=sys.stderr)
            return self.plain(500, {"message": "Internal Server Error"})
        status, out_headers, out_body = self.response(result)
        return status, out_headers + self.cors_headers(headers), out_body

    def cors_headers(
        self, headers: dict[str, str], preflight: bool = False
    ) -> list[tuple[str, str]]:
        origin = headers.get("origin")
        if not origin or not self.cors:
            return []
        allowed = self.cors.get("AllowOrigins", [])
        if "*" not in allowed and origin not in allowed:
            return []
        out = [("Access-Control-Allow-Origin", "*" if "*" in allowed else origin)]
        if preflight:
            out += [
                ("Access-Control-Allow-Methods", ",".join(self.cors.get("AllowMethods", []))),
                ("Access-Control-Allow-Headers", ",".join(self.cors.get("AllowHeaders", []))),
                ("Access-Control-Max-Age", str(self.cors.get("MaxAge", 0))),
            ]
        elif self.cors.get("ExposeHeaders"):
            out.append(("Access-Control-Expose-Headers", ",".join(self.cors["ExposeHeaders"])))
        return out

    @staticmethod
    def throttled(
        path: str, request_id: str, detail: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """429 problem+json (the API's RATE_LIMITED shape), so a client retries after a second."""
        doc = {
            "type": "urn:helpdesk:error:RATE_LIMITED",
            "title": "Too many requests",
            "status": 429,
            "code": "RATE_LIMITED",
            "detail": detail,
            "instance": path,
            "request_id": request_id,
        }
        headers = [("Content-Type", PROBLEM_JSON), ("Retry-After", "1")]
        return 429, headers, json.dumps(doc).encode()

    @staticmethod
    def plain(status: int, doc: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        return status, [("Content-Type", "application/json")], json.dumps(doc).encode()

    @staticmethod
    def response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        """Payload 2.0 response mapping, including API Gateway's inference for bare values."""
        if not isinstance(result, dict) or "statusCode" not in result:
            return 200, [("Content-Type", "application/json")], json.dumps(result).encode()
        headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers += [(name, str(v)) for v in values]
        headers += [("Set-Cookie", c) for c in result.get("cookies") or []]
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        return int(result["statusCode"]), headers, body

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()


def bad_request(handler: BaseHTTPRequestHandler, detail: str) -> None:
    """400 problem+json for a request the gateway cannot frame, and close the connection."""
    doc = {
        "type": "urn:helpdesk:error:BAD_REQUEST",
        "title": "Bad request",
        "status": 400,
        "code": "BAD_REQUEST",
        "detail": detail,
        "instance": handler.path.split("?", 1)[0],
    }
    out = json.dumps(doc).encode()
    handler.close_connection = True
    handler.send_response(400, "Bad Request")
    handler.send_header("Content-Type", PROBLEM_JSON)
    handler.send_header("Content-Length", str(len(out)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(out)


def make_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "helpdesk-local"

        def log_message(self, format: str, *args: Any) -> None:
            if os.environ.get("RUNNER_ACCESS_LOG", "1") != "0":
                sys.stderr.write(
                    f"runner: {self.command} {self.path} {args[1] if len(args) > 1 else ''}\n"
                )

        def _serve(self) -> None:
            declared = (self.headers.get("Content-Length") or "0").strip()
            if not declared.isdigit():
                # API Gateway answers a request it cannot frame itself, before any route;
                # the body's end is unknown, so the connection closes after the answer
                bad_request(self, f"Content-Length must be a number of bytes, not {declared!r}")
                return
            length = int(declared)
            body = self.rfile.read(length) if length else b""
            headers: dict[str, str] = {}
            for k, v in self.headers.items():
                key = k.lower()
                headers[key] = f"{headers[key]},{v}" if key in headers else v
            status, out_headers, out = gateway.serve(
                self.command, self.path, headers, body, self.client_address[0]
            )
            self.send_response(
                status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            )
            names = {k.lower() for k, _ in out_headers}
            for k, v in out_headers:
                self.send_header(k, v)
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, CONNECT, PROPFIND, ...) goes through the gateway like
            # the rest: no route has it, so the $default route answers 404 ROUTE_NOT_FOUND
            # (http.server would send its own 501 HTML page).
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG


def make_backend(
    kind: str, endpoint: str | None, app: App, params: dict[str, str] | None = None
) -> Backend:
    table = os.environ.get("HELPDESK_TABLE_NAME", "helpdesk-local-tickets")
    bucket = os.environ.get("HELPDESK_BUCKET_NAME", "helpdesk-local-attachments")
    if kind == "aws":
        # Real AWS: the deployed stack's table and bucket, the caller's own credentials.
        # A secret is named by HELPDESK_SECRET_<logical id> (e.g. the stack's ConsoleSigningKeyArn).
        # A bucket the template names (the inbound mail bucket) by HELPDESK_BUCKET_<logical id>
        # (the stack's InboundMailBucketName output), else the name the template gives it.
        named = {
            logical_id: os.environ.get(f"HELPDESK_SECRET_{logical_id}", "")
            for logical_id in app.resources("AWS::SecretsManager::Secret")
        } | {
            logical_id: os.environ[f"HELPDESK_BUCKET_{logical_id}"]
            for logical_id in app.resources("AWS::S3::Bucket")
            if f"HELPDESK_BUCKET_{logical_id}" in os.environ
        }
        return Backend("aws", None, {}, table, bucket, secrets=named)
    server = None
    if endpoint is None:
        server, endpoint = start_moto()
    arns = create_resources(
        app, endpoint, REGION, table, bucket, state_dir=devauth.state_dir(), refs=params
    )
    env = {"AWS_ENDPOINT_URL": endpoint, **FAKE_CREDENTIALS}
    return Backend("moto" if server else "endpoint", endpoint, env, table, bucket, server, arns)


def seed(backend: Backend) -> None:
    """Demo categories and departments, through the layer's own store."""
    os.environ.update(
        backend.env | {"TABLE_NAME": backend.table_name, "AWS_DEFAULT_REGION": REGION}
    )
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    from local.seed import seed_catalog

    seed_catalog()


def serve(
    port: int,
    backend_kind: str,
    endpoint: str | None,
    concurrency: int,
    seed_data: bool,
    queue_seconds: float = QUEUE_SECONDS,
    pump: str = "async",
    schedules: str = "",
) -> None:
    app = load_app()
    backend = make_backend(backend_kind, endpoint, app, parameter_refs(app, port))
    if seed_data and backend.kind != "aws":
        seed(backend)
    gateway = Gateway(app, backend, port, concurrency, queue_seconds)
    httpd = Server(("127.0.0.1", port), make_handler(gateway))
    actual = httpd.server_address[1]
    gateway.start_pump(pump)
    # scheduled functions at their rate: by default with the async pump (`make run`), not in
    # `sync` mode (tests run them on demand, deterministically)
    if (schedules or ("on" if pump == "async" else "off")) == "on":
        gateway.start_ticker()
    served = sorted(gateway.pump.functions) if gateway.pump else []
    print(
        f"helpdesk local API on http://127.0.0.1:{actual}\n"
        f"  backend : {backend.kind}{' at ' + backend.endpoint if backend.endpoint else ''}"
        f" (table {backend.table_name}, bucket {backend.bucket_name})\n"
        f"  routes  : {len(app.routes)} from template.yaml, {len(app.functions)} functions\n"
        f"  pump    : {gateway.pump_mode} ({', '.join(served) or 'nothing'}; /_local/streams)\n"
        f"  schedule: {', '.join(sorted(gateway.schedules)) or 'nothing'}"
        f" ({'at their rate' if gateway.ticker else 'on demand'}; /_local/schedules)\n"
        f"  token   : make token USER=alice ROLE=customer   (ROLE=agent|admin, ORG=acme)\n"
        f'  try     : curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:{actual}/me',
        flush=True,
    )
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if gateway.pump is not None:
            gateway.pump.stop()
        if gateway.ticker is not None:
            gateway.ticker.stop()
        httpd.server_close()
        backend.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 3000)))
    parser.add_argument(
        "--backend", choices=["moto", "aws"], default=os.environ.get("BACKEND", "moto")
    )
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("HELPDESK_ENDPOINT_URL"),
        help="an AWS-compatible endpoint instead of the embedded moto server",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="warm instances per function")
    parser.add_argument(
        "--queue-seconds",
        type=float,
        default=QUEUE_SECONDS,
        help="how long a request waits for a free instance before a 429",
    )
    parser.add_argument("--no-seed", action="store_true", help="do not create demo categories")
    parser.add_argument(
        "--pump",
        choices=["async", "sync", "off"],
        default=os.environ.get("HELPDESK_PUMP", "async"),
        help="stream records and queue messages to their functions: on a background thread "
        "(async), before each HTTP answer (sync), or not at all (off)",
    )
    parser.add_argument(
        "--schedules",
        choices=["on", "off"],
        default=os.environ.get("HELPDESK_SCHEDULES", ""),
        help="run the template's rate-scheduled functions at their rate (default: on with the "
        "async pump, off otherwise); POST /_local/schedules/<FunctionLogicalId>/run runs one",
    )
    args = parser.parse_args()
    serve(
        args.port,
        args.backend,
        args.endpoint,
        args.concurrency,
        not args.no_seed,
        args.queue_seconds,
        args.pump,
        args.schedules,
    )


if __name__ == "__main__":
    time.tzset() if hasattr(time, "tzset") else None
    main()
