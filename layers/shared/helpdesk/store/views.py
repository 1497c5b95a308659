"""Saved views' items (docs/design.md 2.2, "Saved views").

Every view is one item `VIEW`/`V#<id>` (name, owner, shared, position, filter, sort,
order, generation, state, backfill cursor, revision), a deleted one a tombstone for a day;
`VIEW`/`#GEN` counts the changes of any view. A reader lists the views with one Query of the partition; the list indexer
checks its cached definitions with one GetItem of `#GEN` per batch and Queries the
partition only when it moved (`definitions`). Every write that changes what a view holds
(create, a new generation, deletion) moves `#GEN` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helpdesk.errors import ConcurrentUpdateError
from helpdesk.store import codec, keys
from helpdesk.viewdefs import ViewDef, ViewFilter

_cache: tuple[int, list[ViewDef]] | None = None


def clear() -> None:
    """Forget the cached definitions (tests; a new sandbox starts empty)."""
    global _cache
    _cache = None


def _generation_bump() -> dict[str, Any]:
    return {
        "Update": {
            "TableName": codec.table(),
            "Key": keys.VIEWS_GENERATION.av(),
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def definition(data: Mapping[str, Any]) -> ViewDef:
    """A stored view (plain values) as the indexer and the readers use it."""
    return ViewDef(
        id=str(data["id"]),
        generation=int(data["generation"]),
        filter=ViewFilter.of(data.get("filter") or {}),
        sort=data.get("sort", "activity"),
        state=data.get("state", "ready"),
    )


def list_views() -> tuple[list[dict[str, Any]], bool]:
    """Every view (plain values), one consistent Query of the partition; and whether the
    partition was ever written (the defaults were seeded)."""
    found = codec.query_all(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.VIEWS}},
        ConsistentRead=True,
    )
    items = [codec.plain(i) for i in found]
    seeded = any(i["SK"] == keys.VIEWS_GENERATION.sk for i in items)
    return [i for i in items if keys.view_id_of(i["PK"], i["SK"]) is not None], seeded


def get_view(view_id: str) -> dict[str, Any] | None:
    found = codec.get(keys.view(view_id).av(), consistent=True)
    return codec.plain(found) if found else None


def _item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {**keys.view(str(data["id"])).fields(), "kind": "view", **data}


def seed(views: Sequence[Mapping[str, Any]]) -> bool:
    """Put the defaults once: one transaction with the generation item's creation, so two
    first readers seed once (False: another did)."""
    items = [codec.put_new(_item(v)) for v in views]
    first = {
        "Put": {
            "TableName": codec.table(),
            "Item": codec.item({**keys.VIEWS_GENERATION.fields(), "kind": "views", "n": 1}),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
    try:
        codec.transact([first, *items])
    except ConcurrentUpdateError:
        return False
    return True


def create(data: Mapping[str, Any]) -> None:
    codec.transact([codec.put_new(_item(data)), _generation_bump()])


def replace(data: Mapping[str, Any], *, revision: int, rebuilt: bool) -> None:
    """Write the view's new state over the one read at `revision` (ConcurrentUpdateError if
    it moved); `rebuilt`: what it holds changed (the indexer's definitions are stale)."""
    put = {
        "Put": {
            "TableName": codec.table(),
            "Item": codec.item(_item(data)),
            "ConditionExpression": "attribute_exists(PK) AND rev = :rev",
            "ExpressionAttributeValues": {":rev": {"N": str(revision)}},
        }
    }
    if rebuilt:
        codec.transact([put, _generation_bump()])
    else:
        codec.write(put)


def advance(view: Mapping[str, Any], sets: Mapping[str, Any]) -> bool:
    """A backfill step's progress (cursor, state) over the state it started from
    (generation, state and cursor as read): False if the view moved since."""
    data = {**view, **sets, "rev": int(view.get("rev", 0)) + 1}
    try:
        replace(data, revision=int(view.get("rev", 0)), rebuilt=False)
    except ConcurrentUpdateError:
        return False
    return True


TOMBSTONE_SECONDS = 86_400  # a deleted view's tombstone, then DynamoDB's TTL removes it


def remove(view: Mapping[str, Any], now_epoch: int) -> bool:
    """The deleted view, once its entries are gone: a tombstone (id, generation, `deleted`)
    for a day, so that an indexer batch still holding the view's definition, which put a
    ticket back on it after the clean-up passed, takes it off at the ticket's next write
    (a view its definitions do not know is left alone); DynamoDB's TTL then removes it.
    False: the view moved since."""
    tombstone = {
        "id": view["id"],
        "generation": int(view["generation"]),
        "state": "deleted",
        "rev": int(view.get("rev", 0)) + 1,
        "ttl": now_epoch + TOMBSTONE_SECONDS,
    }
    try:
        replace(tombstone, revision=int(view.get("rev", 0)), rebuilt=True)
    except ConcurrentUpdateError:
        return False
    return True


def definitions() -> list[ViewDef] | None:
    """Every view's definition for the list indexer: cached in the sandbox, checked with one
    consistent GetItem of `#GEN` (a call per indexer batch), re-read with one Query of the
    partition when a view changed since. Stale by at most the batch in flight."""
    global _cache
    found = codec.get(keys.VIEWS_GENERATION.av(), consistent=True)
    if found is None:
        return None  # never seeded
    generation = int(found["n"]["N"])
    if _cache is not None and _cache[0] == generation:
        return _cache[1]
    views, _ = list_views()
    _cache = (generation, [definition(v) for v in views])
    return _cache[1]
