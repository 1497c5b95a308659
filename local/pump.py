"""Lambda's event source mappings, locally: DynamoDB stream records and SQS messages to the
functions template.yaml triggers with them.

Template-driven and generic: every function whose `Events` has a `Type: DynamoDB` (the
stream of a table the backend created) or `Type: SQS` (a queue of the template) is served,
with the mapping's own `StartingPosition`, `BatchSize`, `FilterCriteria`,
`FunctionResponseTypes: [ReportBatchItemFailures]`, `BisectBatchOnFunctionError`,
`MaximumRetryAttempts`, `MaximumRecordAgeInSeconds` and `DestinationConfig.OnFailure`, and
an SQS mapping's `ScalingConfig.MaximumConcurrency` (that many batches invoked at once, each
on a thread of its own: one slow batch does not hold up the others, as in Lambda).
Streams are read through botocore's `dynamodbstreams` client (DescribeStream,
GetShardIterator, GetRecords), queues through `sqs` (ReceiveMessage, DeleteMessage), so
the same code runs against the runner's embedded moto server and moto in-process.

    pump = Pump(app, refs, invoke, table_names={"TicketsTable": name})
    pump.tick()      # bounded work: one read and at most one invocation per consumer
    pump.settle()    # tick until a tick finds nothing deliverable now
    pump.drain(10)   # tick until nothing is pending at all (queues' in-flight messages too)
    pump.start()     # a background thread ticking every POLL_SECONDS (the runner's async mode)

`invoke(function_logical_id, event)` runs the function: its return value is the
function's, an exception is a function error, `Busy` means "no instance free, try later"
(no attempt counted). docs/design.md section 6 says what is emulated and what is not.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from local.template import App, event_time, referenced, resolve

POLL_SECONDS = 0.05
# After a second with nothing to do, the background thread polls every IDLE_POLL_SECONDS
# (an idle runner spent ~11% of a core on GetRecords every 50 ms); `wake()` (the runner
# calls it after each HTTP request) and any delivery bring it back to POLL_SECONDS.
IDLE_POLL_SECONDS = 0.4
IDLE_AFTER_SECONDS = 1.0
# A stream batch is retried at once up to FAST_RETRIES times, then once a SLOW_RETRY_SECONDS
# (a mapping retrying for ever must not spin the runner; Lambda backs off too)
FAST_RETRIES = 10
SLOW_RETRY_SECONDS = 1.0
ACCOUNT = "123456789012"
TTL_PRINCIPAL = "dynamodb.amazonaws.com"

Invoke = Callable[[str, dict[str, Any]], Any]
SendFailure = Callable[[str, dict[str, Any]], None]  # queue logical id, on-failure record


class Busy(Exception):
    """The function has no free instance: deliver the batch again later (not an attempt)."""


class DrainTimeout(Exception):
    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__("the pump still had work pending at the timeout")
        self.report = report


# ------------------------------------------------------------------ filter patterns


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """An EventBridge pattern, the subset Lambda's FilterCriteria use: nested objects, lists
    of exact values, `prefix`, `suffix`, `exists`, `anything-but`, `numeric`,
    `equals-ignore-case`. Every key of the pattern must match (a list matches if any of its
    values does; an array in the event matches if any element does)."""
    if not isinstance(event, dict):
        return False
    for key, want in pattern.items():
        present = key in event
        value = event.get(key)
        if isinstance(want, dict):
            if not matches(want, value if isinstance(value, dict) else {}):
                return False
        elif isinstance(want, list):
            if not _match_list(want, present, value):
                return False
        else:
            raise ValueError(f"a pattern's leaf must be a list, got {want!r} for {key!r}")
    return True


def _match_list(allowed: list[Any], present: bool, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in allowed:
        if isinstance(rule, dict) and "exists" in rule:
            if bool(rule["exists"]) == (present and not isinstance(value, dict)):
                return True
            continue
        if not present:
            continue
        if any(_match_value(rule, v) for v in values):
            return True
    return False


def _match_value(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        if isinstance(rule, bool) or isinstance(value, bool):
            return rule is value
        if isinstance(rule, int | float) and isinstance(value, int | float):
            return float(rule) == float(value)
        return bool(rule == value)
    ((op, arg),) = rule.items()
    if op == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if op == "suffix":
        return isinstance(value, str) and value.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(arg).lower()
    if op == "anything-but":
        if isinstance(arg, dict):
            return not _match_value(arg, value)
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_match_value(x, value) for x in excluded)
    if op == "numeric":
        return _match_numeric(arg, value)
    raise ValueError(f"unsupported filter operator {op!r}")


def _match_numeric(conditions: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    checks = {
        "<": float.__lt__,
        "<=": float.__le__,
        "=": float.__eq__,
        ">": float.__gt__,
        ">=": float.__ge__,
    }
    pairs = zip(conditions[::2], conditions[1::2], strict=True)
    return all(checks[op](float(value), float(bound)) for op, bound in pairs)


def filters_of(props: dict[str, Any]) -> list[dict[str, Any]]:
    """A mapping's FilterCriteria patterns (each `Pattern` a JSON string or an object)."""
    out: list[dict[str, Any]] = []
    for f in (props.get("FilterCriteria") or {}).get("Filters") or []:
        pattern = f.get("Pattern")
        out.append(json.loads(pattern) if isinstance(pattern, str) else dict(pattern))
    return out


def passes(filters: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    """No filters: every record; else a record matching any of them. An SQS body that is
    JSON is matched as JSON (as Lambda does)."""
    if not filters:
        return True
    subject = record
    if record.get("eventSource") == "aws:sqs":
        try:
            subject = {**record, "body": json.loads(record.get("body") or "")}
        except ValueError:
            pass
    return any(matches(f, subject) for f in filters)


# ------------------------------------------------------------------ mappings


@dataclass(frozen=True)
class StreamMapping:
    function: str  # logical id
    event: str  # the Events entry's name
    table: str  # the table's logical id
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = 100
    report_failures: bool = False
    bisect: bool = False
    max_retries: int = -1  # -1: until the record expires (Lambda's default)
    max_age: int = -1  # seconds, -1: no limit
    on_failure: str | None = None  # queue logical id
    filters: tuple[str, ...] = ()  # JSON patterns (hashable)

    @property
    def patterns(self) -> list[dict[str, Any]]:
        return [json.loads(f) for f in self.filters]


@dataclass(frozen=True)
class QueueMapping:
    function: str
    event: str
    queue: str  # the queue's logical id
    batch_size: int = 10
    report_failures: bool = False
    filters: tuple[str, ...] = ()
    concurrency: int = 1  # ScalingConfig.MaximumConcurrency: batches invoked at once

    @property
    def patterns(self) -> list[dict[str, Any]]:
        return [json.loads(f) for f in self.filters]


def mappings(app: App, refs: dict[str, str]) -> tuple[list[StreamMapping], list[QueueMapping]]:
    """Every enabled DynamoDB and SQS event of the template's functions, properties resolved
    against `refs` (template parameters: `HELPDESK_PARAM_<Name>` shortens them locally)."""
    streams: list[StreamMapping] = []
    queues: list[QueueMapping] = []
    for fn_id in app.functions:
        raw = app.doc["Resources"][fn_id].get("Properties", {}).get("Events") or {}
        for name, event in raw.items():
            kind = event.get("Type")
            if kind not in ("DynamoDB", "SQS"):
                continue
            rprops = event.get("Properties") or {}
            props = resolve(rprops, refs)
            if str(props.get("Enabled", True)).lower() == "false":
                continue
            filters = tuple(json.dumps(p, sort_keys=True) for p in filters_of(props))
            report = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
            if kind == "DynamoDB":
                table = referenced(rprops.get("Stream"), "StreamArn")
                if table is None:
                    continue  # a stream outside the template: nothing local to read
                dest = (rprops.get("DestinationConfig") or {}).get("OnFailure") or {}
                streams.append(
                    StreamMapping(
                        function=fn_id,
                        event=name,
                        table=table,
                        starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
                        batch_size=int(props.get("BatchSize", 100)),
                        report_failures=report,
                        bisect=str(props.get("BisectBatchOnFunctionError", False)).lower()
                        == "true",
                        max_retries=int(props.get("MaximumRetryAttempts", -1)),
                        max_age=int(props.get("MaximumRecordAgeInSeconds", -1)),
                        on_failure=referenced(dest.get("Destination"), "Arn"),
                        filters=filters,
                    )
                )
            else:
                queue = referenced(rprops.get("Queue"), "Arn")
                if queue is None:
                    continue
                queues.append(
                    QueueMapping(
                        function=fn_id,
                        event=name,
                        queue=queue,
                        batch_size=int(props.get("BatchSize", 10)),
                        report_failures=report,
                        filters=filters,
                        concurrency=int(
                            (props.get("ScalingConfig") or {}).get("MaximumConcurrency", 1)
                        ),
                    )
                )
    return streams, queues


# ------------------------------------------------------------------ statistics


@dataclass
class Stats:
    delivered: int = 0  # records handed to the function (a retried record counts again)
    batches: int = 0  # invocations
    failures: int = 0  # invocations that failed, wholly or in part
    filtered: int = 0  # records the filters skipped (processed, never delivered)
    discarded: int = 0  # records given up on (stream: sent to OnFailure; SQS: left to the DLQ)
    last_lag_ms: float | None = None  # write (or send) -> delivery, newest record of a batch
    max_lag_ms: float | None = None

    def lag(self, ms: float) -> None:
        self.last_lag_ms = round(ms, 1)
        self.max_lag_ms = round(max(ms, self.max_lag_ms or 0.0), 1)

    def counts(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "batches": self.batches,
            "failures": self.failures,
            "filtered": self.filtered,
            "discarded": self.discarded,
        }


# ------------------------------------------------------------------ streams


@dataclass
class Item:
    """A stream record in Lambda's event shape, and when it was written (epoch seconds)."""

    record: dict[str, Any]
    created: float

    @property
    def sequence(self) -> str:
        return str(self.record["dynamodb"]["SequenceNumber"])


def _attribute_values(value: Any) -> Any:
    """botocore's parsed attribute values back to the wire's JSON (binary as base64)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _attribute_values(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_attribute_values(v) for v in value]
    return value


def lambda_record(raw: dict[str, Any], stream_arn: str) -> Item:
    """A GetRecords record as Lambda's DynamoDB event has it."""
    d = raw.get("dynamodb") or {}
    created_at = d.get("ApproximateCreationDateTime")
    if isinstance(created_at, datetime):
        aware = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
        created = aware.timestamp()
    else:
        created = float(created_at or time.time())
    dynamodb: dict[str, Any] = {"ApproximateCreationDateTime": int(created)}
    for key in ("Keys", "NewImage", "OldImage"):
        if key in d:
            dynamodb[key] = _attribute_values(d[key])
    dynamodb |= {
        "SequenceNumber": str(d.get("SequenceNumber")),
        "SizeBytes": d.get("SizeBytes", 0),
        "StreamViewType": d.get("StreamViewType"),
    }
    record: dict[str, Any] = {
        "eventID": raw.get("eventID"),
        "eventName": raw.get("eventName"),
        "eventVersion": raw.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": raw.get("awsRegion", "us-east-1"),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    identity = raw.get("userIdentity")
    if identity:
        record["userIdentity"] = {
            "type": identity.get("Type"),
            "principalId": identity.get("PrincipalId"),
        }
    return Item(record, created)


class ShardReader:
    """GetShardIterator once, then GetRecords from where the last read ended."""

    def __init__(self, client: Any, stream_arn: str, shard_id: str, position: str) -> None:
        self.client, self.stream_arn, self.shard_id = client, stream_arn, shard_id
        self.last: str | None = None  # the sequence number of the last record read
        self.position = position
        self.closed = False
        self.iterator: str | None = self._iterator(position)

    def _iterator(self, position: str) -> str | None:
        kwargs: dict[str, Any] = {
            "StreamArn": self.stream_arn,
            "ShardId": self.shard_id,
            "ShardIteratorType": position,
        }
        if self.last is not None:
            kwargs |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.last}
        iterator: str | None = self.client.get_shard_iterator(**kwargs).get("ShardIterator")
        return iterator

    def read(self, limit: int = 100) -> list[Item]:
        if self.iterator is None:
            self.closed = True
            return []
        try:
            out = self.client.get_records(ShardIterator=self.iterator, Limit=limit)
        except ClientError:  # expired (or forgotten) iterator: take a new one where we were
            self.iterator = self._iterator(self.position)
            out = self.client.get_records(ShardIterator=self.iterator, Limit=limit)
        self.iterator = out.get("NextShardIterator")
        items = [lambda_record(r, self.stream_arn) for r in out.get("Records", [])]
        if items:
            self.last = items[-1].sequence
        return items


class SharedShard:
    """One ShardReader for every mapping on a shard (Lambda's pollers each read the shard;
    here the records are fetched once and each mapping's `ShardView` walks them at its own
    pace, so three functions on one stream cost one GetRecords, not three). Records every
    view has passed are dropped."""

    def __init__(self, reader: ShardReader) -> None:
        self.reader = reader
        self.items: list[Item] = []
        self.base = 0  # the position of items[0] in the shard
        self.views: list[ShardView] = []

    @property
    def end(self) -> int:
        return self.base + len(self.items)

    def view(self) -> ShardView:
        v = ShardView(self, self.end)
        self.views.append(v)
        return v

    def fetch(self, limit: int) -> None:
        self.items.extend(self.reader.read(limit))

    def trim(self) -> None:
        keep_from = min(v.offset for v in self.views)
        if keep_from > self.base:
            del self.items[: keep_from - self.base]
            self.base = keep_from


class ShardView:
    """A ShardReader as one mapping sees it (`read`, `closed`, `shard_id`, `stream_arn`)."""

    def __init__(self, shared: SharedShard, offset: int) -> None:
        self.shared, self.offset = shared, offset
        self.shard_id, self.stream_arn = shared.reader.shard_id, shared.reader.stream_arn

    @property
    def closed(self) -> bool:
        return self.shared.reader.closed and self.offset >= self.shared.end

    def read(self, limit: int = 100) -> list[Item]:
        shared = self.shared
        if self.offset >= shared.end:
            shared.fetch(limit)
        start = self.offset - shared.base
        got = shared.items[start : start + limit]
        self.offset += len(got)
        shared.trim()
        return got


class StreamConsumer:
    """One mapping on one shard: Lambda's poller for it. Records are delivered in order; a
    failing batch is retried (bisected toward the failing record when the mapping says so)
    until MaximumRetryAttempts or MaximumRecordAgeInSeconds, then its position goes to the
    OnFailure queue and the shard moves on."""

    def __init__(
        self,
        mapping: StreamMapping,
        reader: Any,  # .read(limit) -> list[Item], .shard_id, .stream_arn, .closed
        invoke: Invoke,
        send_failure: SendFailure,
        stats: Stats,
        region: str = "us-east-1",
    ) -> None:
        self.mapping, self.reader, self.invoke = mapping, reader, invoke
        self.send_failure, self.stats, self.region = send_failure, stats, region
        self.patterns = mapping.patterns
        self.pending: list[Item] = []  # read, matched, not yet done
        self.limit = mapping.batch_size  # the window, smaller while bisecting
        self.head_failures = 0  # failed invocations with the current first record at the head
        self.invocations = 0  # invocations since the head last changed
        self.caught_up = False  # the last read found nothing new
        self.retry_at = 0.0  # time.monotonic() before which the failed head is not retried

    @property
    def idle(self) -> bool:
        return not self.pending and (self.caught_up or self.reader.closed)

    def step(self) -> bool:
        """Read once (if the batch is not full) and invoke once (if anything is pending)."""
        worked = False
        if len(self.pending) < self.mapping.batch_size and not self.reader.closed:
            got = self.reader.read()
            self.caught_up = not got
            for item in got:
                if passes(self.patterns, item.record):
                    self.pending.append(item)
                else:
                    self.stats.filtered += 1
            worked = bool(got)
        if self.pending:
            self._expire_old()
        if self.pending and time.monotonic() >= self.retry_at:
            self._deliver()
            worked = True
        return worked

    def _expire_old(self) -> None:
        if self.mapping.max_age < 0:
            return
        now = time.time()
        old = 0
        while old < len(self.pending) and now - self.pending[old].created > self.mapping.max_age:
            old += 1
        if old:
            self._discard(self.pending[:old], "RecordAgeExceeded", None)

    def _deliver(self) -> None:
        window = self.pending[: min(self.limit, self.mapping.batch_size)]
        event = {"Records": [i.record for i in window]}
        error: str | None = None
        delivered_at = time.time()
        try:
            result = self.invoke(self.mapping.function, event)
        except Busy:
            return
        except Exception as ex:
            error = type(ex).__name__
            result = None
        self.stats.batches += 1
        self.stats.delivered += len(window)
        self.stats.lag((delivered_at - window[-1].created) * 1000)
        self.invocations += 1
        failed_at = 0 if error else self._first_failure(result, window)
        if failed_at is None:
            self._done(len(window))
            return
        self.stats.failures += 1
        if failed_at > 0:  # the records before the first failure are done
            self._done(failed_at)
            self.head_failures = self.invocations = 1
            return
        if self.mapping.bisect and len(window) > 1:
            self.limit = math.ceil(len(window) / 2)  # splitting is not a retry
            return
        self.head_failures += 1
        if 0 <= self.mapping.max_retries < self.head_failures:
            self._discard(window, "RetryAttemptsExhausted", error)
        elif self.head_failures >= FAST_RETRIES:
            self.retry_at = time.monotonic() + SLOW_RETRY_SECONDS

    def _first_failure(self, result: Any, window: list[Item]) -> int | None:
        """None if the batch succeeded, else the index of the first failed record
        (0 for the whole batch: a malformed or unknown itemIdentifier counts as that)."""
        if not self.mapping.report_failures or not isinstance(result, dict):
            return None
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None
        positions = {item.sequence: n for n, item in enumerate(window)}
        indexes = []
        for failure in failures:
            ident = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not ident or str(ident) not in positions:
                return 0
            indexes.append(positions[str(ident)])
        return min(indexes)

    def _done(self, n: int) -> None:
        del self.pending[:n]
        self.retry_at = 0.0
        self.limit = self.mapping.batch_size
        self.head_failures = self.invocations = 0

    def _discard(self, window: list[Item], condition: str, error: str | None) -> None:
        self.stats.discarded += len(window)
        if self.mapping.on_failure:
            self.send_failure(
                self.mapping.on_failure, self.failure_record(window, condition, error)
            )
        self._done(len(window))

    def failure_record(
        self, window: list[Item], condition: str, error: str | None
    ) -> dict[str, Any]:
        """What Lambda sends to an OnFailure destination for a stream batch: where it is in
        the stream, never the records themselves."""

        def iso(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if error:
            response["functionError"] = "Unhandled"
        now = datetime.now(UTC)
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:"
                f"{self.mapping.function}",
                "condition": condition,
                "approximateInvokeCount": max(self.invocations, 1),
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": event_time(now),
            "DDBStreamBatchInfo": {
                "shardId": self.reader.shard_id,
                "startSequenceNumber": window[0].sequence,
                "endSequenceNumber": window[-1].sequence,
                "approximateArrivalOfFirstRecord": iso(window[0].created),
                "approximateArrivalOfLastRecord": iso(window[-1].created),
                "batchSize": len(window),
                "streamArn": self.reader.stream_arn,
            },
        }


# ------------------------------------------------------------------ queues


def _message_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, a in attrs.items():
        binary = a.get("BinaryValue")
        out[name] = {
            "stringValue": a.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode() if binary else None,
            "stringListValues": a.get("StringListValues", []),
            "binaryListValues": [
                base64.b64encode(b).decode() for b in a.get("BinaryListValues", [])
            ],
            "dataType": a.get("DataType"),
        }
    return out


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A ReceiveMessage message as Lambda's SQS event has it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": _message_attributes(message.get("MessageAttributes") or {}),
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class QueueConsumer:
    """One SQS mapping: receive a batch, invoke, delete what succeeded. A failed message is
    left alone: it is received again after the queue's VisibilityTimeout (or sooner, if the
    function changed its visibility), and the queue's RedrivePolicy (moto applies it on
    receive) moves it to the dead-letter queue after maxReceiveCount receives."""

    def __init__(
        self,
        mapping: QueueMapping,
        client: Any,
        queue_url: str,
        queue_arn: str,
        invoke: Invoke,
        stats: Stats,
        region: str = "us-east-1",
    ) -> None:
        self.mapping, self.client, self.url, self.arn = mapping, client, queue_url, queue_arn
        self.invoke, self.stats, self.region = invoke, stats, region
        self.patterns = mapping.patterns
        self.inflight = 0  # batches invoked on their own threads, not yet done
        self.inflight_lock = threading.Lock()

    def pending(self) -> int:
        """Messages not yet done: visible, in flight (a retry waiting) and delayed."""
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        attrs = self.client.get_queue_attributes(QueueUrl=self.url, AttributeNames=names)
        return sum(int(attrs["Attributes"].get(n, 0)) for n in names)

    def receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.mapping.batch_size:
            out = self.client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=min(10, self.mapping.batch_size - len(messages)),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            got = out.get("Messages") or []
            messages += got
            if len(got) < 10:
                break
        return messages

    @property
    def busy(self) -> bool:
        """A batch is being invoked on a thread of its own (ScalingConfig)."""
        with self.inflight_lock:
            return self.inflight > 0

    def step(self) -> bool:
        """Receive a batch and invoke the function with it. With a MaximumConcurrency above
        1 (Lambda runs that many batches of one mapping at once), the invocation runs on a
        thread of its own and the step returns at once, so that one slow batch does not hold
        up the next (while fewer than that many run)."""
        if self.mapping.concurrency > 1:
            with self.inflight_lock:
                if self.inflight >= self.mapping.concurrency:
                    return False
        messages = self.receive()
        if not messages:
            return False
        records = [sqs_record(m, self.arn, self.region) for m in messages]
        batch = [r for r in records if passes(self.patterns, r)]
        skipped = [r for r in records if r not in batch]
        with self.inflight_lock:
            self.stats.filtered += len(skipped)
        self._delete(skipped)  # Lambda deletes the messages its filters drop
        if not batch:
            return True
        if self.mapping.concurrency <= 1:
            self._invoke(batch)
            return True
        with self.inflight_lock:
            self.inflight += 1

        def run() -> None:
            try:
                self._invoke(batch)
            except Exception as ex:  # the pump's own calls failed: the messages come back
                print(f"pump: {self.mapping.function}: {type(ex).__name__}: {ex}", flush=True)
            finally:
                with self.inflight_lock:
                    self.inflight -= 1

        threading.Thread(target=run, name=f"pump-{self.mapping.function}", daemon=True).start()
        return True

    def _invoke(self, batch: list[dict[str, Any]]) -> None:
        delivered_at = time.time()
        try:
            result = self.invoke(self.mapping.function, {"Records": batch})
            failed = self._failed(result, batch)
        except Busy:
            self._release(batch)
            return
        except Exception:
            failed = batch
        with self.inflight_lock:
            self.stats.batches += 1
            self.stats.delivered += len(batch)
            sent = max(int(r["attributes"].get("SentTimestamp", 0)) for r in batch) / 1000
            self.stats.lag((delivered_at - sent) * 1000)
            if failed:
                self.stats.failures += 1
        self._delete([r for r in batch if r not in failed])

    def _failed(self, result: Any, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.mapping.report_failures or not isinstance(result, dict):
            return []
        failures = result.get("batchItemFailures") or []
        by_id = {r["messageId"]: r for r in batch}
        out = []
        for failure in failures:
            ident = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not ident or ident not in by_id:
                return batch  # a malformed answer fails the whole batch, as in Lambda
            out.append(by_id[ident])
        return out

    def _delete(self, records: Iterable[dict[str, Any]]) -> None:
        entries = [
            {"Id": str(n), "ReceiptHandle": r["receiptHandle"]} for n, r in enumerate(records)
        ]
        for start in range(0, len(entries), 10):
            self.client.delete_message_batch(QueueUrl=self.url, Entries=entries[start : start + 10])

    def _release(self, records: Iterable[dict[str, Any]]) -> None:
        for r in records:
            self.client.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=r["receiptHandle"], VisibilityTimeout=0
            )


# ------------------------------------------------------------------ the pump


@dataclass
class Pump:
    """Every stream and queue mapping of the template, against one backend."""

    app: App
    refs: dict[str, str]  # template parameters, queues' `!Ref`/`<id>.Arn`, table logical ids
    invoke: Invoke
    table_names: dict[str, str]  # table logical id -> the backend's table name
    endpoint: str | None = None  # None: boto3's default (moto in-process under mock_aws)
    region: str = "us-east-1"
    session: Any = None
    stats: dict[str, Stats] = field(default_factory=dict)  # by function logical id
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        session = self.session or boto3.session.Session(region_name=self.region)
        # botocore sends ARN-bearing Streams calls to `<account>.streams-ddb.<region>...`,
        # a host moto 5.2.5's in-process mock does not know (404): the regional endpoint
        regional = Config(account_id_endpoint_mode="disabled")
        self.streams_client = session.client(
            "dynamodbstreams", endpoint_url=self.endpoint, config=regional
        )
        self.ddb = session.client("dynamodb", endpoint_url=self.endpoint)
        self.sqs = session.client("sqs", endpoint_url=self.endpoint)
        self.stream_mappings, self.queue_mappings = mappings(self.app, self.refs)
        self.all_mappings: list[StreamMapping | QueueMapping] = [
            *self.stream_mappings,
            *self.queue_mappings,
        ]
        for m in self.all_mappings:
            self.stats.setdefault(m.function, Stats())
        self.consumers: dict[tuple[str, str, str], StreamConsumer] = {}
        self.shards: dict[tuple[str, str, str], SharedShard] = {}  # (arn, shard, position)
        self.queues = [
            QueueConsumer(
                m,
                self.sqs,
                self.refs[m.queue],
                self.refs.get(f"{m.queue}.Arn", ""),
                self.invoke,
                self.stats[m.function],
                self.region,
            )
            for m in self.queue_mappings
        ]
        self._shards_at = 0.0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()

    @property
    def functions(self) -> list[str]:
        return sorted(self.stats)

    def _refresh_shards(self, force: bool = False) -> None:
        """A consumer per (mapping, shard): shards are listed again every 2 s."""
        if not force and time.monotonic() - self._shards_at < 2.0:
            return
        self._shards_at = time.monotonic()
        for m in self.stream_mappings:
            table = self.table_names.get(m.table)
            if not table:
                continue
            arn = self.ddb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
            if not arn:
                continue
            kwargs: dict[str, Any] = {"StreamArn": arn}
            while True:
                desc = self.streams_client.describe_stream(**kwargs)["StreamDescription"]
                for shard in desc.get("Shards", []):
                    key = (m.function, m.event, shard["ShardId"])
                    if key not in self.consumers:
                        where = (arn, shard["ShardId"], m.starting_position)
                        if where not in self.shards:
                            self.shards[where] = SharedShard(
                                ShardReader(self.streams_client, *where)
                            )
                        self.consumers[key] = StreamConsumer(
                            m,
                            self.shards[where].view(),
                            self.invoke,
                            self.send_failure,
                            self.stats[m.function],
                            self.region,
                        )
                if not desc.get("LastEvaluatedShardId"):
                    break
                kwargs["ExclusiveStartShardId"] = desc["LastEvaluatedShardId"]

    def send_failure(self, queue: str, record: dict[str, Any]) -> None:
        self.sqs.send_message(QueueUrl=self.refs[queue], MessageBody=json.dumps(record))

    def tick(self) -> bool:
        """Bounded work: each consumer reads once and invokes at most once. Whether any
        record or message moved."""
        with self.lock:
            self._refresh_shards()
            worked = False
            for consumer in list(self.consumers.values()):
                worked = consumer.step() or worked
            for queue in self.queues:
                worked = queue.step() or worked
            return worked

    def idle(self) -> bool:
        """Nothing pending anywhere: every shard read to its end and done, every served
        queue empty (no visible, in-flight or delayed message)."""
        with self.lock:
            return all(c.idle for c in self.consumers.values()) and not any(
                q.busy or q.pending() for q in self.queues
            )

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {name: s.counts() for name, s in self.stats.items()}

    def report(self, before: dict[str, dict[str, int]]) -> dict[str, Any]:
        """What happened since `before` (a snapshot), per function that did anything."""
        out: dict[str, Any] = {}
        for name, counts in self.snapshot().items():
            delta = {k: v - before.get(name, {}).get(k, 0) for k, v in counts.items()}
            if any(delta.values()):
                out[name] = delta
        return out

    def settle(self, max_seconds: float = 5.0) -> dict[str, Any]:
        """Tick until a tick moves nothing: whatever is deliverable now is delivered (a
        message waiting out its visibility timeout or delay, or a stream batch waiting
        out its slow retry, is not waited for); at most `max_seconds`."""
        deadline = time.monotonic() + max_seconds
        with self.lock:
            before = self.snapshot()
            while time.monotonic() < deadline:
                if self.tick():
                    continue
                if not any(q.busy for q in self.queues):
                    break
                time.sleep(POLL_SECONDS / 5)  # a batch on its own thread: wait for it
            return self.report(before)

    def drain(self, timeout: float = 10.0) -> dict[str, Any]:
        """Tick until nothing is pending (in-flight and delayed messages included), at most
        `timeout` seconds; `DrainTimeout` (with what was delivered) past that."""
        deadline = time.monotonic() + timeout
        before = self.snapshot()
        with self.lock:
            self._refresh_shards(force=True)
        while True:
            with self.lock:
                worked = self.tick()
                if not worked and self.idle():
                    return self.report(before)
            if time.monotonic() > deadline:
                raise DrainTimeout(self.report(before))
            if not worked:
                time.sleep(POLL_SECONDS)

    def status(self) -> dict[str, Any]:
        """Per function: its mappings and what they did (GET /_local/streams)."""
        out: dict[str, Any] = {}
        for m in self.all_mappings:
            s = self.stats[m.function]
            entry = out.setdefault(
                m.function, {"sources": [], **s.counts(), "last_lag_ms": s.last_lag_ms}
            )
            entry["max_lag_ms"] = s.max_lag_ms
            source = m.table if isinstance(m, StreamMapping) else m.queue
            entry["sources"].append(
                {
                    "event": m.event,
                    "type": "DynamoDB" if isinstance(m, StreamMapping) else "SQS",
                    "source": source,
                }
            )
        return out

    # the runner's async mode

    def start(self, interval: float = POLL_SECONDS) -> None:
        def loop() -> None:
            busy_at = time.monotonic()
            while not self._stop.is_set():
                try:
                    worked = self.tick()
                except Exception as ex:  # keep pumping: the next tick tries again
                    print(f"pump: {type(ex).__name__}: {ex}", flush=True)
                    worked = False
                if worked:
                    busy_at = time.monotonic()
                    continue
                idle = time.monotonic() - busy_at > IDLE_AFTER_SECONDS
                if self._wake.wait(IDLE_POLL_SECONDS if idle else interval):
                    busy_at = time.monotonic()
                self._wake.clear()

        self._thread = threading.Thread(target=loop, name="pump", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Poll now rather than at the next interval (the runner calls it after a request)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
