"""The oracle service's settings: one class, read from the environment (prefix `MERIT_ORACLE_`,
nested keys joined by `__`, e.g. `MERIT_ORACLE_PROJECT__BUDGET_WEI`) and optionally from a JSON
file given to the CLI (`--config`), whose values win over the environment.

The signer is a keystore file (its password in the environment variable named by
`keystore_password_env`, else in MERIT_KEYSTORE_PASSWORD, the CLI's own), or a private key from
the environment (`MERIT_ORACLE_PRIVATE_KEY`, or the variable `private_key_env` names); there is
never a default key. Without either the service runs in dry mode: it reads, scores, pins and
simulates, and sends nothing. `merit oracle init` writes a settings file from the chain's view of
a project.

A settings file for a local chain (`merit oracle run --config oracle.json`, the key in
`MERIT_ORACLE_PRIVATE_KEY`):

    {"rpc_url": "http://127.0.0.1:8545", "deployment": "deployments/development.json",
     "confirmations": 12,
     "artifacts": {"backend": "kubo", "kubo_url": "http://127.0.0.1:5001"},
     "database_url": "sqlite:///.cache/oracle.db",
     "project": {"project_id": 1, "name": "Sentiment", "budget_wei": "1000000000000000000000",
                 "slices_path": "hidden/slices.json", "champion_path": "hidden/baseline.npy",
                 "parameters": {"task": "classification", "metric": "accuracy", "classes": ["n", "y"],
                                "model_price_wei": "100000000000000000000000",
                                "label_price_wei": "1000000000000000000"}}}

The prices (base units per point of verified gain, per point of annotator score) make pay that
splitting cannot inflate; what an epoch does not pay carries over to the next epoch's same pool
(the service reads it from the previous epoch's report). Without prices each pool is shared by score.

One oracle serves one project. Its epochs are the project's, on the clock the registry keeps.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from dao.artifacts import ArtifactStoreSettings
from oracle.scoring.report import ScoringParameters

DEFAULT_DATABASE_URL = "sqlite:///.cache/oracle.db"
SHARED_PASSWORD_ENV = "MERIT_KEYSTORE_PASSWORD"  # the CLI's keystore password, the oracle's too


class SettingsError(ValueError):
    """Settings that cannot be used; the message names the key."""


class ProjectConfig(BaseModel):
    """The project this oracle scores, its hidden answers and its per-epoch budget."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: int = Field(ge=1, description="the registry's project id")
    name: str = Field(min_length=1, description="the project's name, as written in reports")
    budget_wei: int = Field(gt=0, description="each epoch's budget, token base units")
    parameters: ScoringParameters
    slices_path: Path | None = Field(
        default=None,
        description="the manifest of the project's hidden answer slices (oracle.hidden), committed on chain",
    )
    champion_path: Path | None = Field(
        default=None, description="the project's baseline predictions: the champion entering the first epoch"
    )
    label_items_path: Path | None = Field(default=None, description="CSV with header `item`: items open for labels")
    benchmark_path: Path | None = Field(
        default=None,
        description="the public benchmark inputs (CSV with an `id` column): the item order of .npy predictions",
    )


class Settings(BaseSettings):
    """Everything the oracle service needs; see the module docstring for where values come from."""

    model_config = SettingsConfigDict(env_prefix="MERIT_ORACLE_", env_nested_delimiter="__", extra="forbid")

    rpc_url: str = "http://127.0.0.1:8545"
    rpc_timeout_seconds: float = Field(default=30.0, gt=0)
    rpc_retry_seconds: float = Field(
        default=120.0, ge=0, description="how long an RPC fault is retried (with backoff) before a step gives up"
    )
    rpc_backoff_seconds: float = Field(default=0.25, gt=0, description="the first retry's pause; it doubles")
    rpc_max_backoff_seconds: float = Field(default=5.0, gt=0)
    deployment: Path = Path("deployments/development.json")

    keystore_path: Path | None = None
    keystore_password_env: str = "MERIT_ORACLE_KEYSTORE_PASSWORD"
    private_key: SecretStr | None = None
    private_key_env: str | None = Field(
        default=None, description="the environment variable that holds the private key (never the key itself)"
    )

    finality: Literal["confirmations", "finalized"] = Field(
        default="confirmations", description="wait for N confirmations, or for the chain's `finalized` tag"
    )
    confirmations: int = Field(default=12, ge=0, le=1024)

    artifacts: ArtifactStoreSettings = Field(default_factory=ArtifactStoreSettings)
    database_url: str = DEFAULT_DATABASE_URL
    project: ProjectConfig | None = None

    attest_batch_size: int = Field(default=100, ge=1, le=1000)
    claim_window_seconds: int = Field(default=30 * 86400, gt=0)
    max_proposal_attempts: int = Field(
        default=3, ge=1, le=20, description="funding proposals per epoch before a failed one is final"
    )
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    tx_stuck_seconds: float = Field(
        default=90.0, gt=0, description="a transaction not mined after this long is replaced at a higher fee"
    )
    tx_fee_bump_percent: int = Field(default=25, ge=11, le=500)
    tx_max_fee_wei: int = Field(default=500 * 10**9, gt=0, description="the highest max fee per gas ever offered")

    @model_validator(mode="after")
    def _one_signer(self) -> Settings:
        if self.keystore_path is not None and self.private_key is not None:
            raise ValueError("give a keystore_path or a private_key, not both")
        if self.private_key_env is not None and (self.keystore_path is not None or self.private_key is not None):
            raise ValueError("give one of keystore_path, private_key or private_key_env")
        return self

    @property
    def dry_run(self) -> bool:
        return self.keystore_path is None and self.private_key is None and self.private_key_env is None

    def signer(self) -> LocalAccount | None:
        """The signing account, or None in dry mode. Raises SettingsError when the key is unusable."""
        if self.private_key_env is not None:
            key = os.environ.get(self.private_key_env)
            if not key:
                raise SettingsError(f"private_key_env: {self.private_key_env} holds no private key")
            try:
                return Account.from_key(key)
            except (ValueError, TypeError):
                raise SettingsError(
                    f"private_key_env: {self.private_key_env} is not a 32-byte hex private key"
                ) from None
        if self.private_key is not None:
            try:
                return Account.from_key(self.private_key.get_secret_value())
            except (ValueError, TypeError):
                raise SettingsError("private_key: not a 32-byte hex private key") from None
        if self.keystore_path is None:
            return None
        password = os.environ.get(self.keystore_password_env, os.environ.get(SHARED_PASSWORD_ENV))
        if password is None:
            raise SettingsError(
                f"keystore_path is set but {self.keystore_password_env} holds no password (nor {SHARED_PASSWORD_ENV})"
            )
        try:
            keystore = json.loads(Path(self.keystore_path).read_text())
        except FileNotFoundError:
            raise SettingsError(f"keystore_path: {self.keystore_path} does not exist") from None
        except json.JSONDecodeError:
            raise SettingsError(f"keystore_path: {self.keystore_path} is not a JSON keystore") from None
        try:
            return Account.from_key(Account.decrypt(keystore, password))
        except ValueError:
            raise SettingsError(f"keystore_path: wrong password for {self.keystore_path}") from None

    def require_project(self) -> ProjectConfig:
        if self.project is None:
            raise SettingsError("project: no project configured (set MERIT_ORACLE_PROJECT or give --config)")
        return self.project


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, then the JSON file, then `overrides`; SettingsError names
    the first bad key."""
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            values = json.loads(Path(config_file).read_text())
        except FileNotFoundError:
            raise SettingsError(f"{config_file}: no such settings file") from None
        except json.JSONDecodeError as error:
            raise SettingsError(f"{config_file}: not valid JSON (line {error.lineno}: {error.msg})") from None
        if not isinstance(values, dict):
            raise SettingsError(f"{config_file}: expected a JSON object of settings")
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(settings)"
        raise SettingsError(f"{key}: {first['msg']}") from None
