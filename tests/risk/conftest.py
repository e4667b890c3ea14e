"""Fixtures the risk tests borrow: the PIB workflow's `env` and the TUI tests' `make_app`."""

from tests.e2e.conftest import make_app  # noqa: F401
from tests.services.test_pib_support import env_fixture  # noqa: F401
