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
    """One ContributionSubmitted event."""

    contribution_id: int
    project_id: int
    contributor: str
    kind: str  # a ContributionKind value; "unknown:<n>" for a kind this oracle does not know
    cid: str
    block_number: int
    tx_hash: str
    log_index: int

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


def read_submissions(registry: Contract, project_id: int, from_block: int, to_block: int) -> list[Submission]:
    """The project's ContributionSubmitted events in [from_block, to_block], in contribution order."""
    logs = registry.events.ContributionSubmitted().get_logs(
        from_block=from_block, to_block=to_block, argument_filters={"projectId": project_id}
    )
    found = [
        Submission(
            contribution_id=int(entry["args"]["contributionId"]),
            project_id=int(entry["args"]["projectId"]),
            contributor=to_checksum_address(entry["args"]["contributor"]),
            kind=_kind_name(int(entry["args"]["kind"])),
            cid=str(entry["args"]["cid"]),
            block_number=int(entry["blockNumber"]),
            tx_hash="0x" + bytes(entry["transactionHash"]).hex(),
            log_index=int(entry["logIndex"]),
        )
        for entry in logs
    ]
    return sorted(found, key=lambda s: s.contribution_id)


# -- sending ---------------------------------------------------------------------------------
