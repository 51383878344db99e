"""What the reward suites share: a small epoch (its leaves and tree) and a snapshot of
everything a distributor call could change, to assert that a rejected call changed nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from brownie import web3

from dao.merkle import RewardLeaf, StandardMerkleTree, reward_tree
from dao.proposals import epoch_key

REPORT_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@dataclass(frozen=True)
class EpochTree:
    """A project's epoch: its leaves and their tree; leaves are looked up by their bitmap index."""

    epoch: int
    leaves: tuple[RewardLeaf, ...]
    tree: StandardMerkleTree
    project_id: int = 1

    @property
    def key(self) -> int:
        """The distributor's name for the epoch (RewardDistributor.epochKey)."""
        return epoch_key(self.project_id, self.epoch)

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
        return self.key, leaf.index, leaf.account, leaf.amount, self.proof(index)

    def many_entry(self, index: int) -> tuple[int, int, int, list[str]]:
        """One IRewardDistributor.Claim of claimMany for the leaf at this bitmap index."""
        leaf = self.leaf(index)
        return self.key, leaf.index, leaf.amount, self.proof(index)


def epoch_tree(epoch: int, allocations: Iterable[tuple[int, Any, int]], project_id: int = 1) -> EpochTree:
    """A project's epoch over (bitmap index, account, amount) allocations; accounts may be Brownie
    accounts."""
    leaves = tuple(
        RewardLeaf(index, getattr(account, "address", account), amount) for index, account, amount in allocations
    )
    return EpochTree(epoch, leaves, reward_tree(leaves), project_id)


def distributor_state(
    distributor, token, epoch_keys: Iterable[int], holders: Iterable[Any], flags: Iterable[tuple[int, int]] = ()
) -> dict[str, Any]:
    """Balances, epochs, claimed flags, cap, pause and what each project may fund next: all a
    distributor call can change."""
    epoch_keys = list(epoch_keys)
    return {
        "balances": {str(h): token.balanceOf(h) for h in [distributor, *holders]},
        "epochs": {e: tuple(distributor.epoch(e)) for e in epoch_keys},
        "flags": {(e, i): distributor.isClaimed(e, i) for e, i in flags},
        "cap": distributor.epochCap(),
        "paused": distributor.paused(),
        "next_fundable": {p: distributor.nextFundableEpoch(p) for p in sorted({e >> 128 for e in epoch_keys})},
    }


ADMIN_ROLE = bytes(32)
UINT96_MAX = 2**96 - 1
WEEK = 7 * 86400
ZERO_ROOT = "0x" + "00" * 32


def key(epoch: int, project_id: int = 1) -> int:
    """The distributor's key of a project's epoch (project 1 unless told); a key stays a key."""
    return epoch if epoch >> 128 else epoch_key(project_id, epoch)


def state(distributor, token, treasury, accounts, epochs=(1, 2, 3, 4), flags=()):
    """distributor_state over project 1's epochs (numbers or keys) and (epoch, index) flags."""
    return distributor_state(
        distributor, token, [key(e) for e in epochs], [treasury, *accounts], [(key(e), i) for e, i in flags]
    )


def set_next_timestamp(timestamp):
    web3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def deadline_of(distributor, epoch):
    return distributor.epoch(key(epoch))[3]


def close_window(distributor, epoch):
    """The next block is the first after the epoch's claim deadline. (The chain's clock, not
    chain.time(): snapshots reverted by fn_isolation wind the node's clock back.)"""
    set_next_timestamp(deadline_of(distributor, epoch) + 1)
