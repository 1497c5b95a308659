"""Attachments: the only module that talks to S3.

The bytes never pass through Lambda. A client asks for an upload
(`request_upload`) and gets a presigned POST whose policy pins the key, the
content type, the exact size and a 5-minute expiry; it uploads to
`uploads/<attachment_id>`. When a message references the attachment,
`prepare_links` checks the object (size, type and first bytes, pinned to
one ETag), copies it to `files/<ticket>/<message>/<attachment_id>` (out of
reach of the `uploads/` lifecycle rule) and returns the links `store` writes
in the message's own transaction. Downloads are presigned GETs.

Keys, flow and the cleanup window: docs/design.md, "2.3 Attachments".
`ClientError`s become domain errors here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import ClientError

from helpdesk import ratelimit
from helpdesk.aws import error_code, new_client
from helpdesk.clock import iso, now
from helpdesk.domain import Attachment, AttachmentRef, AttachmentStatus
from helpdesk.errors import (
    AttachmentAlreadyAttachedError,
    AttachmentContentMismatchError,
    AttachmentNotFoundError,
    AttachmentNotOwnedError,
    AttachmentNotUploadedError,
    AttachmentStorageError,
    AttachmentTooLargeError,
    AttachmentTypeNotAllowedError,
    AttachmentUnknownError,
    ForbiddenError,
    ValidationFailedError,
)
from helpdesk.ids import new_id
from helpdesk.models.attachments import (
    AttachmentResponse,
    AttachmentUploadResponse,
    CreateAttachmentRequest,
    PresignedPost,
)
from helpdesk.principal import Principal
from helpdesk.settings import attachment_settings, inbound_settings
from helpdesk.store import attachments as store_attachments
from helpdesk.store import tickets as store_tickets

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

logger = Logger(service="helpdesk")

UPLOAD_PREFIX = "uploads/"  # pending uploads; the bucket's lifecycle rule expires them
FILES_PREFIX = "files/"  # verified copies of linked attachments; kept
PRESIGN_SECONDS = 300  # presigned POST and GET lifetime
# A pending attachment can be linked for this long after the upload was requested.
# The bucket expires `uploads/` objects 1 day after they are written (rounded up to
# the next midnight UTC), so the object always outlives the item's window.
PENDING_SECONDS = 24 * 3600
SNIFF_BYTES = 512

# ---------------------------------------------------------------- plumbing


@lru_cache(maxsize=1)
def client() -> S3Client:
    """The S3 client: SigV4 URLs, virtual-hosted on AWS, path-style on a local endpoint."""
    config = Config(
        signature_version="s3v4",
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=2,
    )
    s3: S3Client = new_client("s3", config)
    host = urlsplit(s3.meta.endpoint_url).hostname or ""
    if not host.endswith(".amazonaws.com"):
        # AWS_ENDPOINT_URL (the local runner's moto): bucket.127.0.0.1 does not resolve.
        s3 = new_client("s3", config.merge(Config(s3={"addressing_style": "path"})))
    return s3


def _bucket() -> str:
    return attachment_settings().bucket_name


def _expiry(seconds: int) -> str:
    return iso(now() + timedelta(seconds=seconds))


# ---------------------------------------------------------------- names and types


def clean_file_name(raw: str) -> str:
    """The name without directories, control or bidi-formatting characters (kept for display)."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    name = unicodedata.normalize("NFC", name).strip()
    if name in ("", ".", ".."):
        raise ValidationFailedError("file_name must name a file")
    return name


def content_disposition(file_name: str) -> str:
    """`attachment` with an ASCII fallback and the exact name in RFC 5987 `filename*`."""
    fallback = "".join(
        c if 0x20 <= ord(c) < 0x7F and c not in '"\\%;' else "_" for c in file_name
    ).strip()
    return (
        f'attachment; filename="{fallback or "download"}"; '
        f"filename*=UTF-8''{quote(file_name, safe='')}"
    )


# First bytes of each allowed binary type. Types without an entry (text, or types
# added through configuration) are checked by `_looks_like_text` or not at all.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"),
}
_MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B))
    if controls > len(head) // 100:
        return False
    # Markup in a text file would render as a page if anything ever served it inline.
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    return not start.startswith(_MARKUP)


def content_matches(content_type: str, head: bytes) -> bool:
    """Do the first bytes of a file fit its declared type? (a PNG that is HTML does not)"""
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if content_type in _MAGIC:
        return head.startswith(_MAGIC[content_type])
    if content_type.startswith("text/"):
        return _looks_like_text(head)
    return True


# ---------------------------------------------------------------- upload


def request_upload(p: Principal, req: CreateAttachmentRequest) -> AttachmentUploadResponse:
    """Record a pending attachment owned by `p` and presign the POST that uploads it."""
    ratelimit.check_write(p)
    attachment, created = _pending(p, req)
    try:
        post = client().generate_presigned_post(
            Bucket=_bucket(),
            Key=attachment.key,
            Fields={"Content-Type": attachment.content_type},
            Conditions=[
                {"Content-Type": attachment.content_type},
                ["content-length-range", attachment.size, attachment.size],
            ],
            ExpiresIn=PRESIGN_SECONDS,
        )
    except ClientError as ex:  # signing is local; only credential trouble gets here
        raise AttachmentStorageError() from ex
    store_attachments.put_attachment(attachment)
    return AttachmentUploadResponse(
        id=attachment.id,
        file_name=attachment.file_name,
        content_type=attachment.content_type,
        size=attachment.size,
        status=attachment.status,
        created_at=attachment.created_at,
        link_before=iso(created + timedelta(seconds=PENDING_SECONDS)),
        upload=PresignedPost(
            url=post["url"],
            fields={str(k): str(v) for k, v in post["fields"].items()},
            expires_at=_expiry(PRESIGN_SECONDS),
        ),
    )


def upload_bytes(p: Principal, file_name: str, content_type: str, data: bytes) -> str:
    """A file that came with a mail (helpdesk.inbound), as a pending attachment of `p`'s:
    the same type and size limits as a request for an upload, then the same verification
    when it is linked (`prepare_links`). Its id; a 4xx HelpdeskError says why not."""
    req = CreateAttachmentRequest(file_name=file_name, content_type=content_type, size=len(data))
    attachment, _ = _pending(p, req)
    try:
        client().put_object(
            Bucket=_bucket(), Key=attachment.key, Body=data, ContentType=attachment.content_type
        )
    except ClientError as ex:
        raise AttachmentStorageError() from ex
    store_attachments.put_attachment(attachment)
    return attachment.id


def _pending(p: Principal, req: CreateAttachmentRequest) -> tuple[Attachment, datetime]:
    """A pending attachment of `p`'s as `req` declares it, if the limits allow it."""
    settings = attachment_settings()
    if req.content_type not in settings.allowed_types:
        allowed = ", ".join(sorted(settings.allowed_types))
        raise AttachmentTypeNotAllowedError(
            f"{req.content_type} is not accepted; allowed: {allowed}",
            extra={"allowed_types": sorted(settings.allowed_types)},
        )
    if req.size > settings.attachment_max_bytes:
        raise AttachmentTooLargeError(
            f"{req.size} bytes is over the limit of {settings.attachment_max_bytes}",
            extra={"max_bytes": settings.attachment_max_bytes},
        )
    attachment_id = new_id("att")
    created = now()
    attachment = Attachment(
        id=attachment_id,
        owner_id=p.user_id,
        file_name=clean_file_name(req.file_name),
        content_type=req.content_type,
        size=req.size,
        key=f"{UPLOAD_PREFIX}{attachment_id}",  # chosen here, never from the file name
        created_at=iso(created),
        expires_at=int(created.timestamp()) + PENDING_SECONDS,
    )
    return attachment, created


# ---------------------------------------------------------------- received mail
# SES stores each received message in the inbound bucket (`inbound/<object>`); these read it
# for helpdesk.inbound and link it for staff. Nothing else touches that bucket.

INBOUND_PREFIX = "inbound/"


def read_inbound(key: str, max_bytes: int) -> bytes | None:
    """The raw message SES stored at `key`, or None if it is larger than `max_bytes` (not
    read). A missing object is an AttachmentStorageError (the trigger retries)."""
    bucket = inbound_settings().inbound_bucket
    if not key.startswith(INBOUND_PREFIX):
        raise AttachmentStorageError(f"{key} is not a received message")
    try:
        head = client().head_object(Bucket=bucket, Key=key)
        if int(head.get("ContentLength", 0)) > max_bytes:
            return None
        body = client().get_object(Bucket=bucket, Key=key, IfMatch=head["ETag"])["Body"]
        return bytes(body.read())
    except ClientError as ex:
        raise AttachmentStorageError() from ex


def inbound_url(key: str) -> str:
    """A short-lived link to a received message's raw `.eml` (staff only: the caller checks)."""
    try:
        return str(
            client().generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": inbound_settings().inbound_bucket,
                    "Key": key,
                    "ResponseContentType": "message/rfc822",
                    "ResponseContentDisposition": content_disposition(
                        key.rsplit("/", 1)[-1] + ".eml"
                    ),
                },
                ExpiresIn=PRESIGN_SECONDS,
            )
        )
    except ClientError as ex:
        raise AttachmentStorageError() from ex


# ---------------------------------------------------------------- read and delete


def _visible(p: Principal, a: Attachment) -> bool:
    """Uploader; once linked also staff, and the ticket's owner or org manager (not notes)."""
    if a.owner_id == p.user_id:
        return True
    if a.status is not AttachmentStatus.ATTACHED or a.ticket_id is None:
        return False
    if p.is_staff:
        return True
    if a.internal:
        return False
    ticket = store_tickets.get_ticket(a.ticket_id)
    return (
        ticket is not None
        and ticket.deleted_at is None
        and (ticket.requester_id == p.user_id or (p.is_org_manager and ticket.org_id == p.org_id))
    )


def describe(p: Principal, attachment_id: str) -> AttachmentResponse:
    """Metadata and a 5-minute download URL; 404 for anyone who may not see it."""
    a = store_attachments.get_attachment(attachment_id)
    if a is None or not _visible(p, a):
        raise AttachmentNotFoundError()
    try:
        url = client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": _bucket(),
                "Key": a.key,
                "ResponseContentDisposition": content_disposition(a.file_name),
                "ResponseContentType": a.content_type,
            },
            ExpiresIn=PRESIGN_SECONDS,
        )
    except ClientError as ex:
        raise AttachmentStorageError() from ex
    return AttachmentResponse(
        id=a.id,
        file_name=a.file_name,
        content_type=a.content_type,
        size=a.size,
        status=a.status,
        created_at=a.created_at,
        ticket_id=a.ticket_id,
        message_id=a.message_id,
        download_url=url,
        download_expires_at=_expiry(PRESIGN_SECONDS),
    )


def delete(p: Principal, attachment_id: str) -> None:
    """The uploader deletes a pending attachment and its object (409 once it is linked)."""
    a = store_attachments.get_attachment(attachment_id)
    if a is None or not _visible(p, a):
        raise AttachmentNotFoundError()
    if a.owner_id != p.user_id:
        raise ForbiddenError("Only the uploader can delete an attachment")
    removed = store_attachments.delete_pending_attachment(attachment_id, p.user_id)
    try:
        client().delete_object(Bucket=_bucket(), Key=removed.key)
    except ClientError:
        # The item is gone, so nothing can link the object; the lifecycle rule removes it.
        logger.warning("could not delete upload", extra={"key": removed.key})


# ---------------------------------------------------------------- linking

# What a route that takes `attachment_ids` can answer (for its OpenAPI `responses`).
LINK_ERRORS = (
    AttachmentUnknownError,
    AttachmentNotOwnedError,
    AttachmentAlreadyAttachedError,
    AttachmentNotUploadedError,
    AttachmentContentMismatchError,
    AttachmentStorageError,
)


class LinkPlan:
    """What `store.tickets.create_ticket` / `save_ticket` need to link attachments to a message.

    A plain class: a dataclass costs about half a millisecond of every cold start to build."""

    __slots__ = ("copies", "links", "refs")

    def __init__(self) -> None:
        self.refs: list[AttachmentRef] = []  # for Message.attachments
        self.links: list[store_attachments.AttachmentLink] = []  # for the transaction
        self.copies: list[tuple[str, str | None]] = []  # (key, version) made


def prepare_links(
    p: Principal,
    attachment_ids: Sequence[str],
    *,
    ticket_id: str,
    message_id: str,
    internal: bool = False,
) -> LinkPlan:
    """Check `p`'s pending attachments, verify and copy their files, and return the links.

    Raises a 422 naming the first attachment that is unknown (or expired), someone
    else's, already attached, not uploaded, or not what it claimed to be. Call the
    store inside `linking(plan)` so the copies go again if the write fails.
    """
    plan = LinkPlan()
    if not attachment_ids:
        return plan
    if len(set(attachment_ids)) != len(attachment_ids):
        raise ValidationFailedError("attachment_ids lists an attachment more than once")
    found = store_attachments.get_attachments(attachment_ids)
    at = now()
    epoch = int(at.timestamp())
    pending: list[Attachment] = []
    for aid in attachment_ids:
        a = found.get(aid)
        extra = {"attachment_id": aid}
        expired = a is not None and a.expires_at is not None and a.expires_at <= epoch
        if a is None or (a.status is AttachmentStatus.PENDING and expired):
            raise AttachmentUnknownError(f"No pending attachment {aid}", extra=extra)
        if a.owner_id != p.user_id:
            raise AttachmentNotOwnedError(f"Attachment {aid} is not yours", extra=extra)
        if a.status is not AttachmentStatus.PENDING:
            raise AttachmentAlreadyAttachedError(
                f"Attachment {aid} is already linked to a message", extra=extra
            )
        pending.append(a)
    with linking(plan):
        for a in pending:
            dest = f"{FILES_PREFIX}{ticket_id}/{message_id}/{a.id}"
            plan.copies.append((dest, _verify_and_copy(a, dest)))
            plan.refs.append(a.ref())
            plan.links.append(
                store_attachments.AttachmentLink(
                    attachment_id=a.id,
                    owner_id=p.user_id,
                    key=dest,
                    ticket_id=ticket_id,
                    message_id=message_id,
                    internal=internal,
                    at=iso(at),
                    now_epoch=epoch,
                )
            )
    return plan


def _verify_and_copy(a: Attachment, dest: str) -> str | None:
    """Check the upload against its declaration and copy exactly the bytes that were checked.

    Every read after the HEAD is pinned to its ETag, so a re-upload through the
    still-valid presigned POST between check and copy cannot slip through.
    """
    s3, bucket, extra = client(), _bucket(), {"attachment_id": a.id}
    try:
        head = s3.head_object(Bucket=bucket, Key=a.key)
    except ClientError as ex:
        # Without s3:ListBucket, S3 answers a missing key with 403 rather than 404.
        if error_code(ex) in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied"):
            raise AttachmentNotUploadedError(
                f"Upload the file for {a.id} before referencing it", extra=extra
            ) from ex
        raise AttachmentStorageError() from ex
    size = int(head.get("ContentLength", -1))
    if size != a.size:
        # S3 enforces the policy's content-length-range; some backends (moto) do not.
        raise AttachmentContentMismatchError(
            f"{a.id}: {size} bytes uploaded, {a.size} declared", extra=extra
        )
    stored_type = str(head.get("ContentType", "")).split(";")[0].strip().lower()
    if stored_type != a.content_type:
        raise AttachmentContentMismatchError(
            f"{a.id}: uploaded as {stored_type or 'no type'}, declared {a.content_type}",
            extra=extra,
        )
    etag = head["ETag"]
    try:
        sample = s3.get_object(
            Bucket=bucket, Key=a.key, Range=f"bytes=0-{SNIFF_BYTES - 1}", IfMatch=etag
        )["Body"].read()
        if not content_matches(a.content_type, sample):
            raise AttachmentContentMismatchError(
                f"{a.id}: the content is not {a.content_type}", extra=extra
            )
        out = s3.copy_object(
            Bucket=bucket,
            Key=dest,
            CopySource={"Bucket": bucket, "Key": a.key},
            CopySourceIfMatch=etag,
            MetadataDirective="COPY",
        )
    except ClientError as ex:
        if error_code(ex) in ("PreconditionFailed", "412"):
            raise AttachmentContentMismatchError(
                f"{a.id}: the file changed while it was being checked; try again", extra=extra
            ) from ex
        raise AttachmentStorageError() from ex
    version = out.get("VersionId")
    return str(version) if version else None


def discard(plan: LinkPlan) -> None:
    """Remove the copies `plan` made (best effort): its message was not written."""
    for key, version in plan.copies:
        try:
            if version:
                client().delete_object(Bucket=_bucket(), Key=key, VersionId=version)
            else:
                client().delete_object(Bucket=_bucket(), Key=key)
        except ClientError:
            logger.warning("could not discard attachment copy", extra={"key": key})
    plan.copies.clear()


@contextmanager
def linking(plan: LinkPlan) -> Iterator[LinkPlan]:
    """Write the message inside this block; if it raises, the plan's copies are discarded."""
    try:
        yield plan
    except BaseException:
        discard(plan)
        raise


def purge_ticket_files(ticket_id: str, attachment_ids: Iterable[str] = ()) -> int:
    """Delete every version of every file under `files/<ticket_id>/`; returns how many.

    Used when a soft-deleted ticket is purged and on erasure: the bucket is
    versioned, so deleting by key alone would leave the bytes as a noncurrent
    version. `attachment_ids` also removes their `uploads/` originals (which the
    bucket rule would expire within two days; erasure does not wait).
    """
    prefixes = [f"files/{ticket_id}/"] + [f"{UPLOAD_PREFIX}{a}" for a in sorted(attachment_ids)]
    removed = 0
    for prefix in prefixes:
        removed += _delete_versions(prefix)
    return removed


def purge_inbound_mail(raw_keys: Iterable[str]) -> int:
    """Delete every version of received messages (`inbound/...` keys in the inbound bucket:
    erasure, and the purge of their ticket); returns how many versions went."""
    bucket = inbound_settings().inbound_bucket
    removed = 0
    for key in sorted(set(raw_keys)):
        if not key.startswith(INBOUND_PREFIX):
            raise AttachmentStorageError(f"{key} is not a received message")
        removed += _delete_versions(key, bucket=bucket, exact=True)
    return removed


def _delete_versions(prefix: str, *, bucket: str | None = None, exact: bool = False) -> int:
    """Every version (and delete marker) under `prefix`, or of the key `prefix` if `exact`."""
    s3, bucket, removed = client(), bucket or _bucket(), 0
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            versions = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
                if not exact or v["Key"] == prefix
            ]
            if versions:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": versions, "Quiet": True})  # type: ignore[typeddict-item]
                removed += len(versions)
    except ClientError as ex:
        raise AttachmentStorageError() from ex
    return removed
