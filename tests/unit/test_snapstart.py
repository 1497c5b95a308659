"""SnapStart: the after-restore hook that makes restored environments differ again."""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

from helpdesk import coldstart


def test_a_snapstart_init_registers_the_reseed_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the Lambda runtime's snapshot_restore_py (a stand-in: it ships with the runtime)
    hooks: list[Callable[..., Any]] = []
    fake = types.ModuleType("snapshot_restore_py")
    fake.register_after_restore = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    # When a SnapStart init ends
    coldstart.register_snapstart_hooks()
    # Then the hook reseeds `random`: two environments restored from one snapshot (the
    # same state) draw different retry jitter
    assert hooks == [coldstart.reseed]
    snapshot = random.getstate()
    hooks[0]()
    first = random.random()
    random.setstate(snapshot)
    hooks[0]()
    assert random.random() != first


def test_an_ordinary_init_does_not_import_the_hook_library(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an on-demand init (no AWS_LAMBDA_INITIALIZATION_TYPE=snap-start)
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    monkeypatch.setattr(coldstart, "_paused", True)
    monkeypatch.delitem(sys.modules, "snapshot_restore_py", raising=False)
    # When init ends; Then no hook library is needed (it exists only in Lambda)
    coldstart.resume()
    assert "snapshot_restore_py" not in sys.modules
