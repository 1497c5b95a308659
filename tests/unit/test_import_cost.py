"""Cold-start guard: modules that define pydantic models keep real annotations.

With `from __future__ import annotations` every field annotation is a string that
pydantic evaluates with `compile()` when the class is created; measured, that was
about half the import time of `domain` and `models` (docs/benchmarks.md).
"""

import __future__

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel


def _model_modules() -> list[str]:
    import pkgutil

    import helpdesk.models

    return [f"helpdesk.models.{m.name}" for m in pkgutil.iter_modules(helpdesk.models.__path__)]


@pytest.mark.parametrize("name", ["helpdesk.domain", "helpdesk.settings", *_model_modules()])
def test_pydantic_modules_do_not_postpone_annotations(name: str) -> None:
    module = importlib.import_module(name)
    models = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, BaseModel)]
    assert models, f"{name} defines no pydantic model: drop it from this list"
    assert vars(module).get("annotations") is not __future__.annotations, (
        f"{name} uses `from __future__ import annotations`; its pydantic classes then "
        "compile every annotation string at import (cold start)"
    )


# Heavy packages a function's import must not pull in unless its code needs them at once:
# the whole of boto3 (the layer uses botocore clients), pyjwt and cryptography (only the
# authorizer verifies JWTs at every call; the console imports them on sign-in only),
# email-validator (built with the first EmailStr model), pydantic-settings (not used).
HEAVY = {"boto3", "s3transfer", "jwt", "cryptography", "email_validator", "pydantic_settings"}
NEEDS = {"authorizer": {"jwt", "cryptography"}}
# botocore's session and client machinery load with the first client (helpdesk.aws), in
# every function alike, so the import measures the same thing for all of them.
LAZY_MODULES = {"botocore.session", "botocore.client"}
# The staff desk's modules: only staff functions (routes under /admin/, and those without a
# route: the purge) load them; customers', visitors' and the console's cold starts skip
# them (the console imports them in its staff pages).
STAFF_ONLY = {
    "helpdesk.desk",
    "helpdesk.housekeeping",
    "helpdesk.store.housekeeping",
    "helpdesk.models.staff",
    "helpdesk.models.housekeeping",
}
PROBE = (
    "import gc, sys, app\n"
    "print('gc-on' if gc.isenabled() else 'gc-off', end=' ')\n"
    "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} | set(sys.modules))))"
)


def _functions() -> list[str]:
    from local.template import app as load_app

    return sorted(Path(f.code_uri).name for f in load_app().functions.values())


def _staff_functions() -> set[str]:
    from local.template import app as load_app

    return {
        Path(f.code_uri).name
        for f in load_app().functions.values()
        if not f.routes or all(r.path.startswith("/admin/") for r in f.routes)
    }


@pytest.mark.parametrize("function", _functions())
def test_a_function_imports_no_heavy_package_it_does_not_need(function: str) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(root / "layers" / "shared"),
        "TABLE_NAME": "t",
        "BUCKET_NAME": "b",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=root / "functions" / function,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(out.stdout.split())
    assert "app" in loaded
    assert "gc-on" in loaded, "the import left garbage collection paused (coldstart.resume)"
    assert loaded & HEAVY <= NEEDS.get(function, set()), loaded & HEAVY
    assert not loaded & LAZY_MODULES, loaded & LAZY_MODULES
    if function not in _staff_functions():
        assert not loaded & STAFF_ONLY, loaded & STAFF_ONLY
    if function == "web_console":  # its customer pages list no categories
        assert not loaded & {"helpdesk.catalog", "helpdesk.models.catalog"}


@pytest.mark.parametrize("function", _functions())
def test_a_function_pauses_garbage_collection_before_anything_else(function: str) -> None:
    """`import helpdesk.coldstart` comes before every other import of the handler module."""
    root = Path(__file__).resolve().parents[2]
    tree = ast.parse((root / "functions" / function / "app.py").read_text())
    imports = [
        node
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    ]
    first = imports[0]
    assert isinstance(first, ast.Import), ast.unparse(first)
    assert [a.name for a in first.names] == ["helpdesk.coldstart"], ast.unparse(first)
