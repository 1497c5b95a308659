"""$default route: anything the API does not serve is a 404 problem document."""

from helpdesk.http import entrypoint, make_resolver

app = make_resolver()  # no routes: every request reaches the resolver's not_found handler
lambda_handler = entrypoint(app, public=True)
