"""The console over plain HTTP (no browser): escaping, CSRF, cookies and headers."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="browser")]


def signed_in(runner: Runner, user: str, role: str = "customer") -> httpx.Client:
    client = httpx.Client(base_url=runner.url, timeout=30)
    r = client.post("/app/signin", data={"user": user, "role": role})
    assert r.status_code == 303
    return client


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def test_markup_in_subject_and_message_renders_as_text(runner: Runner, user: str) -> None:
    # Given a signed-in customer
    client = signed_in(runner, user)
    token = csrf_of(client.get("/app/tickets/new").text)

    # When they open a ticket whose subject and message carry markup
    r = client.post(
        "/app/tickets/new",
        data={
            "csrf": token,
            "subject": '<script>alert("s")</script><img src=x onerror=alert(1)>',
            "message": "<b onclick=alert(2)>hi</b></div><script>x()</script>",
            "priority": "normal",
        },
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    listing = client.get("/app/tickets").text

    # Then both pages show it escaped, never as live markup
    for html in (page, listing):
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;s&#34;)&lt;/script&gt;" in html
    assert "&lt;b onclick=alert(2)&gt;hi&lt;/b&gt;" in page
    assert "<b onclick" not in page


def test_a_form_post_without_the_csrf_token_is_refused(runner: Runner, user: str) -> None:
    # Given a signed-in customer (a valid session cookie)
    client = signed_in(runner, user)

    # When a form is posted without the token, and with a wrong one
    missing = client.post("/app/tickets/new", data={"subject": "x", "message": "y"})
    wrong = client.post("/app/tickets/new", data={"csrf": "forged", "subject": "x", "message": "y"})

    # Then both are refused with a readable page, and no ticket was opened
    for r in (missing, wrong):
        assert r.status_code == 403
        assert "CSRF_TOKEN_INVALID" in r.text
    assert "No tickets yet." in client.get("/app/tickets").text


def test_session_cookie_and_security_headers(runner: Runner, user: str) -> None:
    # When a user signs in
    client = httpx.Client(base_url=runner.url, timeout=30)
    r = client.post("/app/signin", data={"user": user, "role": "customer"})

    # Then the cookie is HttpOnly, SameSite=Lax and scoped to /app (Secure outside the runner)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/app" in cookie

    # And every page carries a strict CSP; static files are cached for a year
    page = client.get("/app/tickets")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    css = client.get("/app/static/app.css?v=2")
    assert css.status_code == 200
    assert "max-age=31536000" in css.headers["cache-control"]


def test_a_tampered_or_missing_cookie_means_sign_in(runner: Runner, user: str) -> None:
    # Given a valid session cookie with its payload altered
    client = signed_in(runner, user)
    value = client.cookies["hd_session"]
    payload, signature = value.rsplit(".", 1)
    forged = httpx.Client(base_url=runner.url, timeout=30)
    forged.cookies.set("hd_session", payload[:-2] + "xx." + signature)

    # When it is used, or no cookie at all
    answers = [forged.get("/app/tickets"), httpx.get(f"{runner.url}/app/queue", timeout=30)]

    # Then each is sent to sign in
    for r in answers:
        assert r.status_code == 303
        assert r.headers["location"] == "/app/signin"


def test_layer_errors_render_as_pages(runner: Runner, user: str) -> None:
    # Given a signed-in customer
    client = signed_in(runner, user)

    # When they ask for a bad cursor, an unknown status, an unknown page, and post an empty form
    token = csrf_of(client.get("/app/tickets/new").text)
    answers = [
        ("INVALID_CURSOR", client.get("/app/tickets?cursor=zzz")),
        ("VALIDATION_FAILED", client.get("/app/tickets?status=nonsense")),
        ("ROUTE_NOT_FOUND", client.get("/app/nowhere")),
        ("VALIDATION_FAILED", client.post("/app/tickets/new", data={"csrf": token})),
    ]

    # Then each is an HTML page naming the error, never a stack trace
    for code, r in answers:
        assert r.status_code in (400, 404, 422), (code, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
        assert code in r.text, code
        assert "Traceback" not in r.text
