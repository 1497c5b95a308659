"""Lint template.yaml: cfn-lint on the template and on its SAM-expanded form.

cfn-lint alone accepts things the expansion exposes (a bad runtime, a !Ref to
a missing resource inside a policy), so we expand with samtranslator first.
Runs in the tools virtualenv (`make lint`, tests/template).
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from local.template import TEMPLATE, load

# cfn-lint rules we skip, with the reason (each must be justified here).
IGNORE_CHECKS = [
    # W3005: SAM adds DependsOn the linter finds redundant in the expanded output.
    "W3005",
    # W1020: SAM's own expansion emits Fn::Sub without variables (permission ARNs).
    "W1020",
]


def expand(doc: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation template `sam deploy` would submit (code locations faked)."""
    from samtranslator.translator.transform import transform

    doc = copy.deepcopy(doc)
    for res in doc["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://bucket/{props[key].strip('/')}.zip"

    class _NoIam:
        """We name no managed policies by short name, so no IAM lookup is needed (offline)."""

        def load(self) -> dict[str, str]:
            return {}

    out: dict[str, Any] = transform(doc, {}, _NoIam())
    return out


def lint(path: Path) -> list[str]:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(path, config=ManualArgs(ignore_checks=IGNORE_CHECKS, regions=["us-east-1"]))
    return [f"{m.rule.id} {m.message} ({m.filename}:{m.linenumber})" for m in matches]


def main() -> int:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    problems = [f"template: {p}" for p in lint(TEMPLATE)]
    expanded = expand(load())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "expanded.json"
        out.write_text(json.dumps(expanded, indent=1))
        problems += [f"expanded: {p}" for p in lint(out)]
    for p in problems:
        print(p)
    print(f"lint_template: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
