"""Combined list filters: an exact maintained list, or the most selective one, filtered.

A filter set is a conjunction of conditions. Each condition names the maintained lists
whose entries are exactly the tickets that meet it (any one of them: several statuses), and
tests one ticket. When one list (or one family merged: several statuses, status with
assignee or department) answers the whole set, the page is that list's Query and its total
the counters (`exact`). Otherwise the plan reads the candidate lists' counters in one
BatchGetItem, drives the page from the smallest, and keeps the tickets that meet every
condition, reading at most a bounded number of items per request: never a Scan
(docs/design.md 2., "Combined filters").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from helpdesk.domain import Ticket
from helpdesk.store import lists as store_lists

# Items (entries and tickets) one filtered page may read, at least; a page of `limit`
# reads up to max(READ_BUDGET, (k + 1) * (limit + 1)) for a driver of k lists.
READ_BUDGET = 400

Held = Callable[[Ticket], set[str]]


class Condition(NamedTuple):
    name: str  # stable, for the cursor's signature
    lists: tuple[str, ...]  # the lists holding exactly the tickets that meet it; () if none
    test: Callable[[Ticket, set[str]], bool]  # the ticket and the lists it is on


def on_lists(*listkeys: str) -> Condition:
    """Met by a ticket on any of `listkeys`."""
    wanted = tuple(sorted(set(listkeys)))
    return Condition("|".join(wanted), wanted, lambda _t, held: any(k in held for k in wanted))


def tested(name: str, test: Callable[[Ticket, set[str]], bool]) -> Condition:
    """A condition no maintained list answers alone (checked on each ticket)."""
    return Condition(name, (), test)


class Plan(NamedTuple):
    lists: tuple[str, ...]  # read (one Query each, merged by sort key)
    exact: bool  # the lists hold exactly the answer: total from the counters
    conditions: tuple[Condition, ...] = ()  # else checked on each ticket read

    @property
    def signature(self) -> str:
        checked = "&".join(sorted(c.name for c in self.conditions))
        return "|".join(self.lists) + (f"?{checked}" if not self.exact else "")


def exact(lists: Sequence[str]) -> Plan:
    return Plan(tuple(lists), True)


def most_selective(conditions: Sequence[Condition], candidates: Sequence[Sequence[str]]) -> Plan:
    """The candidate (a list, or several merged) with the fewest entries, by its counters
    (one BatchGetItem; none when there is one candidate), and every condition to check."""
    options = [tuple(c) for c in candidates if c]
    if len(options) > 1:
        n = store_lists.counts(k for c in options for k in c)
        options.sort(key=lambda c: (sum(n[k] for k in c), len(c)))
    return Plan(options[0], False, tuple(conditions))


def meets(conditions: Sequence[Condition], t: Ticket, held: Held) -> bool:
    lists = held(t)
    return all(c.test(t, lists) for c in conditions)


class Result(NamedTuple):
    tickets: list[Ticket]
    next_sort_key: str | None
    total: int | None  # None: not exact


def read(
    plan: Plan,
    *,
    limit: int,
    before: str | None,
    held: Held = store_lists.listkeys,
    sort: str = "activity",
    descending: bool = True,
    since: str | None = None,
    counted: bool = True,
) -> Result:
    """One page by `plan`: the exact list(s) with their counters' total, or the driver
    filtered within the read budget (total only when the lists were read to their end).
    `counted=False`: no counter read (the caller has no use for the total)."""
    if plan.exact:
        page = store_lists.read_page(
            plan.lists, limit=limit, before=before, sort=sort, descending=descending, since=since
        )
        total = store_lists.count(plan.lists) if counted else None
        return Result(page.tickets, page.next_sort_key, total)
    budget = max(READ_BUDGET, (len(plan.lists) + 1) * (limit + 1))
    found = store_lists.read_filtered(
        plan.lists,
        lambda t: meets(plan.conditions, t, held),
        limit=limit,
        budget=budget,
        before=before,
        sort=sort,
        descending=descending,
        since=since,
    )
    total = len(found.tickets) if found.complete else None
    return Result(found.tickets, found.next_sort_key, total)
