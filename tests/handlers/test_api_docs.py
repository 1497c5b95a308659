"""GET /docs: pinned Swagger UI files with Subresource Integrity, and a CSP that allows only
what the page loads."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from typing import Any

from tests.conftest import invoke, load_event

PINNED = re.compile(r"^https://cdn\.jsdelivr\.net/npm/swagger-ui-dist@\d+\.\d+\.\d+/[\w.-]+$")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline.append(data)


def _page() -> tuple[dict[str, Any], Tags]:
    result = invoke("api_docs", load_event("api_docs"))
    assert result["statusCode"] == 200
    parsed = Tags()
    parsed.feed(result["body"])
    return result["headers"], parsed


def _csp(headers: dict[str, Any]) -> dict[str, list[str]]:
    policy = headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def test_every_external_script_and_stylesheet_is_pinned_with_integrity() -> None:
    _, page = _page()
    external = [
        (tag, attrs)
        for tag, attrs in page.tags
        if (tag == "script" and attrs.get("src")) or (tag == "link" and attrs.get("href"))
    ]
    assert {tag for tag, _ in external} == {"script", "link"}
    for _, attrs in external:
        url = attrs.get("src") or attrs.get("href") or ""
        assert PINNED.match(url), url  # an exact version, never "@5" or "@latest"
        assert re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", attrs.get("integrity") or ""), attrs
        assert attrs.get("crossorigin") == "anonymous"  # SRI on a CDN needs a CORS fetch


def test_the_csp_allows_only_what_the_page_loads() -> None:
    headers, page = _page()
    csp = _csp(headers)
    assert csp["default-src"] == ["'none'"]
    scripts = [str(a["src"]) for t, a in page.tags if t == "script" and a.get("src")]
    styles = [str(a["href"]) for t, a in page.tags if t == "link" and a.get("href")]
    inline = [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in page.inline
    ]
    # exactly the pinned files and the inline start-up script, by hash
    assert sorted(csp["script-src"]) == sorted(scripts + inline)
    assert csp["style-src"] == styles
    assert csp["connect-src"] == ["'self'"]  # /openapi.json and "Try it out"
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    everything = " ".join(headers["Content-Security-Policy"].split())
    for loose in ("'unsafe-inline'", "'unsafe-eval'", " * ", "https: ", "cdn.jsdelivr.net "):
        assert loose not in everything + " ", loose
    assert headers["X-Content-Type-Options"] == "nosniff"
