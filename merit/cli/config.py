"""The CLI's settings (pydantic-settings), in their own module so that only a command that reads
them loads pydantic: `merit.cli.common.settings()` imports this on its first call."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class CliSettings(BaseSettings):
    """Where the CLI finds the chain, the deployment, the API and the keystores (env prefix MERIT_)."""

    model_config = SettingsConfigDict(env_prefix="MERIT_", extra="ignore")

    rpc_url: str = "http://127.0.0.1:8545"
    deployment: Path = Path("deployments/development.json")
    api_url: str = "http://127.0.0.1:8000"
    keystore_dir: Path = Path.home() / ".openmerit" / "keystores"
    keystore_password: str | None = None
    rpc_timeout_seconds: float = 30.0
