"""Contract tests share the end-to-end runner."""

from tests.e2e.conftest import runner, user, webhooks_end_with_the_test  # noqa: F401  (fixtures)
