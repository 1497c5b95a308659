"""The README's curl walk-through runs verbatim against the runner (docs stay true)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Try it", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "README has no walk-through block"
    return match.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_readme_walkthrough(runner: Runner) -> None:
    script = walkthrough().replace("http://127.0.0.1:3000", runner.url)
    # Given the runner and the README's commands; When run in bash (with make for the token);
    env = {**os.environ, "HELPDESK_LOCAL_DIR": str(runner.state_dir)}
    out = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Then every command succeeds and prints JSON documents, not errors.
    assert out.returncode == 0, out.stderr
    docs, text, decoder = [], out.stdout.strip(), json.JSONDecoder()
    while text:  # curl -s prints documents back to back
        doc, end = decoder.raw_decode(text)
        docs.append(doc)
        text = text[end:].strip()
    assert docs[0]["user_id"] == "alice"
    ticket = docs[1]
    assert ticket["subject"] == "Printer on fire" and ticket["messages"][0]["body"]
    assert docs[2]["total"] >= 1
    assert len(docs) == 4 and all("code" not in d for d in docs), docs
