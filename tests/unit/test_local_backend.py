"""The runner's moto backend: its patches refuse another moto release; the bucket is the
template's (versioned)."""

from __future__ import annotations

import moto
import pytest

from local import backend
from tests.conftest import BUCKET


@pytest.mark.parametrize("patch", [backend.patch_moto, backend.start_moto])
def test_moto_patches_refuse_a_moto_release_they_were_not_written_for(
    monkeypatch: pytest.MonkeyPatch, patch: object
) -> None:
    # Given a moto release other than the one the patches were written for
    monkeypatch.setattr(moto, "__version__", "99.0.0")
    # When the runner (or the test backend) patches moto
    with pytest.raises(backend.MotoVersionError, match=r"written for moto 5\.2\.5.*99\.0\.0"):
        patch()  # type: ignore[operator]
    # Then it says so, and nothing was started or patched


def test_the_pinned_moto_is_the_one_installed() -> None:
    backend.check_moto_version()  # the pin in requirements/dev.txt moves with MOTO_VERSION
    from tests.conftest import ROOT

    assert f"moto[server]=={backend.MOTO_VERSION}" in (ROOT / "requirements/dev.txt").read_text()


def test_the_local_bucket_is_versioned_like_the_templates(aws: None) -> None:
    import boto3

    s3 = boto3.client("s3")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"


def test_the_templates_queues_are_created_with_their_properties(aws: None) -> None:
    import boto3

    from tests.conftest import _refs

    sqs = boto3.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=_refs["ChangeFailureQueue"], AttributeNames=["All"])
    assert attrs["Attributes"]["MessageRetentionPeriod"] == "1209600"
    assert attrs["Attributes"]["QueueArn"] == _refs["ChangeFailureQueue.Arn"]


def test_a_queues_redrive_policy_and_parameters_are_resolved(aws: None) -> None:
    import json

    import boto3

    from local.template import parse

    doc = {
        "Resources": {
            "Work": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "VisibilityTimeout": {"Ref": "Visibility"},
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["Dead", "Arn"]},
                        "maxReceiveCount": 3,
                    },
                },
            },
            "Dead": {"Type": "AWS::SQS::Queue", "Properties": {}},
        }
    }
    session = boto3.session.Session()
    refs = backend.create_queues(parse(doc), session, None, {"Visibility": "2"})
    attrs = session.client("sqs").get_queue_attributes(
        QueueUrl=refs["Work"], AttributeNames=["All"]
    )["Attributes"]
    assert attrs["VisibilityTimeout"] == "2"
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": refs["Dead.Arn"],
        "maxReceiveCount": 3,
    }


def test_a_cancelled_transaction_leaves_no_stream_records(aws: None) -> None:
    import boto3
    import pytest
    from botocore.exceptions import ClientError

    from tests.conftest import TABLE, pump

    # Given an item, and a transaction that writes another one, then fails on the first
    ddb = boto3.client("dynamodb")
    ddb.put_item(TableName=TABLE, Item={"PK": {"S": "A"}, "SK": {"S": "T"}})
    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "B"}, "SK": {"S": "T"}}}},
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"PK": {"S": "A"}, "SK": {"S": "T"}},
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    # When the stream is read; Then only the committed write is in it
    p = pump()
    p.tick()
    # every stream function's view of the shard, and the one reader they share
    readers = {c.reader.shared.reader for c in p.consumers.values()}
    assert readers and all(r.last is not None for r in readers)
    seen = p.stats["ProcessChangesFunction"].filtered
    assert seen == 1  # the INSERT of A; nothing of B
