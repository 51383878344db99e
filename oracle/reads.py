"""What the oracle reads from the chain: the finalized head, block hashes (to notice reorgs) and the
project's submissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import BlockNotFound

from dao.vocabulary import ContributionKind


def _kind_name(code: int) -> str:
    """The contribution kind's name; a kind this version does not know is kept, marked unknown."""
    try:
        return ContributionKind.from_code(code).value
    except ValueError:
        return f"unknown:{code}"


@dataclass(frozen=True)
class Submission:
    """One revealed contribution (a Revealed event); its id is its commit order."""

    contribution_id: int
    project_id: int
    epoch: int
    contributor: str
    kind: str  # a ContributionKind value; "unknown:<n>" for a kind this oracle does not know
    cid: str
    block_number: int
    tx_hash: str
    log_index: int

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class UnrevealedCommit:
    """A commit of the epoch never revealed: what forfeitUnrevealed needs to name it."""

    contribution_id: int
    contributor: str
    project_id: int
    epoch: int
    commitment: str  # 0x-prefixed

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def safe_head(w3: Web3, finality: Literal["confirmations", "finalized"], confirmations: int) -> int:
    """The newest block treated as final: `confirmations` below the head, or the `finalized` tag."""
    if finality == "finalized":
        return int(w3.eth.get_block("finalized")["number"])
    return int(w3.eth.block_number) - confirmations


def block_hash(w3: Web3, number: int) -> str:
    return "0x" + bytes(w3.eth.get_block(number)["hash"]).hex()


def canonical(w3: Web3, number: int, expected_hash: str | None) -> bool:
    """Whether block `number` is still the one with `expected_hash` (False once it is gone)."""
    try:
        return block_hash(w3, number) == expected_hash
    except BlockNotFound:
        return False


def read_epoch(
    registry: Contract, project_id: int, epoch: int, from_block: int, to_block: int
) -> tuple[list[Submission], list[UnrevealedCommit]]:
    """The epoch's reveals (in commit order) and its commits that were never revealed, from the
    registry's events in [from_block, to_block]."""
    filters = {"projectId": project_id}
    commits = [
        e
        for e in registry.events.Committed().get_logs(
            from_block=from_block, to_block=to_block, argument_filters=filters
        )
        if int(e["args"]["epoch"]) == epoch
    ]
    reveals = [
        Submission(
            contribution_id=int(e["args"]["contributionId"]),
            project_id=int(e["args"]["projectId"]),
            epoch=int(e["args"]["epoch"]),
            contributor=to_checksum_address(e["args"]["contributor"]),
            kind=_kind_name(int(e["args"]["kind"])),
            cid=str(e["args"]["cid"]),
            block_number=int(e["blockNumber"]),
            tx_hash="0x" + bytes(e["transactionHash"]).hex(),
            log_index=int(e["logIndex"]),
        )
        for e in registry.events.Revealed().get_logs(from_block=from_block, to_block=to_block, argument_filters=filters)
        if int(e["args"]["epoch"]) == epoch
    ]
    revealed = {r.contribution_id for r in reveals}
    unrevealed = [
        UnrevealedCommit(
            contribution_id=int(e["args"]["contributionId"]),
            contributor=to_checksum_address(e["args"]["contributor"]),
            project_id=project_id,
            epoch=epoch,
            commitment="0x" + bytes(e["args"]["commitment"]).hex(),
        )
        for e in commits
        if int(e["args"]["contributionId"]) not in revealed
    ]
    return sorted(reveals, key=lambda r: r.contribution_id), sorted(unrevealed, key=lambda c: c.contribution_id)
