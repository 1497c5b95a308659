"""The console function as Lambda runs it: payload 2.0 through mangum, behind a named stage."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from helpdesk.settings import console_settings
from tests.conftest import invoke, load_event


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # a deployed stage "dev" with no hosted UI configured
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.setenv("CONSOLE_SESSION_SECRET", "x" * 32)
    monkeypatch.delenv("CONSOLE_AUTH_DOMAIN", raising=False)
    console_settings.cache_clear()
    from tests.conftest import load_function

    load_function("web_console")._adapter.cache_clear()
    yield
    console_settings.cache_clear()
    load_function("web_console")._adapter.cache_clear()


def test_stage_prefix_is_stripped_and_links_keep_it(deployed: None) -> None:
    # Given the event API Gateway sends for https://host/dev/app/signin (a named stage)
    event = copy.deepcopy(load_event("web_console"))
    event["rawPath"] = "/dev/app/signin"
    event["requestContext"]["http"]["path"] = "/dev/app/signin"
    event["requestContext"]["http"]["method"] = "GET"

    # When the console handles it with no hosted UI configured
    result = invoke("web_console", event)

    # Then it is the sign-in route (a readable 501 page, not a 404), and links keep the stage
    assert result["statusCode"] == 501
    assert "SIGNIN_UNAVAILABLE" in result["body"]
    assert 'href="/dev/app/static/app.css?v=1"' in result["body"]
    assert "default-src 'none'" in result["headers"]["content-security-policy"]


def test_hosted_ui_sign_in_redirects_with_pkce(
    deployed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a hosted UI domain and app client
    monkeypatch.setenv("CONSOLE_AUTH_DOMAIN", "https://helpdesk.auth.example")
    monkeypatch.setenv("AUDIENCE", "client-1")
    console_settings.cache_clear()
    event = copy.deepcopy(load_event("web_console"))
    event["rawPath"] = "/dev/app/signin"
    event["requestContext"]["http"]["path"] = "/dev/app/signin"
    event["requestContext"]["http"]["method"] = "GET"

    # When the sign-in page is asked for
    result = invoke("web_console", event)

    # Then the browser goes to the hosted UI with an S256 challenge, carrying a PKCE cookie
    assert result["statusCode"] == 303
    location = result["headers"]["location"]
    assert location.startswith("https://helpdesk.auth.example/oauth2/authorize?")
    assert "code_challenge_method=S256" in location and "client_id=client-1" in location
    assert "%2Fdev%2Fapp%2Fcallback" in location
    (cookie,) = result["cookies"]
    assert cookie.startswith("hd_pkce=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "Path=/dev/app" in cookie
