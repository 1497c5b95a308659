"""The runner's AWS backend: an embedded moto server, or a real endpoint.

Resources are created from the template's own properties, so the local table
has exactly the keys, indexes and TTL that `sam deploy` would create, and each
Secrets Manager secret is generated as `GenerateSecretString` says (its value kept
in the state directory, so a restarted runner keeps its sessions).
"""

from __future__ import annotations

import functools
import json
import logging
import operator
import os
import secrets
import socket
import string
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.template import App, resolve

SECRET_PREFIX = "helpdesk-local/"  # a local secret's name: prefix + its logical id
QUEUE_PREFIX = "helpdesk-local-"  # a local queue's name: prefix + its logical id (+ .fifo)

# The moto release the patches below were written against (requirements/dev.txt pins it).
# They replace moto internals (DynamoHandler.call_action, DynamoDBBackend.transact_write_items,
# the `copy` module of moto.dynamodb.models): on another release they could silently stop
# doing their job, so they refuse to apply instead. Re-read them, then move this pin.
MOTO_VERSION = "5.2.5"

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


TTL_IDENTITY = {
    "Type": "Service",
    "PrincipalId": "dynamodb.amazonaws.com",
}  # as GetRecords spells it


@dataclass
class Backend:
    kind: str  # "moto" or "aws"
    endpoint: str | None
    env: dict[str, str]
    table_name: str
    bucket_name: str
    server: Any = None
    # what `!Ref`/`!GetAtt` give for the secrets (ARN), queues (URL; `Id.Arn`, `Id.QueueName`)
    # and buckets (name; `Id.Arn`)
    secrets: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


class MotoVersionError(RuntimeError):
    pass


def check_moto_version() -> None:
    """Refuse to patch a moto release other than the one the patches were written for."""
    import moto

    found = getattr(moto, "__version__", "unknown")
    if found != MOTO_VERSION:
        raise MotoVersionError(
            f"local.backend patches moto internals written for moto {MOTO_VERSION}, "
            f"but moto {found} is installed: check _serialize_moto_dynamodb, "
            "patch_moto and expire_item against it, then update MOTO_VERSION "
            "(and the pin in requirements/dev.txt)"
        )


# Held by every DynamoDB and DynamoDB Streams request of the embedded server, and by
# `expire_item`: one table operation at a time, and a reader never sees half a transaction.
_DYNAMODB_LOCK = threading.RLock()


def _serialize_moto_dynamodb() -> None:
    """One DynamoDB (or DynamoDB Streams) request at a time in the embedded moto server.

    moto's TransactWriteItems deep-copies the table when it starts and, if any
    condition fails, restores that copy: writes other threads committed in the
    meantime are silently undone (lost replies under concurrent requests).
    DynamoDB isolates transactions; serializing moto's requests does the same here.
    Stream reads take the same lock, so GetRecords never returns the records of a
    transaction still being applied (or about to be rolled back).
    """
    check_moto_version()
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        original = handler.call_action
        if getattr(original, "serialized", False):
            continue

        def call_action(self: Any, _original: Any = original) -> Any:
            with _DYNAMODB_LOCK:
                return _original(self)

        call_action.serialized = True  # type: ignore[attr-defined]
        handler.call_action = call_action  # type: ignore[method-assign]
    _bounded_shard_iterators()


def _bounded_shard_iterators(keep: int = 1000) -> None:
    """moto keeps every shard iterator it ever handed out (one per GetRecords call): a pump
    polling every 50 ms would grow that dict by ~100 MB an hour. Keep the newest `keep`
    (an iterator is used once by the pump; AWS expires them after 15 minutes anyway)."""
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    original = DynamoDBStreamsBackend.get_records
    if getattr(original, "bounded", False):
        return

    def get_records(self: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> Any:
        out = original(self, iterator_arn, limit)
        while len(self.shard_iterators) > keep:
            del self.shard_iterators[next(iter(self.shard_iterators))]
        return out

    get_records.bounded = True  # type: ignore[attr-defined]
    DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign]


def _transaction_backup(
    backend: Any, transact_items: list[dict[str, Any]]
) -> tuple[list[tuple[Any, Any, Any, Any]], dict[int, tuple[Any, int]]]:
    """The items a transaction names, as they are; each table's stream shard and its length."""
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType

    backups: list[tuple[Any, Any, Any, Any]] = []
    streams: dict[int, tuple[Any, int]] = {}
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = backend.get_table(op["TableName"])
            attrs = op["Item"] if op_type == "Put" else op["Key"]
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
            old = table.get_item(hash_key, range_key)
        except Exception:  # malformed: moto's own code reports it
            continue
        backups.append((table, hash_key, range_key, copy.deepcopy(old)))
        if table.stream_shard is not None:
            streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
    return backups, streams


def _transaction_restore(
    backups: list[tuple[Any, Any, Any, Any]], streams: dict[int, tuple[Any, int]]
) -> None:
    for table, hash_key, range_key, old in reversed(backups):
        items: Any = table.items[hash_key] if range_key is not None else table.items
        key = range_key if range_key is not None else hash_key
        if old is None:
            items.pop(key, None)
        else:
            items[key] = old
    # moto applies a transaction's writes one by one, each adding its stream record;
    # a cancelled transaction wrote nothing, so it leaves no records either
    for shard, length in streams.values():
        del shard.items[length:]


def patch_moto() -> None:
    """Patch moto where the local backend needs it (each patch checked against MOTO_VERSION).

    Make moto's TransactWriteItems cost what the transaction touches, not the table.

    moto backs up every table a transaction names with `copy.deepcopy` before it
    starts (to restore it if a condition fails): O(table) per write, so a local
    table of a few thousand tickets makes every reply take seconds. Here the
    backup is of the items the transaction names, restored the same way on
    failure. Used by the embedded server and by the in-process test backend; it also
    applies `_cheap_stream_reads` and `_cheap_item_order` (GetRecords and Query at the
    cost AWS's would have) and `_sesv2_suppression_list` (SES's account-level suppression
    list, which moto does not implement).
    """
    import copy

    check_moto_version()
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "cheap", False):
        return
    skipping = threading.local()

    class _Copy:
        """moto's `copy` module, except that tables are not copied inside a transaction."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(x: Any, memo: dict[int, Any] | None = None) -> Any:
            if isinstance(x, Table) and getattr(skipping, "on", False):
                return x
            return copy.deepcopy(x, memo)

    models.copy = _Copy()  # type: ignore[attr-defined, assignment]

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        backups, streams = _transaction_backup(self, transact_items)
        skipping.on = True
        try:
            original(self, transact_items)
        except Exception:
            _transaction_restore(backups, streams)
            raise
        finally:
            skipping.on = False

    transact_write_items.cheap = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _cheap_stream_reads()
    _cheap_item_order()
    _sesv2_suppression_list()


def _sesv2_suppression_list() -> None:
    """SESv2's account-level suppression list (Put/Get/Delete/ListSuppressedDestination(s)),
    which moto 5 answers with NotImplementedError: a dict per account and region, with
    SES's NotFoundException for an address it does not hold."""
    from urllib.parse import unquote

    from moto.sesv2.responses import SESV2Response

    if getattr(SESV2Response, "suppression_list", False):
        return
    lists: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def _list(self: SESV2Response) -> dict[str, dict[str, Any]]:
        return lists.setdefault((self.current_account, self.region), {})

    def _address(self: SESV2Response) -> str:
        return unquote(self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]).lower()

    def _not_found(address: str) -> Any:
        body = {"message": f"Email address {address} does not exist on your suppression list."}
        return json.dumps(body), {"status": 404, "x-amzn-ErrorType": "NotFoundException"}

    def put_suppressed_destination(self: SESV2Response) -> str:
        params = json.loads(self.body)
        address = str(params["EmailAddress"]).lower()
        _list(self)[address] = {
            "EmailAddress": address,
            "Reason": params["Reason"],
            "LastUpdateTime": time.time(),
        }
        return "{}"

    def get_suppressed_destination(self: SESV2Response) -> Any:
        address = _address(self)
        found = _list(self).get(address)
        if found is None:
            return _not_found(address)
        return json.dumps({"SuppressedDestination": found})

    def delete_suppressed_destination(self: SESV2Response) -> Any:
        address = _address(self)
        if _list(self).pop(address, None) is None:
            return _not_found(address)
        return "{}"

    def list_suppressed_destinations(self: SESV2Response) -> str:
        return json.dumps({"SuppressedDestinationSummaries": list(_list(self).values())})

    SESV2Response.put_suppressed_destination = put_suppressed_destination  # type: ignore[attr-defined]
    SESV2Response.get_suppressed_destination = get_suppressed_destination  # type: ignore[attr-defined]
    SESV2Response.delete_suppressed_destination = delete_suppressed_destination  # type: ignore[attr-defined]
    SESV2Response.list_suppressed_destinations = list_suppressed_destinations  # type: ignore[attr-defined]
    SESV2Response.suppression_list = True  # type: ignore[attr-defined]
    # the embedded server routes by these paths (its catch-all /v2/.* stops at a slash)
    from moto.sesv2 import urls

    dispatch = urls.url_paths["{0}/v2/email/outbound-emails$"]
    urls.url_paths["{0}/v2/email/suppression/addresses$"] = dispatch
    urls.url_paths["{0}/v2/email/suppression/addresses/(?P<EmailAddress>[^/]+)$"] = dispatch


def _cheap_item_order() -> None:
    """moto 5.2.5 sorts the whole table on every Query and Scan (`Table.all_items`), with
    each comparison a Python `DynamoType.__eq__`/`__lt__` that builds both values again:
    tens of milliseconds per page at a few thousand items. The same order from the values
    themselves (a table's key attributes have one type each, so they compare alike)."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.all_items, "cheap", False):
        return

    partition = threading.local()  # a base-table Query's hash key, while moto runs it
    query = Table.query

    def query_partition(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto reads every item of the table for a base-table Query and keeps those of the
        # partition: here `all_items` gives it the partition itself (a dict lookup)
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        base = hash_key is not None and index_name is None
        partition.key = hash_key if base and self.range_key_attr else None
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            partition.key = None

    def all_items(self: Table) -> list[Any]:
        key = getattr(partition, "key", None)
        if key is not None:
            partition.key = None  # once: anything else moto reads in the query is whole
            return list(self.items[key].values()) if key in self.items else []
        items: list[Any] = []
        for hash_set in self.items.values():
            if self.range_key_attr:
                items.extend(hash_set.values())
            else:
                items.append(hash_set)
        if {self.hash_key_type, self.range_key_type or "S"} == {"S"}:
            # string keys: their own values, read by C (no Python frame per item; CPython
            # 3.11 can map and unmap a 16 KiB frame chunk on every call at an unlucky depth)
            names = (
                ("hash_key.value", "range_key.value")
                if self.range_key_attr
                else ("hash_key.value",)
            )
            return sorted(items, key=operator.attrgetter(*names))
        if self.range_key_attr:
            return sorted(items, key=lambda x: (x.hash_key.cast_value, x.range_key.cast_value))
        return sorted(items, key=lambda x: x.hash_key.cast_value)

    all_items.cheap = True  # type: ignore[attr-defined]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query_partition  # type: ignore[method-assign]


def _cheap_stream_reads() -> None:
    """moto 5.2.5 answers GetRecords through its generic shape-walking serializer: about
    0.1 ms per attribute, 56 ms per page of records with both images, and the pump reads
    every record every stream function filters (list entries, deliveries, mail claims
    included). The page is already DynamoDB's JSON (`dynamo_json_dump` is what moto's own
    DynamoDB answers use), so it is answered as that: the same bytes botocore parses."""
    from moto.dynamodb.models.utilities import dynamo_json_dump
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    if getattr(DynamoDBStreamsHandler.get_records, "cheap", False):
        return

    def get_records(self: DynamoDBStreamsHandler) -> str:
        limit = self._get_param("Limit")
        result = self.backend.get_records(self._get_param("ShardIterator"), limit or 1000)
        return dynamo_json_dump(result)

    get_records.cheap = True  # type: ignore[attr-defined]
    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign, assignment]


class NotExpirable(Exception):
    """The item does not exist, or has no TTL attribute (DynamoDB TTL would never delete it)."""


def expire_item(
    table_name: str, key: dict[str, Any], account: str = "123456789012"
) -> dict[str, Any]:
    """Delete an item as DynamoDB TTL does, in moto (in-process or the embedded server).

    moto never expires items by itself, and its stream records carry no `userIdentity`.
    This deletes the item through moto's own table (so the stream gets its REMOVE record,
    OLD_IMAGE and all) and marks that record as TTL's (`userIdentity` of the service
    principal `dynamodb.amazonaws.com`), under the lock every DynamoDB request holds.
    The item must carry the table's TTL attribute (any value: the caller decides its
    time has come). The deleted item (low-level attribute values)."""
    check_moto_version()
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    with _DYNAMODB_LOCK:
        backend = dynamodb_backends[account]["us-east-1"]
        table = backend.get_table(table_name)
        ttl = backend.describe_time_to_live(table_name)
        attribute = ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        item = table.get_item(hash_key, range_key)
        if item is None:
            raise NotExpirable("no such item")
        if not attribute or attribute not in item.attrs:
            raise NotExpirable(f"the item has no TTL attribute ({attribute or 'TTL is off'})")
        shard = table.stream_shard
        before = len(shard.items) if shard is not None else 0
        table.delete_item(hash_key, range_key)
        if shard is not None:
            for record in shard.items[before:]:
                record.record["userIdentity"] = dict(TTL_IDENTITY)
        attrs: dict[str, Any] = item.to_json()["Attributes"]
        return attrs


def start_moto(port: int = 0) -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    _serialize_moto_dynamodb()
    patch_moto()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def table_properties(app: App) -> tuple[str, dict[str, Any]]:
    ((logical_id, res),) = app.resources("AWS::DynamoDB::Table").items()
    return logical_id, res["Properties"]


def bucket_names(app: App, bucket_name: str, refs: dict[str, str]) -> dict[str, str]:
    """Each bucket's name: its `BucketName` resolved against `refs` (the inbound mail bucket's
    is fixed in the template), else `bucket_name` (the attachments bucket, which CloudFormation
    names; the runner's HELPDESK_BUCKET_NAME), `<bucket_name>-<id>` for any further one."""
    out: dict[str, str] = {}
    for logical_id, res in app.resources("AWS::S3::Bucket").items():
        named = (res.get("Properties") or {}).get("BucketName")
        if named is not None:
            out[logical_id] = str(resolve(named, refs))
        elif bucket_name not in out.values():
            out[logical_id] = bucket_name
        else:
            out[logical_id] = f"{bucket_name}-{logical_id.lower()}"
    return out


def create_buckets(
    app: App,
    session: boto3.session.Session,
    endpoint: str | None,
    bucket_name: str,
    refs: dict[str, str],
) -> dict[str, str]:
    """The template's buckets on `endpoint` (idempotent), with their versioning, CORS rules and
    public-access block: what `!Ref` (the name) and `!GetAtt <id>.Arn` give.

    A bucket's `NotificationConfiguration` is not applied (moto would honour it, and send S3's
    test event when it is set): `local.inbound` sends the notification of what it stores."""
    s3 = session.client("s3", endpoint_url=endpoint)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    resources = app.resources("AWS::S3::Bucket")
    # the pseudo parameters a name may use, as the runner deploys (unless `refs` says)
    refs = {
        "Stage": "local",
        "AWS::AccountId": "123456789012",
        "AWS::Region": session.region_name or "us-east-1",
        "AWS::Partition": "aws",
    } | refs
    out: dict[str, str] = {}
    for logical_id, name in bucket_names(app, bucket_name, refs).items():
        out |= {logical_id: name, f"{logical_id}.Arn": f"arn:aws:s3:::{name}"}
        if name in existing:
            continue
        bprops = resources[logical_id].get("Properties") or {}
        s3.create_bucket(Bucket=name)
        versioning = bprops.get("VersioningConfiguration")
        if versioning:
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": versioning["Status"]}
            )
        if "CorsConfiguration" in bprops:
            rules = [
                {
                    "AllowedMethods": r["AllowedMethods"],
                    "AllowedOrigins": r["AllowedOrigins"],
                    "AllowedHeaders": r.get("AllowedHeaders", []),
                    "ExposeHeaders": r.get("ExposedHeaders", []),
                    "MaxAgeSeconds": int(r.get("MaxAge", 0)),
                }
                for r in bprops["CorsConfiguration"]["CorsRules"]
            ]  # CloudFormation's property names differ from the S3 API's
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})  # type: ignore[typeddict-item]
        if "PublicAccessBlockConfiguration" in bprops:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration=bprops["PublicAccessBlockConfiguration"],
            )
    return out


def generated_secret(props: dict[str, Any]) -> str:
    """A new value for a secret, as CloudFormation makes it from `GenerateSecretString`."""
    gen = props.get("GenerateSecretString") or {}
    alphabet = string.ascii_letters + string.digits
    if not gen.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    value = "".join(secrets.choice(alphabet) for _ in range(int(gen.get("PasswordLength", 32))))
    if "GenerateStringKey" not in gen:
        return value
    doc = json.loads(gen.get("SecretStringTemplate") or "{}")
    return json.dumps({**doc, gen["GenerateStringKey"]: value})


def _secret_value(logical_id: str, props: dict[str, Any], state_dir: Path | None) -> str:
    if state_dir is None:
        return generated_secret(props)
    path = state_dir / f"secret-{logical_id}.json"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(generated_secret(props))
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    return path.read_text()


def create_secrets(
    app: App, session: Any, endpoint: str | None, state_dir: Path | None
) -> dict[str, str]:
    """The template's secrets on `endpoint` (idempotent): logical id -> ARN (what `!Ref` gives).

    A new random value per state directory (kept there), none without one (tests)."""
    sm = session.client("secretsmanager", endpoint_url=endpoint)
    arns: dict[str, str] = {}
    for logical_id, res in app.resources("AWS::SecretsManager::Secret").items():
        name = SECRET_PREFIX + logical_id
        try:
            arns[logical_id] = sm.describe_secret(SecretId=name)["ARN"]
        except sm.exceptions.ResourceNotFoundException:
            value = _secret_value(logical_id, res.get("Properties", {}), state_dir)
            arns[logical_id] = sm.create_secret(Name=name, SecretString=value)["ARN"]
    return arns


def queue_name(logical_id: str, props: dict[str, Any]) -> str:
    return QUEUE_PREFIX + logical_id + (".fifo" if props.get("FifoQueue") else "")


# CloudFormation's AWS::SQS::Queue properties that are queue attributes of the same name
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "SqsManagedSseEnabled",
)


def create_queues(
    app: App, session: Any, endpoint: str | None, refs: dict[str, str] | None = None
) -> dict[str, str]:
    """The template's SQS queues on `endpoint` (idempotent): their refs (logical id -> URL,
    `<id>.Arn`, `<id>.QueueName`).

    Properties are resolved against `refs` (template parameters, so `HELPDESK_PARAM_<Name>`
    shortens a queue's timeouts locally); a `RedrivePolicy` naming another queue of the
    template (`!GetAtt Dlq.Arn`) is created after that queue."""
    sqs = session.client("sqs", endpoint_url=endpoint)
    queues = app.resources("AWS::SQS::Queue")
    refs = dict(refs or {})
    out: dict[str, str] = {}
    todo = dict(queues)
    while todo:
        progressed = False
        for logical_id, res in list(todo.items()):
            raw = res.get("Properties") or {}
            redrive = raw.get("RedrivePolicy") or {}
            target = redrive.get("deadLetterTargetArn")
            needs = (
                target["Fn::GetAtt"][0]
                if isinstance(target, dict) and "Fn::GetAtt" in target
                else None
            )
            if needs in todo and needs != logical_id:
                continue
            props = resolve(raw, refs)
            attrs = {
                k: str(props[k]).lower() if isinstance(props[k], bool) else str(props[k])
                for k in _QUEUE_ATTRIBUTES
                if k in props and props[k] != ""
            }
            if redrive:
                attrs["RedrivePolicy"] = json.dumps(
                    {
                        "deadLetterTargetArn": props["RedrivePolicy"]["deadLetterTargetArn"],
                        "maxReceiveCount": int(props["RedrivePolicy"]["maxReceiveCount"]),
                    }
                )
            url = sqs.create_queue(QueueName=queue_name(logical_id, props), Attributes=attrs)[
                "QueueUrl"
            ]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            refs |= {
                logical_id: url,
                f"{logical_id}.Arn": arn,
                f"{logical_id}.QueueName": queue_name(logical_id, props),
                f"{logical_id}.QueueUrl": url,
            }
            out |= {k: v for k, v in refs.items() if k.split(".")[0] == logical_id}
            del todo[logical_id]
            progressed = True
        if not progressed:
            raise ValueError(f"queues whose RedrivePolicy cannot be resolved: {sorted(todo)}")
    return out


@functools.cache
def local_session(region: str) -> boto3.session.Session:
    """One boto3 session per region for the local backend's own clients (creating the
    resources, the pump): a session loads each service's model once, so a client from it
    costs ~5 ms, not the ~40 ms of a fresh session's (the test backend makes them per test)."""
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )


def create_resources(
    app: App,
    endpoint: str | None,
    region: str,
    table_name: str,
    bucket_name: str,
    state_dir: Path | None = None,
    refs: dict[str, str] | None = None,
) -> dict[str, str]:
    """Create the template's table, buckets, queues and secrets on `endpoint` (idempotent);
    what `!Ref`/`!GetAtt` give for the secrets (ARN), queues (URL, `<id>.Arn`, ...) and
    buckets (name, `<id>.Arn`)."""
    session = local_session(region)
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    _, props = table_properties(app)
    if table_name not in ddb.list_tables()["TableNames"]:
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        ddb.create_table(**kwargs)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
    buckets = create_buckets(app, session, endpoint, bucket_name, refs or {})
    queues = create_queues(app, session, endpoint, refs)
    mail = create_mail(app, session, endpoint, refs or {})
    return create_secrets(app, session, endpoint, state_dir) | queues | mail | buckets


def create_mail(
    app: App, session: boto3.session.Session, endpoint: str | None, refs: dict[str, str]
) -> dict[str, str]:
    """The template's SES configuration sets and e-mail identities (moto verifies an
    identity at once; idempotent): what `!Ref` gives for the configuration sets (their name)."""
    ses = session.client("sesv2", endpoint_url=endpoint)
    out: dict[str, str] = {}
    existing = set(ses.list_configuration_sets().get("ConfigurationSets", []))
    for logical_id, res in app.resources("AWS::SES::ConfigurationSet").items():
        name = str(resolve(res.get("Properties", {}).get("Name"), refs) or logical_id)
        if name not in existing:
            ses.create_configuration_set(ConfigurationSetName=name)
        out[logical_id] = name
    identities = {i["IdentityName"] for i in ses.list_email_identities().get("EmailIdentities", [])}
    for res in app.resources("AWS::SES::EmailIdentity").values():
        identity = str(resolve(res["Properties"]["EmailIdentity"], refs))
        if identity and identity not in identities:
            ses.create_email_identity(EmailIdentity=identity)
    return out


def ses_message_id(message_id: str, region: str) -> str:
    host = "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"
    return f"<{message_id}@{host}>"


def sent_mail(account: str, region: str) -> list[dict[str, Any]]:
    """The mail the embedded moto's SES (v1 and v2 share it) accepted, oldest first: the
    runner's outbox. Raw messages are parsed for the headers a mail client threads by."""
    from email import message_from_string
    from email.message import EmailMessage
    from email.policy import default
    from email.utils import getaddresses

    from moto.ses.models import RawMessage, ses_backends

    out: list[dict[str, Any]] = []
    for sent in list(ses_backends[account][region].sent_messages):
        if not isinstance(sent, RawMessage):
            continue
        msg = message_from_string(sent.raw_data, policy=default)
        assert isinstance(msg, EmailMessage)
        parts = {}
        for kind in ("plain", "html"):
            body = msg.get_body((kind,))
            parts[kind] = body.get_content() if body is not None else None

        def header(name: str, msg: EmailMessage = msg) -> str | None:
            value = msg.get(name)
            return str(value) if value is not None else None

        out.append(
            {
                "id": sent.id,
                "from": header("From"),
                "to": [a for _, a in getaddresses(msg.get_all("To", []))],
                "cc": [a for _, a in getaddresses(msg.get_all("Cc", []))],
                "subject": header("Subject"),
                "text": parts["plain"],
                "html": parts["html"],
                # SES gives the mail its Message-ID (moto adds none): as `helpdesk.mail.header_id`
                "Message-ID": header("Message-ID") or ses_message_id(sent.id, region),
                "In-Reply-To": header("In-Reply-To"),
                "References": header("References"),
                "Reply-To": header("Reply-To"),
                "List-Unsubscribe": header("List-Unsubscribe"),
                "List-Unsubscribe-Post": header("List-Unsubscribe-Post"),
            }
        )
    return out
