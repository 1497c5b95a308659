"""The console's hosted-UI sign-in (code flow + PKCE) against a fake identity provider."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from helpdesk import hosted_ui
from helpdesk.ids import b64url
from helpdesk.principal import Role
from helpdesk.settings import ConsoleSettings
from tests.conftest import set_console_keys

CALLBACK = "https://console.example/app/callback"


class FakeIdp:
    """Cognito's token endpoint and JWKS: hands out an ID token for a code it issued."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.codes: dict[str, str] = {}  # code -> code_challenge
        self.seen: list[dict[str, str]] = []
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, doc: dict[str, Any]) -> None:
                out = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_GET(self) -> None:
                from local import devauth

                self._send(200, devauth.jwks())

            def do_POST(self) -> None:
                from local import devauth

                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                idp.seen.append(form)
                challenge = idp.codes.get(form.get("code", ""))
                verifier = form.get("code_verifier", "")
                if (
                    challenge is None
                    or b64url(hashlib.sha256(verifier.encode()).digest()) != challenge
                ):
                    self._send(400, {"error": "invalid_grant"})
                    return
                token = devauth.mint(
                    "carol", "agent", "acme", issuer=idp.url, audience="console-client"
                )
                self._send(200, {"id_token": token, "token_type": "Bearer"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def idp(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIdp]:
    # the console's signing key in the stack's secret (moto), as deployed
    set_console_keys(secrets.token_urlsafe(32))
    monkeypatch.setenv("HELPDESK_LOCAL_DIR", str(tmp_path))
    fake = FakeIdp(tmp_path)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def settings(idp: FakeIdp) -> ConsoleSettings:
    return ConsoleSettings(
        stage="prod",
        console_auth_domain=idp.url,
        issuer=idp.url,
        audience="console-client",
        jwks_url=f"{idp.url}/jwks.json",
    )


def test_code_flow_with_pkce_signs_the_user_in(idp: FakeIdp, aws: None) -> None:
    # (aws: a staff sign-in reads the staff directory, see helpdesk.staff)
    # Given the authorize URL and PKCE cookie the console hands the browser
    cfg = settings(idp)
    url, cookie = hosted_ui.start(cfg, CALLBACK)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{idp.url}/oauth2/authorize?")
    assert query["code_challenge_method"] == "S256" and query["client_id"] == "console-client"
    assert query["redirect_uri"] == CALLBACK

    # When the hosted UI redirects back with a code for that challenge and the same state
    idp.codes["code-1"] = query["code_challenge"]
    p = hosted_ui.finish(cfg, cookie, query["state"], "code-1", CALLBACK)

    # Then the ID token's principal comes back, and the verifier (never the secret) was sent
    assert (p.user_id, p.roles, p.org_id) == ("carol", frozenset({Role.AGENT}), "acme")
    assert idp.seen[-1]["grant_type"] == "authorization_code"
    assert "client_secret" not in idp.seen[-1]


def test_a_wrong_state_forged_cookie_or_refused_code_fails(idp: FakeIdp) -> None:
    # Given a started sign-in
    cfg = settings(idp)
    url, cookie = hosted_ui.start(cfg, CALLBACK)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    idp.codes["code-2"] = query["code_challenge"]
    state = query["state"]
    payload, stamp, sig = cookie.split(".")

    # Then another state, an altered cookie, or a code the IdP never issued all fail
    with pytest.raises(hosted_ui.SignInFailed, match="does not match"):
        hosted_ui.finish(cfg, cookie, "other-state", "code-2", CALLBACK)
    with pytest.raises(hosted_ui.SignInFailed, match="took too long"):
        hosted_ui.finish(cfg, f"{payload}x.{stamp}.{sig}", state, "code-2", CALLBACK)
    with pytest.raises(hosted_ui.SignInFailed, match="took too long"):
        hosted_ui.finish(cfg, "", state, "code-2", CALLBACK)
    with pytest.raises(hosted_ui.SignInFailed, match="did not accept"):
        hosted_ui.finish(cfg, cookie, state, "never-issued", CALLBACK)
    assert idp.seen[-1]["code"] == "never-issued"
