"""Least privilege from the code: each function is granted no DynamoDB action its code cannot make.

A static call graph over the layer: from a function's app.py, every layer function it
names (called, or passed on as a callback), transitively. The AWS operations reachable
that way are what the code can do; a grant outside them is one too many. Reading the
code rather than running it keeps rare paths (rollbacks, retries, idempotency) in.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from local.template import App, Function
from local.template import app as load_app

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared"

# botocore method -> the IAM actions it needs (TransactWriteItems needs each item's own
# action, found from the item kinds the reachable code builds).
DYNAMODB = {
    "get_item": {"dynamodb:GetItem"},
    "query": {"dynamodb:Query"},
    "batch_get_item": {"dynamodb:BatchGetItem"},
    "put_item": {"dynamodb:PutItem"},
    "update_item": {"dynamodb:UpdateItem"},
    "delete_item": {"dynamodb:DeleteItem"},
    "batch_write_item": {"dynamodb:BatchWriteItem"},
    "transact_get_items": {"dynamodb:GetItem"},
    "scan": {"dynamodb:Scan"},
}
TRANSACT_ITEMS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
S3_METHODS = {
    "generate_presigned_post",
    "generate_presigned_url",
    "head_object",
    "get_object",
    "put_object",
    "copy_object",
    "delete_object",
    "delete_objects",
    "get_paginator",
}
# Powertools' DynamoDB idempotency store reads, writes, updates and deletes its records.
# What Lambda's event source mapping reads a table's stream with (on the function's role).
STREAM_READ = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}
IDEMPOTENCY = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}

Node = tuple[str, str]  # (module, top-level function), module "" for a function's app.py


@cache
def _module(name: str) -> tuple[dict[str, ast.AST], dict[str, str], dict[str, Node]]:
    """(top-level functions, module aliases, imported functions) of a layer module."""
    path = LAYER / (name.replace(".", "/") + ".py")
    return _index(ast.parse(path.read_text()), name)


def _is_layer_module(name: str) -> bool:
    return (LAYER / (name.replace(".", "/") + ".py")).exists()


def _index(
    tree: ast.Module, name: str
) -> tuple[dict[str, ast.AST], dict[str, str], dict[str, Node]]:
    functions: dict[str, ast.AST] = {}
    modules: dict[str, str] = {}
    imported: dict[str, Node] = {}
    for top in tree.body:
        if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            functions[top.name] = top
    # Imports anywhere (lazy imports inside functions count as uses).
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpdesk"):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if _is_layer_module(full):
                    modules[a.asname or a.name] = full
                else:
                    imported[a.asname or a.name] = (node.module, a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("helpdesk"):
                    modules[a.asname or a.name] = a.name
    return functions, modules, imported


def _edges_and_ops(
    body: ast.AST, module: str, index: tuple[dict[str, ast.AST], dict[str, str], dict[str, Node]]
) -> tuple[set[Node], set[str], set[str]]:
    functions, modules, imported = index
    edges: set[Node] = set()
    methods: set[str] = set()
    keys: set[str] = set()
    for node in ast.walk(body):
        if isinstance(node, ast.Name):
            if node.id in functions:
                edges.add((module, node.id))
            elif node.id in imported:
                edges.add(imported[node.id])
            elif node.id in ("idempotency_persistence", "DynamoDBPersistenceLayer"):
                methods.add("<idempotency>")
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in modules:
                edges.add((modules[node.value.id], node.attr))
            if (
                node.attr in DYNAMODB
                or node.attr in S3_METHODS
                or node.attr == "transact_write_items"
            ):
                methods.add(node.attr)
            if node.attr == "idempotency_persistence":
                methods.add("<idempotency>")
        elif isinstance(node, ast.Dict):
            keys |= {
                k.value
                for k in node.keys
                if isinstance(k, ast.Constant) and k.value in TRANSACT_ITEMS
            }
    return edges, methods, keys


@cache
def _reach(node: Node) -> tuple[frozenset[str], frozenset[str]]:
    """(botocore methods, transaction item kinds) reachable from a layer function."""
    seen: set[Node] = set()
    todo = [node]
    methods: set[str] = set()
    keys: set[str] = set()
    while todo:
        module, name = todo.pop()
        if (module, name) in seen or not _is_layer_module(module):
            continue
        seen.add((module, name))
        index = _module(module)
        body = index[0].get(name)
        if body is None:
            continue
        edges, m, k = _edges_and_ops(body, module, index)
        methods |= m
        keys |= k
        todo += list(edges - seen)
    return frozenset(methods), frozenset(keys)


def code_actions(fn_dir: Path) -> tuple[set[str], bool]:
    """(DynamoDB actions, uses S3) that a function's code can make: app.py and any module
    packaged with it (the console's `console` package)."""
    edges: set[Node] = set()
    methods: set[str] = set()
    keys: set[str] = set()
    for source in sorted(fn_dir.rglob("*.py")):
        tree = ast.parse(source.read_text())
        e, m, k = _edges_and_ops(tree, "", _index(tree, ""))
        edges, methods, keys = edges | e, methods | m, keys | k
    for edge in edges:
        reached, kinds = _reach(edge)
        methods |= reached
        keys |= kinds
    actions: set[str] = set()
    for method in methods:
        actions |= DYNAMODB.get(method, set())
    if "<idempotency>" in methods:
        actions |= IDEMPOTENCY
    if "transact_write_items" in methods:
        actions |= {TRANSACT_ITEMS[k] for k in keys}
    return actions, bool(methods & S3_METHODS)


def _granted(fn: Function) -> tuple[set[str], set[str]]:
    actions = fn.actions
    return {a for a in actions if a.startswith("dynamodb:")}, {
        a for a in actions if a.startswith("s3:")
    }


@pytest.fixture(scope="module")
def tpl() -> App:
    return load_app()


def test_the_call_graph_sees_what_a_known_route_does() -> None:
    # Given the reply route (a transaction on the ticket, attachments, idempotency)
    actions, s3 = code_actions(ROOT / "functions" / "reply_ticket")
    # Then its reachable actions include the transaction's items and the idempotency store
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} <= actions
    assert s3
    # And a read route reaches no write
    reads, s3_reads = code_actions(ROOT / "functions" / "list_categories")
    assert reads and not reads & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    assert not s3_reads


def test_each_function_is_granted_only_what_its_code_can_do(tpl: App) -> None:
    # Given every function in the template and the AWS calls its code can reach
    too_much: dict[str, set[str]] = {}
    for name, fn in tpl.functions.items():
        ddb, s3 = _granted(fn)
        actions, uses_s3 = code_actions(ROOT / fn.code_uri)
        # Then no DynamoDB grant is beyond the code, and S3 only where the code calls S3
        events = (fn.properties.get("Events") or {}).values()
        if any(e.get("Type") == "DynamoDB" for e in events):
            actions |= STREAM_READ
        extra = ddb - actions
        if extra:
            too_much[name] = extra
        assert not (s3 and not uses_s3), f"{name}: S3 grants {s3} but its code never calls S3"
    assert not too_much, f"grants beyond the code: { {k: sorted(v) for k, v in too_much.items()} }"


def test_action_names_are_exact(tpl: App) -> None:
    # IAM actions are exact names here: a pattern would grant what the code never asked for.
    for name, fn in tpl.functions.items():
        ddb, s3 = _granted(fn)
        for action in ddb | s3:
            assert re.fullmatch(r"(dynamodb|s3):[A-Z][A-Za-z]+", action), f"{name}: {action}"
