"""The attachments bucket and who may touch it: private, encrypted, CORS for browser uploads,
unlinked uploads expire; only the functions that upload, link or download attachments get
S3 access, and only to the prefixes they use. The same for the inbound mail bucket (SES's
received messages, tests/template/test_inbound_template.py): read by the receiving function
and presigned for staff, nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.template import App, Function
from local.template import app as load_app

UPLOADS = "${AttachmentsBucket.Arn}/uploads/*"
FILES = "${AttachmentsBucket.Arn}/files/*"
INBOUND = "${InboundMailBucket.Arn}/inbound/*"
# function -> {prefix: actions}; anything else with S3 access fails the test
EXPECTED = {
    "CreateAttachmentFunction": {UPLOADS: {"s3:PutObject"}},
    "GetAttachmentFunction": {UPLOADS: {"s3:GetObject"}, FILES: {"s3:GetObject"}},
    "DeleteAttachmentFunction": {UPLOADS: {"s3:DeleteObject"}},
    "CreateTicketFunction": {
        UPLOADS: {"s3:GetObject"},
        FILES: {"s3:PutObject", "s3:DeleteObjectVersion"},
    },
    "ReplyTicketFunction": {
        UPLOADS: {"s3:GetObject"},
        FILES: {"s3:PutObject", "s3:DeleteObjectVersion"},
    },
    "AdminCreateTicketFunction": {
        UPLOADS: {"s3:GetObject"},
        FILES: {"s3:PutObject", "s3:DeleteObjectVersion"},
    },
    # erasure also removes the uploads/ originals of the requester's attachments, and every
    # version of the raw messages of the mail he sent or that came into his tickets
    "AdminEraseRequesterFunction": {
        "${AttachmentsBucket.Arn}": {"s3:ListBucketVersions"},
        FILES: {"s3:DeleteObjectVersion"},
        UPLOADS: {"s3:DeleteObjectVersion"},
        "${InboundMailBucket.Arn}": {"s3:ListBucketVersions"},
        INBOUND: {"s3:DeleteObjectVersion"},
    },
    # the change consumers purge TTL-deleted tickets: every version of their files and of
    # their received mail's raw messages
    "ProcessChangesFunction": {
        "${AttachmentsBucket.Arn}": {"s3:ListBucketVersions"},
        FILES: {"s3:DeleteObjectVersion"},
        "${InboundMailBucket.Arn}": {"s3:ListBucketVersions"},
        INBOUND: {"s3:DeleteObjectVersion"},
    },
    # the web console presigns uploads, links them (new ticket, reply) and presigns the
    # downloads of linked files from the thread
    "WebConsoleFunction": {
        UPLOADS: {"s3:GetObject", "s3:PutObject"},
        FILES: {"s3:GetObject", "s3:PutObject", "s3:DeleteObjectVersion"},
    },
    # mail in: reads what SES stored, puts each attached file in uploads/ and links it as a
    # reply links an upload (verify, copy into files/, discard the copy on failure)
    "ReceiveMailFunction": {
        INBOUND: {"s3:GetObject"},
        UPLOADS: {"s3:GetObject", "s3:PutObject"},
        FILES: {"s3:PutObject", "s3:DeleteObjectVersion"},
    },
    # presigns the link to a received message's raw .eml (staff only)
    "AdminGetInboundFunction": {INBOUND: {"s3:GetObject"}},
}
# the bucket each environment variable names, and the grants (by resource prefix) on it
BUCKET_ENV = {"BUCKET_NAME": "AttachmentsBucket", "INBOUND_BUCKET": "InboundMailBucket"}


@pytest.fixture(scope="module")
def tpl() -> App:
    return load_app()


def _bucket(tpl: App) -> dict[str, Any]:
    props: dict[str, Any] = tpl.resources("AWS::S3::Bucket")["AttachmentsBucket"]["Properties"]
    return props


def _s3_grants(fn: Function) -> dict[str, set[str]]:
    """prefix resource -> S3 actions granted on it."""
    grants: dict[str, set[str]] = {}
    for stmt in fn.statements:
        actions = {a for a in stmt["Action"] if a.startswith("s3:")}
        if not actions:
            continue
        resources = stmt["Resource"] if isinstance(stmt["Resource"], list) else [stmt["Resource"]]
        for res in resources:
            key = res.get("Fn::Sub") if isinstance(res, dict) else None
            assert isinstance(key, str), f"S3 grant on {json.dumps(res)}: use a prefix ARN"
            grants.setdefault(key, set()).update(actions)
    return grants


def test_bucket_is_private_and_encrypted(tpl: App) -> None:
    props = _bucket(tpl)
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_bucket_allows_browser_uploads_and_downloads(tpl: App) -> None:
    (rule,) = _bucket(tpl)["CorsConfiguration"]["CorsRules"]
    assert {"POST", "GET"} <= set(rule["AllowedMethods"])
    assert "PUT" not in rule["AllowedMethods"] and "DELETE" not in rule["AllowedMethods"]
    assert rule["AllowedOrigins"] and rule["AllowedHeaders"]


def test_unlinked_uploads_expire_with_the_pending_window(tpl: App) -> None:
    from helpdesk.attachments import PENDING_SECONDS, UPLOAD_PREFIX

    rules = {r["Id"]: r for r in _bucket(tpl)["LifecycleConfiguration"]["Rules"]}
    uploads = rules["expire-unattached-uploads"]
    assert uploads["Status"] == "Enabled" and uploads["Prefix"] == UPLOAD_PREFIX
    # the object must outlive the item's linking window (S3 rounds up to midnight UTC)
    assert uploads["ExpirationInDays"] * 86_400 >= PENDING_SECONDS
    assert uploads["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1
    # nothing expires linked files
    assert all(
        r.get("Prefix", "") in (UPLOAD_PREFIX,) or "ExpirationInDays" not in r
        for r in rules.values()
    )


def test_insecure_transport_is_denied(tpl: App) -> None:
    policies = tpl.resources("AWS::S3::BucketPolicy").values()
    covered = {p["Properties"]["Bucket"]["Ref"] for p in policies}
    assert covered == set(tpl.resources("AWS::S3::Bucket"))  # every bucket has its policy
    for policy in policies:
        (stmt,) = [
            s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"
        ]
        assert stmt["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_only_attachment_functions_reach_s3_and_only_their_prefixes(tpl: App) -> None:
    with_s3 = {}
    for name, fn in tpl.functions.items():
        grants = _s3_grants(fn)
        for var, bucket in BUCKET_ENV.items():
            on_bucket = any(k.startswith(f"${{{bucket}.Arn}}") for k in grants)
            assert on_bucket == (var in fn.environment), (
                f"{name}: {var} without S3 access to {bucket} or vice versa"
            )
        if grants:
            with_s3[name] = grants
    # Functions the lead wires later (the staff reply) link like the customer reply does.
    for name, grants in with_s3.items():
        routes = {r.key for r in tpl.functions[name].routes}
        expected = EXPECTED.get(name)
        if expected is None:
            assert any(
                k.startswith("POST ") and k.endswith(("/messages", "/notes")) for k in routes
            ), f"{name} ({routes}) has S3 access but does not handle attachments"
            expected = EXPECTED["ReplyTicketFunction"]
        assert grants == expected, f"{name}: {grants}"
    assert set(EXPECTED) <= set(with_s3)


def test_the_bucket_name_is_the_template_bucket(tpl: App) -> None:
    for name, fn in tpl.functions.items():
        for var, bucket in BUCKET_ENV.items():
            if var in fn.environment:
                assert fn.environment[var] == {"Ref": bucket}, name


def test_upload_limits_are_parameters_with_the_layer_defaults(tpl: App) -> None:
    from helpdesk.settings import AttachmentSettings

    params = tpl.doc["Parameters"]
    env = tpl.functions["CreateAttachmentFunction"].environment
    assert env["ATTACHMENT_MAX_BYTES"] == {"Ref": "AttachmentMaxBytes"}
    assert env["ATTACHMENT_ALLOWED_TYPES"] == {"Ref": "AttachmentAllowedTypes"}
    defaults = AttachmentSettings(bucket_name="b")
    assert int(params["AttachmentMaxBytes"]["Default"]) == defaults.attachment_max_bytes
    assert params["AttachmentAllowedTypes"]["Default"] == defaults.attachment_allowed_types
