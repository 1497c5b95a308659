"""Saved views end to end on the runner as `make run` serves it (async pump: the backfill's
steps run on the pump's thread from the view items' stream records): a view made after its
tickets is `building`, then `ready` with them; it follows later writes; refiltered, it is
rebuilt; deleted, it is gone (docs/design.md 2.2, "Saved views")."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import start_runner


def _until(get: Any, done: Any, what: str) -> Any:
    t0 = time.monotonic()
    while True:
        got = get()
        if done(got):
            return got
        assert time.monotonic() - t0 < 60, f"{what}: not within 60 s ({got})"
        time.sleep(0.05)


def _view(agent: httpx.Client, view_id: str) -> dict[str, Any]:
    items = agent.get("/admin/views").json()["items"]
    return next(v for v in items if v["id"] == view_id)


def test_a_view_is_built_follows_writes_is_rebuilt_and_deleted(tmp_path: Path) -> None:
    with start_runner(tmp_path, pump="async", WriteLimit="100000") as runner:
        tag = f"t{uuid.uuid4().hex[:8]}"
        with (
            runner.client(f"u{uuid.uuid4().hex[:8]}") as me,
            runner.client("agnes", "agent") as agent,
        ):
            made = []
            for n in range(6):
                t = me.post("/tickets", json={"subject": f"View {n}", "message": "m"}).json()
                made.append(t)
            for t in made[:4]:  # four tagged
                patched = agent.patch(
                    f"/admin/tickets/{t['id']}",
                    headers={"If-Match": t["etag"]},
                    json={"tags": [tag]},
                )
                assert patched.status_code == 200, patched.text
            # the queue has them all (the index follows)
            _until(
                lambda: agent.get("/admin/tickets", params={"tag": tag}).json()["total"],
                lambda n: n == 4,
                "tagged in the queue",
            )
            # When the agent saves a view of the tag
            created = agent.post("/admin/views", json={"name": "Tagged", "filter": {"tag": tag}})
            assert created.status_code == 201, created.text
            view = created.json()
            assert view["state"] == "building"
            # Then it becomes ready, with the four tickets, exact count
            _until(lambda: _view(agent, view["id"])["state"], lambda s: s == "ready", "ready")
            page = agent.get("/admin/tickets", params={"view": view["id"]}).json()
            assert {i["id"] for i in page["items"]} == {t["id"] for t in made[:4]}
            assert page["total"] == 4
            counts = agent.get("/admin/views/counts").json()["items"]
            assert {"id": view["id"], "count": 4, "state": "ready"} in counts
            # and follows a later write
            fifth = made[4]
            agent.patch(
                f"/admin/tickets/{fifth['id']}",
                headers={"If-Match": fifth["etag"]},
                json={"tags": [tag]},
            )
            _until(
                lambda: agent.get("/admin/tickets", params={"view": view["id"]}).json()["total"],
                lambda n: n == 5,
                "a later write on the view",
            )
            # refiltered (closed tickets of the tag: none), it is rebuilt
            changed = agent.patch(
                f"/admin/views/{view['id']}",
                json={"filter": {"tag": tag, "statuses": ["closed"]}},
            )
            assert changed.status_code == 200 and changed.json()["state"] == "building"
            _until(lambda: _view(agent, view["id"])["state"], lambda s: s == "ready", "rebuilt")
            page = agent.get("/admin/tickets", params={"view": view["id"]}).json()
            assert page["items"] == [] and page["total"] == 0
            # deleted, it is gone
            assert agent.delete(f"/admin/views/{view['id']}").status_code == 204
            gone = agent.get("/admin/tickets", params={"view": view["id"]})
            assert gone.status_code == 404 and gone.json()["code"] == "VIEW_NOT_FOUND"
