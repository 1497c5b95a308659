"""Attachments end to end through the local runner: the upload is a real multipart POST to
the presigned URL (httpx and curl), downloads go through the presigned GET."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!doctype html><html><script>fetch('/steal')</script></html>"


def assert_problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, Any] = resp.json()
    assert doc["code"] == code, doc
    return doc


def request_upload(
    api: httpx.Client, data: bytes, content_type: str = "image/png", name: str = "shot.png"
) -> dict[str, Any]:
    resp = api.post(
        "/attachments", json={"file_name": name, "content_type": content_type, "size": len(data)}
    )
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


def post_file(att: dict[str, Any], data: bytes, content_type: str | None = None) -> httpx.Response:
    """The browser's form POST: the policy's fields first, the file last."""
    up = att["upload"]
    ctype = content_type or up["fields"]["Content-Type"]
    # S3 stores the form's Content-Type field; a different one breaks the policy (not on moto)
    return httpx.post(
        up["url"],
        data=up["fields"] | {"Content-Type": ctype},
        files={"file": (att["file_name"], data, ctype)},
        headers={"Origin": "http://localhost:8080"},
        timeout=30,
    )


def uploaded(api: httpx.Client, data: bytes = PNG, **kw: Any) -> str:
    att = request_upload(api, data, **kw)
    assert post_file(att, data).status_code == 204
    return str(att["id"])


def open_ticket(api: httpx.Client, ids: list[str]) -> httpx.Response:
    return api.post(
        "/tickets", json={"subject": "Files", "message": "See attached", "attachment_ids": ids}
    )


def test_upload_attach_download_delete(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        # Given an upload request; the URL is path-style on 127.0.0.1 (reachable as is)
        att = request_upload(api, PNG)
        url = urlsplit(att["upload"]["url"])
        assert url.hostname == "127.0.0.1" and url.path == "/helpdesk-local-attachments"
        # When the file is POSTed as multipart/form-data, as a browser form would
        resp = post_file(att, PNG)
        assert resp.status_code == 204, resp.text
        assert resp.headers.get("access-control-allow-origin")  # CORS for browser pages
        # And a ticket is opened with it, and a reply adds a PDF
        created = open_ticket(api, [att["id"]])
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert ticket["attachments"] == [
            {
                "id": att["id"],
                "file_name": "shot.png",
                "content_type": "image/png",
                "size": len(PNG),
            }
        ]
        pdf = uploaded(api, PDF, content_type="application/pdf", name="invoice.pdf")
        replied = api.post(
            f"/tickets/{ticket['id']}/messages",
            json={"message": "and the invoice", "attachment_ids": [pdf]},
        )
        assert replied.status_code == 201, replied.text
        assert [a["id"] for a in replied.json()["message"]["attachments"]] == [pdf]
        thread = api.get(f"/tickets/{ticket['id']}").json()
        assert [a["id"] for a in thread["attachments"]] == [att["id"], pdf]
        # Then each downloads through its presigned GET, byte for byte, as an attachment
        for attachment_id, data, name in ((att["id"], PNG, "shot.png"), (pdf, PDF, "invoice.pdf")):
            meta = api.get(f"/attachments/{attachment_id}")
            assert meta.status_code == 200, meta.text
            assert meta.json()["status"] == "attached"
            got = httpx.get(meta.json()["download_url"], timeout=30)
            assert got.status_code == 200 and got.content == data
            assert got.headers["content-disposition"].startswith("attachment;")
            assert f'filename="{name}"' in got.headers["content-disposition"]
        # And ?redirect=true answers 302 to the same kind of URL
        redirect = api.get(f"/attachments/{att['id']}", params={"redirect": "true"})
        assert redirect.status_code == 302
        assert httpx.get(redirect.headers["location"], timeout=30).content == PNG
        # And once attached it cannot be deleted
        assert_problem(api.delete(f"/attachments/{att['id']}"), 409, "ATTACHMENT_IN_USE")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_curl_can_upload_and_download(runner: Runner, user: str, tmp_path: Path) -> None:
    data = b"order,qty\nwidgets,3\n"
    path = tmp_path / "order.csv"
    path.write_bytes(data)
    with runner.client(user) as api:
        att = request_upload(api, data, content_type="text/csv", name="order.csv")
        form = [arg for k, v in att["upload"]["fields"].items() for arg in ("-F", f"{k}={v}")]
        out = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *form,
             "-F", f"file=@{path};type=text/csv", att["upload"]["url"]],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        assert out.stdout == "204"
        assert open_ticket(api, [att["id"]]).status_code == 201
        url = api.get(f"/attachments/{att['id']}").json()["download_url"]
    got = subprocess.run(
        ["curl", "-s", "-D", "-", url], capture_output=True, timeout=30, check=True
    ).stdout
    headers, _, body = got.partition(b"\r\n\r\n")
    assert body == data
    assert b'attachment; filename="order.csv"' in headers


def test_cors_preflight_on_the_bucket(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        att = request_upload(api, PNG)
    resp = httpx.options(
        att["upload"]["url"],
        headers={"Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST"},
    )
    assert resp.status_code in (200, 204)
    assert "POST" in resp.headers["access-control-allow-methods"]


def test_policy_conditions(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        att = request_upload(api, PNG)
    policy = json.loads(base64.b64decode(att["upload"]["fields"]["policy"]))
    assert {"key": f"uploads/{att['id']}"} in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert ["content-length-range", len(PNG), len(PNG)] in policy["conditions"]


def test_oversized_upload_gets_past_moto_but_not_past_linking(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        att = request_upload(api, PNG)
        # moto accepts a body outside the policy's content-length-range (real S3 would
        # answer 400 EntityTooLarge): the server's own check must catch it
        big = PNG + b"\x00" * (64 * 1024)
        assert post_file(att, big).status_code == 204
        doc = assert_problem(open_ticket(api, [att["id"]]), 422, "ATTACHMENT_CONTENT_MISMATCH")
        assert doc["attachment_id"] == att["id"]


def test_png_that_is_html_is_refused(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        att = request_upload(api, HTML, content_type="image/png", name="cat.png")
        assert post_file(att, HTML).status_code == 204
        assert_problem(open_ticket(api, [att["id"]]), 422, "ATTACHMENT_CONTENT_MISMATCH")
        # a form Content-Type other than the declared one (the policy forbids it; moto
        # lets it through) is refused too
        other = request_upload(api, PNG)
        assert post_file(other, PNG, content_type="text/html").status_code == 204
        assert_problem(open_ticket(api, [other["id"]]), 422, "ATTACHMENT_CONTENT_MISMATCH")


def test_reuse_on_two_tickets_is_refused(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        attachment_id = uploaded(api)
        assert open_ticket(api, [attachment_id]).status_code == 201
        assert_problem(open_ticket(api, [attachment_id]), 422, "ATTACHMENT_ALREADY_ATTACHED")


def test_another_users_attachment(runner: Runner, user: str) -> None:
    with runner.client(user + "b") as bob:
        theirs = uploaded(bob)
    with runner.client(user) as api:
        assert_problem(open_ticket(api, [theirs]), 422, "ATTACHMENT_NOT_OWNED")
        assert_problem(api.get(f"/attachments/{theirs}"), 404, "ATTACHMENT_NOT_FOUND")
        assert_problem(api.delete(f"/attachments/{theirs}"), 404, "ATTACHMENT_NOT_FOUND")


def test_unknown_and_not_uploaded(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        assert_problem(open_ticket(api, ["att_nope"]), 422, "ATTACHMENT_UNKNOWN")
        att = request_upload(api, PNG)
        assert_problem(open_ticket(api, [att["id"]]), 422, "ATTACHMENT_NOT_UPLOADED")
        # deleting the pending one removes it for good
        assert api.delete(f"/attachments/{att['id']}").status_code == 204
        assert_problem(api.get(f"/attachments/{att['id']}"), 404, "ATTACHMENT_NOT_FOUND")


def test_upload_request_limits(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        too_big = {"file_name": "a.zip", "content_type": "application/zip", "size": 10 * 2**20 + 1}
        assert_problem(api.post("/attachments", json=too_big), 413, "ATTACHMENT_TOO_LARGE")
        html = {"file_name": "a.html", "content_type": "text/html", "size": 10}
        assert_problem(api.post("/attachments", json=html), 415, "ATTACHMENT_TYPE_NOT_ALLOWED")


def test_staff_and_ticket_owner_see_it_others_do_not(runner: Runner, user: str) -> None:
    with runner.client(user, org="acme") as api:
        attachment_id = uploaded(api)
        assert open_ticket(api, [attachment_id]).status_code == 201
    with runner.client(user + "s", role="agent") as agent:
        assert agent.get(f"/attachments/{attachment_id}").status_code == 200
    with runner.client(user + "m", role="org_manager", org="acme") as manager:
        assert manager.get(f"/attachments/{attachment_id}").status_code == 200
    with runner.client(user + "x", org="acme") as colleague:
        assert_problem(colleague.get(f"/attachments/{attachment_id}"), 404, "ATTACHMENT_NOT_FOUND")
