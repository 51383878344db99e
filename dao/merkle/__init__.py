"""Merkle trees byte-compatible with OpenZeppelin's `@openzeppelin/merkle-tree` (StandardMerkleTree).

    from dao.merkle import StandardMerkleTree, REWARD_LEAF_ENCODING
    tree = StandardMerkleTree.of([["0", "0x1111111111111111111111111111111111111111", "5000"]],
                                 REWARD_LEAF_ENCODING)
    tree.root, tree.get_proof(0), tree.dump()

Pure: no I/O. `encoding` mirrors the JS library's ABI encoder, `core` the flat tree and proofs,
`standard` the class and its `standard-v1` dump, `rewards` the reward leaf of the distributor.
"""

from dao.merkle.core import keccak256, standard_node_hash
from dao.merkle.encoding import abi_encode
from dao.merkle.errors import (
    InvalidArgumentError,
    InvariantError,
    LeafEncodingError,
    MerkleTreeError,
)
from dao.merkle.rewards import (
    REWARD_LEAF_ENCODING,
    RewardLeaf,
    reward_tree,
    reward_tree_from_allocations,
)
from dao.merkle.standard import (
    DUMP_FORMAT,
    MultiProof,
    StandardMerkleTree,
    standard_leaf_hash,
)

__all__ = [
    "DUMP_FORMAT",
    "REWARD_LEAF_ENCODING",
    "InvalidArgumentError",
    "InvariantError",
    "LeafEncodingError",
    "MerkleTreeError",
    "MultiProof",
    "RewardLeaf",
    "StandardMerkleTree",
    "abi_encode",
    "keccak256",
    "reward_tree",
    "reward_tree_from_allocations",
    "standard_leaf_hash",
    "standard_node_hash",
]
