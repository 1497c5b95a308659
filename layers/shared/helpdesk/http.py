"""The HTTP edge: one resolver factory, one error mapper, one response shape.

Every function builds its resolver with `make_resolver()` and exports
`lambda_handler = entrypoint(app)`. Errors of every kind leave here as
RFC 9457 `application/problem+json` with a stable `code`.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

from helpdesk import idempotency, telemetry
from helpdesk.errors import (
    HelpdeskError,
    MalformedJsonError,
    RouteNotFoundError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
)
from helpdesk.ids import ID_MAX_LENGTH, ID_PATTERN
from helpdesk.principal import Principal, principal_from_event

PROBLEM_JSON = "application/problem+json"
logger = Logger(service="helpdesk")

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
RouteFunction = TypeVar("RouteFunction", bound=Callable[..., Any])


def problem(
    error: HelpdeskError, *, instance: str = "", request_id: str = ""
) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of the problem document for `error`."""
    doc: dict[str, Any] = {
        "type": f"urn:helpdesk:error:{error.code}",
        "title": error.title,
        "status": error.status,
        "code": error.code,
        "detail": error.detail,
        "instance": instance,
        "request_id": request_id,
        **error.extra,
    }
    headers = {"Content-Type": PROBLEM_JSON, **error.headers}
    if request_id:
        headers["X-Request-Id"] = request_id
    return error.status, headers, json.dumps(doc, default=str)


def _problem_response(app: APIGatewayHttpResolver, error: HelpdeskError) -> Response[str]:
    event = app.current_event
    status, headers, body = problem(
        error, instance=event.raw_path or event.path, request_id=event.request_context.request_id
    )
    return Response(status_code=status, content_type=PROBLEM_JSON, body=body, headers=headers)


def _sanitised(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # `input` echoes user data and `ctx` may not serialise: keep location, type, message.
    return [
        {"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type"), "message": e.get("msg")}
        for e in errors
    ]


class Resolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver; an operation's OpenAPI `operationId` is its handler
    function's name (`create_ticket`), not Powertools' generated `create_ticket_tickets_post`
    (a route may still pass its own `operation_id`)."""

    def route(self, *args: Any, **kwargs: Any) -> Callable[[RouteFunction], RouteFunction]:
        # `get`, `post`, ... call `route` with positional arguments: bind them by name
        bound = inspect.signature(APIGatewayHttpResolver.route).bind(self, *args, **kwargs)

        def register(func: RouteFunction) -> RouteFunction:
            if bound.arguments.get("operation_id") is None:
                bound.arguments["operation_id"] = func.__name__
            registered: RouteFunction = APIGatewayHttpResolver.route(*bound.args, **bound.kwargs)(
                func
            )
            return registered

        return register


def make_resolver() -> APIGatewayHttpResolver:
    """A Powertools HTTP API resolver with pydantic validation and our error mapping."""
    app = Resolver(enable_validation=True, response_validation_error_http_code=500)

    @app.exception_handler(HelpdeskError)
    def _domain_error(ex: HelpdeskError) -> Response[str]:
        if ex.status >= 500:
            logger.exception("internal error")
        else:
            logger.info("request refused", extra={"code": ex.code, "status": ex.status})
        return _problem_response(app, ex)

    @app.exception_handler(RequestValidationError)
    def _validation_error(ex: RequestValidationError) -> Response[str]:
        errors = list(ex.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return _problem_response(app, MalformedJsonError())
        return _problem_response(
            app,
            ValidationFailedError(
                "One or more fields are not valid", extra={"errors": _sanitised(errors)}
            ),
        )

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return _problem_response(app, RouteNotFoundError())

    @app.exception_handler(Exception)
    def _bug(ex: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return _problem_response(app, HelpdeskError("An unexpected error occurred"))

    return app


def current_principal(app: APIGatewayHttpResolver) -> Principal:
    """The caller, put on the resolver's context by `entrypoint` before routing."""
    principal = app.context.get("principal")
    if not isinstance(principal, Principal):
        raise HelpdeskError("route is public but asked for a principal")
    return principal


def _require_json(event: dict[str, Any]) -> None:
    """Bodies are JSON: a missing Content-Type is taken as JSON, anything else is a 415."""
    if not event.get("body"):
        return
    ctype = str((event.get("headers") or {}).get("content-type", "")).split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMediaTypeError(
            f"Content-Type {ctype} is not accepted; send application/json"
        )
    if event.get("isBase64Encoded"):
        # API Gateway base64-encodes bodies that are not UTF-8 text; JSON must be, and
        # Powertools' own decoding would fail with a 500
        try:
            base64.b64decode(str(event["body"]), validate=True).decode("utf-8")
        except ValueError as ex:
            raise MalformedJsonError("The body is not UTF-8 text") from ex
    if ctype != "application/json":
        event.setdefault("headers", {})["content-type"] = "application/json"


def entrypoint(
    app: APIGatewayHttpResolver,
    *,
    public: bool = False,
    idempotent: bool = False,
    ignore_body: bool = False,
) -> LambdaHandler:
    """The Lambda handler for `app`: log context, authenticate (unless public), route.

    `ignore_body`: the route reads no body and accepts any (RFC 8058's one-click
    unsubscribe POSTs `List-Unsubscribe=One-Click` form-encoded): it is dropped unread.

    `idempotent`: the route honours `Idempotency-Key`; a request that sends one has the
    invocation's Lambda context registered on Powertools' idempotency config first."""

    @logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
    )
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            if not public:
                principal = principal_from_event(event)
                logger.append_keys(user_id=principal.user_id)
                app.append_context(principal=principal)
            if ignore_body:
                event["body"], event["isBase64Encoded"] = None, False
            _require_json(event)
        except HelpdeskError as ex:
            ctx = event.get("requestContext") or {}
            status, headers, body = problem(
                ex, instance=str(event.get("rawPath", "")), request_id=str(ctx.get("requestId", ""))
            )
            return {
                "statusCode": status,
                "headers": headers,
                "body": body,
                "isBase64Encoded": False,
            }
        if idempotent and (event.get("headers") or {}).get("idempotency-key") is not None:
            idempotency.register_lambda_context(context)
        return app.resolve(event, context)

    def flushing_metrics(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return lambda_handler(event, context)
        finally:
            telemetry.flush(context)  # once per invocation, whatever the answer

    # The handler is built: the function's init phase is over. (Imported here, not at the
    # top: importing `coldstart` pauses the collector, which only an app.py may ask for.)
    from helpdesk.coldstart import resume

    resume()
    return flushing_metrics


def json_response(
    model: BaseModel, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response[Any]:
    """A JSON response carrying a response model (serialised and validated by Powertools)."""
    return Response(
        status_code=status, content_type="application/json", body=model, headers=headers or {}
    )


# Annotated parameters shared by routes (documented once in the OpenAPI output).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        description="Retries with the same key and body return the first answer (24 h)",
        max_length=255,
    ),
]
# a guest ticket's private link secret (header or, for links in e-mails, the query)
LinkTokenHeader = Annotated[
    str | None,
    Header(alias="x-ticket-token", description="The ticket's private link secret", max_length=200),
]
LinkToken = Annotated[
    str | None,
    Query(description="The ticket's private link secret (or send X-Ticket-Token)", max_length=200),
]
# an id in a path (tickets, attachments, catalog entries, API tokens): the API's one id rule
ResourceId = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
TicketId = ResourceId
AttachmentId = ResourceId
CatalogEntryId = ResourceId
TokenId = ResourceId
# a token's `sub`: Cognito UUIDs, "auth0|...", e-mail-like subjects
UserId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-|:.@]+$")]


def problem_responses(*errors: type[HelpdeskError], success: int = 200) -> dict[int, Any]:
    """OpenAPI `responses`: the success status (its schema from the return type) and the
    domain errors the route can answer (problem+json, grouped by status)."""
    by_status: dict[int, list[str]] = {}
    for err in errors:
        by_status.setdefault(err.status, []).append(err.code)
    out: dict[int, Any] = {success: {"description": "Success"}}
    for status, codes in sorted(by_status.items()):
        out[status] = {
            "description": "Problem: " + ", ".join(sorted(set(codes))),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out
