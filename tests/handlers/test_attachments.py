"""Attachments through the handlers on moto: upload requests, linking on create and reply,
downloads, deletes, and every refusal. The upload itself is a put_object here (moto's
in-process S3); tests/e2e/test_attachments.py does it with a real multipart POST."""

from __future__ import annotations

import base64
import calendar
import copy
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import BUCKET, body_of, invoke, load_event

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def principal(user: str, roles: str = "customer", org: str = "") -> dict[str, str]:
    return {
        "user_id": user,
        "name": user.capitalize(),
        "email": f"{user}@example.com",
        "roles": roles,
        "org_id": org,
    }


def event(
    name: str,
    who: dict[str, str],
    *,
    body: dict[str, Any] | None = None,
    path: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    ev = copy.deepcopy(load_event(name))
    ev["requestContext"]["authorizer"] = {"lambda": who}
    if body is not None:
        ev["body"] = json.dumps(body)
        ev["headers"]["content-type"] = "application/json"
    if path:
        ev["pathParameters"] = path
        raw = ev["rawPath"]
        for value in path.values():
            raw = raw.replace("tkt_01jexample0000000000000000", value, 1)
        ev["rawPath"] = ev["requestContext"]["http"]["path"] = raw
    if query:
        ev["queryStringParameters"] = query
        ev["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    ev["headers"].update(headers or {})
    return ev


def s3() -> Any:
    from helpdesk import attachments

    return attachments.client()


def request_upload(
    who: dict[str, str],
    *,
    size: int = len(PNG),
    content_type: str = "image/png",
    file_name: str = "screen.png",
) -> dict[str, Any]:
    body = {"file_name": file_name, "content_type": content_type, "size": size}
    res = invoke("create_attachment", event("create_attachment", who, body=body))
    assert res["statusCode"] == 201, res["body"]
    out: dict[str, Any] = body_of(res)
    return out


def upload(att: dict[str, Any], data: bytes, content_type: str | None = None) -> None:
    """What a client's POST does: store the bytes under the key the policy pins."""
    fields = att["upload"]["fields"]
    s3().put_object(
        Bucket=BUCKET,
        Key=fields["key"],
        Body=data,
        ContentType=content_type or fields["Content-Type"],
    )


def uploaded(who: dict[str, str], data: bytes = PNG, **kw: Any) -> str:
    att = request_upload(who, size=len(data), **kw)
    upload(att, data)
    return str(att["id"])


def create_ticket(who: dict[str, str], ids: list[str], **headers: str) -> dict[str, Any]:
    body = {"subject": "With files", "message": "See attached", "attachment_ids": ids}
    return invoke("create_ticket", event("create_ticket", who, body=body, headers=headers))


def reply(who: dict[str, str], ticket_id: str, ids: list[str]) -> dict[str, Any]:
    body = {"message": "More", "attachment_ids": ids}
    return invoke(
        "reply_ticket", event("reply_ticket", who, body=body, path={"ticket_id": ticket_id})
    )


def get(who: dict[str, str], attachment_id: str, **query: str) -> dict[str, Any]:
    return invoke(
        "get_attachment",
        event("get_attachment", who, path={"attachment_id": attachment_id}, query=query or None),
    )


def delete(who: dict[str, str], attachment_id: str) -> dict[str, Any]:
    return invoke(
        "delete_attachment", event("delete_attachment", who, path={"attachment_id": attachment_id})
    )


def assert_problem(res: dict[str, Any], status: int, code: str) -> dict[str, Any]:
    assert res["statusCode"] == status, res["body"]
    doc: dict[str, Any] = body_of(res)
    assert doc["code"] == code, doc
    return doc


def keys(prefix: str) -> list[str]:
    out = s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in out.get("Contents", [])]


@pytest.fixture(autouse=True)
def _fresh_s3_client() -> Any:
    from helpdesk import attachments

    attachments.client.cache_clear()
    yield
    attachments.client.cache_clear()


ALICE = principal("alice")
BOB = principal("bob")
AGENT = principal("agnes", "agent")


# ---------------------------------------------------------------- upload requests


def test_request_upload_pins_key_type_size_and_expiry(aws: None) -> None:
    # Given a customer; When she asks to upload a PNG
    before = time.time()
    res = invoke(
        "create_attachment",
        event(
            "create_attachment",
            ALICE,
            body={"file_name": "../../etc/passwd.png", "content_type": "image/png", "size": 1234},
        ),
    )
    # Then the answer is a pending attachment with a presigned POST
    assert res["statusCode"] == 201, res["body"]
    att = body_of(res)
    assert res["headers"]["Location"] == f"/attachments/{att['id']}"
    assert att["status"] == "pending" and att["file_name"] == "passwd.png"
    post = att["upload"]
    fields = post["fields"]
    assert fields["key"] == f"uploads/{att['id']}"  # the server's key, not the file name
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert BUCKET in post["url"]
    # And the policy pins the key, the type, the exact size and a 5-minute expiry
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": f"uploads/{att['id']}"} in conditions
    assert {"bucket": BUCKET} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1234, 1234] in conditions
    expires = calendar.timegm(time.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert before + 290 <= expires <= time.time() + 310
    # And the pending item expires (TTL) a day later
    from helpdesk.store import codec as store_codec

    item = store_codec.client().get_item(
        TableName="helpdesk-test", Key={"PK": {"S": f"ATTACHMENT#{att['id']}"}, "SK": {"S": "A"}}
    )["Item"]
    assert before + 86_000 < int(item["ttl"]["N"]) < time.time() + 86_500
    assert item["owner_id"]["S"] == "alice" and item["status"]["S"] == "pending"


def test_too_large_is_413(aws: None) -> None:
    res = invoke(
        "create_attachment",
        event(
            "create_attachment",
            ALICE,
            body={"file_name": "big.pdf", "content_type": "application/pdf", "size": 10_485_761},
        ),
    )
    doc = assert_problem(res, 413, "ATTACHMENT_TOO_LARGE")
    assert doc["max_bytes"] == 10_485_760


@pytest.mark.parametrize("ctype", ["text/html", "image/svg+xml", "application/x-msdownload"])
def test_type_not_allowed_is_415(aws: None, ctype: str) -> None:
    body = {"file_name": "x", "content_type": ctype, "size": 10}
    res = invoke("create_attachment", event("create_attachment", ALICE, body=body))
    doc = assert_problem(res, 415, "ATTACHMENT_TYPE_NOT_ALLOWED")
    assert "image/png" in doc["allowed_types"]


def test_limits_come_from_the_environment(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import settings

    monkeypatch.setenv("ATTACHMENT_MAX_BYTES", "100")
    monkeypatch.setenv("ATTACHMENT_ALLOWED_TYPES", "application/pdf")
    settings.attachment_settings.cache_clear()
    try:
        big = {"file_name": "a.pdf", "content_type": "application/pdf", "size": 101}
        png = {"file_name": "a.png", "content_type": "image/png", "size": 10}
        assert_problem(
            invoke("create_attachment", event("create_attachment", ALICE, body=big)),
            413,
            "ATTACHMENT_TOO_LARGE",
        )
        assert_problem(
            invoke("create_attachment", event("create_attachment", ALICE, body=png)),
            415,
            "ATTACHMENT_TYPE_NOT_ALLOWED",
        )
    finally:
        settings.attachment_settings.cache_clear()


@pytest.mark.parametrize(
    "body",
    [
        {"file_name": "a.png", "content_type": "image/png", "size": 0},
        {"file_name": "a.png", "content_type": "image/png; charset=x", "size": 5},
        {"file_name": "", "content_type": "image/png", "size": 5},
        {"file_name": "/", "content_type": "image/png", "size": 5},
        {"file_name": "a.png", "content_type": "image/png", "size": 5, "key": "x"},
    ],
)
def test_bad_upload_requests_are_422(aws: None, body: dict[str, Any]) -> None:
    res = invoke("create_attachment", event("create_attachment", ALICE, body=body))
    assert_problem(res, 422, "VALIDATION_FAILED")


# ---------------------------------------------------------------- linking


def test_create_ticket_links_attachments_and_lists_them(aws: None) -> None:
    # Given two uploaded files
    a1 = uploaded(ALICE, file_name="one.png")
    a2 = uploaded(ALICE, b"name,qty\nbolts,3\n", content_type="text/csv", file_name="parts.csv")
    # When a ticket is opened with both
    res = create_ticket(ALICE, [a1, a2])
    # Then the ticket and its first message list them
    assert res["statusCode"] == 201, res["body"]
    ticket = body_of(res)
    refs = [a["id"] for a in ticket["attachments"]]
    assert refs == [a1, a2]
    assert ticket["messages"][0]["attachments"][1] == {
        "id": a2,
        "file_name": "parts.csv",
        "content_type": "text/csv",
        "size": 17,
    }
    # And each attachment is linked, its verified copy under files/<ticket>/<message>/
    message_id = ticket["messages"][0]["id"]
    assert sorted(keys("files/")) == sorted(
        f"files/{ticket['id']}/{message_id}/{a}" for a in (a1, a2)
    )
    meta = body_of(get(ALICE, a1))
    assert meta["status"] == "attached" and meta["ticket_id"] == ticket["id"]
    assert meta["message_id"] == message_id
    # And GET /tickets/{id} lists them too
    got = invoke("get_ticket", event("get_ticket", ALICE, path={"ticket_id": ticket["id"]}))
    assert [a["id"] for a in body_of(got)["attachments"]] == [a1, a2]


def test_reply_links_attachments(aws: None) -> None:
    ticket = body_of(create_ticket(ALICE, []))
    a1 = uploaded(ALICE)
    res = reply(ALICE, ticket["id"], [a1])
    assert res["statusCode"] == 201, res["body"]
    assert [a["id"] for a in body_of(res)["message"]["attachments"]] == [a1]
    got = body_of(
        invoke("get_ticket", event("get_ticket", ALICE, path={"ticket_id": ticket["id"]}))
    )
    assert [a["id"] for a in got["attachments"]] == [a1]
    assert got["messages"][1]["attachments"][0]["id"] == a1


def test_unknown_attachment_is_422(aws: None) -> None:
    doc = assert_problem(create_ticket(ALICE, ["att_nope"]), 422, "ATTACHMENT_UNKNOWN")
    assert doc["attachment_id"] == "att_nope"


def test_not_uploaded_is_422(aws: None) -> None:
    att = request_upload(ALICE)
    doc = assert_problem(create_ticket(ALICE, [att["id"]]), 422, "ATTACHMENT_NOT_UPLOADED")
    assert doc["attachment_id"] == att["id"]


def test_someone_elses_attachment_is_422(aws: None) -> None:
    theirs = uploaded(BOB)
    assert_problem(create_ticket(ALICE, [theirs]), 422, "ATTACHMENT_NOT_OWNED")
    # and Bob's attachment is untouched: he can still use it
    assert create_ticket(BOB, [theirs])["statusCode"] == 201


def test_reuse_on_a_second_ticket_is_422(aws: None) -> None:
    a1 = uploaded(ALICE)
    assert create_ticket(ALICE, [a1])["statusCode"] == 201
    assert_problem(create_ticket(ALICE, [a1]), 422, "ATTACHMENT_ALREADY_ATTACHED")
    other = body_of(create_ticket(ALICE, []))
    assert_problem(reply(ALICE, other["id"], [a1]), 422, "ATTACHMENT_ALREADY_ATTACHED")


def test_failed_write_leaves_no_copy_and_the_attachment_pending(aws: None) -> None:
    # Given Bob's ticket and Alice's checked-out upload; When Alice replies to Bob's ticket
    bobs = body_of(create_ticket(BOB, []))
    a1 = uploaded(ALICE)
    assert_problem(reply(ALICE, bobs["id"], [a1]), 404, "TICKET_NOT_FOUND")
    # Then the verified copy was discarded and the attachment can still be used
    assert keys("files/") == []
    assert body_of(get(ALICE, a1))["status"] == "pending"
    assert create_ticket(ALICE, [a1])["statusCode"] == 201


def test_listing_one_attachment_twice_is_422(aws: None) -> None:
    a1 = uploaded(ALICE)
    assert_problem(create_ticket(ALICE, [a1, a1]), 422, "VALIDATION_FAILED")


def test_more_than_five_is_422(aws: None) -> None:
    ids = [uploaded(ALICE) for _ in range(6)]
    assert_problem(create_ticket(ALICE, ids), 422, "VALIDATION_FAILED")


def test_oversized_upload_is_caught_at_link_time(aws: None) -> None:
    # Given an upload request for 100 bytes; When 5000 bytes are stored (moto, like any
    # backend that ignores the policy's content-length-range, accepts them)
    att = request_upload(ALICE, size=100)
    upload(att, PNG + b"\x00" * 5000)
    # Then linking refuses it and nothing is written or left behind
    doc = assert_problem(create_ticket(ALICE, [att["id"]]), 422, "ATTACHMENT_CONTENT_MISMATCH")
    assert "5" in doc["detail"] and "100" in doc["detail"]
    assert keys("files/") == []
    assert body_of(get(ALICE, att["id"]))["status"] == "pending"


def test_png_that_is_html_is_refused(aws: None) -> None:
    att = request_upload(ALICE, size=len(HTML), file_name="cat.png")
    upload(att, HTML)
    assert_problem(create_ticket(ALICE, [att["id"]]), 422, "ATTACHMENT_CONTENT_MISMATCH")
    assert keys("files/") == []


def test_uploaded_with_another_content_type_is_refused(aws: None) -> None:
    att = request_upload(ALICE)
    upload(att, PNG, content_type="text/html")
    assert_problem(create_ticket(ALICE, [att["id"]]), 422, "ATTACHMENT_CONTENT_MISMATCH")


def test_text_that_is_html_is_refused(aws: None) -> None:
    att = request_upload(ALICE, size=len(HTML), content_type="text/plain", file_name="a.txt")
    upload(att, HTML)
    assert_problem(create_ticket(ALICE, [att["id"]]), 422, "ATTACHMENT_CONTENT_MISMATCH")


def test_one_bad_attachment_links_none(aws: None) -> None:
    good = uploaded(ALICE)
    bad = request_upload(ALICE)["id"]  # never uploaded
    assert_problem(create_ticket(ALICE, [good, bad]), 422, "ATTACHMENT_NOT_UPLOADED")
    assert body_of(get(ALICE, good))["status"] == "pending"
    assert keys("files/") == []


def test_expired_pending_attachment_is_unknown(aws: None) -> None:
    import time_machine

    a1 = uploaded(ALICE)
    with time_machine.travel(time.time() + 24 * 3600 + 60, tick=False):
        assert_problem(create_ticket(ALICE, [a1]), 422, "ATTACHMENT_UNKNOWN")


def test_retry_with_idempotency_key_attaches_once(aws: None) -> None:
    a1 = uploaded(ALICE)
    first = create_ticket(ALICE, [a1], **{"idempotency-key": "k1"})
    again = create_ticket(ALICE, [a1], **{"idempotency-key": "k1"})
    assert first["statusCode"] == again["statusCode"] == 201
    assert body_of(first)["id"] == body_of(again)["id"]
    assert len(keys("files/")) == 1
    # without the key, the retry is a new request and the attachment is taken
    assert_problem(create_ticket(ALICE, [a1]), 422, "ATTACHMENT_ALREADY_ATTACHED")


def test_link_race_cancels_the_transaction_and_discards_the_copy(aws: None) -> None:
    """Checked as pending, then linked by another request before our write: nothing is written."""
    from helpdesk import attachments
    from helpdesk.errors import AttachmentAlreadyAttachedError
    from helpdesk.principal import Principal
    from helpdesk.store import tickets as store_tickets

    ticket = body_of(create_ticket(ALICE, []))
    a1 = uploaded(ALICE)
    p = Principal(user_id="alice")
    ours = attachments.prepare_links(p, [a1], ticket_id=ticket["id"], message_id="msg_ours")
    theirs = attachments.prepare_links(p, [a1], ticket_id=ticket["id"], message_id="msg_theirs")
    old = store_tickets.get_ticket(ticket["id"])
    assert old is not None
    new = old.model_copy(update={"version": old.version + 1})
    store_tickets.save_ticket(old, new, [], [], theirs.links)
    with pytest.raises(AttachmentAlreadyAttachedError), attachments.linking(ours):
        store_tickets.save_ticket(
            new, new.model_copy(update={"version": new.version + 1}), [], [], ours.links
        )
    assert keys("files/") == [f"files/{ticket['id']}/msg_theirs/{a1}"]
    assert store_tickets.get_ticket(ticket["id"]).version == new.version  # type: ignore[union-attr]


# ---------------------------------------------------------------- download


def test_download_url_is_presigned_with_attachment_disposition(aws: None) -> None:
    a1 = uploaded(ALICE, file_name='Résumé "final".png')
    res = get(ALICE, a1)
    assert res["statusCode"] == 200, res["body"]
    meta = body_of(res)
    assert meta["file_name"] == 'Résumé "final".png' and meta["size"] == len(PNG)
    url = urlsplit(meta["download_url"])
    q = parse_qs(url.query)
    assert url.path.endswith(f"uploads/{a1}")
    assert q["X-Amz-Expires"] == ["300"]
    assert q["response-content-type"] == ["image/png"]
    assert q["response-content-disposition"] == [
        "attachment; filename=\"R_sum_ _final_.png\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.png"
    ]
    assert res["headers"]["Cache-Control"] == "no-store"


def test_redirect_true_is_302(aws: None) -> None:
    a1 = uploaded(ALICE)
    res = get(ALICE, a1, redirect="true")
    assert res["statusCode"] == 302, res["body"]
    assert "X-Amz-Signature=" in res["headers"]["Location"]


def test_who_may_see_an_attachment(aws: None) -> None:
    # Given Alice (of acme) attaches a file to her ticket
    alice = principal("alice", org="acme")
    a1 = uploaded(alice)
    pending = uploaded(alice)
    assert create_ticket(alice, [a1])["statusCode"] == 201
    # Then she, staff and her org manager see it; others get 404
    assert get(alice, a1)["statusCode"] == 200
    assert get(AGENT, a1)["statusCode"] == 200
    assert get(principal("mia", "customer,org_manager", "acme"), a1)["statusCode"] == 200
    assert_problem(get(BOB, a1), 404, "ATTACHMENT_NOT_FOUND")
    assert_problem(
        get(principal("max", "customer,org_manager", "other"), a1), 404, "ATTACHMENT_NOT_FOUND"
    )
    assert_problem(get(principal("colleague", "customer", "acme"), a1), 404, "ATTACHMENT_NOT_FOUND")
    # And a pending upload is its uploader's only, staff included
    assert get(alice, pending)["statusCode"] == 200
    assert_problem(get(AGENT, pending), 404, "ATTACHMENT_NOT_FOUND")
    assert_problem(get(ALICE, "att_nope"), 404, "ATTACHMENT_NOT_FOUND")


def test_internal_note_attachment_is_staff_only(aws: None) -> None:
    """A note's attachment (linked as the staff desk does) is hidden from the ticket's owner."""
    from helpdesk import attachments
    from helpdesk.principal import Principal, Role
    from helpdesk.store import tickets as store_tickets

    ticket = body_of(create_ticket(ALICE, []))
    note_file = uploaded(AGENT)
    staff = Principal(user_id="agnes", roles=frozenset({Role.AGENT}))
    plan = attachments.prepare_links(
        staff, [note_file], ticket_id=ticket["id"], message_id="msg_note", internal=True
    )
    old = store_tickets.get_ticket(ticket["id"])
    assert old is not None
    with attachments.linking(plan):
        store_tickets.save_ticket(
            old, old.model_copy(update={"version": old.version + 1}), [], [], plan.links
        )
    assert get(AGENT, note_file)["statusCode"] == 200
    assert get(principal("otto", "admin"), note_file)["statusCode"] == 200
    assert_problem(get(ALICE, note_file), 404, "ATTACHMENT_NOT_FOUND")


# ---------------------------------------------------------------- delete


def test_uploader_deletes_a_pending_attachment_and_its_object(aws: None) -> None:
    a1 = uploaded(ALICE)
    assert keys("uploads/") == [f"uploads/{a1}"]
    assert_problem(delete(BOB, a1), 404, "ATTACHMENT_NOT_FOUND")
    res = delete(ALICE, a1)
    assert res["statusCode"] == 204, res["body"]
    assert keys("uploads/") == []
    assert_problem(get(ALICE, a1), 404, "ATTACHMENT_NOT_FOUND")
    assert_problem(delete(ALICE, a1), 404, "ATTACHMENT_NOT_FOUND")
    assert_problem(create_ticket(ALICE, [a1]), 422, "ATTACHMENT_UNKNOWN")


def test_delete_once_attached_is_409(aws: None) -> None:
    a1 = uploaded(ALICE)
    assert create_ticket(ALICE, [a1])["statusCode"] == 201
    assert_problem(delete(ALICE, a1), 409, "ATTACHMENT_IN_USE")
    assert_problem(delete(AGENT, a1), 403, "FORBIDDEN")
    assert len(keys("files/")) == 1


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    "ctype, head, ok",
    [
        ("image/png", PNG, True),
        ("image/png", HTML, False),
        ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF", True),
        ("image/gif", b"GIF89a....", True),
        ("image/webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", True),
        ("image/webp", b"RIFF\x10\x00\x00\x00AVI LIST", False),
        ("application/pdf", b"%PDF-1.7\n", True),
        ("application/pdf", b"\n%PDF-1.7", False),
        ("application/zip", b"PK\x03\x04\x14\x00", True),
        ("text/plain", "héllo wörld\r\n".encode(), True),
        ("text/plain", "caf\xe9".encode("latin-1"), True),
        ("text/plain", b"\xef\xbb\xbf  <HTML><body>", False),
        ("text/csv", b"a,b\x00c", False),
    ],
)
def test_content_matches(ctype: str, head: bytes, ok: bool) -> None:
    from helpdesk.attachments import content_matches

    assert content_matches(ctype, head) is ok


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        ("  spaced .txt ", "spaced .txt"),
    ],
)
def test_clean_file_name(raw: str, clean: str) -> None:
    from helpdesk.attachments import clean_file_name

    assert clean_file_name(raw) == clean


def test_only_the_attachments_module_talks_to_s3() -> None:
    from tests.conftest import ROOT

    sources = [*(ROOT / "layers" / "shared").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    users = {
        p.relative_to(ROOT).as_posix()
        for p in sources
        if any(s in p.read_text() for s in ('client("s3"', "client('s3'", "mypy_boto3_s3"))
    }
    assert users == {"layers/shared/helpdesk/attachments.py"}
