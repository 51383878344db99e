"""Governor proposals as data: the one definition of how OpenMerit builds and identifies them.

A proposal is a list of actions (target, value, calldata) plus a description. The Governor
identifies it by ``keccak256(abi.encode(targets, values, calldatas, keccak256(description)))``;
computing that here lets the oracle, the CLI and the tests find a proposal on chain without
trusting a return value, and check that a proposal is the one they meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, cast

from eth_abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_typing import ABIFunction
from eth_utils import is_address, keccak, to_bytes, to_checksum_address
from eth_utils.abi import function_abi_to_4byte_selector, get_abi_input_types

from dao.abi import abi
from dao.vocabulary import Task


class ProposalState(IntEnum):
    """OpenZeppelin Governor's IGovernor.ProposalState, in its order."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


class VoteType(IntEnum):
    """GovernorCountingSimple's support values."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


@dataclass(frozen=True)
class Action:
    """One call the timelock makes: ``target.call{value: value}(calldata)``; calldata as bytes
    or 0x-hex."""

    target: str
    calldata: bytes
    value: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", to_checksum_address(self.target))
        if isinstance(self.calldata, str):
            object.__setattr__(self, "calldata", to_bytes(hexstr=self.calldata))
        else:
            object.__setattr__(self, "calldata", bytes(self.calldata))
        if self.value < 0:
            raise ValueError(f"an action's value cannot be negative: {self.value}")


@dataclass(frozen=True)
class Proposal:
    actions: tuple[Action, ...]
    description: str

    def __post_init__(self) -> None:
        if not self.actions:
            raise ValueError("a proposal needs at least one action")
        object.__setattr__(self, "actions", tuple(self.actions))

    @property
    def targets(self) -> list[str]:
        return [a.target for a in self.actions]

    @property
    def values(self) -> list[int]:
        return [a.value for a in self.actions]

    @property
    def calldatas(self) -> list[bytes]:
        return [a.calldata for a in self.actions]

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    @property
    def proposal_id(self) -> int:
        """The id the Governor gives this proposal (Governor.hashProposal)."""
        encoded = encode(
            ["address[]", "uint256[]", "bytes[]", "bytes32"],
            [self.targets, self.values, self.calldatas, self.description_hash],
        )
        return int.from_bytes(keccak(encoded), "big")

    def propose_args(self) -> tuple[list[str], list[int], list[bytes], str]:
        """Arguments of Governor.propose."""
        return self.targets, self.values, self.calldatas, self.description

    def lifecycle_args(self) -> tuple[list[str], list[int], list[bytes], bytes]:
        """Arguments of Governor.queue / execute / cancel."""
        return self.targets, self.values, self.calldatas, self.description_hash


@dataclass(frozen=True)
class ProjectSchedule:
    """A project's epoch clock and bond at registration (IContributionRegistry.ProjectParams)."""

    start: int  # unix seconds, not in the past when the proposal executes
    commit_window: int  # seconds
    reveal_window: int  # seconds
    bond: int = 0  # reward-token base units each commit posts

    def __post_init__(self) -> None:
        for name in ("commit_window", "reveal_window"):
            value = getattr(self, name)
            if not 0 < value <= _MAX_WINDOW:
                raise ValueError(f"{name} must be 1..{_MAX_WINDOW} seconds, got {value}")
        if not 0 <= self.start <= _UINT64_MAX:
            raise ValueError(f"start must be a unix time in uint64, got {self.start}")
        if not 0 <= self.bond <= _UINT96_MAX:
            raise ValueError(f"bond must be 0..2^96-1 token base units, got {self.bond}")


def register_project_proposal(
    registry: str,
    *,
    name: str,
    task: Task | str,
    metric: str,
    benchmark_cid: str,
    schedule: ProjectSchedule,
    slices_root: bytes,
    slice_count: int,
) -> Proposal:
    """The proposal that registers a project in the ContributionRegistry (only the timelock may):
    its task and metric, public benchmark inputs, epoch clock and bond, and the root of its hidden
    answer slices (dao.slices)."""
    if task not in Task.names():
        raise ValueError(f"task must be one of {', '.join(Task.names())}, not {task!r}")
    task = Task(task)
    if not name:
        raise ValueError("the project needs a name")
    if len(slices_root) != 32 or bytes(slices_root) == bytes(32):
        raise ValueError("the slices root is a non-zero 32-byte hash")
    if not 0 < slice_count < 2**32:
        raise ValueError(f"slice_count must be 1..2^32-1, got {slice_count}")
    _check_cid(benchmark_cid)
    params = (
        name,
        task.code,
        metric,
        benchmark_cid,
        schedule.start,
        schedule.commit_window,
        schedule.reveal_window,
        schedule.bond,
        bytes(slices_root),
        slice_count,
    )
    encoded = calldata("ContributionRegistry", "registerProject", params)
    description = (
        f"# Register the OpenMerit project '{name}'\n\nTask: {task.value}, metric: {metric}\n"
        f"Benchmark inputs: ipfs://{benchmark_cid}\n"
        f"Epochs: from {schedule.start}, commit {schedule.commit_window} s then reveal {schedule.reveal_window} s; "
        f"bond {schedule.bond} base units per commit\n"
        f"Hidden answer slices: {slice_count}, root 0x{bytes(slices_root).hex()}\n"
    )
    return Proposal((Action(registry, encoded),), description)


# ------------------------------------------------------------------ reward epochs

_UINT64_MAX = 2**64 - 1
_UINT96_MAX = 2**96 - 1
# RewardDistributor stores totals in 96 bits, and ContributionRegistry.MAX_CID_LENGTH bounds CIDs.
_MAX_CID_LENGTH = 128
_MAX_WINDOW = 365 * 86400  # ContributionRegistry.MAX_WINDOW
_FUND_EPOCH_DESCRIPTION = re.compile(
    r"\A# Fund OpenMerit project (\d+), reward epoch (\d+)\n\nReport: ipfs://(\S+)\nAttempt: (\d+)\n"
    r"(?:\n.*\n)?#proposer=(0x[0-9a-fA-F]{40})\Z",
    re.DOTALL,
)


def calldata(contract: str, function: str, *args: Any) -> bytes:
    """ABI-encoded calldata of ``contract.function(*args)``, from the exported ABI in dao.abi
    (no provider needed). The function must not be overloaded."""
    entries = [e for e in abi(contract) if e.get("type") == "function" and e.get("name") == function]
    if len(entries) != 1:
        raise ValueError(f"{contract} has {len(entries)} functions named {function!r}; expected exactly one")
    entry = cast(ABIFunction, entries[0])  # filtered to type "function" above
    types = get_abi_input_types(entry)
    if len(args) != len(types):
        raise ValueError(f"{contract}.{function} takes {len(types)} arguments, got {len(args)}")
    return function_abi_to_4byte_selector(entry) + encode(types, list(args))


def decode_calldata(contract: str, function: str, data: bytes) -> dict[str, Any] | None:
    """The arguments of ``contract.function`` by name when `data` is a call to it, else None
    (another selector, or bytes that do not decode as its arguments)."""
    entries = [e for e in abi(contract) if e.get("type") == "function" and e.get("name") == function]
    if len(entries) != 1:
        raise ValueError(f"{contract} has {len(entries)} functions named {function!r}; expected exactly one")
    entry = cast(ABIFunction, entries[0])  # filtered to type "function" above
    data = bytes(data)
    if data[:4] != function_abi_to_4byte_selector(entry):
        return None
    try:
        values = decode(get_abi_input_types(entry), data[4:])
    except (DecodingError, OverflowError):
        return None
    return {item["name"]: value for item, value in zip(entry["inputs"], values, strict=True)}


@dataclass(frozen=True)
class FundEpochCall:
    """The arguments of ``RewardDistributor.fundEpoch``, as a funding proposal carries them."""

    project_id: int
    epoch: int
    merkle_root: str  # 0x-prefixed hex
    total: int
    report_cid: str
    claim_deadline: int

    @property
    def epoch_key(self) -> int:
        return epoch_key(self.project_id, self.epoch)


def decode_fund_epoch(data: bytes) -> FundEpochCall | None:
    """A fundEpoch call's arguments, or None when `data` is anything else."""
    args = decode_calldata("RewardDistributor", "fundEpoch", data)
    if args is None:
        return None
    return FundEpochCall(
        project_id=int(args["projectId"]),
        epoch=int(args["epoch"]),
        merkle_root="0x" + bytes(args["merkleRoot"]).hex(),
        total=int(args["total"]),
        report_cid=str(args["reportCid"]),
        claim_deadline=int(args["claimDeadline"]),
    )


def epoch_key(project_id: int, epoch: int) -> int:
    """RewardDistributor.epochKey: (projectId << 128) | epoch, the name of a project's epoch there."""
    for name, value in (("project_id", project_id), ("epoch", epoch)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**128:
            raise ValueError(f"{name} must be an integer in 0..2^128-1, got {value!r}")
    return (project_id << 128) | epoch


@dataclass(frozen=True)
class FundingDescription:
    """What a funding proposal's description says, read back by parse_fund_epoch_description."""

    project_id: int
    epoch: int
    report_cid: str
    attempt: int
    proposer: str  # checksummed; the only account OpenZeppelin's Governor lets propose this description


def fund_epoch_description(
    project_id: int, epoch: int, report_cid: str, *, proposer: str, attempt: int = 1, description: str = ""
) -> str:
    """The description of an epoch's funding proposal: a title naming the project and epoch, the
    report's CID, the attempt (a cancelled, defeated or expired proposal is proposed again as the next
    attempt, with a new id), the free text, and as its very last characters ``#proposer=<address>``:
    OpenZeppelin's Governor then refuses the same description from anyone else, so nobody can
    create (and cancel) the oracle's proposal first. parse_fund_epoch_description reads it back."""
    _check_uint256("project_id", project_id)
    _check_uint256("epoch", epoch)
    _check_cid(report_cid)
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise ValueError(f"attempt must be a positive integer, got {attempt!r}")
    if not is_address(proposer):
        raise ValueError(f"proposer must be a 20-byte hex address, got {proposer!r}")
    text = (
        f"# Fund OpenMerit project {project_id}, reward epoch {epoch}\n\n"
        f"Report: ipfs://{report_cid}\nAttempt: {attempt}\n"
    )
    if description.strip():
        text += f"\n{description.strip()}\n"
    return text + f"#proposer={to_checksum_address(proposer)}"


def parse_fund_epoch_description(description: str) -> FundingDescription | None:
    """What a description that follows the convention says, else None."""
    match = _FUND_EPOCH_DESCRIPTION.match(description)
    if not match:
        return None
    return FundingDescription(
        project_id=int(match.group(1)),
        epoch=int(match.group(2)),
        report_cid=match.group(3),
        attempt=int(match.group(4)),
        proposer=to_checksum_address(match.group(5)),
    )


def fund_epoch_proposal(
    token: str,
    distributor: str,
    project_id: int,
    epoch: int,
    merkle_root: str | bytes,
    total: int,
    report_cid: str,
    claim_deadline: int,
    *,
    proposer: str,
    attempt: int = 1,
    description: str = "",
) -> Proposal:
    """The proposal that funds a project's reward epoch from the treasury (the timelock): two
    actions, ``token.approve(distributor, total)`` then ``distributor.fundEpoch(projectId, epoch,
    merkleRoot, total, reportCid, claimDeadline)``, described by fund_epoch_description (only
    `proposer` may propose it).

    Values the contract would refuse at execution are refused here, naming the value; the
    per-epoch cap, the epoch's closing and the deadline's distance from the execution time are the
    chain's to check.
    """
    for name, address in (("token", token), ("distributor", distributor)):
        if not isinstance(address, str) or not is_address(address):
            raise ValueError(f"{name} must be a 20-byte hex address, got {address!r}")
    root = to_bytes(hexstr=merkle_root) if isinstance(merkle_root, str) else bytes(merkle_root)
    if len(root) != 32:
        raise ValueError(f"merkle_root must be 32 bytes, got {len(root)}")
    if root == bytes(32):
        raise ValueError("merkle_root must not be zero (the distributor refuses a zero root)")
    if isinstance(total, bool) or not isinstance(total, int) or not 0 < total <= _UINT96_MAX:
        raise ValueError(f"total must be an integer in 1..2^96-1 token base units, got {total!r}")
    if isinstance(claim_deadline, bool) or not isinstance(claim_deadline, int) or not 0 < claim_deadline <= _UINT64_MAX:
        raise ValueError(f"claim_deadline must be a unix time in uint64, got {claim_deadline!r}")
    epoch_key(project_id, epoch)  # both fit the distributor's key
    text = fund_epoch_description(
        project_id, epoch, report_cid, proposer=proposer, attempt=attempt, description=description
    )
    approve = Action(token, calldata("MeritToken", "approve", to_checksum_address(distributor), total))
    fund = Action(
        distributor,
        calldata("RewardDistributor", "fundEpoch", project_id, epoch, root, total, report_cid, claim_deadline),
    )
    return Proposal((approve, fund), text)


def _check_uint256(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**256:
        raise ValueError(f"{name} must be an integer in uint256 range, got {value!r}")


def _check_cid(cid: str) -> None:
    if not isinstance(cid, str) or not cid or len(cid) > _MAX_CID_LENGTH or re.search(r"\s", cid):
        raise ValueError(f"report_cid must be 1..{_MAX_CID_LENGTH} characters without spaces, got {cid!r}")
