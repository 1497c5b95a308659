"""Contract tests share the end-to-end runner."""

from tests.e2e.conftest import runner, user  # noqa: F401  (fixtures)
