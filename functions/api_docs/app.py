"""GET /docs: Swagger UI over /openapi.json (the only function that serves the viewer)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk.http import entrypoint, make_resolver

app = make_resolver()

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>helpdesk API</title>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui"});
  </script>
</body>
</html>
"""


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
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=PAGE,
        headers={"Cache-Control": "public, max-age=3600"},
    )


lambda_handler = entrypoint(app, public=True)
