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


def register_project_proposal(
    registry: str, *, name: str, task: Task | str, metric: str, benchmark_cid: str, answers_commitment: bytes
) -> Proposal:
    """The proposal that registers a project in the ContributionRegistry (only the timelock may)."""
    if task not in Task.names():
        raise ValueError(f"task must be one of {', '.join(Task.names())}, not {task!r}")
    task = Task(task)
    if len(answers_commitment) != 32:
        raise ValueError("the answers commitment is a 32-byte hash")
    _check_cid(benchmark_cid)
    encoded = calldata(
        "ContributionRegistry", "registerProject", name, task.code, metric, benchmark_cid, bytes(answers_commitment)
    )
    description = (
        f"# Register the OpenMerit project '{name}'\n\nTask: {task.value}, metric: {metric}\n"
        f"Benchmark inputs: ipfs://{benchmark_cid}\nAnswers commitment: 0x{answers_commitment.hex()}\n"
    )
    return Proposal((Action(registry, encoded),), description)


# ------------------------------------------------------------------ reward epochs

_UINT64_MAX = 2**64 - 1
_UINT96_MAX = 2**96 - 1
# RewardDistributor stores totals in 96 bits, and ContributionRegistry.MAX_CID_LENGTH bounds CIDs.
_MAX_CID_LENGTH = 128
_FUND_EPOCH_TITLE = re.compile(r"\A# Fund OpenMerit reward epoch (\d+)\n\nReport: ipfs://(\S+)\n")


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

    epoch_id: int
    merkle_root: str  # 0x-prefixed hex
    total: int
    report_cid: str
    claim_deadline: int


def decode_fund_epoch(data: bytes) -> FundEpochCall | None:
    """A fundEpoch call's arguments, or None when `data` is anything else."""
    args = decode_calldata("RewardDistributor", "fundEpoch", data)
    if args is None:
        return None
    return FundEpochCall(
        epoch_id=int(args["epochId"]),
        merkle_root="0x" + bytes(args["merkleRoot"]).hex(),
        total=int(args["total"]),
        report_cid=str(args["reportCid"]),
        claim_deadline=int(args["claimDeadline"]),
    )


def fund_epoch_description(epoch_id: int, report_cid: str, description: str = "") -> str:
    """The description convention of an epoch's funding proposal: a title naming the epoch, the
    report's CID on its own line, then the free text. parse_fund_epoch_description reads it back."""
    _check_epoch_id(epoch_id)
    _check_cid(report_cid)
    text = f"# Fund OpenMerit reward epoch {epoch_id}\n\nReport: ipfs://{report_cid}\n"
    return text + (f"\n{description.strip()}\n" if description.strip() else "")


def parse_fund_epoch_description(description: str) -> tuple[int, str] | None:
    """(epoch id, report CID) of a description that follows the convention, else None."""
    match = _FUND_EPOCH_TITLE.match(description)
    return (int(match.group(1)), match.group(2)) if match else None


def fund_epoch_proposal(
    token: str,
    distributor: str,
    epoch_id: int,
    merkle_root: str | bytes,
    total: int,
    report_cid: str,
    claim_deadline: int,
    description: str = "",
) -> Proposal:
    """The proposal that funds a reward epoch from the treasury (the timelock): two actions,
    ``token.approve(distributor, total)`` then ``distributor.fundEpoch(epochId, merkleRoot, total,
    reportCid, claimDeadline)``, and a description following fund_epoch_description.

    Values the contract would refuse at execution are refused here, naming the value; the
    per-epoch cap and the deadline's distance from the execution time are the chain's to check.
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
    text = fund_epoch_description(epoch_id, report_cid, description)
    approve = Action(token, calldata("MeritToken", "approve", to_checksum_address(distributor), total))
    fund = Action(
        distributor, calldata("RewardDistributor", "fundEpoch", epoch_id, root, total, report_cid, claim_deadline)
    )
    return Proposal((approve, fund), text)


def _check_epoch_id(epoch_id: int) -> None:
    if isinstance(epoch_id, bool) or not isinstance(epoch_id, int) or not 0 <= epoch_id < 2**256:
        raise ValueError(f"epoch_id must be an integer in uint256 range, got {epoch_id!r}")


def _check_cid(cid: str) -> None:
    if not isinstance(cid, str) or not cid or len(cid) > _MAX_CID_LENGTH or re.search(r"\s", cid):
        raise ValueError(f"report_cid must be 1..{_MAX_CID_LENGTH} characters without spaces, got {cid!r}")
