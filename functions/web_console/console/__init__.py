"""The web console's application, by page area (app.py next to this is the Lambda entry).

- `base`: templates, the session and CSRF checks, security headers, error pages
- `times`: relative times ("5 min ago") with the exact time on hover
- `signin`: `/app`, sign-in (development page or Cognito hosted UI), callback, sign-out
- `customer`: my tickets, new ticket, the thread, uploads and downloads
- `agent`: the queue (combinable filters), a new ticket for a customer, the staff thread
- `admin`: categories and departments
- `webhooks`: the admin's webhook subscriptions
- `account`: the Settings page (my e-mail notifications)
- `rating`: the one-click rating page of the "resolved" mail (signed out, by its token)
- `routes`: the Starlette application that puts them together
"""
