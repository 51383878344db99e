"""The reward leaf: one definition shared by the oracle, the API, the CLI and the tests.

`RewardDistributor.claim(epochId, index, account, amount, proof)` recomputes
keccak256(keccak256(abi.encode(index, account, amount))) and marks `index` claimed in the
epoch's bitmap. The index is inside the leaf so one leaf cannot be claimed at several positions.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import SupportsIndex, cast

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

from dao.merkle.errors import InvalidArgumentError
from dao.merkle.standard import StandardMerkleTree
from dao.vocabulary import REWARD_LEAF_ENCODING  # abi.encode(uint256 index, address account, uint256 amount)

_UINT256_MAX = 2**256 - 1


def _uint256(number: object, what: str) -> int:
    """An int (numpy integers accepted, bools and floats not) within uint256."""
    try:
        # cast: any object may come in; operator.index raises TypeError (caught below) for non-integers
        value = operator.index(cast(SupportsIndex, number)) if not isinstance(number, bool) else None
    except TypeError:
        value = None
    if value is None or not 0 <= value <= _UINT256_MAX:
        raise InvalidArgumentError(f"Reward {what} must be an integer in uint256 range, got {number!r}")
    return int(value)


@dataclass(frozen=True)
class RewardLeaf:
    """One claimable allocation: bitmap `index`, recipient `account`, `amount` in token wei."""

    index: int
    account: str
    amount: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", _uint256(self.index, "index"))
        object.__setattr__(self, "amount", _uint256(self.amount, "amount"))
        if not isinstance(self.account, str) or not is_hex_address(self.account):
            raise InvalidArgumentError(f"Reward account must be a 20-byte hex address, got {self.account!r}")
        digits = self.account[2:]
        if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(self.account):
            # Mixed case claims to be an EIP-55 checksum; a wrong one means a mistyped address.
            raise InvalidArgumentError(f"Reward account {self.account} has an invalid EIP-55 checksum")
        object.__setattr__(self, "account", to_checksum_address(self.account))

    def value(self) -> list[str]:
        """The leaf value as the JS library's docs write it: decimal strings, checksummed address."""
        return [str(self.index), self.account, str(self.amount)]


def reward_tree(leaves: Sequence[RewardLeaf]) -> StandardMerkleTree:
    """The epoch's tree over these reward leaves (indices must be distinct)."""
    seen: set[int] = set()
    for leaf in leaves:
        if leaf.index in seen:
            raise InvalidArgumentError(f"Reward index {leaf.index} appears twice")
        seen.add(leaf.index)
    return StandardMerkleTree.of([leaf.value() for leaf in leaves], REWARD_LEAF_ENCODING)


def reward_tree_from_allocations(allocations: Sequence[tuple[str, int]]) -> StandardMerkleTree:
    """The tree for (account, amount) pairs, each given the bitmap index of its position."""
    return reward_tree([RewardLeaf(index, account, amount) for index, (account, amount) in enumerate(allocations)])
