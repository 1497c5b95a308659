"""Cognito hosted UI sign-in for the web console: authorization code flow with PKCE.

`start` builds the authorize URL and a short-lived cookie holding the state and the code
verifier, signed with the console's key (`helpdesk.signing`, salt `helpdesk.hosted_ui`); `finish` checks the state, exchanges the code at the token endpoint
(a public app client: the verifier is the proof, there is no client secret) and verifies
the ID token with the same code the API's authorizer runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from urllib.parse import urlencode

from helpdesk import signing
from helpdesk.ids import b64url
from helpdesk.principal import Principal
from helpdesk.settings import AuthSettings, ConsoleSettings

COOKIE = "hd_pkce"
MAX_AGE = 600  # seconds from the authorize redirect to the callback
TOKEN_TIMEOUT_SECONDS = 5


class SignInFailed(Exception):
    pass


def start(cfg: ConsoleSettings, redirect_uri: str) -> tuple[str, str]:
    """(the hosted UI's authorize URL, the value of the PKCE cookie to set)."""
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(16)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": cfg.audience,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return (
        f"{cfg.console_auth_domain.rstrip('/')}/oauth2/authorize?{query}",
        signing.dumps(signing.PKCE, {"state": state, "verifier": verifier}),
    )


def finish(
    cfg: ConsoleSettings, cookie: str, state: str, code: str, redirect_uri: str
) -> Principal:
    """The principal the hosted UI signed in, or SignInFailed with a readable reason."""
    found = signing.loads(signing.PKCE, cookie, MAX_AGE)
    started = found[0] if found else None
    if not isinstance(started, dict):
        raise SignInFailed("The sign-in took too long or was started elsewhere; try again.")
    expected_state, verifier = str(started.get("state", "")), str(started.get("verifier", ""))
    if not state or not code or not hmac.compare_digest(state, expected_state):
        raise SignInFailed("The sign-in answer does not match this browser; try again.")
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "client_id": cfg.audience,
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    ).encode()
    request = urllib.request.Request(
        f"{cfg.console_auth_domain.rstrip('/')}/oauth2/token",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(
            request, timeout=TOKEN_TIMEOUT_SECONDS
        ) as answer:  # https URL from configuration
            tokens = json.loads(answer.read())
    except (urllib.error.URLError, TimeoutError, ValueError) as ex:
        raise SignInFailed("The sign-in service did not accept the code; try again.") from ex
    id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
    if not isinstance(id_token, str):
        raise SignInFailed("The sign-in service sent no ID token.")
    # Imported here, not at the top: pyjwt and cryptography are ~10% of the console's
    # cold start and only this sign-in callback needs them (docs/benchmarks.md).
    from helpdesk.auth import AuthFailure, verify_jwt

    try:
        return verify_jwt(
            id_token,
            AuthSettings(issuer=cfg.issuer, audience=cfg.audience, jwks_url=cfg.jwks_url),
        )
    except AuthFailure as ex:
        raise SignInFailed("The sign-in service's token did not verify.") from ex
