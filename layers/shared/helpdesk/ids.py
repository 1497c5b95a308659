"""Identifiers, digests of secrets, and opaque cursors."""

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
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, expect: str) -> dict[str, Any]:
    """Decode a cursor made by `encode_cursor` for the list `expect`; anything else is a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError) as ex:
        raise InvalidCursorError() from ex
    if not isinstance(payload, dict) or payload.get("l") != expect:
        raise InvalidCursorError()
    return payload
