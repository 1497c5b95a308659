"""GET /admin/reports/sla: the share of tickets meeting each SLA target, per priority and
per agent; `format=csv` (or `Accept: text/csv`): the tickets behind it (staff)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from helpdesk import slareport
from helpdesk.errors import BadRequestError, ForbiddenError
from helpdesk.http import (
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.sla import SlaReport

app = make_resolver()

Time = Annotated[str, Query(min_length=10, max_length=40, description="ISO 8601, with offset")]


@app.get(
    "/admin/reports/sla",
    summary="SLA report: the share of tickets meeting each target",
    tags=["staff"],
    responses={
        **problem_responses(ForbiddenError, BadRequestError),
        200: {
            "description": "The report (JSON), or its tickets (CSV: format=csv or Accept)",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SlaReport"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
    },
)
def admin_sla_report(
    from_: Annotated[str, Query(alias="from", min_length=10, max_length=40)],
    to: Time,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    accept: Annotated[str | None, Header(max_length=256)] = None,
) -> Response[SlaReport | str]:
    p = current_principal(app)
    if format == "csv" or (format is None and "text/csv" in (accept or "")):
        body = slareport.report_csv(p, from_, to)
        return Response(
            status_code=200,
            content_type="text/csv; charset=utf-8",
            body=body,
            headers={"Content-Disposition": 'attachment; filename="sla-report.csv"'},
        )
    report: SlaReport = slareport.report(p, from_, to)
    return json_response(report)


lambda_handler = entrypoint(app)
