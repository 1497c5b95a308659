"""The change feed on the runner as `make run` serves it (async pump, a 1 s holdback): a
client paging while changes are written misses none and repeats none
(docs/design.md 2., "Change feed")."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import start_runner

pytestmark = [pytest.mark.e2e]


def _drain(admin: httpx.Client, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    items: list[dict[str, Any]] = []
    while True:
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        page = admin.get("/admin/changes", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if body["end_of_stream"]:
            return items, cursor


def test_a_client_paging_during_writes_sees_every_change_once(tmp_path: Path) -> None:
    with start_runner(tmp_path, pump="async", FeedHoldbackSeconds="1") as runner:
        user = f"u{uuid.uuid4().hex[:10]}"
        with (
            runner.client(user) as me,
            runner.client("agnes", "agent") as agent,
            runner.client("adam", "admin") as admin,
        ):
            assert me.get("/admin/changes").status_code == 403
            seen: list[dict[str, Any]] = []
            cursor: str | None = None
            ids = []
            for n in range(3):
                made = me.post("/tickets", json={"subject": f"Printer {n}", "message": "Help"})
                assert made.status_code == 201, made.text
                tid = made.json()["id"]
                ids.append(tid)
                path = f"/admin/tickets/{tid}/messages"
                assert agent.post(path, json={"message": "on it"}).status_code == 201
                assert agent.post(path, json={"message": "n", "internal": True}).status_code == 201
                page, cursor = _drain(admin, cursor)
                seen += page
            assert admin.delete(f"/admin/tickets/{ids[0]}").status_code == 200
            time.sleep(1.2)  # past the holdback: everything written is visible
            rest, cursor = _drain(admin, cursor)
            seen += rest
            got = [i["id"] for i in seen]
            assert len(got) == len(set(got))
            expected = []
            for tid in ids:
                events = agent.get(f"/admin/tickets/{tid}/events", params={"limit": 100}).json()
                expected += [f"{tid}.{e['seq']}" for e in events["items"]]
            assert sorted(i for i in got if i.split(".")[0] in ids) == sorted(expected)
            types = {i["type"] for i in seen}
            assert {"ticket.created", "message.created", "note.created"} <= types
            assert "ticket.deleted" in types
