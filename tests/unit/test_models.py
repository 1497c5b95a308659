"""Request validation: the limits of the API contract, at and just past each edge."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from helpdesk.domain import Status
from helpdesk.errors import ValidationFailedError
from helpdesk.models.staff import StaffUpdateRequest
from helpdesk.models.tickets import CreateTicketRequest, RatingRequest, ReplyRequest, parse_statuses

OK = {"subject": "Printer", "message": "Help"}


@pytest.mark.parametrize(
    "change",
    [
        {"subject": "x"},
        {"subject": "x" * 255},
        {"message": "x" * 10_000},
        {"priority": "urgent"},  # the model allows it; the layer refuses customers (handler test)
        {"cc": [f"c{i}@example.com" for i in range(10)]},
        {"category_id": "cat_hardware", "sub_category_id": "cat_printers"},
    ],
)
def test_create_accepts_the_edges(change: dict[str, Any]) -> None:
    CreateTicketRequest.model_validate(OK | change)


@pytest.mark.parametrize(
    "change",
    [
        {"subject": ""},
        {"subject": "   "},
        {"subject": "x" * 256},
        {"message": ""},
        {"message": "x" * 10_001},
        {"priority": "critical"},
        {"cc": [f"c{i}@example.com" for i in range(11)]},
        {"cc": ["not-an-email"]},
        {"category_id": "has space"},
        {"category_id": "x" * 65},
        {"attachment_ids": [f"att_{i}" for i in range(6)]},
        {"unknown": 1},
        {"subject": None},
    ],
)
def test_create_refuses_past_the_edges(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CreateTicketRequest.model_validate(OK | change)


def test_subject_is_stripped() -> None:
    assert CreateTicketRequest.model_validate(OK | {"subject": "  VPN  "}).subject == "VPN"


@pytest.mark.parametrize(
    ("body", "ok"), [("x", True), ("x" * 10_000, True), ("", False), ("x" * 10_001, False)]
)
def test_reply_message_length(body: str, ok: bool) -> None:
    if ok:
        ReplyRequest(message=body)
    else:
        with pytest.raises(ValidationError):
            ReplyRequest(message=body)


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ({"rating": 1}, True),
        ({"rating": 5, "comment": "x" * 1000}, True),
        ({"rating": 0}, False),
        ({"rating": 6}, False),
        ({"rating": 3, "comment": "x" * 1001}, False),
        ({"comment": "no rating"}, False),
    ],
)
def test_rating_range_and_comment_length(body: dict[str, Any], ok: bool) -> None:
    if ok:
        RatingRequest.model_validate(body)
    else:
        with pytest.raises(ValidationError):
            RatingRequest.model_validate(body)


def test_tags_are_normalized_and_at_most_20() -> None:
    req = StaffUpdateRequest.model_validate({"tags": [" VIP ", "Billing"]})
    assert req.tags == ["vip", "billing"]
    StaffUpdateRequest.model_validate({"tags": [f"t{i}" for i in range(20)]})
    with pytest.raises(ValidationError):
        StaffUpdateRequest.model_validate({"tags": [f"t{i}" for i in range(21)]})
    with pytest.raises(ValidationError):
        StaffUpdateRequest.model_validate({"tags": ["x" * 41]})


def test_parse_statuses() -> None:
    assert parse_statuses(None) == ()
    assert parse_statuses("open,waiting") == (Status.OPEN, Status.WAITING)
    with pytest.raises(ValidationFailedError):
        parse_statuses("open,bogus")
