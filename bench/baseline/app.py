"""The bare handler cold starts are compared with: boto3 and json, nothing else."""

import json

import boto3  # noqa: F401


def lambda_handler(event: dict[str, object], context: object) -> dict[str, object]:
    return {"statusCode": 200, "body": json.dumps({"ok": True})}
