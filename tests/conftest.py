"""Fixtures for the whole session: the chain fixtures (tests/fixtures/chain.py) are loaded once
here, and the embedded artifact store every suite writes to. Shared helpers are in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from dao.artifacts.embedded import EmbeddedStore

pytest_plugins = ["tests.fixtures.chain"]


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    """An empty embedded artifact store in the test's own folder."""
    return EmbeddedStore(tmp_path / "store")
