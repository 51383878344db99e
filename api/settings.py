"""The API's and the indexer's settings: one class, read from the environment (prefix
`MERIT_API_`) or given directly. No secret has a default: the relayer key is only set by whoever
runs a relay."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.ratelimit import check_limit
from dao.artifacts.config import ArtifactStoreSettings
from dao.chain import DEFAULT_RPC_URL

DEFAULT_DATABASE_URL = "sqlite:///.cache/openmerit.db"


class Settings(BaseSettings):
    """Everything `merit api serve` and `merit index run` read."""

    model_config = SettingsConfigDict(env_prefix="MERIT_API_", extra="forbid", env_nested_delimiter="__")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL: SQLite file or postgresql://")
    rpc_url: str = Field(DEFAULT_RPC_URL, description="JSON-RPC endpoint of the chain to index and relay to")
    deployment: Path = Field(Path("deployments/development.json"), description="deployment manifest")
    artifacts: ArtifactStoreSettings = Field(default_factory=ArtifactStoreSettings)

    upload_max_bytes: int = Field(16 * 1024 * 1024, gt=0, description="largest artifact upload accepted")
    upload_content_types: tuple[str, ...] = (
        "application/octet-stream",
        "text/csv",
        "application/json",
        "text/plain",
    )
    page_size_default: int = Field(50, ge=1)
    page_size_max: int = Field(200, ge=1, description="cap on ?limit= for every list endpoint")
    write_rate_limit: Annotated[str, AfterValidator(check_limit)] = Field(
        "30/minute", description="writes per client address, in `limits` notation (e.g. 30/minute)"
    )

    relayer_private_key: SecretStr | None = Field(None, description="key that pays the gas of relayed submissions")
    relay_gas_limit: int = Field(400_000, gt=21_000)
    relay_claims_per_account: Annotated[str, AfterValidator(check_limit)] = Field(
        "5/hour", description="relayed claim transactions per account (only those sent count)"
    )
    relay_claims_per_client: Annotated[str, AfterValidator(check_limit)] = Field(
        "30/hour", description="relayed claim transactions per client address (only those sent count)"
    )

    run_indexer: bool = Field(False, description="run the indexer inside the API process")
    index_poll_seconds: float = Field(2.0, gt=0)
    index_max_range: int = Field(10_000, ge=1, description="largest eth_getLogs block range")
    index_confirmations: int = Field(0, ge=0, description="blocks behind head the indexer stays")
    log_json: bool = Field(True, description="structured JSON logs")
