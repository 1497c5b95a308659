"""Saved views' definitions, pure: which tickets a view holds and on which of its lists.

A view is a conjunction of queue filters (docs/design.md 2.2, "Saved views"). It is
materialized: every ticket that meets it has an entry on the view's list, kept by the list
indexer like every other list (`store.lists.listkeys(t, views)`), so a view's page is one
Query and its total its counter. "assignee: me" depends on the reader: such a view's list
is kept per assignee (`Q#V#<id>.<gen>#A#<assignee>`), each reader reads his own part, and an
unassigned ticket is on none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from helpdesk.domain import Ticket
from helpdesk.store import keys as store_keys

ViewSort = Literal["activity", "created", "updated"]
ViewState = Literal["building", "ready", "deleting", "deleted"]

ME = "me"
NONE = "none"
_OPEN = ["open", "in_progress", "waiting"]
# The defaults a new install starts with: fixed ids, so the ones the API shows before the
# seed are the ones seeded (helpdesk.views, docs/design.md 2.2, "Saved views").
DEFAULTS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    ("view_default_mine", "My open tickets", {"statuses": _OPEN, "assignee": ME}, "activity"),
    ("view_default_unassigned", "Unassigned", {"statuses": _OPEN, "assignee": NONE}, "activity"),
    ("view_default_urgent", "Urgent", {"statuses": _OPEN, "priorities": ["urgent"]}, "activity"),
    ("view_default_waiting", "Waiting on customer", {"statuses": ["waiting"]}, "activity"),
    ("view_default_solved", "Recently solved", {"statuses": ["resolved"]}, "updated"),
)


class ViewFilter(NamedTuple):
    """The conditions (empty: any)."""

    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    assignee: str | None = None  # "me", "none" or a user id
    department_id: str | None = None
    category_id: str | None = None
    sub_category_id: str | None = None
    tag: str | None = None
    guest: bool | None = None
    unread: bool = False  # customer messages no agent has read
    organization_id: str | None = None

    def meets(self, t: Ticket) -> bool:
        """Whether the ticket meets every condition ("me": any assignee; the list says whose)."""
        if t.deleted_at is not None:
            return False
        if self.statuses and t.status not in self.statuses:
            return False
        if self.priorities and t.priority not in self.priorities:
            return False
        if self.assignee == ME and not t.assignee_id:
            return False
        if self.assignee == NONE and t.assignee_id:
            return False
        if self.assignee not in (None, ME, NONE) and t.assignee_id != self.assignee:
            return False
        singles = (
            (self.department_id, t.department_id),
            (self.category_id, t.category_id),
            (self.sub_category_id, t.sub_category_id),
            (self.organization_id, t.org_id),
        )
        if any(want is not None and want != have for want, have in singles):
            return False
        if self.tag is not None and self.tag.lower() not in t.tags:
            return False
        if self.guest is not None and t.guest != self.guest:
            return False
        return not (self.unread and t.staff_unread_count <= 0)

    def as_data(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self._asdict().items()}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> ViewFilter:
        fields = {k: v for k, v in data.items() if k in cls._fields}
        for name in ("statuses", "priorities"):
            fields[name] = tuple(fields.get(name) or ())
        return cls(**fields)


class ViewDef(NamedTuple):
    """A view as the indexer and the readers need it: its id, generation and conditions."""

    id: str
    generation: int
    filter: ViewFilter
    sort: ViewSort = "activity"
    state: ViewState = "ready"

    @property
    def timed(self) -> bool:
        return self.sort != "activity"

    @property
    def per_assignee(self) -> bool:
        return self.filter.assignee == ME

    def listkey(self, t: Ticket) -> str | None:
        """The view list the ticket is on (None: not on the view)."""
        if self.state in ("deleting", "deleted") or not self.filter.meets(t):
            return None
        return store_keys.view_list(
            self.id,
            self.generation,
            timed=self.timed,
            assignee=t.assignee_id if self.per_assignee else None,
        )

    def reader_list(self, reader_id: str) -> str:
        """The list a reader's page and count read ("me": his own part)."""
        return store_keys.view_list(
            self.id,
            self.generation,
            timed=self.timed,
            assignee=reader_id if self.per_assignee else None,
        )

    def owns(self, listkey: str) -> bool:
        """Whether `listkey` is one of this view's lists, of any generation."""
        found = store_keys.view_of_list(listkey)
        return found is not None and found.view_id == self.id


def new_item(
    view_id: str,
    name: str,
    filter_: dict[str, Any],
    *,
    sort: str,
    order: str,
    owner_id: str | None,
    position: int,
    at: str,
    default: bool = False,
) -> dict[str, Any]:
    """A new view's item: generation 1, `building` until its backfill has been through the
    queue (`owner_id` None: shared)."""
    return {
        "id": view_id,
        "name": name,
        "filter": filter_,
        "sort": sort,
        "order": order,
        "shared": owner_id is None,
        "owner_id": owner_id,
        "position": position,
        "default": default,
        "generation": 1,
        "state": "building",
        "cursor": None,
        "rev": 0,
        "created_at": at,
        "updated_at": at,
    }


def defaults(at: str) -> list[dict[str, Any]]:
    """The default views' items (shared, `building` until backfilled)."""
    return [
        new_item(
            view_id,
            name,
            ViewFilter.of(f).as_data(),
            sort=sort,
            order="desc",
            owner_id=None,
            position=n * 10,
            at=at,
            default=True,
        )
        for n, (view_id, name, f, sort) in enumerate(DEFAULTS)
    ]
