"""GET /docs: Swagger UI over /openapi.json (the only function that serves the viewer).

The viewer's two files come from a CDN at a pinned swagger-ui-dist version, each with
Subresource Integrity (the browser refuses a byte that differs from the release), and the
page's Content-Security-Policy allows exactly those two URLs, the inline start-up script
(by hash) and same-origin requests. The hashes were computed from `npm pack
swagger-ui-dist@<SWAGGER_UI_VERSION>`: moving the version means recomputing them
(`openssl dgst -sha384 -binary FILE | openssl base64 -A`).
"""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

import base64
import hashlib

from aws_lambda_powertools.event_handler import Response

from helpdesk.http import entrypoint, make_resolver

app = make_resolver()

SWAGGER_UI_VERSION = "5.35.0"
CDN = f"https://cdn.jsdelivr.net/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}"
SCRIPT = f"{CDN}/swagger-ui-bundle.js"
SCRIPT_SRI = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
STYLE = f"{CDN}/swagger-ui.css"
STYLE_SRI = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"
# validatorUrl null: no badge image fetched from validator.swagger.io
START = (
    'window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", validatorUrl: null});'
)
START_HASH = "sha256-" + base64.b64encode(hashlib.sha256(START.encode()).digest()).decode()

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>helpdesk API</title>
  <link rel="stylesheet" href="{STYLE}" integrity="{STYLE_SRI}" crossorigin="anonymous">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{SCRIPT}" integrity="{SCRIPT_SRI}" crossorigin="anonymous"></script>
  <script>{START}</script>
</body>
</html>
"""
# Only what the page loads: the two pinned files, the start-up script, /openapi.json and
# "Try it out" on this origin, the stylesheet's inline (data:) icons.
CSP = "; ".join(
    [
        "default-src 'none'",
        f"script-src {SCRIPT} '{START_HASH}'",
        f"style-src {STYLE}",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Cache-Control": "public, max-age=3600",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@app.get(
    "/docs",
    summary="Swagger UI",
    tags=["meta"],
    responses={
        200: {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
    },
)
def api_docs() -> Response[str]:
    return Response(
        status_code=200, content_type="text/html; charset=utf-8", body=PAGE, headers=HEADERS
    )


lambda_handler = entrypoint(app, public=True)
