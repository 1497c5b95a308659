"""The one-click rating page of the "resolved" mail: `/app/rate/<token>?score=N`, signed out.

The token (helpdesk.ratinglinks) is the credential and names the one ticket it rates, as
its requester (a guest's ticket too). `GET` writes nothing (mail scanners fetch links): it
shows the ticket, the score of the link chosen, a comment field and one button. `POST`
records the rating through the layer (`tickets.rate`, the rules of `POST
/tickets/{id}/rating`). The POST reads no cookie, so there is no session for a forged
cross-site form to ride: a form can rate only the ticket whose token its URL carries, as
that ticket's requester, and only someone who has the token can send it. A bad, expired or
deleted ticket's link is the 404 page `RATING_LINK_INVALID`; a ticket that can no longer be
rated, the layer's 409 `RATING_NOT_ALLOWED` page with its reason.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from console.base import go, page
from helpdesk import ratinglinks
from helpdesk.domain import RATING_SCALE
from helpdesk.models.tickets import RatingRequest


def _score(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) in RATING_SCALE else None


async def rate(request: Request) -> Response:
    token = request.path_params["token"]
    if request.method == "POST":
        form = await request.form()
        comment = str(form.get("comment") or "").strip()
        req = RatingRequest(rating=str(form.get("rating") or "0"), comment=comment or None)
        ratinglinks.rate(token, req)
        return go(f"/app/rate/{token}?done=1")
    ticket = ratinglinks.check(token)  # writes nothing
    chosen = _score(request.query_params.get("score")) or ticket.rating
    return page(
        request,
        "rate.html",
        t=ticket,
        scale=RATING_SCALE,
        chosen=chosen,
        done=request.query_params.get("done") == "1",
    )
