"""The contract suites: every test starts from its module's deployment (tests/fixtures/chain.py)."""

import pytest


@pytest.fixture(autouse=True)
def _isolated(isolation):
    """A snapshot around every test."""
