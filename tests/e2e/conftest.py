"""End-to-end fixtures: the local runner on a free port, spoken to over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


class Runner:
    def __init__(self, url: str, state_dir: Path) -> None:
        self.url = url
        self.state_dir = state_dir

    def token(self, user: str, role: str = "customer", org: str | None = None, **kw: object) -> str:
        from local import devauth

        os.environ["HELPDESK_LOCAL_DIR"] = str(self.state_dir)
        return devauth.mint(user, role, org, **kw)  # type: ignore[arg-type]

    def client(
        self, user: str | None = None, role: str = "customer", org: str | None = None
    ) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(user, role, org)}"} if user else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def forget_webhooks(self) -> None:
        """Delete every webhook subscription: one left on the session's runner would have every
        later test's changes fanned out to it (a delivery record and a queued send each)."""
        with self.client("e2e-cleanup", "admin") as admin:
            for sub in admin.get("/admin/webhooks").json()["items"]:
                admin.delete(f"/admin/webhooks/{sub['id']}")

    def run_sh(self, script: str) -> str:
        """Run a documented shell block (written for 127.0.0.1:3000) against this runner, as
        bash with -euo pipefail from the repository root; its stdout. Fails on any error."""
        out = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace("http://127.0.0.1:3000", self.url)],
            cwd=ROOT,
            env={**os.environ, "HELPDESK_LOCAL_DIR": str(self.state_dir)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout


def _free_port() -> int:
    from local.backend import free_port

    return free_port()


@contextmanager
def start_runner(state: Path, pump: str = "sync", **params: str) -> Iterator[Runner]:
    """The local runner on a free port, `params` overriding template parameters.

    `pump="sync"` (the default here) delivers stream records and queue messages before each
    HTTP answer, so a test sees what a stream function did as soon as its request returns;
    `pump="async"` delivers them on the runner's background thread, as `make run` does."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"HELPDESK_LOCAL_DIR": str(state), "RUNNER_ACCESS_LOG": "0", "PYTHONPATH": f"{ROOT}"}
    # No authorizer cache, so a revoked API token is refused on the next call.
    env["HELPDESK_PARAM_AuthCacheSeconds"] = "0"
    env["HELPDESK_PUMP"] = pump
    env |= {f"HELPDESK_PARAM_{k}": v for k, v in params.items()}
    log = (state / "runner.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "local.runner", "--port", str(port), "--concurrency", "4"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/.well-known/jwks.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("runner did not start:\n" + (state / "runner.log").read_text())
            time.sleep(0.2)
        yield Runner(url, state)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    # Per-caller write limits are tested on a runner of their own (test_throttling), the
    # public form's in tests/handlers/test_public.py; here they would only make unrelated
    # tests (all from 127.0.0.1) depend on how many writes came before them.
    with start_runner(
        tmp_path_factory.mktemp("runner-state"),
        WriteLimit="100000",
        PublicFormIpLimit="100000",
        PublicFormEmailLimit="100000",
    ) as started:
        yield started


@pytest.fixture(autouse=True)
def webhooks_end_with_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """No subscription outlives the test that made it on the shared runner (see
    `Runner.forget_webhooks`); schemathesis creates some with fuzzed URLs."""
    yield
    if "runner" in request.fixturenames:
        request.getfixturevalue("runner").forget_webhooks()


@pytest.fixture
def user() -> str:
    """A fresh user id per test, so tests never see each other's tickets."""
    return f"u{uuid.uuid4().hex[:10]}"


@pytest.fixture
def as_user(runner: Runner) -> Callable[..., httpx.Client]:
    return runner.client
