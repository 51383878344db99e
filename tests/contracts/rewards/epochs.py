"""What the reward suites share: a small epoch (its leaves and tree) and a snapshot of
everything a distributor call could change, to assert that a rejected call changed nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from brownie import web3

from dao.merkle import RewardLeaf, StandardMerkleTree, reward_tree

REPORT_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@dataclass(frozen=True)
class EpochTree:
    """An epoch's leaves and their tree; leaves are looked up by their bitmap index."""

    epoch_id: int
    leaves: tuple[RewardLeaf, ...]
    tree: StandardMerkleTree

    @property
    def total(self) -> int:
        return sum(leaf.amount for leaf in self.leaves)

    def leaf(self, index: int) -> RewardLeaf:
        return next(leaf for leaf in self.leaves if leaf.index == index)

    def proof(self, index: int) -> list[str]:
        return self.tree.get_proof(self.leaf(index).value())

    def claim_args(self, index: int) -> tuple[int, int, str, int, list[str]]:
        """The arguments of distributor.claim for the leaf at this bitmap index."""
        leaf = self.leaf(index)
        return self.epoch_id, leaf.index, leaf.account, leaf.amount, self.proof(index)

    def many_entry(self, index: int) -> tuple[int, int, int, list[str]]:
        """One IRewardDistributor.Claim of claimMany for the leaf at this bitmap index."""
        leaf = self.leaf(index)
        return self.epoch_id, leaf.index, leaf.amount, self.proof(index)


def epoch_tree(epoch_id: int, allocations: Iterable[tuple[int, Any, int]]) -> EpochTree:
    """An epoch over (bitmap index, account, amount) allocations; accounts may be Brownie accounts."""
    leaves = tuple(
        RewardLeaf(index, getattr(account, "address", account), amount) for index, account, amount in allocations
    )
    return EpochTree(epoch_id, leaves, reward_tree(leaves))


def distributor_state(
    distributor, token, epoch_ids: Iterable[int], holders: Iterable[Any], flags: Iterable[tuple[int, int]] = ()
) -> dict[str, Any]:
    """Balances, epochs, claimed flags, cap and pause: all a distributor call can change."""
    return {
        "balances": {str(h): token.balanceOf(h) for h in [distributor, *holders]},
        "epochs": {e: tuple(distributor.epoch(e)) for e in epoch_ids},
        "flags": {(e, i): distributor.isClaimed(e, i) for e, i in flags},
        "cap": distributor.epochCap(),
        "paused": distributor.paused(),
    }


ADMIN_ROLE = bytes(32)
UINT96_MAX = 2**96 - 1
WEEK = 7 * 86400
ZERO_ROOT = "0x" + "00" * 32


def state(distributor, token, treasury, accounts, epochs=(1, 2, 3, 4), flags=()):
    return distributor_state(distributor, token, epochs, [treasury, *accounts], flags)


def set_next_timestamp(timestamp):
    web3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def deadline_of(distributor, epoch_id):
    return distributor.epoch(epoch_id)[3]


def close_window(distributor, epoch_id):
    """The next block is the first after the epoch's claim deadline. (The chain's clock, not
    chain.time(): snapshots reverted by fn_isolation wind the node's clock back.)"""
    set_next_timestamp(deadline_of(distributor, epoch_id) + 1)
