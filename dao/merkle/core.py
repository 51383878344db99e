"""The tree itself: hashing, the flat-array layout, proofs and multiproofs (no I/O).

Same layout as `@openzeppelin/merkle-tree`'s core: a complete binary tree in one array, root at
0, children of i at 2i+1 and 2i+2, the n leaves in the last n slots in reverse order. Nodes are
32-byte `bytes` here (the JS library keeps hex strings); they become hex only at the boundary.
A parent is keccak256 of its two children concatenated in ascending order, which is what
OpenZeppelin's `MerkleProof` recomputes on chain.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from dao.merkle.errors import InvalidArgumentError, InvariantError

try:
    # safe-pysha3 (already in the lock, through eth-brownie) hashes a 64-byte node in under 1 us;
    # pycryptodome's object set-up costs about 5 us a call, which dominates a big tree.
    from sha3 import keccak_256 as _new_keccak
except ImportError:  # pragma: no cover - only without safe-pysha3
    from Crypto.Hash import keccak as _pycryptodome_keccak

    def _new_keccak(data: bytes = b"") -> Any:
        return _pycryptodome_keccak.new(data=data, digest_bits=256)


def keccak256(data: bytes) -> bytes:
    """keccak256 of `data` (Ethereum's, not NIST SHA3-256)."""
    return _new_keccak(data).digest()


_NODE_HEX = re.compile(r"0x[0-9a-fA-F]{64}")


def standard_node_hash(a: bytes, b: bytes) -> bytes:
    """keccak256 of the two children in ascending order (OpenZeppelin's commutative hash)."""
    return keccak256(a + b if a <= b else b + a)


def to_hex(node: bytes) -> str:
    return "0x" + node.hex()


def to_node(value: Any) -> bytes:
    """A 32-byte node from bytes or a 0x-prefixed hex string; anything else is rejected."""
    if type(value) is str and len(value) == 66 and value[0] == "0" and value[1] == "x":
        try:
            node = bytes.fromhex(value[2:])
        except ValueError:
            node = b""
        if len(node) == 32:  # fromhex skips whitespace: 32 bytes means 64 hex digits exactly
            return node
    if isinstance(value, (bytes, bytearray)) and len(value) == 32:
        return bytes(value)
    if isinstance(value, str) and _NODE_HEX.fullmatch(value):
        return bytes.fromhex(value[2:])
    raise InvalidArgumentError(f"Merkle tree nodes must be 32 bytes (0x-prefixed hex), got {value!r}")


def _is_leaf_index(tree_length: int, index: int) -> bool:
    return 0 <= index < tree_length and 2 * index + 1 >= tree_length


def check_leaf_index(tree_length: int, index: int) -> None:
    if not _is_leaf_index(tree_length, index):
        raise InvalidArgumentError("Index is not a leaf")


def make_merkle_tree(leaves: Sequence[bytes]) -> list[bytes]:
    """The flat tree over these leaf hashes, in the given order."""
    if len(leaves) == 0:
        raise InvalidArgumentError("Expected non-zero number of leaves")
    for leaf in leaves:
        if not isinstance(leaf, bytes) or len(leaf) != 32:
            raise InvalidArgumentError("Merkle tree nodes must be 32 bytes")
    count = len(leaves)
    tree: list[bytes] = [b""] * (count - 1) + list(reversed(leaves))
    new_keccak = _new_keccak
    # standard_node_hash inlined: this loop is most of the build time.
    for i in range(count - 2, -1, -1):
        left = tree[2 * i + 1]
        right = tree[2 * i + 2]
        tree[i] = new_keccak(left + right if left <= right else right + left).digest()
    return tree


def proof_indices(tree_length: int, index: int) -> list[int]:
    """The tree positions of a leaf's proof: its sibling at each level, bottom up."""
    check_leaf_index(tree_length, index)
    siblings: list[int] = []
    while index > 0:
        siblings.append(index + 1 if index % 2 else index - 1)
        index = (index - 1) // 2
    return siblings


def get_proof(tree: Sequence[bytes], index: int) -> list[bytes]:
    return [tree[i] for i in proof_indices(len(tree), index)]


def process_proof(leaf: bytes, proof: Iterable[Any]) -> bytes:
    """The root a leaf and its proof hash up to."""
    node = to_node(leaf)
    new_keccak = _new_keccak
    for sibling in [to_node(p) for p in proof]:
        node = new_keccak(node + sibling if node <= sibling else sibling + node).digest()
    return node


def get_multi_proof(tree: Sequence[bytes], indices: Sequence[int]) -> tuple[list[int], list[bytes], list[bool]]:
    """(leaf positions in proof order, proof nodes, proof flags) for several leaves at once.

    Same algorithm as the JS library, so the proof, its flags and the leaf order are identical,
    and OpenZeppelin's `MerkleProof.multiProofVerify` accepts them.
    """
    for i in indices:
        check_leaf_index(len(tree), i)
    ordered = sorted(indices, reverse=True)
    if any(a == b for a, b in itertools.pairwise(ordered)):
        raise InvalidArgumentError("Cannot prove duplicated index")
    stack = deque(ordered)
    proof: list[bytes] = []
    flags: list[bool] = []
    while stack and stack[0] > 0:
        j = stack.popleft()
        sibling = j + 1 if j % 2 else j - 1
        parent = (j - 1) // 2
        if stack and stack[0] == sibling:
            flags.append(True)
            stack.popleft()
        else:
            flags.append(False)
            proof.append(tree[sibling])
        stack.append(parent)
    if not ordered:
        proof.append(tree[0])
    return ordered, proof, flags


def process_multi_proof(leaves: Sequence[Any], proof: Sequence[Any], proof_flags: Sequence[bool]) -> bytes:
    """The root a multiproof hashes up to; raises InvalidArgumentError for malformed ones."""
    leaf_nodes = [to_node(leaf) for leaf in leaves]
    proof_nodes = [to_node(p) for p in proof]
    flags = list(proof_flags)
    if not all(isinstance(flag, bool) for flag in flags):
        raise InvalidArgumentError("Proof flags must be booleans")
    if len(proof_nodes) < sum(1 for flag in flags if not flag):
        raise InvalidArgumentError("Invalid multiproof format")
    if len(leaf_nodes) + len(proof_nodes) != len(flags) + 1:
        raise InvalidArgumentError("Provided leaves and multiproof are not compatible")
    stack = deque(leaf_nodes)
    pending = deque(proof_nodes)
    for flag in flags:
        if not stack or (flag and len(stack) < 2) or (not flag and not pending):
            raise InvariantError("Invalid multiproof: ran out of nodes")
        a = stack.popleft()
        b = stack.popleft() if flag else pending.popleft()
        stack.append(standard_node_hash(a, b))
    if len(stack) + len(pending) != 1:
        raise InvariantError("Invalid multiproof: nodes left over")
    return stack.pop() if stack else pending.popleft()


def is_valid_merkle_tree(tree: Sequence[bytes]) -> bool:
    """True when every internal node is the hash of its two children."""
    length = len(tree)
    for i, node in enumerate(tree):
        if not isinstance(node, bytes) or len(node) != 32:
            return False
        left, right = 2 * i + 1, 2 * i + 2
        if right >= length:
            if left < length:
                return False
        elif node != standard_node_hash(tree[left], tree[right]):
            return False
    return length > 0


def render_merkle_tree(tree: Sequence[bytes]) -> str:
    """The tree drawn as text, line for line what the JS library's `render()` prints."""
    if len(tree) == 0:
        raise InvalidArgumentError("Expected non-zero number of nodes")
    stack: list[tuple[int, tuple[int, ...]]] = [(0, ())]
    lines: list[str] = []
    while stack:
        i, path = stack.pop()
        prefix = "".join(("   ", "│  ")[p] for p in path[:-1]) + "".join(("└─ ", "├─ ")[p] for p in path[-1:])
        lines.append(f"{prefix}{i}) {to_hex(tree[i])}")
        if 2 * i + 2 < len(tree):
            stack.append((2 * i + 2, path + (0,)))
            stack.append((2 * i + 1, path + (1,)))
    return "\n".join(lines)
