"""The reward leaf helper: the one definition of `(index, account, amount)` leaves."""

from __future__ import annotations

import eth_abi
import pytest
from eth_utils import keccak, to_checksum_address

from dao.merkle import (
    REWARD_LEAF_ENCODING,
    InvalidArgumentError,
    RewardLeaf,
    StandardMerkleTree,
    reward_tree,
    reward_tree_from_allocations,
)

ALICE = "0x" + "a1" * 20
BOB = "0x" + "b2" * 20


def test_reward_leaf_encoding_is_the_contracts_leaf() -> None:
    assert REWARD_LEAF_ENCODING == ("uint256", "address", "uint256")


def test_reward_leaf_value_is_decimal_strings_and_checksummed_account() -> None:
    leaf = RewardLeaf(3, ALICE, 2**200)
    assert leaf.account == to_checksum_address(ALICE)
    assert leaf.value() == ["3", to_checksum_address(ALICE), str(2**200)]


def test_reward_tree_leaves_hash_like_the_contract() -> None:
    tree = reward_tree_from_allocations([(ALICE, 10**18), (BOB, 5)])
    assert [v for _, v in tree.entries()] == [
        ["0", to_checksum_address(ALICE), str(10**18)],
        ["1", to_checksum_address(BOB), "5"],
    ]
    expected_leaf = keccak(keccak(eth_abi.encode(list(REWARD_LEAF_ENCODING), [1, BOB, 5])))
    assert tree.leaf_hash(tree.at(1)) == "0x" + expected_leaf.hex()
    assert StandardMerkleTree.verify(tree.root, REWARD_LEAF_ENCODING, [1, BOB, 5], tree.get_proof(1))


def test_reward_tree_keeps_given_indices() -> None:
    tree = reward_tree([RewardLeaf(7, ALICE, 1), RewardLeaf(2, BOB, 2)])
    assert tree.at(0) == ["7", to_checksum_address(ALICE), "1"]


@pytest.mark.parametrize(
    ("index", "account", "amount", "message"),
    [
        (-1, ALICE, 1, "index"),
        (True, ALICE, 1, "index"),
        (2**256, ALICE, 1, "index"),
        (0, ALICE, -5, "amount"),
        (0, ALICE, 1.0, "amount"),
        (0, "0x1234", 1, "account"),
        (0, "0x" + "A1" * 19 + "a1", 1, "account"),  # mixed case with a wrong checksum
    ],
)
def test_bad_reward_leaves_are_rejected(index: object, account: str, amount: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        RewardLeaf(index, account, amount)  # type: ignore[arg-type]


def test_duplicate_reward_indices_are_rejected() -> None:
    with pytest.raises(InvalidArgumentError, match="Reward index 4 appears twice"):
        reward_tree([RewardLeaf(4, ALICE, 1), RewardLeaf(4, BOB, 2)])


def test_numpy_integers_are_accepted_as_plain_ints() -> None:
    numpy = pytest.importorskip("numpy")
    leaf = RewardLeaf(numpy.int64(2), ALICE, numpy.uint64(10**18))
    assert type(leaf.index) is int and type(leaf.amount) is int
    assert leaf.value() == ["2", to_checksum_address(ALICE), str(10**18)]
