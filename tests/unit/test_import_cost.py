"""Cold-start guard: modules that define pydantic models keep real annotations.

With `from __future__ import annotations` every field annotation is a string that
pydantic evaluates with `compile()` when the class is created; measured, that was
about half the import time of `domain` and `models` (docs/benchmarks.md).
"""

import __future__

import importlib

import pytest
from pydantic import BaseModel


@pytest.mark.parametrize("name", ["helpdesk.domain", "helpdesk.models", "helpdesk.settings"])
def test_pydantic_modules_do_not_postpone_annotations(name: str) -> None:
    module = importlib.import_module(name)
    models = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, BaseModel)]
    assert models, f"{name} defines no pydantic model: drop it from this list"
    assert vars(module).get("annotations") is not __future__.annotations, (
        f"{name} uses `from __future__ import annotations`; its pydantic classes then "
        "compile every annotation string at import (cold start)"
    )
