"""The console function as Lambda runs it: payload 2.0 through mangum, behind a named stage."""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import pytest

from helpdesk import signing
from helpdesk import websession as session
from helpdesk.principal import Principal, Role
from helpdesk.settings import console_settings
from tests.conftest import BUCKET, invoke, load_event, set_console_keys, settle

# the stack's generated key, as the deployed function reads it from Secrets Manager (moto)
KEY = secrets.token_urlsafe(48)
OLD_TEMPLATE_DEFAULT = "change-me-console-session-secret-at-least-32-chars"


@pytest.fixture
def deployed(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # a deployed stage "dev" with no hosted UI configured
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.delenv("CONSOLE_AUTH_DOMAIN", raising=False)
    set_console_keys(KEY)
    console_settings.cache_clear()
    from tests.conftest import load_function

    load_function("web_console")._adapter.cache_clear()
    yield
    console_settings.cache_clear()
    load_function("web_console")._adapter.cache_clear()


def test_stage_prefix_is_stripped_and_links_keep_it(deployed: None) -> None:
    # Given the event API Gateway sends for https://host/dev/app/signin (a named stage)
    event = copy.deepcopy(load_event("web_console"))
    event["rawPath"] = "/dev/app/signin"
    event["requestContext"]["http"]["path"] = "/dev/app/signin"
    event["requestContext"]["http"]["method"] = "GET"

    # When the console handles it with no hosted UI configured
    result = invoke("web_console", event)

    # Then it is the sign-in route (a readable 501 page, not a 404), and links keep the stage
    assert result["statusCode"] == 501
    assert "SIGNIN_UNAVAILABLE" in result["body"]
    assert 'href="/dev/app/static/app.css?v=2"' in result["body"]
    assert "default-src 'none'" in result["headers"]["content-security-policy"]


def test_hosted_ui_sign_in_redirects_with_pkce(
    deployed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a hosted UI domain and app client
    monkeypatch.setenv("CONSOLE_AUTH_DOMAIN", "https://helpdesk.auth.example")
    monkeypatch.setenv("AUDIENCE", "client-1")
    console_settings.cache_clear()
    event = copy.deepcopy(load_event("web_console"))
    event["rawPath"] = "/dev/app/signin"
    event["requestContext"]["http"]["path"] = "/dev/app/signin"
    event["requestContext"]["http"]["method"] = "GET"

    # When the sign-in page is asked for
    result = invoke("web_console", event)

    # Then the browser goes to the hosted UI with an S256 challenge, carrying a PKCE cookie
    assert result["statusCode"] == 303
    location = result["headers"]["location"]
    assert location.startswith("https://helpdesk.auth.example/oauth2/authorize?")
    assert "code_challenge_method=S256" in location and "client_id=client-1" in location
    assert "%2Fdev%2Fapp%2Fcallback" in location
    (cookie,) = result["cookies"]
    assert cookie.startswith("hd_pkce=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "Path=/dev/app" in cookie


# ------------------------------------------------------------------ signed-in pages

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))


def who(user: str, role: str = "customer", org: str | None = None) -> Principal:
    return Principal(
        user_id=user,
        name=user.capitalize(),
        email=f"{user}@example.com",
        roles=frozenset({Role(role)}),
        org_id=org,
    )


def console(
    p: Principal | None,
    path: str,
    *,
    method: str = "GET",
    query: str = "",
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The console's answer to a browser request on stage "dev", signed in as `p`."""
    event = copy.deepcopy(load_event("web_console"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/dev{path}"
    event["requestContext"]["http"]["method"] = method
    event["routeKey"] = event["requestContext"]["routeKey"] = "ANY /app/{proxy+}"
    event["rawQueryString"] = query
    if p is not None:
        event["cookies"] = [f"{session.COOKIE}={cookie_of(p)}"]
    if form is not None:
        event["body"] = urlencode(form)
        event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    answer = invoke("web_console", event)
    settle()  # the list indexer follows the console's writes, as in AWS
    return answer


@cache
def cookie_of(p: Principal) -> str:
    # one session per user, as a browser keeps it (each sign-in draws a new CSRF token)
    return session.issue(p)


def csrf_for(p: Principal) -> str:
    # the token the session cookie carries (what every form of that session holds)
    data = session.read(cookie_of(p))
    assert data is not None
    return str(data["csrf"])


def uploaded(p: Principal, file_name: str = "screen.png") -> str:
    """A pending attachment of `p`, its bytes stored as the browser's presigned POST would."""
    from helpdesk import attachments
    from helpdesk.models.attachments import CreateAttachmentRequest

    req = CreateAttachmentRequest(file_name=file_name, content_type="image/png", size=len(PNG))
    grant = attachments.request_upload(p, req)
    attachments.client().put_object(
        Bucket=BUCKET, Key=grant.upload.fields["key"], Body=PNG, ContentType="image/png"
    )
    return grant.id


def open_ticket(p: Principal, subject: str, attachment_ids: list[str] | None = None) -> str:
    from helpdesk import tickets
    from helpdesk.models.tickets import CreateTicketRequest

    req = CreateTicketRequest(
        subject=subject, message="Please help", attachment_ids=attachment_ids or []
    )
    return tickets.create_ticket(p, req).id


ALICE = who("alice", org="acme")
BOB = who("bob", org="acme")
CAROL = who("carol", org="globex")
MIA = who("mia", "org_manager", org="acme")
AGENT = who("agnes", "agent")
ADMIN = who("otto", "admin")


def test_customer_downloads_own_attachment_from_the_thread(aws: None, deployed: None) -> None:
    from helpdesk.store import attachments as store_attachments

    # Given Alice's ticket with a file attached
    file_id = uploaded(ALICE)
    ticket_id = open_ticket(ALICE, "Screen broken", [file_id])

    # When she opens the thread and follows the file's link
    thread = console(ALICE, f"/app/tickets/{ticket_id}")
    link = f'href="/dev/app/attachments/{file_id}"'
    result = console(ALICE, f"/app/attachments/{file_id}")

    # Then the thread links the file, and the link answers 303 to a presigned URL of its object
    assert thread["statusCode"] == 200 and link in thread["body"]
    assert result["statusCode"] == 303, result["body"]
    attachment = store_attachments.get_attachment(file_id)
    assert attachment is not None and attachment.key.startswith("files/")
    url = urlsplit(result["headers"]["location"])
    assert unquote(url.path).endswith(f"/{BUCKET}/{attachment.key}") or (
        url.netloc.startswith(f"{BUCKET}.") and unquote(url.path) == f"/{attachment.key}"
    )
    assert "Signature" in url.query or "X-Amz-Signature" in url.query
    assert result["headers"]["cache-control"] == "no-store"


def test_another_customer_gets_the_not_found_page(aws: None, deployed: None) -> None:
    # Given Alice's ticket with a file attached
    file_id = uploaded(ALICE)
    open_ticket(ALICE, "Screen broken", [file_id])

    # When Carol (another customer) and a signed-out browser ask for it, or for a malformed id
    carol = console(CAROL, f"/app/attachments/{file_id}")
    anonymous = console(None, f"/app/attachments/{file_id}")
    malformed = console(ALICE, "/app/attachments/" + "a" * 65)

    # Then Carol sees the console's 404 page, the anonymous browser is sent to sign in
    assert carol["statusCode"] == 404 and "ATTACHMENT_NOT_FOUND" in carol["body"]
    assert "location" not in carol["headers"]
    assert anonymous["statusCode"] == 303
    assert anonymous["headers"]["location"] == "/dev/app/signin"
    assert malformed["statusCode"] == 404 and "ATTACHMENT_NOT_FOUND" in malformed["body"]


def test_a_file_on_an_internal_note_is_staff_only(aws: None, deployed: None) -> None:
    from helpdesk import desk
    from helpdesk.models.staff import StaffReplyRequest

    # Given an agent's internal note with a file on Alice's ticket
    ticket_id = open_ticket(ALICE, "Screen broken")
    note_file = uploaded(AGENT, "diagnosis.png")
    desk.reply(
        AGENT,
        ticket_id,
        StaffReplyRequest(message="Known fault", internal=True, attachment_ids=[note_file]),
    )

    # When Alice and the agent ask for the file, and the agent opens the staff ticket page
    alice = console(ALICE, f"/app/attachments/{note_file}")
    agent = console(AGENT, f"/app/attachments/{note_file}")
    staff_page = console(AGENT, f"/app/queue/{ticket_id}")

    # Then Alice gets the 404 page, the agent the download, and the staff page links it
    assert alice["statusCode"] == 404 and "ATTACHMENT_NOT_FOUND" in alice["body"]
    assert agent["statusCode"] == 303
    assert "diagnosis.png" in unquote(agent["headers"]["location"])
    assert staff_page["statusCode"] == 200
    assert f'href="/dev/app/attachments/{note_file}"' in staff_page["body"]
    # And Alice's thread shows neither the note nor its link
    thread = console(ALICE, f"/app/tickets/{ticket_id}")["body"]
    assert note_file not in thread and "Known fault" not in thread


def test_org_manager_switches_to_the_organization_tickets(aws: None, deployed: None) -> None:
    # Given tickets of Alice and Bob (organization acme) and of Carol (globex)
    open_ticket(ALICE, "Alice printer")
    open_ticket(BOB, "Bob laptop")
    open_ticket(CAROL, "Carol phone")
    open_ticket(MIA, "Mia badge")

    # When acme's org manager opens "My tickets", then switches to "my organization"
    mine = console(MIA, "/app/tickets")
    org = console(MIA, "/app/tickets", query="scope=organization")

    # Then the first is her own tickets with a switch, the second all of acme's and no more
    assert mine["statusCode"] == 200
    assert 'data-scope="organization"' in mine["body"]
    assert "Mia badge" in mine["body"] and "Alice printer" not in mine["body"]
    assert org["statusCode"] == 200, org["body"]
    for subject in ("Alice printer", "Bob laptop", "Mia badge"):
        assert subject in org["body"]
    assert "Carol phone" not in org["body"]
    assert 'data-scope="mine"' in org["body"]
    assert 'name="scope" value="organization"' in org["body"]  # the status filter keeps it


def test_a_plain_customer_forging_the_scope_sees_no_one_elses_tickets(
    aws: None, deployed: None
) -> None:
    # Given Alice and Bob in the same organization, each with a ticket; Alice is no manager
    open_ticket(ALICE, "Alice printer")
    open_ticket(BOB, "Bob laptop")

    # When Alice opens her list, and then forges ?scope=organization (and a nonsense scope)
    mine = console(ALICE, "/app/tickets")
    forged = console(ALICE, "/app/tickets", query="scope=organization")
    nonsense = console(ALICE, "/app/tickets", query="scope=everyone")

    # Then she has no switch, and the forged view is the API's 403 (FORBIDDEN), not Bob's ticket
    assert mine["statusCode"] == 200 and "data-scope" not in mine["body"]
    assert "Alice printer" in mine["body"] and "Bob laptop" not in mine["body"]
    assert forged["statusCode"] == 403 and "FORBIDDEN" in forged["body"]
    assert "Bob laptop" not in forged["body"]
    assert nonsense["statusCode"] == 422 and "Bob laptop" not in nonsense["body"]


def test_admin_reactivates_a_deactivated_catalog_entry(aws: None, deployed: None) -> None:
    from helpdesk import catalog
    from helpdesk.models.catalog import (
        CatalogUpdateRequest,
        CategoryCreateRequest,
        DepartmentCreateRequest,
    )
    from helpdesk.store import catalog as store_catalog

    # Given a deactivated category and a deactivated department
    cat = catalog.create_category(ADMIN, CategoryCreateRequest(name="Legacy printers"))
    dep = catalog.create_department(ADMIN, DepartmentCreateRequest(name="Night shift"))
    catalog.update_category(ADMIN, cat.id, CatalogUpdateRequest(active=False))
    catalog.update_department(ADMIN, dep.id, CatalogUpdateRequest(active=False))

    # When the admin opens the admin page
    before = console(ADMIN, "/app/admin")

    # Then both are listed, marked inactive, each with a Reactivate action
    assert before["statusCode"] == 200
    for entry in (cat, dep):
        row = re.search(
            rf'<li class="inactive[^"]*" data-id="{entry.id}">(.*?)</li>', before["body"], re.S
        )
        assert row, f"{entry.name} is not listed as inactive"
        assert 'value="activate">Reactivate' in row.group(1) and entry.name in row.group(1)
        assert 'value="deactivate"' not in row.group(1)

    # When an agent posts the reactivation (with a valid token of their own session)
    refused = console(
        AGENT,
        "/app/admin",
        method="POST",
        form={"csrf": csrf_for(AGENT), "kind": "category", "action": "activate", "id": cat.id},
    )

    # Then it is refused and the category stays inactive
    assert refused["statusCode"] == 403 and "FORBIDDEN" in refused["body"]
    stored = store_catalog.get_category(cat.id)
    assert stored is not None and not stored.active

    # When the admin reactivates both
    for kind, entry in (("category", cat), ("department", dep)):
        done = console(
            ADMIN,
            "/app/admin",
            method="POST",
            form={"csrf": csrf_for(ADMIN), "kind": kind, "action": "activate", "id": entry.id},
        )
        assert done["statusCode"] == 303, done["body"]

    # Then both are active again, offered to customers, and the page offers Deactivate again
    stored_cat, stored_dep = (
        store_catalog.get_category(cat.id),
        store_catalog.get_department(dep.id),
    )
    assert stored_cat is not None and stored_cat.active
    assert stored_dep is not None and stored_dep.active
    assert cat.id in [c.id for c in catalog.active_categories().items]
    after = console(ADMIN, "/app/admin")["body"]
    row = re.search(rf'<li class="" data-id="{cat.id}">(.*?)</li>', after, re.S)
    assert row and 'value="deactivate">Deactivate' in row.group(1)


def test_admin_sees_and_sets_a_departments_agents(aws: None, deployed: None) -> None:
    from helpdesk import catalog
    from helpdesk.models.catalog import DepartmentCreateRequest
    from helpdesk.store import catalog as store_catalog
    from helpdesk.store import people as store_people

    # Given two agents in the staff directory, one deactivated, and a department with both
    for u in ("ann", "ben"):
        store_people.put_staff(
            store_people.StaffMember(u, u.capitalize(), f"{u}@x", ("agent",), last_seen_at="t")
        )
    dep = catalog.create_department(
        ADMIN, DepartmentCreateRequest(name="Printers", agent_ids=["ann", "ben"])
    )
    store_people.set_staff_active("ben", False, "2026-01-01T00:00:00Z")

    # When the admin opens the admin page, the department lists its agents by name
    body = console(ADMIN, "/app/admin")["body"]
    row = re.search(rf'<li class="" data-id="{dep.id}">(.*?)</li>', body, re.S)
    assert row, body
    assert '<span class="agent" data-agent="ann">Ann</span>' in row.group(1)
    assert '<span class="agent inactive" data-agent="ben">Ben (inactive)</span>' in row.group(1)

    # When he sets the agents to ann alone
    done = console(
        ADMIN,
        "/app/admin",
        method="POST",
        form={
            "csrf": csrf_for(ADMIN),
            "kind": "department",
            "action": "agents",
            "id": dep.id,
            "agent_ids": "ann, ",
        },
    )
    assert done["statusCode"] == 303, done["body"]
    stored = store_catalog.get_department(dep.id)
    assert stored is not None and stored.agent_ids == ["ann"]

    # A deactivated agent is refused with the API's code, and nothing changes
    refused = console(
        ADMIN,
        "/app/admin",
        method="POST",
        form={
            "csrf": csrf_for(ADMIN),
            "kind": "department",
            "action": "agents",
            "id": dep.id,
            "agent_ids": "ann ben",
        },
    )
    assert refused["statusCode"] == 422 and "AGENT_UNKNOWN" in refused["body"]
    stored = store_catalog.get_department(dep.id)
    assert stored is not None and stored.agent_ids == ["ann"]


# ------------------------------------------------------------------ keys and errors


def test_a_cookie_signed_with_the_old_template_default_opens_nothing(
    aws: None, deployed: None
) -> None:
    # Given an admin session forged with the key the template used to default to
    forged = signing.serializer(signing.Keys(OLD_TEMPLATE_DEFAULT), signing.SESSION).dumps(
        {"sub": "mallory", "name": "Mallory", "roles": ["admin"], "org": None, "csrf": "x"}
    )
    event = copy.deepcopy(load_event("web_console"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/dev/app/admin"
    event["requestContext"]["http"]["method"] = "GET"
    event["cookies"] = [f"{session.COOKIE}={forged}"]

    # When it asks for the admin page
    result = invoke("web_console", event)

    # Then it is sent to sign in: no admin page, no Mallory
    assert result["statusCode"] == 303
    assert result["headers"]["location"] == "/dev/app/signin"
    assert "Mallory" not in result.get("body", "")


@pytest.mark.parametrize(
    "current",
    [OLD_TEMPLATE_DEFAULT, "k" * 31, "local-dev-secret"],
    ids=["public", "short", "old-local"],
)
def test_the_console_refuses_to_serve_with_a_known_or_short_key(
    aws: None, deployed: None, current: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the secret holds a public or short key (an operator pasted the old default)
    set_console_keys(current)
    signin = copy.deepcopy(load_event("web_console"))
    signin["rawPath"] = signin["requestContext"]["http"]["path"] = "/dev/app/signin"
    signin["requestContext"]["http"]["method"] = "GET"
    forged = signing.serializer(signing.Keys(current), signing.SESSION).dumps(
        {"sub": "mallory", "roles": ["admin"], "csrf": "x"}
    )
    admin = copy.deepcopy(signin)
    admin["rawPath"] = admin["requestContext"]["http"]["path"] = "/dev/app/admin"
    admin["cookies"] = [f"{session.COOKIE}={forged}"]

    # When a browser signs in, or brings a cookie signed with that key
    answers = [invoke("web_console", signin), invoke("web_console", admin)]

    # Then each is a 500 page, nothing signed or accepted, and the log says why
    for result in answers:
        assert result["statusCode"] == 500, result["body"]
        assert "INTERNAL_ERROR" in result["body"] and "not configured" in result["body"]
        assert not result.get("cookies")
        assert "mallory" not in result["body"].lower()
    assert "no usable signing key" in caplog.text
    assert current not in caplog.text  # the reason, never the key


def test_a_bug_raising_value_error_is_a_logged_500_not_a_400(
    aws: None, deployed: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from helpdesk import tickets

    # Given a layer call that fails with a ValueError (our bug, not the user's input)
    def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("invalid literal for int() with base 10: 'x'")

    monkeypatch.setattr(tickets, "list_tickets", broken)

    # When a customer opens their tickets
    result = console(ALICE, "/app/tickets")

    # Then a 500 INTERNAL_ERROR page without the trace, which the log has
    assert result["statusCode"] == 500
    assert "INTERNAL_ERROR" in result["body"] and "invalid literal" not in result["body"]
    (record,) = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert record.exc_info and isinstance(record.exc_info[1], ValueError)
    # And the console's logger carries the request's correlation id (API Gateway's request id)
    from console.base import logger

    assert logger.get_correlation_id() == load_event("web_console")["requestContext"]["requestId"]


def test_an_unknown_status_filter_is_a_422_page(aws: None, deployed: None) -> None:
    # When a customer (and an agent) filter by a status that does not exist
    mine = console(ALICE, "/app/tickets", query="status=nonsense")
    queue = console(AGENT, "/app/queue", query="status=nonsense")

    # Then each is the validation page, as the API answers
    for result in (mine, queue):
        assert result["statusCode"] == 422 and "VALIDATION_FAILED" in result["body"]


def test_admin_webhooks_page_creates_shows_the_secret_once_pings_and_redelivers(
    aws: None, deployed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk import settings
    from local.webhook_receiver import receiving

    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
    settings.webhook_settings.cache_clear()
    with receiving() as rx:
        # When the admin subscribes a URL
        made = console(
            ADMIN,
            "/app/webhooks",
            method="POST",
            form={"csrf": csrf_for(ADMIN), "action": "create", "url": rx.url, "events": "*"},
        )
        # Then the answer shows its secret, and the list never does
        assert made["statusCode"] == 200, made["body"]
        secret = re.search(r'<code class="secret">(whsec_[^<]+)</code>', made["body"])
        assert secret
        listed = console(ADMIN, "/app/webhooks")
        assert listed["statusCode"] == 200 and secret.group(1) not in listed["body"]
        hook = re.search(r'<tr data-id="(wh_[a-z0-9]+)"', listed["body"])
        assert hook and rx.url in listed["body"] and "enabled" in listed["body"]
        # When the admin pings it: the receiver gets a signed ping, the page lists it
        form = {"csrf": csrf_for(ADMIN), "action": "ping", "id": hook.group(1)}
        assert console(ADMIN, "/app/webhooks", method="POST", form=form)["statusCode"] == 303
        settle()
        (ping,) = rx.wait_for(lambda r: len(r) == 1, timeout=5)
        assert ping.verifies(secret.group(1)) and ping.payload["type"] == "webhook.ping"
        page = console(ADMIN, "/app/webhooks")["body"]
        assert "webhook.ping · delivered · 1 attempt · HTTP 200" in page
        delivery = re.search(r'name="delivery_id" value="(dl_\w+)"', page)
        assert delivery
        # When the admin redelivers it: the same webhook-id again
        form = {"csrf": csrf_for(ADMIN), "action": "redeliver", "id": hook.group(1)}
        form["delivery_id"] = delivery.group(1)
        assert console(ADMIN, "/app/webhooks", method="POST", form=form)["statusCode"] == 303
        settle()
        again = rx.wait_for(lambda r: len(r) == 2, timeout=5)
        assert again[1].id == ping.id
    # And an agent is refused the page
    assert console(AGENT, "/app/webhooks")["statusCode"] == 403
