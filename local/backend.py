"""The runner's AWS backend: an embedded moto server, or a real endpoint.

Resources are created from the template's own properties, so the local table
has exactly the keys, indexes and TTL that `sam deploy` would create.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from typing import Any

import boto3

from local.template import App

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


@dataclass
class Backend:
    kind: str  # "moto" or "aws"
    endpoint: str | None
    env: dict[str, str]
    table_name: str
    bucket_name: str
    server: Any = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def _serialize_moto_dynamodb() -> None:
    """One DynamoDB request at a time in the embedded moto server.

    moto's TransactWriteItems deep-copies the table when it starts and, if any
    condition fails, restores that copy: writes other threads committed in the
    meantime are silently undone (lost replies under concurrent requests).
    DynamoDB isolates transactions; serializing moto's requests does the same here.
    """
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "serialized", False):
        return
    lock = threading.Lock()

    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    call_action.serialized = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def cheap_moto_transactions() -> None:
    """Make moto's TransactWriteItems cost what the transaction touches, not the table.

    moto backs up every table a transaction names with `copy.deepcopy` before it
    starts (to restore it if a condition fails): O(table) per write, so a local
    table of a few thousand tickets makes every reply take seconds. Here the
    backup is of the items the transaction names, restored the same way on
    failure. Used by the embedded server and by the in-process test backend.
    """
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
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
        backups: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
        for entry in transact_items:
            try:
                op_type, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                attrs = op["Item"] if op_type == "Put" else op["Key"]
                hash_key = DynamoType(attrs[table.hash_key_attr])
                range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
                old = table.get_item(hash_key, range_key)
            except Exception:  # noqa: BLE001 - malformed: moto's own code reports it
                continue
            backups.append((table, hash_key, range_key, copy.deepcopy(old)))
        skipping.on = True
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, old in reversed(backups):
                items: Any = table.items[hash_key] if range_key is not None else table.items
                key = range_key if range_key is not None else hash_key
                if old is None:
                    items.pop(key, None)
                else:
                    items[key] = old
            raise
        finally:
            skipping.on = False

    transact_write_items.cheap = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def start_moto(port: int = 0) -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    _serialize_moto_dynamodb()
    cheap_moto_transactions()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def table_properties(app: App) -> tuple[str, dict[str, Any]]:
    ((logical_id, res),) = app.resources("AWS::DynamoDB::Table").items()
    return logical_id, res["Properties"]


def bucket_properties(app: App) -> tuple[str, dict[str, Any]]:
    ((logical_id, res),) = app.resources("AWS::S3::Bucket").items()
    return logical_id, res.get("Properties", {})


def create_resources(
    app: App, endpoint: str | None, region: str, table_name: str, bucket_name: str
) -> None:
    """Create the template's table and bucket on `endpoint` (idempotent)."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
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
    s3 = session.client("s3", endpoint_url=endpoint)
    _, bprops = bucket_properties(app)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket_name not in existing:
        s3.create_bucket(Bucket=bucket_name)
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
            s3.put_bucket_cors(Bucket=bucket_name, CORSConfiguration={"CORSRules": rules})  # type: ignore[typeddict-item]
        if "PublicAccessBlockConfiguration" in bprops:
            s3.put_public_access_block(
                Bucket=bucket_name,
                PublicAccessBlockConfiguration=bprops["PublicAccessBlockConfiguration"],
            )
