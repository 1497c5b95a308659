"""DynamoDB access: the only module that talks to DynamoDB.

Single-table design (keys and access patterns: docs/design.md, "Data").
Callers hand in and get back domain objects; item shapes and keys never
leave this module, and `ClientError`s become domain errors here.

Lists are "list entries": for every list a ticket belongs to (its
*listkeys*: mine, mine-by-status, queue-by-assignee, ...) the ticket is
copied into the partition `L#<listkey>`, sorted by last activity; a
counter item `C#<listkey>` holds the list's size. Both are rewritten in the
same transaction as the ticket, so a list page is one Query that reads only
its page and a total is one GetItem, whatever the table holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.config import Config
from botocore.exceptions import ClientError

from helpdesk.aws import error_code, new_client
from helpdesk.domain import (
    OPEN_STATUSES,
    ApiToken,
    Attachment,
    AttachmentStatus,
    Category,
    Department,
    Message,
    Ticket,
    TicketEvent,
)
from helpdesk.errors import (
    AttachmentAlreadyAttachedError,
    AttachmentInUseError,
    AttachmentNotFoundError,
    ConcurrentUpdateError,
    HelpdeskError,
    ValidationFailedError,
)
from helpdesk.settings import table_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from mypy_boto3_dynamodb.client import DynamoDBClient

MAX_TRANSACTION_ITEMS = 100

# ---------------------------------------------------------------- plumbing


@lru_cache(maxsize=1)
def client() -> DynamoDBClient:
    # Endpoint and credentials come from the environment (AWS_ENDPOINT_URL locally).
    dynamodb: DynamoDBClient = new_client(
        "dynamodb", Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2)
    )
    return dynamodb


def _table() -> str:
    return table_settings().table_name


def _av(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB attribute value (the JSON shapes our models dump)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if isinstance(value, list | tuple):
        return {"L": [_av(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): _av(v) for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__}")


def _py(av: Mapping[str, Any]) -> Any:
    ((kind, value),) = av.items()
    if kind == "S":
        return value
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "L":
        return [_py(v) for v in value]
    if kind == "M":
        return {k: _py(v) for k, v in value.items()}
    if kind in ("SS", "NS"):
        return [_py({kind[0]: v}) for v in value]
    raise TypeError(f"unexpected attribute type {kind}")


def _item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _av(v) for k, v in data.items() if v is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _py(v) for k, v in item.items()}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


class StoreError(HelpdeskError):
    code, status, title = "STORE_UNAVAILABLE", 503, "The data store is unavailable; retry"


def _transact(items: list[dict[str, Any]], *, links_at: int | None = None) -> None:
    """One TransactWriteItems; `items[links_at:]` are attachment links (see `_link_update`)."""
    if len(items) > MAX_TRANSACTION_ITEMS:
        raise ValidationFailedError("This change touches too many lists at once; split it")
    try:
        client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
    except ClientError as ex:
        if error_code(ex) == "TransactionCanceledException":
            reasons = [r.get("Code") for r in ex.response.get("CancellationReasons", [])]
            if links_at is not None and "ConditionalCheckFailed" in reasons[links_at:]:
                # Someone linked (or deleted) it since we checked: retrying will not help.
                raise AttachmentAlreadyAttachedError(
                    "An attachment was linked or deleted while this message was being saved"
                ) from ex
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise ConcurrentUpdateError() from ex
        raise StoreError() from ex


# ---------------------------------------------------------------- keys

TICKET_SK = "T"
PUBLIC_MSG = "T#M#"
NOTE_MSG = "T#N#"
EVENT = "E#"
DELETED_LIST = "Q#DEL"


def _ticket_pk(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


def _message_sk(msg: Message) -> str:
    return f"{NOTE_MSG if msg.internal else PUBLIC_MSG}{msg.created_at}#{msg.id}"


def listkeys(t: Ticket) -> set[str]:
    """Every list the ticket is on. Each is a partition of entries plus a counter.

    R#<user>: the requester's lists; O#<org>: the organization's; Q: the staff queue.
    A deleted ticket is on one list only, `Q#DEL` (the queue's `deleted=true`).
    """
    if t.deleted_at is not None:
        # the requester's own deleted list lets erasure find every ticket of his
        return {DELETED_LIST, f"{DELETED_LIST}#R#{t.requester_id}"}
    keys = {
        f"R#{t.requester_id}",
        f"R#{t.requester_id}#S#{t.status}",
        f"R#{t.requester_id}#P#{t.priority}",
    }
    if t.category_id:
        keys.add(f"R#{t.requester_id}#C#{t.category_id}")
    if t.customer_unread_count > 0:
        keys.add(f"R#{t.requester_id}#U")
    if t.status in OPEN_STATUSES or t.customer_unread_count > 0:
        keys.add(f"R#{t.requester_id}#OU")
    if t.org_id:
        keys |= {f"O#{t.org_id}", f"O#{t.org_id}#S#{t.status}"}
    assignee = t.assignee_id or "none"
    keys |= {
        "Q",
        f"Q#S#{t.status}",
        f"Q#P#{t.priority}",
        f"Q#A#{assignee}",
        f"Q#R#{t.requester_id}",
        f"Q#S#{t.status}#A#{assignee}",
    }
    if t.category_id:
        keys.add(f"Q#C#{t.category_id}")
    if t.sub_category_id:
        keys.add(f"Q#SC#{t.sub_category_id}")
    if t.department_id:
        keys |= {f"Q#D#{t.department_id}", f"Q#S#{t.status}#D#{t.department_id}"}
    if t.org_id:
        keys.add(f"Q#O#{t.org_id}")
    keys |= {f"Q#T#{tag}" for tag in t.tags}
    keys |= {external_ref_listkey(k, v) for k, v in t.external_refs.items()}
    if t.staff_unread_count > 0:
        keys.add("Q#U")
    return keys


def external_ref_listkey(name: str, value: str) -> str:
    """The staff list of tickets linked to `name:value` (e.g. jira:OPS-123)."""
    return f"Q#X#{name}:{value}"


def _entry_sk(t: Ticket) -> str:
    return f"{t.last_activity_at}#{t.id}"


def _ticket_data(t: Ticket) -> dict[str, Any]:
    return t.model_dump(mode="json")


def _entry_item(lk: str, t: Ticket, fields: dict[str, Any]) -> dict[str, Any]:
    """A list entry: `fields` is the ticket's attribute map, converted once for all its lists."""
    data: dict[str, Any] = {"PK": f"L#{lk}", "SK": _entry_sk(t), "kind": "entry"}
    if lk.startswith("Q"):
        # staff lists also sort by creation and by last update (sync clients)
        data |= {
            "GSI1PK": f"L#{lk}",
            "GSI1SK": f"{t.created_at}#{t.id}",
            "GSI2PK": f"L#{lk}",
            "GSI2SK": f"{t.updated_at}#{t.id}",
        }
    return {"Put": {"TableName": _table(), "Item": fields | _item(data)}}


def _counter_update(lk: str, delta: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": _table(),
            "Key": _key(f"C#{lk}", "#"),
            "UpdateExpression": "ADD n :d",
            "ExpressionAttributeValues": {":d": {"N": str(delta)}},
        }
    }


def _ticket_writes(old: Ticket | None, new: Ticket) -> list[dict[str, Any]]:
    """The ticket item (version-checked), its list entries and the list counters."""
    fields = _item(_ticket_data(new))  # shared by the ticket item and every list entry
    keys = {"PK": _ticket_pk(new.id), "SK": TICKET_SK, "kind": "ticket", "ttl": new.purge_at}
    # A deleted ticket's item expires (DynamoDB TTL); the stream purger removes the rest.
    item = fields | _item(keys)
    put: dict[str, Any] = {"TableName": _table(), "Item": item}
    if old is None:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    else:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": {"N": str(old.version)}}
    writes: list[dict[str, Any]] = [{"Put": put}]
    old_keys = listkeys(old) if old else set()
    new_keys = listkeys(new)
    new_sk = _entry_sk(new)
    for lk in sorted(old_keys):
        if old is not None and (lk not in new_keys or _entry_sk(old) != new_sk):
            writes.append(
                {"Delete": {"TableName": _table(), "Key": _key(f"L#{lk}", _entry_sk(old))}}
            )
    writes += [_entry_item(lk, new, fields) for lk in sorted(new_keys)]
    writes += [_counter_update(lk, +1) for lk in sorted(new_keys - old_keys)]
    writes += [_counter_update(lk, -1) for lk in sorted(old_keys - new_keys)]
    return writes


def _put_new(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": _table(),
            "Item": _item(data),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def _message_put(msg: Message) -> dict[str, Any]:
    return _put_new(
        {
            "PK": _ticket_pk(msg.ticket_id),
            "SK": _message_sk(msg),
            "kind": "message",
            **msg.model_dump(mode="json"),
        }
    )


def _event_put(ev: TicketEvent) -> dict[str, Any]:
    return _put_new(
        {
            "PK": _ticket_pk(ev.ticket_id),
            "SK": f"{EVENT}{ev.seq:010d}",
            "kind": "event",
            **ev.model_dump(mode="json"),
        }
    )


# ---------------------------------------------------------------- tickets


def next_ticket_number() -> int:
    """The next human ticket number (#1001, #1002, ...), from an atomic counter."""
    try:
        out = client().update_item(
            TableName=_table(),
            Key=_key("SEQ", "TICKET_NUMBER"),
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
    except ClientError as ex:
        raise StoreError() from ex
    return 1000 + int(out["Attributes"]["n"]["N"])


def create_ticket(
    ticket: Ticket,
    first: Message,
    events: Iterable[TicketEvent],
    links: Sequence[AttachmentLink] = (),
    guest_link: GuestLink | None = None,
) -> None:
    """Ticket, first message, events, number lookup, entries, counters, the guest link (public
    form) and attachment links: one transaction."""
    number = _put_new({"PK": f"NUMBER#{ticket.number}", "SK": "N", "ticket_id": ticket.id})
    writes = (
        _ticket_writes(None, ticket)
        + [number, _message_put(first)]
        + [_event_put(e) for e in events]
        + _profile_puts(ticket)
        + ([_guest_link_put(ticket.id, guest_link)] if guest_link else [])
    )
    _transact(writes + [_link_update(k) for k in links], links_at=len(writes))


def save_ticket(
    old: Ticket,
    new: Ticket,
    events: Iterable[TicketEvent],
    messages: Iterable[Message] = (),
    links: Sequence[AttachmentLink] = (),
    staff: StaffMember | None = None,
) -> None:
    """Write a ticket change; ConcurrentUpdateError if the ticket moved on since `old` was read.

    `links` (from `attachments.prepare_links`) mark attachments as belonging to a
    message in the same transaction; a link whose attachment is no longer
    pending and the caller's cancels it all (AttachmentAlreadyAttachedError).
    `staff` refreshes the acting staff member's directory entry in the same transaction.
    """
    writes = (
        _ticket_writes(old, new)
        + [_message_put(m) for m in messages]
        + [_event_put(e) for e in events]
        + ([_staff_put(staff)] if staff else [])
    )
    _transact(writes + [_link_update(k) for k in links], links_at=len(writes))


def copy_messages(messages: Sequence[Message]) -> None:
    """Put messages (BatchWriteItem); keys are deterministic, so a retry rewrites, never doubles."""
    items = [
        {
            "PutRequest": {
                "Item": _item(
                    {
                        "PK": _ticket_pk(m.ticket_id),
                        "SK": _message_sk(m),
                        "kind": "message",
                        **m.model_dump(mode="json"),
                    }
                )
            }
        }
        for m in messages
    ]
    try:
        for start in range(0, len(items), 25):
            pending: dict[str, Any] = {_table(): items[start : start + 25]}
            while pending:
                out = client().batch_write_item(RequestItems=pending)
                pending = dict(out.get("UnprocessedItems") or {})
    except ClientError as ex:
        raise StoreError() from ex


def save_tickets(changes: Sequence[tuple[Ticket, Ticket, Sequence[TicketEvent]]]) -> None:
    """Several ticket changes in one transaction (each version-checked), e.g. a merge."""
    writes: list[dict[str, Any]] = []
    for old, new, events in changes:
        writes += _ticket_writes(old, new) + [_event_put(e) for e in events]
    _transact(writes)


def get_ticket(ticket_id: str) -> Ticket | None:
    try:
        out = client().get_item(
            TableName=_table(), Key=_key(_ticket_pk(ticket_id), TICKET_SK), ConsistentRead=True
        )
    except ClientError as ex:
        raise StoreError() from ex
    item = out.get("Item")
    return _ticket(item) if item else None


def _ticket(item: Mapping[str, Any]) -> Ticket:
    return Ticket.model_validate(_plain(item))


class TicketThread(NamedTuple):
    ticket: Ticket
    messages: list[Message]


def get_thread(ticket_id: str, *, include_notes: bool) -> TicketThread | None:
    """The ticket and its messages (oldest first) in one Query; notes only for staff."""
    if include_notes:
        cond, values = "PK = :pk AND begins_with(SK, :t)", {":t": {"S": TICKET_SK}}
    else:
        cond = "PK = :pk AND SK BETWEEN :t AND :m"
        values = {":t": {"S": TICKET_SK}, ":m": {"S": PUBLIC_MSG + "\uffff"}}
    values[":pk"] = {"S": _ticket_pk(ticket_id)}
    items = _query_all(
        KeyConditionExpression=cond, ExpressionAttributeValues=values, ConsistentRead=True
    )
    if not items or items[0]["SK"]["S"] != TICKET_SK:
        return None
    messages = [Message.model_validate(_plain(i)) for i in items[1:]]
    messages.sort(key=lambda m: (m.created_at, m.id))
    return TicketThread(_ticket(items[0]), messages)


def _query_all(**kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    try:
        while True:
            out = client().query(TableName=_table(), **kwargs)
            items += out.get("Items", [])
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    except ClientError as ex:
        raise StoreError() from ex


def ticket_id_by_number(number: int) -> str | None:
    try:
        out = client().get_item(TableName=_table(), Key=_key(f"NUMBER#{number}", "N"))
    except ClientError as ex:
        raise StoreError() from ex
    item = out.get("Item")
    return str(item["ticket_id"]["S"]) if item else None


class Page(NamedTuple):
    tickets: list[Ticket]
    next_sort_key: str | None


def list_page(
    listkey: str,
    *,
    limit: int,
    before: str | None = None,
    sort: str = "activity",
    descending: bool = True,
    since: str | None = None,
) -> Page:
    """One page of a list: a single Query reading at most `limit + 1` entries."""
    index = {"activity": None, "created": "GSI1", "updated": "GSI2"}[sort]
    pk_name = {None: "PK", "GSI1": "GSI1PK", "GSI2": "GSI2PK"}[index]
    sk_name = {None: "SK", "GSI1": "GSI1SK", "GSI2": "GSI2SK"}[index]
    cond = f"{pk_name} = :pk"
    values: dict[str, Any] = {":pk": {"S": f"L#{listkey}"}}
    if descending and before is not None and since is not None:
        cond += f" AND {sk_name} BETWEEN :lo AND :hi"
        values |= {":lo": {"S": since}, ":hi": {"S": _just_below(before)}}
    elif before is not None:
        cond += f" AND {sk_name} {'<' if descending else '>'} :c"
        values[":c"] = {"S": before}
    elif since is not None:
        cond += f" AND {sk_name} >= :lo"
        values[":lo"] = {"S": since}
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": cond,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": not descending,
        "Limit": limit + 1,
    }
    if index:
        kwargs["IndexName"] = index
    try:
        out = client().query(**kwargs)
    except ClientError as ex:
        raise StoreError() from ex
    items = out.get("Items", [])
    page = items[:limit]
    more = len(items) > limit
    return Page([_ticket(i) for i in page], page[-1][sk_name]["S"] if more else None)


def _just_below(value: str) -> str:
    """The greatest practical string below `value`, for an inclusive BETWEEN upper bound."""
    return value[:-1] + chr(ord(value[-1]) - 1) + "\uffff" if value else value


def count(listkeys_: Iterable[str]) -> int:
    """The sum of the counters of `listkeys_` (one GetItem, or one BatchGetItem for several)."""
    keys = sorted(set(listkeys_))
    try:
        if len(keys) == 1:
            out = client().get_item(TableName=_table(), Key=_key(f"C#{keys[0]}", "#"))
            items = [out["Item"]] if "Item" in out else []
        else:
            res = client().batch_get_item(
                RequestItems={_table(): {"Keys": [_key(f"C#{k}", "#") for k in keys]}}
            )
            items = res.get("Responses", {}).get(_table(), [])
    except ClientError as ex:
        raise StoreError() from ex
    return sum(int(i["n"]["N"]) for i in items)


def list_events(
    ticket_id: str, *, limit: int, after_seq: int = 0
) -> tuple[list[TicketEvent], bool]:
    try:
        out = client().query(
            TableName=_table(),
            KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": _ticket_pk(ticket_id)},
                ":lo": {"S": f"{EVENT}{after_seq + 1:010d}"},
                ":hi": {"S": f"{EVENT}9999999999"},
            },
            Limit=limit + 1,
        )
    except ClientError as ex:
        raise StoreError() from ex
    items = out.get("Items", [])
    return [TicketEvent.model_validate(_plain(i)) for i in items[:limit]], len(items) > limit


# ---------------------------------------------------------------- attachments
# ATTACHMENT#<id> / A: one item per attachment (docs/design.md, "2.3 Attachments").
# A pending item carries `ttl` (= expires_at) so DynamoDB removes it if it is
# never linked; linking removes the ttl in the message's own transaction.

ATTACHMENT_SK = "A"


def _attachment_key(attachment_id: str) -> dict[str, Any]:
    return _key(f"ATTACHMENT#{attachment_id}", ATTACHMENT_SK)


def _attachment(item: Mapping[str, Any]) -> Attachment:
    return Attachment.model_validate(_plain(item))


class AttachmentLink(NamedTuple):
    """Marks a pending attachment as part of a message (built by `attachments.prepare_links`)."""

    attachment_id: str
    owner_id: str
    key: str  # where the verified copy lives (files/...)
    ticket_id: str
    message_id: str
    internal: bool
    at: str  # ISO time of linking
    now_epoch: int  # the item must not have expired by then


def _link_update(link: AttachmentLink) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": _table(),
            "Key": _attachment_key(link.attachment_id),
            "UpdateExpression": (
                "SET #s = :attached, #k = :key, ticket_id = :t, message_id = :m,"
                " internal = :i, attached_at = :at REMOVE #ttl, expires_at"
            ),
            "ConditionExpression": (
                "attribute_exists(PK) AND #s = :pending AND owner_id = :o AND expires_at > :now"
            ),
            "ExpressionAttributeNames": {"#s": "status", "#k": "key", "#ttl": "ttl"},
            "ExpressionAttributeValues": {
                ":attached": {"S": AttachmentStatus.ATTACHED.value},
                ":pending": {"S": AttachmentStatus.PENDING.value},
                ":key": {"S": link.key},
                ":t": {"S": link.ticket_id},
                ":m": {"S": link.message_id},
                ":i": {"BOOL": link.internal},
                ":at": {"S": link.at},
                ":o": {"S": link.owner_id},
                ":now": {"N": str(link.now_epoch)},
            },
        }
    }


def put_attachment(a: Attachment) -> None:
    """Record a new pending attachment (with its TTL)."""
    data: dict[str, Any] = {"PK": f"ATTACHMENT#{a.id}", "SK": ATTACHMENT_SK, "kind": "attachment"}
    data |= a.model_dump(mode="json")
    if a.status is AttachmentStatus.PENDING and a.expires_at is not None:
        data["ttl"] = a.expires_at
    try:
        client().put_item(
            TableName=_table(), Item=_item(data), ConditionExpression="attribute_not_exists(PK)"
        )
    except ClientError as ex:
        raise StoreError() from ex


def get_attachment(attachment_id: str) -> Attachment | None:
    try:
        out = client().get_item(
            TableName=_table(), Key=_attachment_key(attachment_id), ConsistentRead=True
        )
    except ClientError as ex:
        raise StoreError() from ex
    item = out.get("Item")
    return _attachment(item) if item else None


def get_attachments(attachment_ids: Sequence[str]) -> dict[str, Attachment]:
    """The attachments that exist among `attachment_ids` (one consistent BatchGetItem)."""
    ids = sorted(set(attachment_ids))
    if not ids:
        return {}
    keys = [_attachment_key(i) for i in ids]
    found: list[dict[str, Any]] = []
    try:
        while keys:
            out = client().batch_get_item(
                RequestItems={_table(): {"Keys": keys, "ConsistentRead": True}}
            )
            found += out.get("Responses", {}).get(_table(), [])
            unprocessed: dict[str, Any] = dict(out.get("UnprocessedKeys") or {})
            keys = list(unprocessed.get(_table(), {}).get("Keys", []))
    except ClientError as ex:
        raise StoreError() from ex
    return {a.id: a for a in map(_attachment, found)}


def delete_pending_attachment(attachment_id: str, owner_id: str) -> Attachment:
    """Delete the caller's pending attachment item and return it.

    AttachmentNotFoundError if there is none; AttachmentInUseError if it is linked.
    """
    try:
        out = client().delete_item(
            TableName=_table(),
            Key=_attachment_key(attachment_id),
            ConditionExpression="attribute_exists(PK) AND owner_id = :o AND #s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":o": {"S": owner_id},
                ":pending": {"S": AttachmentStatus.PENDING.value},
            },
            ReturnValues="ALL_OLD",
        )
    except ClientError as ex:
        if error_code(ex) != "ConditionalCheckFailedException":
            raise StoreError() from ex
        current = get_attachment(attachment_id)
        if current is None or current.owner_id != owner_id:
            raise AttachmentNotFoundError() from ex
        raise AttachmentInUseError() from ex
    return _attachment(out["Attributes"])


# ---------------------------------------------------------------- catalog


def list_catalog() -> tuple[list[Category], list[Department]]:
    """Categories (with sub-categories) and departments: one Query."""
    items = _query_all(
        KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "CATALOG"}}
    )
    cats, deps = [], []
    for item in items:
        data = _plain(item)
        if data["SK"].startswith("CAT#"):
            cats.append(Category.model_validate(data))
        elif data["SK"].startswith("DEP#"):
            deps.append(Department.model_validate(data))
    return cats, deps


def get_category(category_id: str) -> Category | None:
    out = client().get_item(TableName=_table(), Key=_key("CATALOG", f"CAT#{category_id}"))
    return Category.model_validate(_plain(out["Item"])) if "Item" in out else None


def get_department(department_id: str) -> Department | None:
    out = client().get_item(TableName=_table(), Key=_key("CATALOG", f"DEP#{department_id}"))
    return Department.model_validate(_plain(out["Item"])) if "Item" in out else None


def put_category(cat: Category) -> None:
    client().put_item(
        TableName=_table(),
        Item=_item({"PK": "CATALOG", "SK": f"CAT#{cat.id}", **cat.model_dump(mode="json")}),
    )


def put_department(dep: Department) -> None:
    client().put_item(
        TableName=_table(),
        Item=_item({"PK": "CATALOG", "SK": f"DEP#{dep.id}", **dep.model_dump(mode="json")}),
    )


# ---------------------------------------------------------------- idempotency


@lru_cache(maxsize=1)
def idempotency_persistence() -> DynamoDBPersistenceLayer:
    """Powertools' idempotency records live in our table under PK=IDEMPOTENCY."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=_table(),
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY",
        expiry_attr="ttl",
        boto3_client=client(),
    )


# ---------------------------------------------------------------- people


def _profile_puts(t: Ticket) -> list[dict[str, Any]]:
    """The requester's profile (for the staff view) and the email lookup (staff filter)."""
    profile = {
        "PK": f"USER#{t.requester_id}",
        "SK": "PROFILE",
        "kind": "profile",
        "user_id": t.requester_id,
        "name": t.requester_name,
        "email": t.requester_email,
        "org_id": t.org_id,
        "guest": t.guest,
    }
    puts = [{"Put": {"TableName": _table(), "Item": _item(profile)}}]
    # a guest's address may be a customer's too (the form proves no ownership): the
    # lookup stays the account's, and staff find guests by their guest_<hash> id
    if t.requester_email and not t.guest:
        lookup = {"PK": f"EMAIL#{t.requester_email.lower()}", "SK": "U", "user_id": t.requester_id}
        puts.append({"Put": {"TableName": _table(), "Item": _item(lookup)}})
    return puts


def user_id_by_email(email: str) -> str | None:
    try:
        out = client().get_item(TableName=_table(), Key=_key(f"EMAIL#{email.lower()}", "U"))
    except ClientError as ex:
        raise StoreError() from ex
    item = out.get("Item")
    return str(item["user_id"]["S"]) if item else None


class StaffMember(NamedTuple):
    """An entry of the staff directory (assignees must be in it; docs/design.md, 2.4).

    `active` False: deactivated by an admin; the member's JWTs and API tokens lose
    their staff roles. `deactivated_at` stays after a reactivation: API tokens made
    before it never regain staff roles."""

    user_id: str
    name: str
    email: str
    roles: tuple[str, ...]
    active: bool = True
    last_seen_at: str | None = None
    deactivated_at: str | None = None


def _staff_put(member: StaffMember) -> dict[str, Any]:
    """Write the member's name, email, roles and last seen time; never `active`, which
    only an admin changes (an in-flight staff write must not undo a deactivation)."""
    return {
        "Update": {
            "TableName": _table(),
            "Key": staff_key(member.user_id),
            "UpdateExpression": (
                "SET kind = :kind, user_id = :id, #name = :name, email = :email,"
                " #roles = :roles, last_seen_at = :seen, active = if_not_exists(active, :yes)"
            ),
            "ExpressionAttributeNames": {"#name": "name", "#roles": "roles"},
            "ExpressionAttributeValues": {
                ":kind": _av("staff"),
                ":id": _av(member.user_id),
                ":name": _av(member.name),
                ":email": _av(member.email),
                ":roles": _av(sorted(member.roles)),
                ":seen": _av(member.last_seen_at),
                ":yes": _av(True),
            },
        }
    }


def put_staff(member: StaffMember) -> None:
    """Record a staff member in the directory (or pass it to `save_ticket`, which writes it
    in the ticket's transaction: one round trip fewer)."""
    try:
        client().update_item(**_staff_put(member)["Update"])
    except ClientError as ex:
        raise StoreError() from ex


def delete_catalog_entry(kind: str, entry_id: str) -> None:
    """Delete a category (`CAT`) or department (`DEP`) item."""
    try:
        client().delete_item(TableName=_table(), Key=_key("CATALOG", f"{kind}#{entry_id}"))
    except ClientError as ex:
        raise StoreError() from ex


# ---------------------------------------------------------------- purge


def ticket_from_image(image: Mapping[str, Any]) -> Ticket:
    """A ticket from a DynamoDB stream image (the same attribute-value shapes as an item)."""
    return _ticket(image)


def purge_ticket(t: Ticket) -> int:
    """Remove what is left of a ticket DynamoDB TTL deleted; returns how many items went.

    Safe to run twice (stream records are delivered at least once): the
    deleted-list entry and its counter move in one transaction conditioned on
    the entry still being there, so the counter falls exactly once.
    """
    items = _query_all(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": _ticket_pk(t.id)}},
        ProjectionExpression="PK, SK, attachments",
    )
    keys = [_key(i["PK"]["S"], i["SK"]["S"]) for i in items]
    for item in items:
        for ref in _py(item.get("attachments", {"L": []})) or []:
            keys.append(_attachment_key(str(ref["id"])))
    keys.append(_key(f"NUMBER#{t.number}", "N"))
    if t.guest:
        keys.append(guest_link_key(t.id))
    delete_keys(keys)
    removed = len(keys)
    if t.deleted_at is not None:
        entry = {
            "Delete": {
                "TableName": _table(),
                "Key": _key(f"L#{DELETED_LIST}", _entry_sk(t)),
                "ConditionExpression": "attribute_exists(PK)",
            }
        }
        mine = f"{DELETED_LIST}#R#{t.requester_id}"
        own = {"Delete": {**entry["Delete"], "Key": _key(f"L#{mine}", _entry_sk(t))}}
        try:
            _transact([entry, own, _counter_update(DELETED_LIST, -1), _counter_update(mine, -1)])
            removed += 2
        except ConcurrentUpdateError:
            pass  # already purged by an earlier delivery of this record
    return removed


# ---------------------------------------------------------------- erasure


def requester_ticket_ids(user_id: str) -> list[str]:
    """Every ticket of a requester, deleted ones included (two Queries on his lists)."""
    ids: list[str] = []
    for lk in (f"R#{user_id}", f"{DELETED_LIST}#R#{user_id}"):
        items = _query_all(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"L#{lk}"}},
            ProjectionExpression="id",
        )
        ids += [i["id"]["S"] for i in items]
    return sorted(set(ids))


def _update(
    key: dict[str, Any], expression: str, names: dict[str, str], values: dict[str, Any]
) -> None:
    try:
        client().update_item(
            TableName=_table(),
            Key=key,
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as ex:
        raise StoreError() from ex


class Redacted(NamedTuple):
    messages: int
    events: int
    attachment_ids: list[str]


def redact_thread(
    ticket_id: str, user_id: str, placeholder: str, *, merged_from: int | None = None
) -> Redacted:
    """Blank every message body (notes too) and every event's free text on a ticket.

    Returns the attachment ids the messages carried (their items and files go next).
    Author names of the requester's messages are blanked; staff names stay.
    With `merged_from`, only the messages merged from that ticket number (another
    requester's ticket holding his thread after a forced merge), events untouched.
    """
    items = _query_all(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": _ticket_pk(ticket_id)}},
        ConsistentRead=True,
    )
    messages = events = 0
    attachment_ids: list[str] = []
    for item in items:
        sk = item["SK"]["S"]
        if merged_from is not None and _py(item.get("merged_from", {"NULL": True})) != merged_from:
            continue
        if sk.startswith((PUBLIC_MSG, NOTE_MSG)):
            attachment_ids += [str(r["id"]) for r in _py(item.get("attachments", {"L": []}))]
            author = item.get("author_id", {}).get("S")
            name = {"S": ""} if author == user_id else item.get("author_name", {"S": ""})
            _update(
                _key(_ticket_pk(ticket_id), sk),
                "SET #b = :p, #a = :none, author_name = :n",
                {"#b": "body", "#a": "attachments"},
                {":p": {"S": placeholder}, ":none": {"L": []}, ":n": name},
            )
            messages += 1
        elif sk.startswith(EVENT):
            # events keep type, actor, time and numbers; their free text goes
            _update(
                _key(_ticket_pk(ticket_id), sk),
                "SET #d = :e, #c = :e",
                {"#d": "data", "#c": "changes"},
                {":e": {"M": {}}},
            )
            events += 1
    return Redacted(messages, events, attachment_ids)


def delete_keys(keys: Sequence[dict[str, Any]]) -> int:
    """Delete items by key (BatchWriteItem, 25 at a time); returns how many were asked."""
    try:
        for start in range(0, len(keys), 25):
            pending: dict[str, Any] = {
                _table(): [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]
            }
            while pending:
                out = client().batch_write_item(RequestItems=pending)
                pending = dict(out.get("UnprocessedItems") or {})
    except ClientError as ex:
        raise StoreError() from ex
    return len(keys)


def attachment_keys(attachment_ids: Iterable[str]) -> list[dict[str, Any]]:
    return [_attachment_key(i) for i in sorted(set(attachment_ids))]


def user_space(user_id: str) -> tuple[list[dict[str, Any]], set[str]]:
    """Every item of a user's own (`PK=USER#<id>`, his API tokens) and the emails they name.

    Items there may name a lookup item elsewhere in `lookup_pk`/`lookup_sk`
    (e.g. a token's hash lookup); those keys are returned too.
    """
    items = _query_all(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"USER#{user_id}"}},
        ConsistentRead=True,
    )
    keys = [_key(i["PK"]["S"], i["SK"]["S"]) for i in items]
    keys += [
        _key(i["lookup_pk"]["S"], i["lookup_sk"]["S"])
        for i in items
        if "lookup_pk" in i and "lookup_sk" in i
    ]
    emails = {i["email"]["S"] for i in items if i.get("email", {}).get("S")}
    # his API tokens (TOKEN#<id>, listed on GSI1 under TOKENS#<owner>)
    keys += [_token_key(t.id) for t in list_api_tokens(user_id)]
    return keys, emails


def email_lookup_keys(emails: Iterable[str], user_id: str) -> list[dict[str, Any]]:
    """The `EMAIL#<email>` lookups among `emails` that point at `user_id`."""
    keys = []
    for email in sorted({e.lower() for e in emails if e}):
        if user_id_by_email(email) == user_id:
            keys.append(_key(f"EMAIL#{email}", "U"))
    return keys


def idempotency_keys_mentioning(text: str) -> list[dict[str, Any]]:
    """Idempotency records (24 h of replayable answers) whose stored answer contains `text`.

    One Query on the IDEMPOTENCY partition with a filter: it holds only the last
    day's records (TTL), and erasure is rare.
    """
    items = _query_all(
        KeyConditionExpression="PK = :pk",
        FilterExpression="contains(#d, :t)",
        ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":pk": {"S": "IDEMPOTENCY"}, ":t": {"S": text}},
        ProjectionExpression="PK, SK",
    )
    return [_key(i["PK"]["S"], i["SK"]["S"]) for i in items]


# ---------------------------------------------------------------- API tokens
# TOKEN#<token id> / T holds one token; GSI1 (TOKENS#<owner> / <created>#<id>) lists an owner's.


def _token_key(token_id: str) -> dict[str, Any]:
    return _key(f"TOKEN#{token_id}", "T")


def put_api_token(token: ApiToken) -> None:
    data = {
        "PK": f"TOKEN#{token.id}",
        "SK": "T",
        "kind": "api_token",
        "GSI1PK": f"TOKENS#{token.owner_id}",
        "GSI1SK": f"{token.created_at}#{token.id}",
        **token.model_dump(mode="json"),
    }
    try:
        client().put_item(**_put_new(data)["Put"])
    except ClientError as ex:
        raise StoreError() from ex


def get_api_token(token_id: str) -> ApiToken | None:
    try:
        out = client().get_item(TableName=_table(), Key=_token_key(token_id))
    except ClientError as ex:
        raise StoreError() from ex
    return ApiToken.model_validate(_plain(out["Item"])) if "Item" in out else None


def list_api_tokens(owner_id: str) -> list[ApiToken]:
    """The owner's tokens, oldest first (one Query on GSI1; owners hold a bounded few)."""
    items = _query_all(
        IndexName="GSI1",
        KeyConditionExpression="GSI1PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TOKENS#{owner_id}"}},
    )
    return [ApiToken.model_validate(_plain(i)) for i in items]


def delete_api_token(owner_id: str, token_id: str) -> bool:
    """Delete the token if `owner_id` owns it; False if there is no such token of theirs."""
    try:
        client().delete_item(
            TableName=_table(),
            Key=_token_key(token_id),
            ConditionExpression="owner_id = :owner",
            ExpressionAttributeValues={":owner": {"S": owner_id}},
        )
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            return False
        raise StoreError() from ex
    return True


def touch_api_token(token_id: str, used_at: str, stale_before: str) -> None:
    """Record a use, unless one was recorded since `stale_before` (at most one write a minute)."""
    try:
        client().update_item(
            TableName=_table(),
            Key=_token_key(token_id),
            UpdateExpression="SET last_used_at = :at",
            ConditionExpression=(
                "attribute_exists(PK) AND "
                "(attribute_not_exists(last_used_at) OR last_used_at < :stale)"
            ),
            ExpressionAttributeValues={":at": {"S": used_at}, ":stale": {"S": stale_before}},
        )
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            return
        raise StoreError() from ex


# ---------------------------------------------------------------- staff directory: access
# STAFF / U#<user id>: one entry per staff member (written by their staff writes and by
# making a staff API token; `active` is changed by an admin only). The authorizer reads
# it to decide whether a JWT's or an API token's staff roles still hold.
STAFF_PK = "STAFF"


def staff_key(user_id: str) -> dict[str, Any]:
    return _key(STAFF_PK, f"U#{user_id}")


def _staff(item: Mapping[str, Any]) -> StaffMember:
    data = _plain(item)
    return StaffMember(
        user_id=str(data["user_id"]),
        name=str(data.get("name") or ""),
        email=str(data.get("email") or ""),
        roles=tuple(data.get("roles") or ()),
        active=data.get("active") is not False,
        last_seen_at=data.get("last_seen_at"),
        deactivated_at=data.get("deactivated_at"),
    )


def get_staff(user_id: str) -> StaffMember | None:
    """The member's directory entry (one GetItem, eventually consistent), None if absent."""
    try:
        out = client().get_item(TableName=_table(), Key=staff_key(user_id))
    except ClientError as ex:
        raise StoreError() from ex
    return _staff(out["Item"]) if "Item" in out else None


def list_staff() -> list[StaffMember]:
    """Every directory entry, by user id (one Query on `STAFF`; a help desk has a few hundred)."""
    items = _query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :u)",
        ExpressionAttributeValues={":pk": {"S": STAFF_PK}, ":u": {"S": "U#"}},
    )
    return [_staff(i) for i in items]


def set_staff_active(user_id: str, active: bool, at: str) -> StaffMember | None:
    """Deactivate (`deactivated_at = at`) or reactivate an existing entry; None if there is
    none. Deactivating an inactive member changes nothing (its first time stays)."""
    if active:
        update, condition = "SET active = :yes", "attribute_exists(PK)"
        values: dict[str, Any] = {":yes": _av(True)}
    else:
        update = "SET active = :no, deactivated_at = :at"
        condition = "attribute_exists(PK) AND (attribute_not_exists(active) OR active = :yes)"
        values = {":no": _av(False), ":yes": _av(True), ":at": _av(at)}
    try:
        out = client().update_item(
            TableName=_table(),
            Key=staff_key(user_id),
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            return None if active else get_staff(user_id)
        raise StoreError() from ex
    return _staff(out["Attributes"])


# ---------------------------------------------------------------- rate limits


def hit_counter(name: str, window: int, expires_at: int) -> int:
    """Add one to the fixed-window counter `RL#<name>` / `W#<window>` and return its count.

    One UpdateItem (no read first); `ttl` lets DynamoDB drop spent windows."""
    try:
        out = client().update_item(
            TableName=_table(),
            Key=_key(f"RL#{name}", f"W#{window}"),
            UpdateExpression="ADD hits :one SET #ttl = :ttl",
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":ttl": {"N": str(expires_at)}},
            ReturnValues="UPDATED_NEW",
        )
    except ClientError as ex:
        raise StoreError() from ex
    return int(out["Attributes"]["hits"]["N"])


# ---------------------------------------------------------------- guest links
# GUESTLINK#<ticket id> / L: the SHA-256 of a public ticket's private link secret and
# its guest requester; one item per ticket, read by key only.


def guest_link_key(ticket_id: str) -> dict[str, Any]:
    return _key(f"GUESTLINK#{ticket_id}", "L")


class GuestLink(NamedTuple):
    """A guest ticket's private link: the guest (id, name and e-mail, so following the
    link needs no read of the ticket) and the hash of the link secret."""

    user_id: str
    secret_hash: str
    name: str
    email: str


def _guest_link_put(ticket_id: str, link: GuestLink) -> dict[str, Any]:
    return _put_new(
        {
            "PK": f"GUESTLINK#{ticket_id}",
            "SK": "L",
            "kind": "guest_link",
            "user_id": link.user_id,
            "secret_hash": link.secret_hash,
            "name": link.name,
            "email": link.email,
        }
    )


def get_guest_link(ticket_id: str) -> GuestLink | None:
    """The ticket's guest link, or None."""
    try:
        out = client().get_item(TableName=_table(), Key=guest_link_key(ticket_id))
    except ClientError as ex:
        raise StoreError() from ex
    item = out.get("Item")
    if not item:
        return None
    data = _plain(item)
    return GuestLink(
        user_id=str(data["user_id"]),
        secret_hash=str(data["secret_hash"]),
        name=str(data.get("name", "")),
        email=str(data.get("email", "")),
    )
