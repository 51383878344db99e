"""A local development chain's clock: what `merit chain advance` and the demo use to move time on
anvil (or hardhat), and the check that refuses to do it anywhere else.

A chain counts as local when both hold: its chain id is a development chain id (31337, anvil's
and hardhat's; 1337, ganache's and geth --dev's) and its node answers `evm_increaseTime`, which
no public node does. Nothing here imports Brownie: it is plain web3 against MERIT_RPC_URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.types import RPCEndpoint

LOCAL_CHAIN_IDS = frozenset({31337, 1337})


class NotALocalChainError(RuntimeError):
    """The endpoint is not a local development chain whose clock may be moved."""


@dataclass(frozen=True)
class ChainHead:
    number: int
    timestamp: int


def _request(w3: Web3, method: str, params: list[Any]) -> Any:
    response = w3.provider.make_request(RPCEndpoint(method), params)
    if "error" in response:
        error = response["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise NotALocalChainError(f"the node refused {method}: {message}")
    return response.get("result")


def head(w3: Web3) -> ChainHead:
    block = w3.eth.get_block("latest")
    return ChainHead(int(block["number"]), int(block["timestamp"]))


def require_local_chain(w3: Web3) -> int:
    """The chain id, when the endpoint is a local development chain; NotALocalChainError otherwise.

    `evm_increaseTime` by 0 is the probe: anvil, hardhat and ganache answer it without changing
    anything; a public node answers "method not found"."""
    chain_id = int(w3.eth.chain_id)
    if chain_id not in LOCAL_CHAIN_IDS:
        ids = " or ".join(str(i) for i in sorted(LOCAL_CHAIN_IDS, reverse=True))
        raise NotALocalChainError(
            f"chain id {chain_id} is not a local development chain (chain id {ids}); its clock is not ours to move"
        )
    try:
        _request(w3, "evm_increaseTime", [0])
    except NotALocalChainError as error:
        raise NotALocalChainError(
            f"the node on chain id {chain_id} does not answer evm_increaseTime (anvil and hardhat do): {error}"
        ) from None
    return chain_id


def advance(w3: Web3, *, seconds: int = 0, blocks: int = 0) -> tuple[ChainHead, ChainHead]:
    """Moves a local chain: the next block is stamped `seconds` after the latest one, and `blocks`
    blocks are mined (at least one when `seconds` is given). Returns the head before and after.

    Call require_local_chain first; this sends anvil's/hardhat's methods unconditionally."""
    if seconds < 0 or blocks < 0:
        raise ValueError("seconds and blocks must not be negative")
    before = head(w3)
    if seconds:
        _request(w3, "evm_setNextBlockTimestamp", [before.timestamp + seconds])
        blocks = max(blocks, 1)
    if blocks == 1:
        _request(w3, "evm_mine", [])
    elif blocks > 1:
        _request(w3, "hardhat_mine", [hex(blocks)])  # anvil answers it too (also as anvil_mine)
    return before, head(w3)


def set_interval_mining(w3: Web3, seconds: int) -> None:
    """From now on the node mines a block every `seconds`, as a real chain does: its clock moves
    while nobody sends anything (and a transaction waits for the next block)."""
    _request(w3, "evm_setIntervalMining", [seconds])
