"""Outbound HTTP to addresses that admins typed in (webhook receivers), safe against SSRF.

The stdlib's `http.client`, not a client library: we need to resolve the name ourselves,
refuse the request unless every address is public, and then connect to the address we
checked (a second lookup could answer differently: DNS rebinding), keeping TLS verification
and SNI on the original name. `http.client` lets us do exactly that in a few lines
(`connect()` below), follows no redirects, and costs no import in the layer (docs/design.md,
section 7).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

TIMEOUT_SECONDS = 10.0
BODY_CAP = 1024  # bytes of a response body kept


class RefusedError(Exception):
    """The URL may not be called (scheme, credentials, or a non-public address)."""


class Answer(NamedTuple):
    status: int | None  # None: no HTTP answer (refused, connection error, timeout)
    body: str
    duration_ms: int
    error: str | None
    retry_after: float | None  # seconds, from a Retry-After header


def address_allowed(ip: str, *, allow_loopback: bool) -> bool:
    """Public unicast addresses only: no loopback (unless the local runner allows it),
    private, link-local (169.254.169.254, the metadata service), shared, unique-local v6,
    multicast or reserved ranges."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_loopback:
        return allow_loopback
    return addr.is_global and not (addr.is_multicast or addr.is_reserved)


def check_url(url: str, *, allow_loopback: bool) -> SplitResult:
    """What can be said of a URL without resolving it: https (http only to loopback in the
    local runner), a host, no credentials, no literal non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise RefusedError("the URL must be https")
    if parts.scheme == "http" and not allow_loopback:
        raise RefusedError("the URL must be https")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise RefusedError("the URL needs a host and no credentials")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as ex:
        raise RefusedError("the URL's port is not valid") from ex
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not address_allowed(str(literal), allow_loopback=allow_loopback):
        raise RefusedError("the URL must reach a public address")
    if literal is None and (host == "localhost" or host.endswith(".localhost")):
        if not allow_loopback:
            raise RefusedError("the URL must reach a public address")
    if parts.scheme == "http" and not (
        literal is not None and literal.is_loopback or host == "localhost"
    ):
        raise RefusedError("plain http is only for the local runner's 127.0.0.1")
    return parts


def resolve(host: str, port: int, *, allow_loopback: bool) -> str:
    """The address to connect to: every address the name has must be allowed (a name with
    one private address among public ones is refused), the first is used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as ex:
        raise RefusedError(f"the host does not resolve ({ex.strerror or ex})") from ex
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise RefusedError("the host does not resolve")
    for ip in addresses:
        if not address_allowed(ip, allow_loopback=allow_loopback):
            raise RefusedError(f"the host resolves to a non-public address ({ip})")
    return addresses[0]


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address we checked; `host` stays the URL's (Host header)."""

    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self.ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the address we checked, the certificate verified for the URL's name (SNI)."""

    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=_tls())
        self.ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self.ip, self.port), self.timeout)
        self.sock = _tls().wrap_socket(sock, server_hostname=self.host)


def retry_after(value: str | None) -> float | None:
    """A Retry-After header's wait in seconds (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def post(
    url: str,
    body: str,
    headers: dict[str, str],
    *,
    allow_loopback: bool = False,
    timeout: float = TIMEOUT_SECONDS,
) -> Answer:
    """POST `body` to `url` once: no redirect followed (a 3xx is an answer like any
    other), `timeout` seconds for the connection and for each read, the response body
    read up to BODY_CAP bytes. Never raises for the receiver's faults: the Answer says."""
    started = time.monotonic()

    def done(status: int | None, text: str, error: str | None, wait: float | None = None) -> Answer:
        return Answer(status, text, int((time.monotonic() - started) * 1000), error, wait)

    try:
        parts = check_url(url, allow_loopback=allow_loopback)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ip = resolve(host, port, allow_loopback=allow_loopback)
    except RefusedError as ex:
        return done(None, "", f"refused: {ex}")
    cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = cls(host, port, ip, timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.request("POST", path, body=body.encode(), headers=headers)
        response = conn.getresponse()
        raw = response.read(BODY_CAP)
        text = raw.decode("utf-8", "replace")
        wait = retry_after(response.getheader("retry-after"))
        return done(response.status, text, None, wait)
    except TimeoutError:
        return done(None, "", f"timeout: no answer within {timeout:.0f} s")
    except (OSError, http.client.HTTPException) as ex:
        return done(None, "", f"{type(ex).__name__}: {ex}"[:300])
    finally:
        conn.close()
