"""Deployment parameters and manifests: the one definition of both formats.

A *deploy config* (``config/deploy/<network>.json``) holds every parameter the deploy script
uses; it is validated in full before any transaction is sent, and an error names the key that is
wrong. A *deployment manifest* (``deployments/<network>.json``) records what was deployed: chain
id, addresses, deployment blocks, constructor arguments, artifact names and the wiring steps
done, so that a deployment interrupted part-way resumes where it stopped and every other part of
OpenMerit (oracle, API, CLI) finds the contracts.
"""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from eth_utils import is_address, to_checksum_address
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

TOKEN_DECIMALS = 18
TREASURY = "treasury"
"""In an initial distribution, the recipient that stands for the timelock (the DAO treasury)."""
DEPLOYER = "deployer"
"""In an initial distribution, the recipient that stands for the deploying account."""


class DeployConfigError(ValueError):
    """A deploy config that cannot be used; the message names the file and the key."""


def _checksum(value: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise ValueError(f"not an address: {value!r}")
    return to_checksum_address(value)


def _whole_tokens_to_base_units(value: Any) -> int:
    """Token amounts in configs are whole tokens ("1000000", "0.5", 250): exact, no floats."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError('give token amounts as an integer or a decimal string, e.g. "1000000"')
    try:
        amount = Decimal(str(value).replace("_", ""))
    except InvalidOperation:
        raise ValueError(f"not a token amount: {value!r}") from None
    base_units = amount * (10**TOKEN_DECIMALS)
    if amount < 0 or base_units != base_units.to_integral_value():
        raise ValueError(f"not a non-negative amount with at most {TOKEN_DECIMALS} decimals: {value!r}")
    return int(base_units)


Address = Annotated[str, AfterValidator(_checksum)]
TokenAmount = Annotated[int, BeforeValidator(_whole_tokens_to_base_units)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenParams(_Strict):
    name: str = Field(min_length=1)
    symbol: str = Field(min_length=1, max_length=11)
    cap: TokenAmount = Field(gt=0, description="hard supply cap, whole tokens")


class GovernorParams(_Strict):
    name: str = Field(min_length=1)
    voting_delay: int = Field(ge=0, lt=2**48, description="seconds from proposal to voting start")
    voting_period: int = Field(gt=0, lt=2**32, description="seconds of voting")
    proposal_threshold: TokenAmount = Field(description="votes needed to propose, whole tokens")
    quorum_percent: int = Field(ge=1, le=100, description="quorum, percent of the supply at the snapshot")
    late_quorum_extension: int = Field(
        ge=0, lt=2**48, description="seconds voting is extended when quorum is reached late"
    )


class TimelockParams(_Strict):
    min_delay: int = Field(ge=0, description="seconds between queue and execute")


class RewardsParams(_Strict):
    epoch_cap: TokenAmount = Field(gt=0, description="the largest total one epoch may be funded with")
    guardian: Address | None = Field(default=None, description="may pause submissions and claims")
    oracle: Address | None = Field(default=None, description="first holder of the registry's ORACLE_ROLE")


class Grant(_Strict):
    recipient: Annotated[str, AfterValidator(lambda v: v if v in (TREASURY, DEPLOYER) else _checksum(v))]
    amount: TokenAmount


class DeployConfig(_Strict):
    """Every parameter of a deployment. Durations in seconds, token amounts in whole tokens."""

    token: TokenParams
    governor: GovernorParams
    timelock: TimelockParams
    rewards: RewardsParams
    initial_distribution: list[Grant] = Field(default_factory=list)
    confirmations: int = Field(default=1, ge=1, le=64, description="blocks to wait for each transaction")

    @model_validator(mode="after")
    def _fits_the_cap(self) -> DeployConfig:
        distributed = sum(g.amount for g in self.initial_distribution)
        if distributed > self.token.cap:
            raise ValueError(f"initial_distribution totals {distributed} base units, over token.cap {self.token.cap}")
        if self.rewards.epoch_cap > self.token.cap:
            raise ValueError("rewards.epoch_cap is over token.cap")
        if self.governor.proposal_threshold > self.token.cap:
            raise ValueError("governor.proposal_threshold is over token.cap: nobody could propose")
        return self


def parse_deploy_config(raw: Any, *, source: str = "deploy config") -> DeployConfig:
    """Validates a decoded config; raises DeployConfigError naming the first bad key."""
    try:
        return DeployConfig.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"]) or "(top level)"
            problems.append(f"{key}: {err['msg']}")
        raise DeployConfigError(f"{source}: " + "; ".join(problems)) from None


def load_deploy_config(path: Path) -> DeployConfig:
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise DeployConfigError(f"{path}: no such deploy config") from None
    except json.JSONDecodeError as exc:
        raise DeployConfigError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return parse_deploy_config(raw, source=str(path))


class ContractRecord(_Strict):
    artifact: str = Field(description="the Brownie/solc contract name whose ABI and bytecode were deployed")
    address: Address
    block_number: int
    tx_hash: str
    constructor_args: list[Any]


class Deployment(BaseModel):
    """The manifest of one network's deployment, written after every step."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["openmerit-deployment-v1"] = "openmerit-deployment-v1"
    network: str
    chain_id: int
    deployer: Address
    live: bool
    complete: bool = False
    contracts: dict[str, ContractRecord] = Field(default_factory=dict)
    steps_done: list[str] = Field(default_factory=list)
    config: dict[str, Any] = Field(description="the deploy config as given (whole-token amounts)")

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise KeyError(f"the {self.network} deployment has no contract named {name}") from None


def manifest_path(network: str, root: Path | None = None) -> Path:
    return (root or Path.cwd()) / "deployments" / f"{network}.json"


def load_deployment(path: Path) -> Deployment:
    try:
        return Deployment.model_validate_json(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no deployment manifest (deploy first)") from None
    except ValidationError as exc:
        raise ValueError(f"{path}: not a valid deployment manifest: {exc.errors()[0]['msg']}") from None


def save_deployment(deployment: Deployment, path: Path) -> None:
    """Writes atomically: a crash mid-write leaves the previous manifest, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = deployment.model_dump_json(indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
