"""Choosing the store from settings: embedded by default, Kubo by URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dao.artifacts.config import ArtifactStoreSettings, open_artifact_store
from dao.artifacts.embedded import EmbeddedStore
from dao.artifacts.kubo import KuboStore


def test_embedded_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("BACKEND", "PATH", "KUBO_URL"):
        monkeypatch.delenv(f"MERIT_ARTIFACTS_{name}", raising=False)
    store = open_artifact_store()
    assert isinstance(store, EmbeddedStore)
    assert store.path == Path(".cache/artifacts")
    assert (tmp_path / ".cache" / "artifacts" / "blocks").is_dir()


def test_the_environment_picks_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIT_ARTIFACTS_BACKEND", "kubo")
    monkeypatch.setenv("MERIT_ARTIFACTS_KUBO_URL", "http://127.0.0.1:5999")
    monkeypatch.setenv("MERIT_ARTIFACTS_TIMEOUT_SECONDS", "7")
    store = open_artifact_store()
    try:
        assert isinstance(store, KuboStore)
        assert (store.url, store.timeout_seconds) == ("http://127.0.0.1:5999", 7.0)
    finally:
        store.close()


def test_a_path_setting_opens_that_folder(tmp_path: Path) -> None:
    store = open_artifact_store(ArtifactStoreSettings(path=tmp_path / "elsewhere"))
    assert isinstance(store, EmbeddedStore) and store.path == tmp_path / "elsewhere"


@pytest.mark.parametrize("field", [{"backend": "s3"}, {"timeout_seconds": 0}, {"lookup_timeout_seconds": -1}])
def test_bad_settings_are_refused(field: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ArtifactStoreSettings(**field)
