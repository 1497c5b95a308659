"""Mail in, locally (local.inbound, the runner's `POST /_local/inbound`, `make mail-in`): a raw
message stored where SES's receipt rule stores it, S3's notification of it in the queue the
bucket notifies, and the functions given the inbound bucket's own name."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from local import inbound, mail_in
from local.backend import Backend, local_session
from local.runner import Gateway
from local.template import app
from tests.conftest import BUCKET, REGION, ROOT, TABLE

INBOUND_BUCKET = "helpdesk-local-inbound-123456789012-us-east-1"  # the template's, resolved
RAW = (ROOT / "tests" / "fixtures" / "mail" / "gmail_reply.eml").read_bytes()


def _refs() -> dict[str, str]:
    from tests import conftest

    return conftest._refs


def _queued(queue: str = "InboundMailQueue") -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    out = sqs.receive_message(QueueUrl=_refs()[queue], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in out.get("Messages", [])]


def test_the_drop_is_the_receipt_rules_s3_action_and_the_buckets_notification() -> None:
    where = inbound.drop(app())
    assert (where.bucket, where.prefix) == ("InboundMailBucket", "inbound/")
    assert where.notified("inbound/abc") == ["InboundMailQueue"]
    assert where.notified("AMAZON_SES_SETUP_NOTIFICATION") == []  # outside the prefix


def test_the_backend_creates_the_inbound_bucket_under_its_template_name(aws: None) -> None:
    assert _refs()["InboundMailBucket"] == INBOUND_BUCKET
    assert _refs()["InboundMailBucket.Arn"] == f"arn:aws:s3:::{INBOUND_BUCKET}"
    assert _refs()["AttachmentsBucket"] == BUCKET
    s3 = boto3.client("s3", region_name=REGION)
    block = s3.get_public_access_block(Bucket=INBOUND_BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert s3.get_bucket_versioning(Bucket=INBOUND_BUCKET)["Status"] == "Enabled"
    # and no notification is configured in moto (it would queue S3's test event now)
    config = s3.get_bucket_notification_configuration(Bucket=INBOUND_BUCKET)
    assert not config.get("QueueConfigurations")
    assert _queued() == []


def test_a_stored_message_is_the_bytes_under_inbound_and_s3s_notice_of_it(aws: None) -> None:
    # When a message is received
    stored = inbound.store(app(), _refs(), RAW, local_session(REGION), region=REGION)
    # Then its bytes are in the inbound bucket under inbound/<uuid4 hex>, as given
    assert stored["bucket"] == INBOUND_BUCKET
    assert re.fullmatch(r"inbound/[0-9a-f]{32}", stored["key"])
    s3 = boto3.client("s3", region_name=REGION)
    obj = s3.get_object(Bucket=INBOUND_BUCKET, Key=stored["key"])
    assert obj["Body"].read() == RAW
    # and the queue holds S3's event notification of it (the real JSON shape)
    (notice,) = _queued()
    (record,) = notice["Records"]
    assert record["eventVersion"] == "2.1" and record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put" and record["awsRegion"] == REGION
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"])
    assert record["s3"]["s3SchemaVersion"] == "1.0"
    assert record["s3"]["bucket"] == {
        "name": INBOUND_BUCKET,
        "arn": f"arn:aws:s3:::{INBOUND_BUCKET}",
    }
    obj_ref = record["s3"]["object"]
    assert obj_ref["key"] == stored["key"] and obj_ref["size"] == len(RAW)
    assert obj_ref["eTag"] == obj["ETag"].strip('"')
    assert stored["notified"] == ["InboundMailQueue"]


def test_a_bucket_that_notifies_the_queue_itself_is_not_notified_twice(aws: None) -> None:
    # Given the bucket configured as the template says (moto honours it, as S3 does)
    s3 = boto3.client("s3", region_name=REGION)
    arn = _refs()["InboundMailQueue.Arn"]
    s3.put_bucket_notification_configuration(
        Bucket=INBOUND_BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "inbound/"}]}},
                }
            ]
        },
    )
    boto3.client("sqs", region_name=REGION).purge_queue(QueueUrl=_refs()["InboundMailQueue"])
    # When a message is received
    stored = inbound.store(app(), _refs(), RAW, local_session(REGION), region=REGION)
    # Then the queue holds one notice of it: S3's (moto's), none of ours
    assert stored["notified"] == []
    (notice,) = _queued()
    assert notice["Records"][0]["s3"]["bucket"]["name"] == INBOUND_BUCKET


@pytest.fixture
def gateway(aws: None) -> Iterator[Gateway]:
    """The runner's gateway on the in-process moto backend, its pump off (no workers)."""
    backend = Backend("moto", None, {}, TABLE, BUCKET, secrets=dict(_refs()))
    gw = Gateway(app(), backend, port=0, concurrency=1)
    yield gw
    gw.close()


def test_the_functions_get_the_inbound_buckets_own_name(gateway: Gateway) -> None:
    receive = gateway.environment(app().functions["ReceiveMailFunction"])
    assert receive["INBOUND_BUCKET"] == INBOUND_BUCKET
    assert receive["BUCKET_NAME"] == BUCKET
    link = gateway.environment(app().functions["AdminGetInboundFunction"])
    assert link["INBOUND_BUCKET"] == INBOUND_BUCKET


def test_the_route_stores_and_queues_with_the_pump_off(gateway: Gateway) -> None:
    # Given the runner with its pump off; When a raw message is posted (any content type)
    status, headers, body = gateway.serve(
        "POST", "/_local/inbound", {"content-type": "text/plain"}, RAW, "127.0.0.1"
    )
    # Then it answers 202 with where it is, the object is there and its notice is queued
    assert status == 202, body
    answer = json.loads(body)
    assert set(answer) == {"bucket", "key"} and answer["bucket"] == INBOUND_BUCKET
    s3 = boto3.client("s3", region_name=REGION)
    assert s3.get_object(Bucket=INBOUND_BUCKET, Key=answer["key"])["Body"].read() == RAW
    (notice,) = _queued()
    assert notice["Records"][0]["s3"]["object"]["key"] == answer["key"]


@pytest.mark.parametrize("raw", [b"", b"\r\n  \n"])
def test_an_empty_message_is_a_400_problem(gateway: Gateway, raw: bytes) -> None:
    status, headers, body = gateway.serve("POST", "/_local/inbound", {}, raw, "127.0.0.1")
    assert status == 400
    assert ("Content-Type", "application/problem+json") in headers
    problem = json.loads(body)
    assert problem["code"] == "VALIDATION_FAILED" and problem["status"] == 400
    assert problem["instance"] == "/_local/inbound"
    assert _queued() == []


def test_other_methods_are_not_the_route(gateway: Gateway) -> None:
    status, _, body = gateway.serve("GET", "/_local/inbound", {}, b"", "127.0.0.1")
    assert status == 404 and json.loads(body)["code"] == "LOCAL_ROUTE_NOT_FOUND"


def test_mail_in_posts_the_file_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    got: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got["path"] = self.path
            got["type"] = self.headers["Content-Type"]
            got["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            out = json.dumps({"bucket": "b", "key": "inbound/k"}).encode()
            self.send_response(202)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    message = tmp_path / "x.eml"
    message.write_bytes(RAW)
    try:
        assert mail_in.main([str(message), "--port", str(server.server_address[1])]) == 0
    finally:
        thread.join(5)
        server.server_close()
    assert got == {"path": "/_local/inbound", "type": "message/rfc822", "body": RAW}
    assert "s3://b/inbound/k" in capsys.readouterr().out
    assert mail_in.main([str(tmp_path / "missing.eml")]) == 2
