"""Saved views: named, ordered, saved queue filters with live counts (docs/design.md 2.2,
"Saved views"; docs/api.md, "Views").

Shared views are seen by all staff and managed by admins; a personal view is its owner's
alone (anyone else: 404 `VIEW_NOT_FOUND`), and agents may make them. A new install starts
with five shared defaults (fixed ids): the read routes show them as they will be until they
are seeded, and the first write of a view, or the list indexer's first batch, seeds them
(once: the seed's transaction creates the views' generation item, so two first writers seed
once; deleted defaults do not come back). The read routes write nothing. A view is materialized (`helpdesk.viewdefs`): a new or changed
definition is a new generation of its list, `building` until the list indexer's backfill
has been through the queue, then `ready`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from helpdesk import catalog, telemetry
from helpdesk.clock import now_iso
from helpdesk.errors import (
    ForbiddenError,
    ViewFilterInvalidError,
    ViewLimitReachedError,
    ViewNotFoundError,
)
from helpdesk.ids import decode_cursor, encode_cursor, new_id
from helpdesk.models.staff import StaffTicketList, StaffTicketSummary
from helpdesk.models.views import (
    ViewCount,
    ViewCounts,
    ViewCreateRequest,
    ViewFilterModel,
    ViewList,
    ViewResponse,
    ViewUpdateRequest,
)
from helpdesk.principal import Principal
from helpdesk.store import catalog as store_catalog
from helpdesk.store import lists as store_lists
from helpdesk.store import views as store_views
from helpdesk.viewdefs import DEFAULTS, ViewDef, defaults, new_item

MAX_SHARED = 50  # shared views in all
MAX_PERSONAL = 50  # personal views per owner


def _all(*, seed: bool) -> list[dict[str, Any]]:
    """Every view but those being deleted. Before the defaults are seeded, a reader sees
    them as they will be (`building`); a writer (`seed`) seeds them first, as the list
    indexer does on its first batch (`ensure_seeded`)."""
    views, seeded = store_views.list_views()
    if not seeded:
        if not seed:
            return defaults(now_iso())
        store_views.seed(defaults(now_iso()))
        views, _ = store_views.list_views()
    return [v for v in views if v.get("state") not in ("deleting", "deleted")]


def ensure_seeded() -> None:
    """Seed the defaults if no view was ever written (one transaction, conditioned on the
    views' generation item: idempotent, whoever comes first)."""
    store_views.seed(defaults(now_iso()))


def _visible(p: Principal, v: dict[str, Any]) -> bool:
    return bool(v.get("shared")) or v.get("owner_id") == p.user_id


def _ordered(views: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(views, key=lambda v: (int(v.get("position", 0)), v["name"], v["id"]))


def _one(p: Principal, view_id: str, *, seed: bool) -> dict[str, Any]:
    found = store_views.get_view(view_id)
    if found is None and view_id in {d[0] for d in DEFAULTS}:
        found = next((v for v in _all(seed=seed) if v["id"] == view_id), None)
    if found is None or found.get("state") in ("deleting", "deleted") or not _visible(p, found):
        raise ViewNotFoundError()
    return found


def _may_manage(p: Principal, shared: bool) -> None:
    if shared and not p.is_admin:
        raise ForbiddenError("Only admins make or change shared views")


def _check_filter(f: ViewFilterModel) -> None:
    """422 `VIEW_FILTER_INVALID`: a sub-category without its category or not under it, an
    unknown category or department (one catalog Query, none when it names none)."""
    if f.sub_category_id and not f.category_id:
        raise ViewFilterInvalidError("A sub-category needs its category_id")
    if not (f.category_id or f.department_id):
        return
    categories, departments = store_catalog.list_catalog()
    cats = {c.id: c for c in categories}
    if f.category_id:
        cat = cats.get(f.category_id)
        if cat is None or cat.parent_id is not None:
            raise ViewFilterInvalidError(f"Unknown category {f.category_id}")
        sub = cats.get(f.sub_category_id or "")
        if f.sub_category_id and (sub is None or sub.parent_id != cat.id):
            raise ViewFilterInvalidError(
                f"Sub-category {f.sub_category_id} does not belong to {f.category_id}"
            )
    if f.department_id and f.department_id not in {d.id for d in departments}:
        raise ViewFilterInvalidError(f"Unknown department {f.department_id}")


def _check_room(p: Principal, views: Sequence[dict[str, Any]], shared: bool) -> None:
    if shared and sum(1 for v in views if v.get("shared")) >= MAX_SHARED:
        raise ViewLimitReachedError(f"At most {MAX_SHARED} shared views")
    mine = sum(1 for v in views if not v.get("shared") and v.get("owner_id") == p.user_id)
    if not shared and mine >= MAX_PERSONAL:
        raise ViewLimitReachedError(f"At most {MAX_PERSONAL} personal views each")


def list_views(p: Principal) -> ViewList:
    """The views the caller sees, in sidebar order: one Query (+ the seed, once)."""
    p.require_staff()
    views = _all(seed=False)
    return ViewList(items=[ViewResponse.of(v) for v in _ordered(views) if _visible(p, v)])


def create_view(p: Principal, req: ViewCreateRequest) -> ViewResponse:
    """A new view, `building` until its backfill has been through the queue."""
    p.require_staff()
    _may_manage(p, req.shared)
    _check_filter(req.filter)
    _check_room(p, _all(seed=True), req.shared)
    data = new_item(
        new_id("view"),
        req.name,
        req.filter.model_dump(mode="json"),
        sort=req.sort,
        order=req.order,
        owner_id=None if req.shared else p.user_id,
        position=req.position,
        at=now_iso(),
    )
    store_views.create(data)
    telemetry.count("ViewsCreated")
    return ViewResponse.of(data)


def update_view(p: Principal, view_id: str, req: ViewUpdateRequest) -> ViewResponse:
    """Rename, reorder, re-sort or refilter a view; a new filter or sort field is a new
    generation of its list (`building` again), a new name, order or position is not."""
    p.require_staff()
    current = _one(p, view_id, seed=True)
    _may_manage(p, bool(current.get("shared")))
    sets = req.model_dump(exclude_unset=True, mode="json")
    if "shared" in sets and sets["shared"] is None:
        del sets["shared"]
    if sets.get("shared") is not None and sets["shared"] != bool(current.get("shared")):
        _may_manage(p, True)  # sharing a view, or taking it back
        _check_room(p, [v for v in _all(seed=True) if v["id"] != view_id], sets["shared"])
        sets["owner_id"] = None if sets["shared"] else p.user_id
    if req.filter is not None:
        _check_filter(req.filter)
    sets = {k: v for k, v in sets.items() if v is not None or k == "owner_id"}
    rebuilt = ("filter" in sets and sets["filter"] != current.get("filter")) or (
        "sort" in sets and (sets["sort"] == "activity") != (current.get("sort") == "activity")
    )
    data = {**current, **sets, "updated_at": now_iso(), "rev": int(current.get("rev", 0)) + 1}
    if rebuilt:
        data |= {"generation": int(current["generation"]) + 1, "state": "building", "cursor": None}
    store_views.replace(data, revision=int(current.get("rev", 0)), rebuilt=rebuilt)
    return ViewResponse.of(data)


def delete_view(p: Principal, view_id: str) -> None:
    """Gone for readers at once; its entries are taken off in the background, then the item."""
    p.require_staff()
    current = _one(p, view_id, seed=True)
    _may_manage(p, bool(current.get("shared")))
    data = {**current, "state": "deleting", "cursor": None, "updated_at": now_iso()}
    data["rev"] = int(current.get("rev", 0)) + 1
    store_views.replace(data, revision=int(current.get("rev", 0)), rebuilt=True)


def _definition(v: dict[str, Any]) -> ViewDef:
    return store_views.definition(v)


def _counted(p: Principal) -> list[tuple[dict[str, Any], ViewCount]]:
    views = [v for v in _ordered(_all(seed=False)) if _visible(p, v)]
    lists = {v["id"]: _definition(v).reader_list(p.user_id) for v in views}
    sizes = store_lists.counts(lists.values())
    return [
        (
            v,
            ViewCount(
                id=v["id"],
                count=sizes[lists[v["id"]]] if v.get("state") == "ready" else None,
                state="ready" if v.get("state") == "ready" else "building",
            ),
        )
        for v in views
    ]


def counts(p: Principal) -> ViewCounts:
    """Every visible view's count for the caller: one Query of the views, one batch read of
    their counters' shards (BatchGetItem, 100 keys a call)."""
    p.require_staff()
    return ViewCounts(items=[c for _, c in _counted(p)])


def sidebar(p: Principal) -> list[tuple[ViewResponse, ViewCount]]:
    """The console's sidebar: each visible view with its count, the same two reads."""
    p.require_staff()
    return [(ViewResponse.of(v), c) for v, c in _counted(p)]


def page(p: Principal, view_id: str, *, limit: int, cursor: str | None) -> StaffTicketList:
    """A page of a view: one GetItem (the view), one Query of its list (the reader's part of
    an "assignee: me" view), one BatchGetItem of the page's tickets, its counter (exact;
    null while building)."""
    p.require_staff()
    found = _one(p, view_id, seed=False)
    view = _definition(found)
    lk = view.reader_list(p.user_id)
    signature = f"view:{lk}/{found.get('order', 'desc')}"
    before = decode_cursor(cursor, expect=signature)["k"] if cursor else None
    order: Literal["asc", "desc"] = found.get("order", "desc")

    def held(t: Any) -> set[str]:
        mine = view.listkey(t)
        return {mine} if mine else set()

    got = store_lists.read_page(
        [lk],
        limit=limit,
        before=before,
        sort=view.sort,
        descending=order == "desc",
        held=held,
    )
    ready = found.get("state") == "ready"
    total = store_lists.count([lk]) if ready else None
    next_cursor = None
    if got.next_sort_key is not None:
        next_cursor = encode_cursor({"l": signature, "k": got.next_sort_key})
    named = any(t.category_id or t.department_id for t in got.tickets)
    names = catalog.names() if named else {}
    return StaffTicketList(
        items=[StaffTicketSummary.of(t, names) for t in got.tickets],
        next_cursor=next_cursor,
        total=total,
    )
