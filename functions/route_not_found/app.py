"""$default route: anything the API does not serve is a 404 problem document."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk.http import entrypoint, make_resolver

app = make_resolver()  # no routes: every request reaches the resolver's not_found handler
lambda_handler = entrypoint(app, public=True)
