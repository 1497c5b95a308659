"""The runner at API Gateway's edges: methods no route has, and a burst of writes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Runner, start_runner
from tests.e2e.test_foundation import assert_problem

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

BURST = 100


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "MKCOL", "BREW"])
@pytest.mark.parametrize("path", ["/tickets", "/nowhere"])
def test_a_method_no_route_has_is_a_json_404(runner: Runner, method: str, path: str) -> None:
    # When a client sends a method the API has no route for
    with httpx.Client(base_url=runner.url, timeout=30) as api:
        resp = api.request(method, path)
    # Then API Gateway's $default route answers: a problem document, not a 501 HTML page
    assert_problem(resp, 404, "ROUTE_NOT_FOUND")


def test_connect_in_authority_form_is_a_json_404(runner: Runner) -> None:
    # Given the request line a proxy client sends (`CONNECT host:port`)
    url = urlsplit(runner.url)
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=30) as s:
        s.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    # Then it is the same JSON 404
    status_line, _, rest = head.partition(b"\r\n")
    assert status_line.split()[1] == b"404", head
    assert b"application/problem+json" in rest.lower()


@pytest.mark.parametrize("length", ["pd&", "-1", "1e3", "12abc"])
def test_a_request_with_a_malformed_content_length_is_a_json_400(
    runner: Runner, length: str
) -> None:
    # Given a request whose Content-Length is not a number of bytes
    url = urlsplit(runner.url)
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=30) as s:
        s.sendall(
            f"POST /tickets HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode()
        )
        got = b""
        while chunk := s.recv(4096):
            got += chunk
    # Then it is answered (never a dropped connection): a problem document, and the
    # connection closes (the body's end is unknown)
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.split()[1] == b"400", got
    assert b"application/problem+json" in head.lower() and b"connection: close" in head.lower()
    assert b'"code": "BAD_REQUEST"' in body


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """The runner as `make run` serves it: stream functions (the list indexer) run on the
    pump's own thread, not inside each request as the e2e default (`sync`) has them. On a
    `sync` runner the same burst got some 409 CONCURRENT_UPDATE (retries spent: every
    request also indexes the others' writes before it answers, on the one moto backend);
    no deployment indexes inside a request (the indexer is its own Lambda, after it)."""
    with start_runner(tmp_path_factory.mktemp("burst"), pump="async", WriteLimit="100000") as r:
        yield r


def test_a_burst_of_replies_to_one_ticket_is_never_reset(served: Runner, user: str) -> None:
    runner = served
    # Given a ticket
    with runner.client(user) as api:
        ticket = api.post("/tickets", json={"subject": "Burst", "message": "m0"}).json()
    path = f"/tickets/{ticket['id']}/messages"
    token = runner.token(user)
    headers = {"Authorization": f"Bearer {token}"}
    clients = [
        httpx.Client(base_url=runner.url, headers=headers, timeout=120) for _ in range(BURST)
    ]
    start = threading.Barrier(BURST)

    def reply(i: int) -> httpx.Response | Exception:
        start.wait()  # all at once: the clients are ready, nobody connects early
        try:
            return clients[i].post(path, json={"message": f"burst {i}"})
        except httpx.TransportError as ex:  # a reset, a refused connection, a timeout
            return ex

    # When 100 replies arrive at once, each on its own connection (each bounded: the runner
    # queues a request at most 29 s per instance it waits for, then answers 429)
    try:
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            answers = list(pool.map(reply, range(BURST)))
    finally:
        for client in clients:
            client.close()
    # Then no connection is reset: each reply lands (201), is throttled (429 RATE_LIMITED), or
    # lost the race for the one ticket item more times than the store retries (409
    # CONCURRENT_UPDATE, store.retry: 10 jittered attempts): each refusal a problem+json that
    # says when to retry. A hundred writers on one item is contention by construction; which
    # of the two refusals appears (and whether any does) depends on the machine's speed.
    failures = [a for a in answers if isinstance(a, Exception)]
    assert not failures, failures[:3]
    responses = [a for a in answers if isinstance(a, httpx.Response)]
    assert {r.status_code for r in responses} <= {201, 409, 429}, [
        r.text for r in responses if r.status_code not in (201, 409, 429)
    ]
    for refused in (r for r in responses if r.status_code != 201):
        code = "RATE_LIMITED" if refused.status_code == 429 else "CONCURRENT_UPDATE"
        assert_problem(refused, refused.status_code, code)
        assert refused.headers["retry-after"]
    landed = sum(r.status_code == 201 for r in responses)
    assert landed >= 1
    # And the ticket holds exactly the replies that were answered 201
    with runner.client(user) as api:
        assert api.get(f"/tickets/{ticket['id']}").json()["message_count"] == landed + 1
