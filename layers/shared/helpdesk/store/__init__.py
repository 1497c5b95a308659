"""DynamoDB access: the only package that talks to DynamoDB (docs/design.md, "2. Data").

One module per kind of item; callers import the module they use
(`from helpdesk.store import tickets as store_tickets`). `keys` is the one
owner of every key format. Nothing is imported here, so a function loads only
the modules it uses.
"""
