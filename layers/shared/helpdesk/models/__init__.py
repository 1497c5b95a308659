"""Request and response models: the API contract (they feed the OpenAPI document).

One module per area (common, tickets, public, attachments, account, catalog, staff,
housekeeping), imported by name: a function imports only the models of its area, since
each model class costs a fraction of a millisecond at import even with `defer_build`
(cold start; see docs/benchmarks.md). This package itself imports nothing.
"""
