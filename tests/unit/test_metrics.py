"""Response metrics are kept by the write transactions: replay a conversation on a controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpdesk import desk, tickets
from helpdesk.models.staff import StaffReplyRequest, StaffUpdateRequest
from helpdesk.models.tickets import CreateTicketRequest, ReplyRequest
from helpdesk.principal import Principal, Role

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CUSTOMER = Principal(user_id="mia", name="Mia")
AGENT = Principal(user_id="agnes", name="Agnes", roles=frozenset({Role.AGENT}))


@pytest.mark.usefixtures("aws")
def test_metrics_of_a_scripted_conversation() -> None:
    with time_machine.travel(T0, tick=False) as clock:
        # Given a ticket opened at 09:00
        ticket = tickets.create_ticket(CUSTOMER, CreateTicketRequest(subject="VPN", message="down"))
        # When staff answer at 09:10, the customer at 10:00, staff at 12:00 (a 2 h wait),
        # a note at 12:30 (not a response), and staff resolve at 13:00
        clock.move_to(T0 + timedelta(minutes=10))
        desk.reply(AGENT, ticket.id, StaffReplyRequest(message="Restarting it"))
        clock.move_to(T0 + timedelta(hours=1))
        tickets.reply(CUSTOMER, ticket.id, ReplyRequest(message="Still down"))
        clock.move_to(T0 + timedelta(hours=3))
        desk.reply(AGENT, ticket.id, StaffReplyRequest(message="Fixed?"))
        clock.move_to(T0 + timedelta(hours=3, minutes=30))
        desk.reply(AGENT, ticket.id, StaffReplyRequest(message="checked logs", internal=True))
        clock.move_to(T0 + timedelta(hours=4))
        view = desk.get_ticket(AGENT, ticket.id)
        desk.update(AGENT, ticket.id, StaffUpdateRequest(status="resolved"), view.etag)
    # Then the metrics are exact
    metrics = desk.get_ticket(AGENT, ticket.id).metrics
    assert metrics.first_response_seconds == 600
    assert metrics.interaction_count == 2
    assert metrics.longest_wait_seconds == 2 * 3600
    assert metrics.resolution_seconds == 4 * 3600


@pytest.mark.usefixtures("aws")
def test_no_response_yet_means_no_first_response_time() -> None:
    with time_machine.travel(T0, tick=False):
        ticket = tickets.create_ticket(CUSTOMER, CreateTicketRequest(subject="x", message="y"))
        desk.reply(AGENT, ticket.id, StaffReplyRequest(message="note", internal=True))
    metrics = desk.get_ticket(AGENT, ticket.id).metrics
    assert metrics.first_response_seconds is None and metrics.interaction_count == 0
