"""The console's Starlette application: every page area's routes, the headers middleware,
the error pages."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from console import account, admin, agent, customer, rating, signin, webhooks
from console.base import HERE, LongCacheStatic, SecurityHeaders, SignInRequired, not_found, on_error
from helpdesk.errors import HelpdeskError


def create_app() -> Starlette:
    both = ["GET", "POST"]
    return Starlette(
        routes=[
            Route("/app", signin.home),
            Route("/app/signin", signin.signin, methods=both),
            Route("/app/signout", signin.signout, methods=["POST"]),
            Route("/app/callback", signin.callback),
            Route("/app/tickets", customer.my_tickets),
            Route("/app/tickets/new", customer.new_ticket, methods=both),
            Route("/app/tickets/{ticket_id}", customer.ticket, methods=both),
            Route("/app/attachments", customer.upload, methods=["POST"]),
            Route("/app/attachments/{attachment_id}", customer.download),
            Route("/app/settings", account.settings, methods=both),
            Route("/app/rate/{token}", rating.rate, methods=both),
            Route("/app/queue", agent.queue),
            Route("/app/queue/new", agent.new_for_customer, methods=both),  # before {ticket_id}
            Route("/app/queue/{ticket_id}", agent.staff_ticket, methods=both),
            Route("/app/admin", admin.admin, methods=both),
            Route("/app/webhooks", webhooks.webhooks_page, methods=both),
            Mount("/app/static", LongCacheStatic(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        # anything else (a ValueError included: our bug) reaches SecurityHeaders: a 500 page
        exception_handlers={
            HelpdeskError: on_error,
            ValidationError: on_error,
            SignInRequired: on_error,
            404: not_found,
            405: not_found,
        },
    )
