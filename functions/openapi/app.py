"""GET /openapi.json: the API's OpenAPI 3.1 document (generated from the code, shipped in the layer)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from importlib.resources import files

from aws_lambda_powertools.event_handler import Response

from helpdesk.http import entrypoint, make_resolver

app = make_resolver()
DOCUMENT = files("helpdesk").joinpath("openapi.json").read_text()  # read once per container


@app.get(
    "/openapi.json",
    summary="This API's OpenAPI document",
    tags=["meta"],
    responses={
        200: {
            "description": "The document",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def openapi() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=DOCUMENT,
        headers={"Cache-Control": "public, max-age=300"},
    )


lambda_handler = entrypoint(app, public=True)
