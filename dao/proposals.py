"""Governor proposals as data: the one definition of how OpenMerit builds and identifies them.

A proposal is a list of actions (target, value, calldata) plus a description. The Governor
identifies it by ``keccak256(abi.encode(targets, values, calldatas, keccak256(description)))``;
computing that here lets the oracle, the CLI and the tests find a proposal on chain without
trusting a return value, and check that a proposal is the one they meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_abi import encode
from eth_utils import keccak, to_bytes, to_checksum_address


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


TASKS = ("classification", "regression", "labelling")
"""IContributionRegistry.Task, in its order."""


def register_project_proposal(registry: str, *, name: str, task: str, metric: str, benchmark_cid: str,
                              answers_commitment: bytes) -> Proposal:
    """The proposal that registers a project in the ContributionRegistry (only the timelock may)."""
    from web3 import Web3

    from dao.abi import abi

    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
    if len(answers_commitment) != 32:
        raise ValueError("the answers commitment is a 32-byte hash")
    calldata = Web3().eth.contract(abi=abi("ContributionRegistry")).encode_abi(
        "registerProject", args=[name, TASKS.index(task), metric, benchmark_cid, answers_commitment])
    description = (f"# Register the OpenMerit project '{name}'\n\nTask: {task}, metric: {metric}\n"
                   f"Benchmark inputs: ipfs://{benchmark_cid}\nAnswers commitment: 0x{answers_commitment.hex()}\n")
    return Proposal((Action(registry, calldata),), description)
