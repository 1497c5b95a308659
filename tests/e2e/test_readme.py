"""The README's curl walk-through runs verbatim against the runner (docs stay true)."""

from __future__ import annotations

import json
import re
import shutil

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
    # Given the runner and the README's commands; When run in bash (with make for the token);
    # Then every command succeeds (run_sh asserts it) and prints JSON documents, not errors.
    stdout = runner.run_sh(walkthrough())
    docs, text, decoder = [], stdout.strip(), json.JSONDecoder()
    while text:  # curl -s prints documents back to back
        doc, end = decoder.raw_decode(text)
        docs.append(doc)
        text = text[end:].strip()
    assert docs[0]["user_id"] == "alice"
    ticket = docs[1]
    assert ticket["subject"] == "Printer on fire" and ticket["messages"][0]["body"]
    assert docs[2]["total"] >= 1
    assert len(docs) == 4 and all("code" not in d for d in docs), docs
