"""docs/api.md's sh blocks run, in order, against the runner (docs stay true)."""

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


def documents(text: str) -> list[dict[str, object]]:
    docs, decoder, text = [], json.JSONDecoder(), text.strip()
    while text:
        if text[0] != "{":
            text = text.split("\n", 1)[1].strip() if "\n" in text else ""
            continue
        doc, end = decoder.raw_decode(text)
        docs.append(doc)
        text = text[end:].strip()
    return docs


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_api_guide_examples(runner: Runner) -> None:
    guide = (ROOT / "docs" / "api.md").read_text()
    script = "\n".join(re.findall(r"```sh\n(.*?)```", guide, re.S))
    script = script.replace("http://127.0.0.1:3000", runner.url)
    env = {**os.environ, "HELPDESK_LOCAL_DIR": str(runner.state_dir)}
    out = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    docs = documents(out.stdout)
    codes = [d.get("code") for d in docs if "code" in d]
    # the errors the guide shows, in order
    assert codes == [
        "TOKEN_MISSING",
        "VALIDATION_FAILED",
        "TICKET_NOT_FOUND",
        "TICKET_CLOSED",
        "TICKET_NOT_FOUND",
    ], codes
    retried = [d for d in docs if d.get("subject") == "Invoice 4711 is wrong"]
    assert len(retried) == 2 and retried[0]["id"] == retried[1]["id"]
    assert "204" in out.stdout  # the presigned upload
    attached = [d for d in docs if d.get("subject") == "Screenshot"]
    assert attached and attached[0]["attachments"][0]["file_name"] == "shot.png"  # type: ignore[index]
