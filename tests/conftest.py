"""Fixtures for the whole session: the chain fixtures (tests/fixtures/chain.py) are loaded once
here, and the embedded artifact store every suite writes to. Shared helpers are in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from dao.artifacts.embedded import EmbeddedStore

pytest_plugins = ["tests.fixtures.chain"]


@pytest.fixture(autouse=True)
def no_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes a profile (merit.profile) in the home folder or the checkout: the
    suites see the built-in defaults and their own variables; profile tests set MERIT_PROFILE."""
    monkeypatch.setenv("MERIT_PROFILE", "none")
    monkeypatch.delenv("MERIT_ORACLE_CONFIG", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    """An empty embedded artifact store in the test's own folder."""
    return EmbeddedStore(tmp_path / "store")
