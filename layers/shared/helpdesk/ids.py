"""Identifiers, digests of secrets, opaque cursors, and the layer's one base64url codec."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from typing import Any

from helpdesk.errors import InvalidCursorError

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower-case

# What an id sent by a client may be (tickets, attachments, catalog entries, ...): the API's
# path and body models and the web console check the same rule.
ID_PATTERN = r"^[A-Za-z0-9_\-]+$"
ID_MAX_LENGTH = 64


def b64url(raw: bytes) -> str:
    """base64url without padding (cursors, the PKCE code challenge of RFC 7636)."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    """The bytes of `b64url` text (padding optional); ValueError if it is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def digest(text: str) -> str:
    """The SHA-256 of `text`, hex: what we keep of a secret (API tokens, guest links), and
    the authorizer's cache key for a bearer token."""
    return hashlib.sha256(text.encode()).hexdigest()


def new_id(prefix: str) -> str:
    """A sortable, unguessable id: prefix_ + 48-bit ms time + 80 random bits (ULID layout)."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def encode_cursor(payload: dict[str, Any]) -> str:
    return b64url(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())


def decode_cursor(cursor: str, *, expect: str) -> dict[str, Any]:
    """Decode a cursor made by `encode_cursor` for the list `expect`; anything else is a 400."""
    try:
        payload = json.loads(unb64url(cursor))
    except (ValueError, binascii.Error, UnicodeDecodeError) as ex:
        raise InvalidCursorError() from ex
    if not isinstance(payload, dict) or payload.get("l") != expect:
        raise InvalidCursorError()
    return payload
