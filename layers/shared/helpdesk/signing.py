"""The web console's signing key, and values signed with it (itsdangerous).

The key is an AWS Secrets Manager secret the stack creates (`ConsoleSigningKey`); the
function's environment names it (`CONSOLE_SIGNING_KEY_ID`, an ARN or a name), never holds
it. The secret is JSON: `{"current": "<key>", "previous": "<key>" | ["<key>", ...]}`.
Values are signed with `current`; `current` and `previous` verify, so rotating the secret
(docs/design.md section 8) signs no one out. Read through Powertools Parameters, cached
for `KEY_MAX_AGE_SECONDS` per container.

A missing, short or known-public `current` key refuses (`KeyRefused`): nothing is signed
or verified with it. A bad `previous` key is left out (and logged), never accepted.
Each purpose signs with its own salt (`SESSION`, `PKCE`, `UNSUBSCRIBE`, `RATING`, ...): a
value signed for one does not verify as another.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from aws_lambda_powertools import Logger

from helpdesk.errors import HelpdeskError
from helpdesk.settings import console_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from itsdangerous import URLSafeTimedSerializer

logger = Logger(service="helpdesk")

SESSION = "helpdesk.websession"  # salts: one per purpose
PKCE = "helpdesk.hosted_ui"
UNSUBSCRIBE = "helpdesk.unsubscribe"  # a mail's one-click unsubscribe link
REPLY_TO = "helpdesk.reply_to"  # a mail's Reply-To token (the inbound issue routes with it)
GUEST_LINK = "helpdesk.guest_link"  # a guest's follow-up link, as mailed (helpdesk.guests)
RATING = "helpdesk.rating"  # the resolved mail's one-click rating links (helpdesk.ratinglinks)
KEY_MAX_AGE_SECONDS = 300  # a rotated secret reaches every warm container within this time
REFRESH_AFTER_SECONDS = 30  # at most one early re-read per container per this, on a bad value
MIN_KEY_BYTES = 32
# Keys that are public: the template's old `ConsoleSessionSecret` default and the old local
# runner key (both in this repository's history). A cookie signed with one is forgeable.
KNOWN_PUBLIC_KEYS = frozenset(
    {
        "change-me-console-session-secret-at-least-32-chars",
        "local-dev-secret",
    }
)


class KeyRefused(HelpdeskError):
    """The console has no usable signing key: it serves nothing that needs one."""

    code, status, title = "INTERNAL_ERROR", 500, "Internal error"


class Keys(NamedTuple):
    current: str
    previous: tuple[str, ...] = ()

    @property
    def newest_last(self) -> list[str]:
        # itsdangerous signs with the last key and verifies with any of them
        return [*reversed(self.previous), self.current]


def refusal(key: object) -> str | None:
    """Why `key` must not sign, or None if it may."""
    if not isinstance(key, str) or not key:
        return "missing"
    if len(key.encode()) < MIN_KEY_BYTES:
        return f"shorter than {MIN_KEY_BYTES} bytes"
    if key in KNOWN_PUBLIC_KEYS:
        return "a known public value"
    return None


def parse(secret: object) -> Keys:
    """The keys in the secret's JSON value, or KeyRefused naming why not."""
    if not isinstance(secret, dict):
        raise KeyRefused("the secret is not a JSON object with a `current` key")
    current = secret.get("current")
    reason = refusal(current)
    if reason:
        raise KeyRefused(f"the current key is {reason}")
    previous = secret.get("previous") or []
    previous = [previous] if isinstance(previous, str) else previous
    kept: list[str] = []
    for i, key in enumerate(previous if isinstance(previous, list) else []):
        why = refusal(key)
        if why:
            logger.error("previous console signing key left out", extra={"index": i, "why": why})
        else:
            kept.append(key)
    return Keys(str(current), tuple(kept))


@lru_cache(maxsize=1)
def provider() -> SecretsProvider:
    # Powertools Parameters imports boto3: on the first page, not at import. Its client is
    # ours (helpdesk.aws), from the botocore session the table and bucket clients share.
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from botocore.config import Config

    from helpdesk.aws import new_client

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2)
    return SecretsProvider(boto3_client=new_client("secretsmanager", config))


_last_forced = [0.0]


def keys(*, refresh: bool = False) -> Keys:
    """The console's keys (cached per container); KeyRefused if there are none usable.

    `refresh` re-reads the secret before the cache expires, at most once every
    REFRESH_AFTER_SECONDS: a value signed by a container that already saw a rotation.
    """
    from aws_lambda_powertools.utilities.parameters import GetParameterError

    secret_id = console_settings().console_signing_key_id
    if not secret_id:
        raise KeyRefused("CONSOLE_SIGNING_KEY_ID is not set")
    force = refresh and time.monotonic() - _last_forced[0] > REFRESH_AFTER_SECONDS
    if force:
        _last_forced[0] = time.monotonic()
    try:
        value = provider().get(
            secret_id, max_age=KEY_MAX_AGE_SECONDS, transform="json", force_fetch=force
        )
    except GetParameterError as ex:  # TransformParameterError included: not JSON
        raise KeyRefused(f"the secret cannot be read: {type(ex).__name__}") from ex
    return parse(value)


def clear() -> None:
    """Forget the cached secret (tests; a container never needs to)."""
    provider.cache_clear()
    serializer.cache_clear()
    _signer.cache_clear()
    _last_forced[0] = 0.0


@lru_cache(maxsize=8)
def serializer(k: Keys, salt: str) -> URLSafeTimedSerializer:
    import hashlib

    from itsdangerous import URLSafeTimedSerializer  # on first use: ~10 ms off the import

    # HMAC-SHA256 (itsdangerous' default is SHA-1), the key derived per salt
    return URLSafeTimedSerializer(
        k.newest_last, salt=salt, signer_kwargs={"digest_method": hashlib.sha256}
    )


def dumps(salt: str, value: Any) -> str:
    """`value` (JSON-able) signed and timestamped with the current key for `salt`."""
    return str(serializer(keys(), salt).dumps(value))


def loads(salt: str, token: str | None, max_age: int) -> tuple[Any, int] | None:
    """(value, signed-at epoch seconds) of a token `dumps` made for `salt` at most `max_age`
    seconds ago; None if it is missing, forged, altered or expired."""
    from itsdangerous import BadData, SignatureExpired

    if not token:
        return None
    for refresh in (False, True):
        try:
            value, signed_at = serializer(keys(refresh=refresh), salt).loads(
                token, max_age=max_age, return_timestamp=True
            )
        except SignatureExpired:
            return None
        except BadData:
            continue  # perhaps signed after a rotation this container has not read yet
        return value, int(signed_at.timestamp())
    return None


def _short_digest(data: bytes = b"") -> Any:
    import hashlib

    return hashlib.blake2s(data, digest_size=16)


@lru_cache(maxsize=8)
def _signer(k: Keys, salt: str) -> Any:
    from itsdangerous import Signer

    # a 128-bit MAC (22 characters): the token must fit an address's 64-character local part
    return Signer(k.newest_last, salt=salt, digest_method=_short_digest)


def sign_short(salt: str, value: str) -> str:
    """`value` with a short signature (no timestamp), e.g. for an e-mail address."""
    return str(_signer(keys(), salt).sign(value).decode())


def unsign_short(salt: str, token: str) -> str | None:
    """The value `sign_short` signed, or None if the token is forged or altered."""
    from itsdangerous import BadSignature

    try:
        return str(_signer(keys(), salt).unsign(token).decode())
    except BadSignature:
        return None


def guest_link_value(ticket_id: str, secret_hash: str) -> str:
    """What a guest's mailed follow-up link signs: the ticket and a part of the hash of its
    link secret (the secret itself is never kept; a new secret voids the old links)."""
    return f"{ticket_id}.{secret_hash[:16]}"


def guest_link_token(ticket_id: str, secret_hash: str) -> str:
    """The token of a guest's mailed follow-up link (`?token=`): it opens what the secret
    the public form answered opens (helpdesk.guests)."""
    return sign_short(GUEST_LINK, guest_link_value(ticket_id, secret_hash))


def rating_token(ticket_id: str, requester_id: str, requester_email: str) -> str:
    """The token of the "resolved" mail's rating links (`/app/rate/<token>?score=N`): the
    ticket, its requester and the address it was mailed to, signed and timestamped
    (helpdesk.ratinglinks checks its age, and that the ticket still has that requester)."""
    return dumps(RATING, {"t": ticket_id, "u": requester_id, "e": requester_email.lower()})
