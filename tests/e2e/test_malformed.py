"""Malformed input of every kind end to end: always a documented problem+json, never a 500."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

JSON = {"content-type": "application/json"}

CASES: list[tuple[str, str, bytes | None, dict[str, str], int, str]] = [
    ("POST", "/tickets", b"[1, 2]", JSON, 422, "VALIDATION_FAILED"),
    ("POST", "/tickets", b'"just a string"', JSON, 422, "VALIDATION_FAILED"),
    ("POST", "/tickets", b"\xff\xfe\x00garbage", JSON, 400, "MALFORMED_JSON"),
    ("POST", "/tickets", b"", JSON, 422, "VALIDATION_FAILED"),
    ("POST", "/tickets", b'{"subject": 1, "message": []}', JSON, 422, "VALIDATION_FAILED"),
    ("GET", "/tickets?limit=abc", None, {}, 422, "VALIDATION_FAILED"),
    ("GET", "/tickets?number=-1", None, {}, 422, "VALIDATION_FAILED"),
    ("GET", "/tickets?unread=maybe", None, {}, 422, "VALIDATION_FAILED"),
    ("GET", "/tickets?cursor=%00%01", None, {}, 400, "INVALID_CURSOR"),
    ("GET", "/tickets/..%2F..%2Fetc", None, {}, 422, "VALIDATION_FAILED"),
    ("GET", "/tickets/" + "x" * 300, None, {}, 422, "VALIDATION_FAILED"),
    ("PUT", "/tickets/tkt_nope/rating", b'{"rating": "five"}', JSON, 422, "VALIDATION_FAILED"),
]


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "code"), CASES)
def test_malformed_requests_are_problems(
    runner: Runner,
    user: str,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    # Given a signed-in customer / When the request is malformed
    with runner.client(user) as api:
        resp = api.request(method, path, content=body, headers=headers)
    # Then the documented problem, with a request id to quote
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    doc = resp.json()
    assert (doc["status"], doc["code"]) == (status, code) and doc["request_id"]
