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
    ValidationInfo,
    model_validator,
)

TOKEN_DECIMALS = 18
TREASURY = "treasury"
"""In an initial distribution, the recipient that stands for the timelock (the DAO treasury)."""
DEPLOYER = "deployer"
"""In an initial distribution, the recipient that stands for the deploying account."""


DAY = 86_400

# The bounds a config must keep unless it carries a `safety_waiver` (README, "Deploy parameters",
# gives each one with its reason). Seconds, except quorum_percent.
SAFE_BOUNDS: dict[str, tuple[int, int, str]] = {
    "governor.voting_delay": (
        3600,
        7 * DAY,
        "holders see a proposal and delegate before its snapshot, and longer only stalls every decision",
    ),
    "governor.voting_period": (
        DAY,
        14 * DAY,
        "every time zone gets a full day to vote, and a fix to a bad epoch waits two weeks at most",
    ),
    "governor.late_quorum_extension": (
        3600,
        7 * DAY,
        "a quorum reached in the last minute leaves at least an hour to answer it",
    ),
    "timelock.min_delay": (
        DAY,
        30 * DAY,
        "the guardian and holders get a day to react to a passed proposal, while 10^12 s locks the treasury",
    ),
    "governor.quorum_percent": (
        2,
        50,
        "under 2% a small bloc decides, and above half of the supply no turnout reaches it",
    ),
}
VESTING_CLIFF_BOUNDS = (180 * DAY, 4 * 365 * DAY)
VESTING_DURATION_BOUNDS = (365 * DAY, 10 * 365 * DAY)
QUORUM_MARGIN = 2
"""The votes that can exist at launch must be at least this many times the quorum: not everyone votes."""


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


class Vesting(_Strict):
    """A grant minted into a MeritVesting wallet (OpenZeppelin's VestingWalletCliff) that starts at
    deployment: nothing is released before the cliff, then linearly until the end."""

    cliff: int = Field(ge=0, lt=2**64, description="seconds from deployment before anything is released")
    duration: int = Field(gt=0, lt=2**64, description="seconds from deployment until all is released")

    @model_validator(mode="after")
    def _cliff_within_duration(self) -> Vesting:
        if self.cliff > self.duration:
            raise ValueError(f"cliff {self.cliff} s is longer than duration {self.duration} s")
        return self


class Grant(_Strict):
    recipient: Annotated[str, AfterValidator(lambda v: v if v in (TREASURY, DEPLOYER) else _checksum(v))]
    amount: TokenAmount
    vesting: Vesting | None = Field(default=None, description="mint into a vesting wallet for the recipient")


class DeployConfig(_Strict):
    """Every parameter of a deployment. Durations in seconds, token amounts in whole tokens."""

    token: TokenParams
    governor: GovernorParams
    timelock: TimelockParams
    rewards: RewardsParams
    initial_distribution: list[Grant] = Field(default_factory=list)
    confirmations: int = Field(default=1, ge=1, le=64, description="blocks to wait for each transaction")
    safety_waiver: str | None = Field(
        default=None,
        min_length=10,
        description="why the safety checks are waived (a local chain, a rehearsal); null for any DAO that runs",
    )

    @model_validator(mode="after")
    def _fits_the_cap(self) -> DeployConfig:
        distributed = sum(g.amount for g in self.initial_distribution)
        if distributed > self.token.cap:
            raise ValueError(f"initial_distribution totals {distributed} base units, over token.cap {self.token.cap}")
        if self.rewards.epoch_cap > self.token.cap:
            raise ValueError("rewards.epoch_cap is over token.cap")
        if self.governor.proposal_threshold > self.token.cap:
            raise ValueError("governor.proposal_threshold is over token.cap: nobody could propose")
        for i, grant in enumerate(self.initial_distribution):
            if grant.vesting is not None and grant.recipient == TREASURY:
                raise ValueError(f"initial_distribution.{i}.vesting: the treasury's share is not vested")
        return self

    @model_validator(mode="after")
    def _safe(self, info: ValidationInfo) -> DeployConfig:
        """Refuses parameters that hand the DAO to one account or brick it (see safety_problems);
        the deployer's address comes from the validation context, when known."""
        if self.safety_waiver is not None:
            return self
        deployer = (info.context or {}).get("deployer") if info is not None else None
        problems = safety_problems(self, deployer)
        if problems:
            raise ValueError("; ".join(f"{key}: {message}" for key, message in problems))
        return self


def _bounded(key: str, value: int) -> tuple[str, str] | None:
    low, high, reason = SAFE_BOUNDS[key]
    if low <= value <= high:
        return None
    return key, f"{value} is outside [{low}, {high}] ({reason})"


def _holder(grant: Grant, deployer: str | None) -> str:
    return deployer if grant.recipient == DEPLOYER and deployer else grant.recipient


def launch_quorum(config: DeployConfig) -> int:
    """The quorum a proposal made right after deployment needs (GovernorVotesQuorumFraction:
    supply at the snapshot times the numerator over 100; the supply is everything minted)."""
    minted = sum(g.amount for g in config.initial_distribution)
    return minted * config.governor.quorum_percent // 100


def safety_problems(config: DeployConfig, deployer: str | None = None) -> list[tuple[str, str]]:
    """Every (key, reason) for which the config would let one account decide alone, leave the DAO
    unable to decide, or leave nothing able to stop a bad epoch. Tokens in the treasury (the
    timelock) and in vesting wallets cannot be delegated, so they carry no votes at launch."""
    gov = config.governor
    problems = [
        p
        for p in (
            _bounded("governor.voting_delay", gov.voting_delay),
            _bounded("governor.voting_period", gov.voting_period),
            _bounded("governor.late_quorum_extension", gov.late_quorum_extension),
            _bounded("timelock.min_delay", config.timelock.min_delay),
            _bounded("governor.quorum_percent", gov.quorum_percent),
        )
        if p is not None
    ]
    if gov.late_quorum_extension > gov.voting_period:
        problems.append(("governor.late_quorum_extension", "is longer than the voting period"))
    if gov.proposal_threshold == 0:
        problems.append(
            ("governor.proposal_threshold", "0 lets any address, holding nothing, flood the DAO with proposals")
        )
    needed = {
        "guardian": "without one nothing can pause a bad root or submissions before a vote has run",
        "oracle": "without one no epoch is scored until a vote grants the role",
    }
    for role, why in needed.items():
        address = getattr(config.rewards, role)
        if address is None:
            problems.append((f"rewards.{role}", f"is required: {why}"))
        elif deployer is not None and address == to_checksum_address(deployer):
            problems.append((f"rewards.{role}", f"may not be the deployer {address}"))

    votes: dict[str, int] = {}
    first_key: dict[str, str] = {}
    vested: dict[str, int] = {}
    for i, grant in enumerate(config.initial_distribution):
        holder = _holder(grant, deployer)
        if grant.vesting is not None:
            vested[holder] = vested.get(holder, 0) + grant.amount
            first_key.setdefault(holder, f"initial_distribution.{i}")
            low, high = VESTING_CLIFF_BOUNDS
            if not low <= grant.vesting.cliff <= high:
                problems.append(
                    (
                        f"initial_distribution.{i}.vesting.cliff",
                        f"{grant.vesting.cliff} is outside "
                        f"[{low}, {high}] (no vested share votes in the DAO's first six months)",
                    )
                )
            low, high = VESTING_DURATION_BOUNDS
            if not low <= grant.vesting.duration <= high:
                problems.append(
                    (
                        f"initial_distribution.{i}.vesting.duration",
                        f"{grant.vesting.duration} is outside [{low}, {high}] (a year at least, ten at most)",
                    )
                )
            continue
        if grant.recipient == TREASURY:
            continue
        if grant.recipient == DEPLOYER or (deployer is not None and holder == to_checksum_address(deployer)):
            problems.append(
                (
                    f"initial_distribution.{i}.recipient",
                    "the deployer's key may hold no votes at launch: vest its share",
                )
            )
        votes[holder] = votes.get(holder, 0) + grant.amount
        first_key.setdefault(holder, f"initial_distribution.{i}")

    votable = sum(votes.values())
    quorum = launch_quorum(config)
    if votable < gov.proposal_threshold:
        problems.append(
            (
                "initial_distribution",
                f"the {votable} base units that can vote at launch are under "
                f"governor.proposal_threshold {gov.proposal_threshold}: nobody could ever propose",
            )
        )
    if votable < QUORUM_MARGIN * quorum:
        problems.append(
            (
                "governor.quorum_percent",
                f"quorum {quorum} base units is not reachable with a margin: "
                f"the votes that can exist at launch, {votable}, are under {QUORUM_MARGIN}x quorum",
            )
        )
    # with quorum at most half the votes that can exist (QUORUM_MARGIN), a holder under quorum
    # also holds no majority of them, and the others together can reach quorum without it
    for holder, amount in votes.items():
        if amount >= quorum:
            problems.append(
                (
                    f"{first_key[holder]}.amount",
                    f"{holder} would hold {amount} votes, at or above "
                    f"quorum {quorum}: one account could pass proposals alone",
                )
            )
    # once every vesting wallet has released, no beneficiary may hold a majority of the votes then
    votable_later = votable + sum(vested.values())
    for holder, amount in vested.items():
        if 2 * (amount + votes.get(holder, 0)) > votable_later:
            problems.append(
                (
                    f"{first_key[holder]}.amount",
                    f"{holder} would hold a majority of the {votable_later} votes once vesting ends",
                )
            )
    return problems


def parse_deploy_config(raw: Any, *, source: str = "deploy config", deployer: str | None = None) -> DeployConfig:
    """Validates a decoded config; raises DeployConfigError naming every bad key. With the
    deployer's address, also refuses an oracle, a guardian or votes held by the deployer."""
    try:
        return DeployConfig.model_validate(raw, context={"deployer": deployer})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"])
            # the cross-field checks name their keys in the message itself
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{key}: {message}" if key else message)
        raise DeployConfigError(f"{source}: " + "; ".join(problems)) from None


def load_deploy_config(path: Path, *, deployer: str | None = None) -> DeployConfig:
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise DeployConfigError(f"{path}: no such deploy config") from None
    except json.JSONDecodeError as exc:
        raise DeployConfigError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return parse_deploy_config(raw, source=str(path), deployer=deployer)


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
