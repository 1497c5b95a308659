"""local.pump: the FilterCriteria matcher, and Lambda's stream batching, partial failures,
bisection, retries and on-failure records (a fake shard and a fake function); SQS
delivery on moto in-process."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.pump import (
    Busy,
    DrainTimeout,
    Item,
    QueueConsumer,
    QueueMapping,
    Stats,
    StreamConsumer,
    StreamMapping,
    mappings,
    matches,
    passes,
)
from local.template import app as template_app
from local.template import parse

# ------------------------------------------------------------------ the matcher

RECORD = {
    "eventName": "REMOVE",
    "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    "dynamodb": {
        "Keys": {"PK": {"S": "TICKET#t1"}, "SK": {"S": "T"}},
        "OldImage": {"status": {"S": "open"}, "n": {"N": "5"}, "tags": {"SS": ["a", "b"]}},
    },
    "size": 12,
    "flag": True,
    "tags": ["red", "blue"],
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["REMOVE"]}, True),
        ({"eventName": ["INSERT", "MODIFY"]}, False),
        ({"dynamodb": {"Keys": {"SK": {"S": ["T"]}}}}, True),
        ({"dynamodb": {"Keys": {"SK": {"S": ["M"]}}}}, False),
        ({"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "TICKET#"}]}}}}, True),
        ({"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "USER#"}]}}}}, False),
        ({"dynamodb": {"Keys": {"PK": {"S": [{"suffix": "#t1"}]}}}}, True),
        ({"userIdentity": {"principalId": [{"exists": True}]}}, True),
        ({"userIdentity": {"principalId": [{"exists": False}]}}, False),
        ({"missing": [{"exists": False}]}, True),
        ({"missing": [{"exists": True}]}, False),
        ({"missing": ["x"]}, False),
        ({"dynamodb": {"NewImage": {"status": {"S": [{"exists": False}]}}}}, True),
        ({"eventName": [{"anything-but": ["INSERT", "MODIFY"]}]}, True),
        ({"eventName": [{"anything-but": "REMOVE"}]}, False),
        ({"eventName": [{"anything-but": {"prefix": "REM"}}]}, False),
        ({"missing": [{"anything-but": ["x"]}]}, False),  # never matches an absent key
        ({"size": [12]}, True),
        ({"size": [12.0]}, True),
        ({"size": ["12"]}, False),
        ({"size": [{"numeric": [">", 10, "<=", 12]}]}, True),
        ({"size": [{"numeric": ["<", 10]}]}, False),
        ({"flag": [True]}, True),
        ({"flag": [1]}, False),
        ({"tags": ["blue"]}, True),  # an array in the event: any element
        ({"tags": ["green"]}, False),
        ({"eventName": [{"equals-ignore-case": "remove"}]}, True),
        ({"eventName": ["REMOVE"], "userIdentity": {"principalId": ["someone"]}}, False),
        ({"userIdentity": ["dynamodb.amazonaws.com"]}, False),  # an object is no leaf
    ],
)
def test_patterns(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, RECORD) is expected


def test_a_record_passes_if_any_filter_matches_and_every_record_without_filters() -> None:
    assert passes([], RECORD)
    assert passes([{"eventName": ["INSERT"]}, {"eventName": ["REMOVE"]}], RECORD)
    assert not passes([{"eventName": ["INSERT"]}], RECORD)


def test_an_sqs_body_is_matched_as_json_when_it_is_json() -> None:
    record = {"eventSource": "aws:sqs", "body": json.dumps({"kind": "webhook", "n": 3})}
    assert passes([{"body": {"kind": ["webhook"]}}], record)
    assert not passes([{"body": {"kind": ["other"]}}], record)
    plain = {"eventSource": "aws:sqs", "body": "not json"}
    assert passes([{"body": [{"prefix": "not"}]}], plain)


def test_the_change_consumers_filter_takes_feed_inserts_and_ttl_removals_of_ticket_items() -> None:
    # (the list indexer reads the same stream: its own filter is tested below)
    streams, _ = mappings(template_app(), {})
    (purge,) = [m for m in streams if m.function == "ProcessChangesFunction"]
    feed = {"Keys": {"PK": {"S": "FEED"}, "SK": {"S": "2026-12-01T00:00:00Z#x"}}}
    assert passes(purge.patterns, {"eventName": "INSERT", "dynamodb": feed})
    assert not passes(purge.patterns, {"eventName": "MODIFY", "dynamodb": feed})
    ttl = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    ticket_keys = {"Keys": {"PK": {"S": "TICKET#t"}, "SK": {"S": "T"}}}
    assert passes(
        purge.patterns, {"eventName": "REMOVE", "userIdentity": ttl, "dynamodb": ticket_keys}
    )
    user = {"type": "User", "principalId": "AIDA123"}
    assert not passes(
        purge.patterns, {"eventName": "REMOVE", "userIdentity": user, "dynamodb": ticket_keys}
    )
    assert not passes(purge.patterns, {"eventName": "REMOVE", "dynamodb": ticket_keys})
    assert not passes(
        purge.patterns, {"eventName": "MODIFY", "userIdentity": ttl, "dynamodb": ticket_keys}
    )
    message = {"Keys": {"PK": {"S": "TICKET#t"}, "SK": {"S": "T#M#x"}}}
    assert not passes(
        purge.patterns, {"eventName": "REMOVE", "userIdentity": ttl, "dynamodb": message}
    )
    assert not passes(purge.patterns, {"eventName": "INSERT", "dynamodb": ticket_keys})


# ------------------------------------------------------------------ mappings from a template

TEMPLATE: dict[str, Any] = {
    "Parameters": {"Batch": {"Type": "Number", "Default": 7}},
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        "Work": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Failed": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Indexer": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/x/",
                "Events": {
                    "Changes": {
                        "Type": "DynamoDB",
                        "Properties": {
                            "Stream": {"Fn::GetAtt": ["Table", "StreamArn"]},
                            "StartingPosition": "LATEST",
                            "BatchSize": {"Ref": "Batch"},
                            "DestinationConfig": {
                                "OnFailure": {"Destination": {"Fn::GetAtt": ["Failed", "Arn"]}}
                            },
                        },
                    },
                    "Api": {"Type": "HttpApi", "Properties": {"Path": "/x", "Method": "GET"}},
                },
            },
        },
        "Deliver": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/y/",
                "Events": {
                    "Jobs": {
                        "Type": "SQS",
                        "Properties": {
                            "Queue": {"Fn::GetAtt": ["Work", "Arn"]},
                            "BatchSize": 5,
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            "FilterCriteria": {"Filters": [{"Pattern": '{"body": {"k": ["a"]}}'}]},
                        },
                    },
                    "Off": {
                        "Type": "SQS",
                        "Properties": {"Queue": {"Fn::GetAtt": ["Work", "Arn"]}, "Enabled": False},
                    },
                },
            },
        },
    },
}


def test_mappings_are_read_from_the_template_with_parameters_resolved() -> None:
    streams, queues = mappings(parse(TEMPLATE), {"Batch": "3"})
    assert streams == [
        StreamMapping(
            function="Indexer",
            event="Changes",
            table="Table",
            starting_position="LATEST",
            batch_size=3,
            on_failure="Failed",
        )
    ]
    (queue,) = queues
    assert (queue.function, queue.queue, queue.batch_size, queue.report_failures) == (
        "Deliver",
        "Work",
        5,
        True,
    )
    assert queue.patterns == [{"body": {"k": ["a"]}}]


# ------------------------------------------------------------------ stream delivery


class FakeShard:
    """A shard holding `n` records (sequence numbers 100, 101, ...), read in pages."""

    shard_id = "shardId-1"
    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x"
    closed = False

    def __init__(self, n: int, **fields: Any) -> None:
        now = time.time()
        self.items = [
            Item(
                {
                    "eventName": "INSERT",
                    "dynamodb": {"SequenceNumber": str(100 + i), "Keys": {"PK": {"S": f"k{i}"}}},
                    **fields,
                },
                now,
            )
            for i in range(n)
        ]
        self.at = 0

    def read(self, limit: int = 100) -> list[Item]:
        out = self.items[self.at : self.at + limit]
        self.at += len(out)
        return out


class FakeFunction:
    """Records every batch; fails the records named in `poison` (raising, or reporting
    them in batchItemFailures when `report` is set)."""

    def __init__(self, poison: set[str] = frozenset(), report: bool = True) -> None:  # type: ignore[assignment]
        self.poison, self.report = set(poison), report
        self.batches: list[list[str]] = []
        self.busy = 0

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        if self.busy:
            self.busy -= 1
            raise Busy("no instance")
        seqs = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        self.batches.append(seqs)
        bad = [s for s in seqs if s in self.poison]
        if bad and not self.report:
            raise RuntimeError("poisoned")
        if bad and len(bad) == len(seqs):
            raise RuntimeError("the whole batch failed")  # as Powertools' BatchProcessor
        return {"batchItemFailures": [{"itemIdentifier": s} for s in bad]}

    @property
    def done(self) -> list[str]:
        """Each sequence number once, in the order first delivered."""
        return list(dict.fromkeys(s for b in self.batches for s in b))


def consumer(
    shard: FakeShard, fn: Any, sent: list[dict[str, Any]] | None = None, **options: Any
) -> StreamConsumer:
    mapping = StreamMapping(
        function="Fn",
        event="E",
        table="T",
        on_failure="Failures",
        **{"batch_size": 10, "max_retries": 2, **options},
    )
    out = sent if sent is not None else []
    return StreamConsumer(mapping, shard, fn, lambda q, r: out.append(r), Stats())


def run(c: StreamConsumer, limit: int = 200) -> None:
    for _ in range(limit):
        c.step()
        if c.idle:
            return
    raise AssertionError("the consumer never caught up")


def test_records_are_delivered_in_order_in_batches_of_batch_size() -> None:
    fn = FakeFunction()
    c = consumer(FakeShard(25), fn)
    run(c)
    assert [len(b) for b in fn.batches] == [10, 10, 5]
    assert fn.done == [str(100 + i) for i in range(25)]
    assert (c.stats.delivered, c.stats.batches, c.stats.failures) == (25, 3, 0)


def test_a_reported_failure_is_retried_from_the_first_failed_record() -> None:
    fn = FakeFunction(poison={"103"})
    fn_calls: list[list[str]] = fn.batches
    c = consumer(FakeShard(6), fn, report_failures=True, max_retries=-1)
    c.step()  # [100..105]: 103 fails; 100-102 are done
    fn.poison.clear()  # the cause goes away
    run(c)
    assert fn_calls[0] == ["100", "101", "102", "103", "104", "105"]
    assert fn_calls[1] == ["103", "104", "105"]
    assert c.stats.failures == 1 and c.stats.discarded == 0


def test_a_poisoned_record_is_bisected_to_itself_then_sent_to_the_failure_destination() -> None:
    sent: list[dict[str, Any]] = []
    fn = FakeFunction(poison={"104"}, report=False)  # a function error, no partial answer
    c = consumer(FakeShard(10), fn, sent, bisect=True, max_retries=2)
    run(c)
    # every other record is delivered; the poisoned one is given up alone
    assert set(fn.done) == {str(100 + i) for i in range(10)}
    assert c.stats.discarded == 1
    (record,) = sent
    info = record["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        "104",
        "104",
        1,
    )
    assert info["shardId"] == "shardId-1" and info["streamArn"] == FakeShard.stream_arn
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["responseContext"]["functionError"] == "Unhandled"
    # 1 + 2 retries of [104] alone (splitting is not a retry)
    assert sum(1 for b in fn.batches if b == ["104"]) == 3


def test_without_bisection_the_whole_failing_batch_is_given_up() -> None:
    sent: list[dict[str, Any]] = []
    fn = FakeFunction(poison={"101"}, report=False)
    c = consumer(FakeShard(4), fn, sent, batch_size=4, max_retries=1)
    run(c)
    assert fn.batches == [["100", "101", "102", "103"]] * 2
    (record,) = sent
    assert record["DDBStreamBatchInfo"]["batchSize"] == 4
    assert c.stats.discarded == 4


def test_a_malformed_item_identifier_fails_the_whole_batch() -> None:
    calls: list[int] = []

    def fn(function: str, event: dict[str, Any]) -> Any:
        calls.append(len(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": ""}]} if len(calls) == 1 else {}

    c = consumer(FakeShard(3), fn, report_failures=True)
    run(c)
    assert calls == [3, 3] and c.stats.failures == 1


def test_records_older_than_the_maximum_age_are_given_up_unread() -> None:
    sent: list[dict[str, Any]] = []
    fn = FakeFunction()
    shard = FakeShard(3)
    for item in shard.items:
        item.created -= 100
    c = consumer(shard, fn, sent, max_age=60)
    run(c)
    assert fn.batches == [] and sent[0]["requestContext"]["condition"] == "RecordAgeExceeded"


def test_filtered_records_count_as_processed_and_are_not_delivered() -> None:
    fn = FakeFunction()
    c = consumer(FakeShard(4), fn, filters=(json.dumps({"eventName": ["REMOVE"]}),))
    run(c)
    assert fn.batches == [] and c.stats.filtered == 4


def test_a_busy_function_is_not_a_failed_attempt() -> None:
    fn = FakeFunction()
    fn.busy = 5
    c = consumer(FakeShard(2), fn, max_retries=0)
    run(c)
    assert fn.batches == [["100", "101"]] and c.stats.failures == 0


def test_one_functions_failures_do_not_hold_back_another_on_the_same_stream() -> None:
    failing, healthy = FakeFunction(poison={"100"}, report=False), FakeFunction()
    slow = consumer(FakeShard(3), failing, max_retries=-1)  # retries for ever
    fast = consumer(FakeShard(3), healthy)
    for _ in range(5):
        slow.step()
        fast.step()
    assert healthy.done == ["100", "101", "102"] and fast.idle
    assert not slow.idle and len(failing.batches) == 5


# ------------------------------------------------------------------ SQS (moto in-process)


@pytest.fixture
def sqs() -> Iterator[Any]:
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def queue_consumer(sqs: Any, fn: Any, **options: Any) -> tuple[QueueConsumer, str, str]:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName="work",
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    mapping = QueueMapping(function="Fn", event="E", queue="Work", **options)
    return (
        QueueConsumer(mapping, sqs, url, "arn:aws:sqs:us-east-1:123456789012:work", fn, Stats()),
        url,
        dlq,
    )


def test_sqs_messages_are_delivered_failures_retried_and_poison_moved_to_the_dlq(sqs: Any) -> None:
    seen: list[str] = []

    def fn(function: str, event: dict[str, Any]) -> Any:
        failures = []
        for r in event["Records"]:
            assert r["eventSource"] == "aws:sqs" and r["receiptHandle"] and r["attributes"]
            seen.append(r["body"])
            if r["body"] == "poison":
                failures.append({"itemIdentifier": r["messageId"]})
        return {"batchItemFailures": failures}

    c, url, dlq = queue_consumer(sqs, fn, batch_size=10, report_failures=True)
    for body in ("a", "poison", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    for _ in range(5):
        c.step()
    # the good ones once, the poisoned one maxReceiveCount times, then it is in the DLQ
    assert sorted(seen) == ["a", "b", "poison", "poison"]
    moved = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert [m["Body"] for m in moved] == ["poison"]
    assert c.pending() == 0
    assert c.stats.failures == 2


def test_sqs_delay_seconds_are_honoured_and_filters_drop_messages(sqs: Any) -> None:
    seen: list[str] = []

    def fn(function: str, event: dict[str, Any]) -> Any:
        seen.extend(r["body"] for r in event["Records"])

    c, url, _ = queue_consumer(sqs, fn, filters=(json.dumps({"body": {"k": ["a"]}}),))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"k": "a"}), DelaySeconds=1)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"k": "b"}))
    c.step()
    assert seen == [] and c.stats.filtered == 1 and c.pending() == 1  # the delayed one
    time.sleep(1.1)
    c.step()
    assert seen == [json.dumps({"k": "a"})] and c.pending() == 0


def test_drain_times_out_with_what_it_delivered() -> None:
    err = DrainTimeout({"Fn": {"delivered": 1}})
    assert err.report == {"Fn": {"delivered": 1}}


def test_a_batch_failing_for_ever_is_retried_slowly_after_the_fast_retries() -> None:
    import local.pump as pump_module

    fn = FakeFunction(poison={"100"}, report=False)
    c = consumer(FakeShard(1), fn, max_retries=-1)
    for _ in range(50):
        c.step()
    # FAST_RETRIES failures at once, then nothing until SLOW_RETRY_SECONDS have passed
    assert len(fn.batches) == pump_module.FAST_RETRIES and not c.idle
    c.retry_at = time.monotonic() - 1  # as if the pause were over
    c.step()
    assert len(fn.batches) == pump_module.FAST_RETRIES + 1


def test_the_runners_drain_route_answers_504_problem_json_at_its_timeout() -> None:
    from local.runner import Gateway

    class StuckPump:
        def drain(self, timeout: float) -> dict[str, Any]:
            raise DrainTimeout({"Fn": {"delivered": 2}})

    gateway = Gateway.__new__(Gateway)  # only the /_local/ routes: no backend, no workers
    gateway.pump, gateway.pump_mode = StuckPump(), "async"  # type: ignore[assignment]
    status, headers, body = gateway.local("POST", "/_local/streams/drain", b'{"timeout": 0.1}')
    doc = json.loads(body)
    assert status == 504 and ("Content-Type", "application/problem+json") in headers
    assert doc["code"] == "DRAIN_TIMEOUT" and doc["delivered"] == {"Fn": {"delivered": 2}}
    status, _, body = gateway.local("POST", "/_local/streams/drain", b'{"timeout": "soon"}')
    assert (status, json.loads(body)["code"]) == (400, "VALIDATION_FAILED")
    gateway.pump = None
    status, _, body = gateway.local("GET", "/_local/streams", b"")
    assert (status, json.loads(body)["code"]) == (409, "PUMP_OFF")


def test_the_list_indexers_filter_takes_every_change_of_a_ticket_item_only() -> None:
    streams, _ = mappings(template_app(), {})
    (index,) = [m for m in streams if m.function == "IndexListsFunction"]
    for name in ("INSERT", "MODIFY", "REMOVE"):
        ticket = {"Keys": {"PK": {"S": "TICKET#t"}, "SK": {"S": "T"}}}
        assert passes(index.patterns, {"eventName": name, "dynamodb": ticket})
    for pk, sk in (("TICKET#t", "T#M#x"), ("TICKET#t", "E#0000000001"), ("TOKEN#k", "T")):
        other = {"Keys": {"PK": {"S": pk}, "SK": {"S": sk}}}
        assert not passes(index.patterns, {"eventName": "INSERT", "dynamodb": other})
