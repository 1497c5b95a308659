"""Every key of the table, spelled once (docs/design.md, "2. Data").

No other module writes a key prefix (`TICKET#`, `L#`, `Q#S#`, ...): they call
these. tests/unit/test_store_keys.py walks the layer's source and fails if one does.

Lists ("list entries", docs/design.md 2.) are named by *listkeys* built from a
base (`R#<user>`, `O#<org>`, the queue `Q`) and filter fragments (`#S#<status>`,
`#A#<assignee>`, ...); a list's entries live under `L#<listkey>` and its counter
under `C#<listkey>`, or, for a list many people's tickets join and leave, in
`COUNTER_SHARDS` items `C#<listkey>`, `C1#<listkey>`, ... `C9#<listkey>` (summed on read).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, NamedTuple


class Key(NamedTuple):
    """An item's primary key."""

    pk: str
    sk: str

    def av(self) -> dict[str, Any]:
        """As DynamoDB attribute values (a `Key=` argument)."""
        return {"PK": {"S": self.pk}, "SK": {"S": self.sk}}

    def fields(self) -> dict[str, Any]:
        """As item attributes (the start of an item to put)."""
        return {"PK": self.pk, "SK": self.sk}


def av(pk: str, sk: str) -> dict[str, Any]:
    """A key read back from an item (`PK`, `SK` strings) as attribute values."""
    return Key(pk, sk).av()


# ---------------------------------------------------------------- tickets
# TICKET#<id> holds the ticket (T), its public messages (T#M#...), notes (T#N#...)
# and events (E#<seq>).

TICKET_SK = "T"
PUBLIC_MSG = "T#M#"
NOTE_MSG = "T#N#"
EVENT = "E#"
LAST_EVENT = f"{EVENT}9999999999"


def ticket_pk(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


def ticket(ticket_id: str) -> Key:
    return Key(ticket_pk(ticket_id), TICKET_SK)


def ticket_id_of(pk: str) -> str | None:
    """The ticket id of a ticket partition's key (None for any other item)."""
    prefix = ticket_pk("")
    return pk[len(prefix) :] if pk.startswith(prefix) else None


def message(ticket_id: str, created_at: str, message_id: str, *, internal: bool) -> Key:
    return Key(
        ticket_pk(ticket_id), f"{NOTE_MSG if internal else PUBLIC_MSG}{created_at}#{message_id}"
    )


def event_sk(seq: int) -> str:
    return f"{EVENT}{seq:010d}"


def event(ticket_id: str, seq: int) -> Key:
    return Key(ticket_pk(ticket_id), event_sk(seq))


def number(n: int) -> Key:
    """The lookup of a human ticket number (#1042) to the ticket id."""
    return Key(f"NUMBER#{n}", "N")


TICKET_NUMBER_SEQUENCE = Key("SEQ", "TICKET_NUMBER")

# ---------------------------------------------------------------- lists
# A listkey is a base and filter fragments; every list has entries and a counter.

QUEUE = "Q"
DELETED = f"{QUEUE}#DEL"


def requester(user_id: str) -> str:
    """A requester's own list (and the fragment naming him in the queue's lists)."""
    return f"R#{user_id}"


def organization(org_id: str) -> str:
    return f"O#{org_id}"


def by_status(base: str, status: str) -> str:
    return f"{base}#S#{status}"


def by_priority(base: str, priority: str) -> str:
    return f"{base}#P#{priority}"


def by_category(base: str, category_id: str) -> str:
    return f"{base}#C#{category_id}"


def by_sub_category(base: str, sub_category_id: str) -> str:
    return f"{base}#SC#{sub_category_id}"


def by_department(base: str, department_id: str) -> str:
    return f"{base}#D#{department_id}"


def by_assignee(base: str, assignee: str) -> str:
    return f"{base}#A#{assignee}"


def by_requester(base: str, user_id: str) -> str:
    return f"{base}#{requester(user_id)}"


def by_organization(base: str, org_id: str) -> str:
    return f"{base}#{organization(org_id)}"


def by_tag(base: str, tag: str) -> str:
    return f"{base}#T#{tag}"


def unread(base: str) -> str:
    return f"{base}#U"


def open_or_unread(base: str) -> str:
    return f"{base}#OU"


EXTERNAL_REFS = f"{QUEUE}#X#"


def external_ref(name: str, value: str) -> str:
    """The staff list of tickets linked to `name:value` (e.g. jira:OPS-123)."""
    return f"{EXTERNAL_REFS}{name}:{value}"


def is_staff_list(listkey: str) -> bool:
    return listkey.startswith(QUEUE)


def entries_pk(listkey: str) -> str:
    """The partition of a list's entries (also GSI1PK/GSI2PK of staff lists)."""
    return f"L#{listkey}"


def sort_value(at: str, ticket_id: str) -> str:
    """An entry's sort key (SK, GSI1SK, GSI2SK): a time, then the ticket id; also a
    list cursor's position."""
    return f"{at}#{ticket_id}"


def entry(listkey: str, at: str, ticket_id: str) -> Key:
    return Key(entries_pk(listkey), sort_value(at, ticket_id))


# ---------------------------------------------------------------- list counters
# A list's size is the sum of its counter's shards. Shard 0 is `C#<listkey>` (the one
# counter item of before the sharding: its total stays counted); shard i > 0 is
# `C<i>#<listkey>`, its own partition. The text before the first '#' names the shard, the
# rest is the listkey as it is, so no listkey's shard can be another's.

COUNTER_SHARDS = 10  # the hot lists' shards (docs/design.md 2., "Counter shards")
COUNTER = "C"
COUNTER_SK = "#"
# One agent's lists (`Q#A#<agent>`, `Q#S#<status>#A#<agent>`); `none` (unassigned) is shared.
_AGENT_LIST = re.compile(rf"^{QUEUE}(?:#S#[a-z_]+)?#A#(?P<who>.+)$")


def counter_shards(listkey: str) -> int:
    """How many items hold the list's counter: 1 for one person's or one reference's list
    (a requester's, his deleted list, an agent's, an external reference's: they move at one
    person's pace), `COUNTER_SHARDS` for the lists that many people's tickets join and
    leave (the whole queue, its status, priority, category, department, tag, unread and
    unassigned lists, the deleted list, an organization's lists)."""
    if listkey.startswith(requester("")) or listkey.startswith(by_requester(DELETED, "")):
        return 1
    if listkey.startswith(EXTERNAL_REFS):
        return 1
    agent = _AGENT_LIST.match(listkey)
    if agent and agent["who"] != "none":
        return 1
    view = view_of_list(listkey)
    if view is not None and view.assignee is not None:
        return 1  # one reader's "assignee: me" view list
    return COUNTER_SHARDS


def counter_shard(listkey: str, ticket_id: str) -> int:
    """The shard a ticket's moves on the list go to: a stable hash of the ticket id, the
    same on every sharded list (two tickets meet on one shard of every list or of none)."""
    shards = counter_shards(listkey)
    if shards == 1:
        return 0
    digest = hashlib.blake2b(ticket_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def counter(listkey: str, shard: int = 0) -> Key:
    """One shard of a list's counter (shard 0: the unsharded key, `C#<listkey>`)."""
    return Key(f"{COUNTER}{shard or ''}#{listkey}", COUNTER_SK)


def counters(listkey: str) -> list[Key]:
    """Every shard of a list's counter (what a total sums)."""
    return [counter(listkey, i) for i in range(counter_shards(listkey))]


def counter_of(pk: str) -> tuple[str, int] | None:
    """(listkey, shard) of a counter item's partition key; None for any other item."""
    head, sep, listkey = pk.partition("#")
    shard = head[len(COUNTER) :]
    if not sep or not head.startswith(COUNTER) or not (shard == "" or shard.isdigit()):
        return None
    return listkey, int(shard or 0)


# Lists a page may also read by creation (GSI1) or update time (GSI2): the whole queue and the
# deleted tickets, and the saved views sorted by one of those times. Their entries carry the
# GSI keys; other lists' entries are keys only.
SORTABLE = (QUEUE, DELETED)

# The SLA due lists (issue 23), kept by the list indexer beside the lists above but sorted by
# a time of the ticket's SLA state instead of its last activity (`store.lists.sla_places`):
# SLA_DUE by the earliest due time of its running metrics (the queue's `sla=` filters and
# `sort=due`), SLA_NEXT by the next instant the sweep has to act (a warning or a breach).
SLA_DUE = f"{QUEUE}#SLA"
SLA_NEXT = f"{QUEUE}#SLA#NEXT"


def sortable(listkey: str) -> bool:
    """Whether the list's entries carry the GSI1/GSI2 copies (`SORTABLE`, timed views)."""
    if listkey in SORTABLE:
        return True
    view = view_of_list(listkey)
    return view is not None and view.timed


def index_state(ticket_id: str) -> Key:
    """Which lists hold a ticket's entries, and at which sort keys (the list indexer's own
    record, outside the ticket's partition so that the purge of the ticket leaves it)."""
    return Key(f"IX#{ticket_id}", "IX")


# ---------------------------------------------------------------- saved views
# VIEW / V#<view id>: one saved view (its definition, generation, state, backfill cursor);
# VIEW / #GEN: bumped by every change of any view (the list indexer's cache check: one
# GetItem a batch). A view's list is `Q#V#<view id>.<generation>` (`.t` after it: sorted by a
# time, its entries carry the GSI copies), per assignee for an "assignee: me" view
# (`...#A#<assignee>`): a new generation is a new list, rebuilt by the backfill.

VIEWS = "VIEW"
VIEW = "V#"
VIEWS_GENERATION = Key(VIEWS, "#GEN")
VIEW_LISTS = f"{QUEUE}#V#"
_VIEW_LIST = re.compile(
    rf"^{re.escape(VIEW_LISTS)}(?P<id>[^.#]+)\.(?P<gen>\d+)(?P<timed>\.t)?(?:#A#(?P<who>.+))?$"
)


def view(view_id: str) -> Key:
    return Key(VIEWS, f"{VIEW}{view_id}")


def view_id_of(pk: str, sk: str) -> str | None:
    """The view id of a view item's key (None for any other item, the generation's too)."""
    return sk[len(VIEW) :] if pk == VIEWS and sk.startswith(VIEW) else None


def view_list(view_id: str, generation: int, *, timed: bool, assignee: str | None = None) -> str:
    """A view's list (one reader's part of it for an "assignee: me" view)."""
    base = f"{VIEW_LISTS}{view_id}.{generation}{'.t' if timed else ''}"
    return by_assignee(base, assignee) if assignee is not None else base


class ViewList(NamedTuple):
    view_id: str
    generation: int
    timed: bool
    assignee: str | None


def view_of_list(listkey: str) -> ViewList | None:
    """What a view's listkey names (None for any other list)."""
    found = _VIEW_LIST.match(listkey) if listkey.startswith(VIEW_LISTS) else None
    if found is None:
        return None
    return ViewList(found["id"], int(found["gen"]), bool(found["timed"]), found["who"])


# ---------------------------------------------------------------- attachments


def attachment(attachment_id: str) -> Key:
    return Key(f"ATTACHMENT#{attachment_id}", "A")


# ---------------------------------------------------------------- catalog

CATALOG = "CATALOG"


def category(category_id: str) -> Key:
    return Key(CATALOG, f"CAT#{category_id}")


def department(department_id: str) -> Key:
    return Key(CATALOG, f"DEP#{department_id}")


def is_category(sk: str) -> bool:
    return sk.startswith("CAT#")


def is_department(sk: str) -> bool:
    return sk.startswith("DEP#")


# ---------------------------------------------------------------- people


def user_pk(user_id: str) -> str:
    """A user's own key space: erasure deletes every item under it."""
    return f"USER#{user_id}"


def profile(user_id: str) -> Key:
    return Key(user_pk(user_id), "PROFILE")


def email(address: str) -> Key:
    """The lookup of an (account's) e-mail address to its user id."""
    return Key(f"EMAIL#{address.lower()}", "U")


STAFF_DIRECTORY = ("STAFF", "U#")  # the directory's partition and its entries' prefix


def staff(user_id: str) -> Key:
    """An entry of the staff directory."""
    return Key(STAFF_DIRECTORY[0], f"{STAFF_DIRECTORY[1]}{user_id}")


# ---------------------------------------------------------------- API tokens
# TOKEN#<id> / T holds one token; GSI1 (TOKENS#<owner> / <created>#<id>) lists an owner's.


def token(token_id: str) -> Key:
    return Key(f"TOKEN#{token_id}", "T")


def tokens_of(owner_id: str) -> str:
    """GSI1PK of an owner's tokens."""
    return f"TOKENS#{owner_id}"


# ---------------------------------------------------------------- rate limits
# RL#<bucket> / W#<window>: a fixed-window counter.


def rate_window(bucket: str, window: int) -> Key:
    return Key(f"RL#{bucket}", f"W#{window}")


def write_bucket(user_id: str) -> str:
    """A caller's write limit (create, reply, upload)."""
    return f"W#{user_id}"


def public_ip_bucket(source_ip: str) -> str:
    """The public contact form's limit per source IP."""
    return f"PUB#IP#{source_ip}"


def public_email_bucket(email_digest: str) -> str:
    """The public contact form's limit per e-mail address (its digest)."""
    return f"PUB#EMAIL#{email_digest}"


# ---------------------------------------------------------------- guest links


def guest_link(ticket_id: str) -> Key:
    """A guest ticket's private link (the hash of its secret and the guest)."""
    return Key(f"GUESTLINK#{ticket_id}", "L")


# ---------------------------------------------------------------- idempotency

IDEMPOTENCY = "IDEMPOTENCY"  # Powertools' records: PK=IDEMPOTENCY, SK=<hash>

# ---------------------------------------------------------------- configuration
# CONFIG / BUSINESS_HOURS: every business-hours schedule, one item (helpdesk.schedules).

CONFIG = "CONFIG"
BUSINESS_HOURS = Key(CONFIG, "BUSINESS_HOURS")
# CONFIG / SLA_POLICIES: every SLA policy, one item, `version`-checked (helpdesk.slapolicies).
SLA_POLICIES = Key(CONFIG, "SLA_POLICIES")


# ---------------------------------------------------------------- change feed
# FEED / <commit time>#<ticket id>#<first seq>: one record per ticket change (ids only);
# `GET /admin/changes` reads it in SK order (docs/design.md, "Change feed").

FEED = "FEED"


def feed_sk(at: str, ticket_id: str, first_seq: int) -> str:
    """A feed record's sort key (also the feed cursor's position)."""
    return f"{at}#{ticket_id}#{first_seq:010d}"


def feed(at: str, ticket_id: str, first_seq: int) -> Key:
    return Key(FEED, feed_sk(at, ticket_id, first_seq))


def feed_horizon(at: str) -> str:
    """The first sort key at or after time `at` (records before it are visible)."""
    return at


# ---------------------------------------------------------------- webhooks
# WEBHOOK / W#<id>: a subscription (url, events, secrets, state); the dispatcher reads the
# whole partition (one Query). WHD#<webhook id> / <delivery id>: its deliveries, newest
# last (a delivery id starts with the event's time; docs/design.md, "Webhooks").

WEBHOOKS = "WEBHOOK"
WEBHOOK = "W#"


def webhook(webhook_id: str) -> Key:
    return Key(WEBHOOKS, f"{WEBHOOK}{webhook_id}")


def webhook_deliveries(webhook_id: str) -> str:
    return f"WHD#{webhook_id}"


def webhook_delivery(webhook_id: str, delivery_id: str) -> Key:
    return Key(webhook_deliveries(webhook_id), delivery_id)


# ---------------------------------------------------------------- mail (notifications)
# TICKET#<id> / ML#<recipient>#<seq>: one notification, keyed by the event it tells of and
# its recipient (claimed before sending: exactly once); in the ticket's partition, so the
# purge takes it with the ticket, outside its `T...` range, so no reader of the thread sees it.
# MAILPREF#<email> / P: the kinds of mail an address turned off.
# SUPPRESSED / <email>: an address no mail goes to (hard bounce, complaint).

MAIL = "ML#"


def mail_prefix(ticket_id: str, recipient: str) -> Key:
    """The start of a recipient's notifications about a ticket (a Query's begins_with)."""
    return Key(ticket_pk(ticket_id), f"{MAIL}{recipient.lower()}#")


def mail(ticket_id: str, recipient: str, seq: int) -> Key:
    """The notification of event `seq` of a ticket to `recipient`."""
    prefix = mail_prefix(ticket_id, recipient)
    return Key(prefix.pk, f"{prefix.sk}{seq:010d}")


def mail_preferences(address: str) -> Key:
    return Key(f"MAILPREF#{address.lower()}", "P")


SUPPRESSED = "SUPPRESSED"


def suppression(address: str) -> Key:
    return Key(SUPPRESSED, address.lower())


# ---------------------------------------------------------------- inbound mail
# MAILIN#<digest of the Message-ID> / R: one received message (its outcome; written once:
# in the ticket's transaction when it became a message, alone when it was dropped).
# INBOUND / <received_at>#<id> and INBOUND#<status> / ...: the admins' log of received mail.
# TICKET#<id> / MI#<digest>: which of those belong to the ticket (for its purge).
# MSGID#<digest of a Message-ID header> / M: the ticket a mail we sent belongs to (the
# replies' In-Reply-To and References name it).
# RL#MAILIN#<sender digest>: new tickets per sender address (a rate window).


def inbound(mail_digest: str) -> Key:
    return Key(f"MAILIN#{mail_digest}", "R")


INBOUND_LOG = "INBOUND"


def inbound_log(status: str | None) -> str:
    """The partition of the inbound log: every message, or those with one status."""
    return f"{INBOUND_LOG}#{status}" if status else INBOUND_LOG


def inbound_log_entry(status: str | None, received_at: str, inbound_id: str) -> Key:
    return Key(inbound_log(status), f"{received_at}#{inbound_id}")


INBOUND_POINTER = "MI#"


def inbound_of_ticket(ticket_id: str, mail_digest: str) -> Key:
    """The ticket's pointer to a received message's record and log entries (the purge
    removes them with the ticket; outside the `T...` range, as `ML#`)."""
    return Key(ticket_pk(ticket_id), f"{INBOUND_POINTER}{mail_digest}")


def inbound_pointer_digest(sk: str) -> str:
    """The received message's digest in a ticket's pointer's sort key."""
    return sk.removeprefix(INBOUND_POINTER)


def inbound_of_sender(sender_digest: str, received_at: str, inbound_id: str) -> Key:
    """A received message under its sender's address (its digest): how erasure finds the
    mail a requester sent, including mail that never became a ticket message."""
    return Key(f"MAILFROM#{sender_digest}", f"{received_at}#{inbound_id}")


def inbound_sender_partition(sender_digest: str) -> str:
    return f"MAILFROM#{sender_digest}"


def sent_message_id(header_digest: str) -> Key:
    return Key(f"MSGID#{header_digest}", "M")


def inbound_sender_bucket(sender_digest: str) -> str:
    """New tickets by mail, per sender address (its digest)."""
    return f"MAILIN#{sender_digest}"
