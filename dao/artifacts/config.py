"""Which artifact store to use, from settings: the embedded store by default, a Kubo node by URL.

Environment variables (prefix `MERIT_ARTIFACTS_`): `BACKEND` (`embedded` or `kubo`), `PATH`
(the embedded store's folder), `KUBO_URL`, `TIMEOUT_SECONDS`, `LOOKUP_TIMEOUT_SECONDS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dao.artifacts.embedded import DEFAULT_STORE_PATH, EmbeddedStore
from dao.artifacts.store import ArtifactStore

DEFAULT_KUBO_URL = "http://127.0.0.1:5001"


class ArtifactStoreSettings(BaseSettings):
    """Settings of the artifact store shared by the oracle, the API and the CLI."""

    model_config = SettingsConfigDict(env_prefix="MERIT_ARTIFACTS_", extra="ignore")

    backend: Literal["embedded", "kubo"] = "embedded"
    path: Path = DEFAULT_STORE_PATH
    durable: bool = False
    kubo_url: str = DEFAULT_KUBO_URL
    timeout_seconds: float = Field(default=120.0, gt=0)
    lookup_timeout_seconds: float = Field(default=10.0, gt=0)


def open_artifact_store(settings: ArtifactStoreSettings | None = None) -> ArtifactStore:
    """The store the settings name (read from the environment when none are given)."""
    chosen = settings if settings is not None else ArtifactStoreSettings()
    if chosen.backend == "kubo":
        from dao.artifacts.kubo import (
            KuboStore,  # only deployments with a node need the client
        )

        return KuboStore(
            chosen.kubo_url,
            timeout_seconds=chosen.timeout_seconds,
            lookup_timeout_seconds=chosen.lookup_timeout_seconds,
        )
    return EmbeddedStore(chosen.path, durable=chosen.durable)
