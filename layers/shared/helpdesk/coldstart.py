"""The init phase of a function: garbage collection paused while its handler imports.

Importing a handler (Powertools, pydantic, botocore, our models) allocates a few hundred
thousand long-lived objects and almost no garbage, yet CPython's collector keeps running
passes over the growing heap while it happens. Every function's `app.py` imports this
module first, which pauses the collector; `resume()` ends the pause once the handler is
built (`http.entrypoint` calls it; handlers without it call it themselves). It freezes what
the import built first (`gc.freeze`: moved to the permanent generation), or turning the
collector back on would scan every one of those objects at the next allocation. Later
collections skip them too. Measured in docs/benchmarks.md; a test checks both ends for
every function.

With SnapStart (template parameter `SnapStart`), the end of init is also where the snapshot
is taken: `resume()` registers the hook that makes restored environments differ again
(docs/design.md, "Operations").
"""

import gc
import os

_paused = gc.isenabled()
gc.disable()


def resume() -> None:
    """End of the init phase: collect garbage as usual from here on.

    Only the first call after the pause freezes: a process that loads several functions
    (the tests) freezes once, not at every load."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
        if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
            register_snapstart_hooks()


def reseed() -> None:
    """After a SnapStart restore: every environment restored from one snapshot starts with
    the same `random` state, so retry jitter (`random.uniform`) would be the same sequence
    in all of them and colliding writers would retry in step. Reseed from os.urandom.
    (`secrets`/`os.urandom`, which ids and tokens use, read the kernel and need nothing.)"""
    import random

    random.seed()


def register_snapstart_hooks() -> None:
    """Register `reseed` to run after each restore (snapshot_restore_py ships with the
    Lambda Python runtime; only a SnapStart init calls this)."""
    from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]

    register_after_restore(reseed)
