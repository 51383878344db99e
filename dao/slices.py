"""Hidden answer slices: a project commits at registration to a sequence of slices (one per future
scored epoch), and the oracle reveals each epoch's slice on chain once the epoch is scored, so an
epoch's answers are never used twice and anyone can check them afterwards.

    content_hash     = keccak256(slice bytes)
    slice commitment = keccak256(abi.encode(content_hash, salt))
    leaf             = StandardMerkleTree leaf of (uint256 index, bytes32 slice commitment)

The root over the set's leaves and their count are what governance registers; ContributionRegistry
.revealSlice checks (content_hash, salt, proof) against it and emits the slice's CID. Until then the
slice's bytes stay with the oracle committee, outside any store the API or an IPFS node serves.
Pure: no I/O.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak

from dao.merkle import StandardMerkleTree

SLICE_LEAF_ENCODING: tuple[str, str] = ("uint256", "bytes32")


def content_hash(data: bytes) -> bytes:
    return keccak(data)


def slice_commitment(content: bytes, salt: bytes) -> bytes:
    """The commitment to a slice whose bytes hash to `content` (see content_hash)."""
    if len(content) != 32 or len(salt) != 32:
        raise ValueError("a slice commitment takes a 32-byte content hash and a 32-byte salt")
    return keccak(encode(["bytes32", "bytes32"], [content, salt]))


@dataclass(frozen=True)
class HiddenSlice:
    """One slice of a set: its position, bytes and salt (private until revealed)."""

    index: int
    data: bytes
    salt: bytes

    @property
    def content_hash(self) -> bytes:
        return content_hash(self.data)

    @property
    def commitment(self) -> bytes:
        return slice_commitment(self.content_hash, self.salt)


class SliceSet:
    """A project's committed slices, in the order epochs consume them."""

    def __init__(self, slices: Sequence[HiddenSlice]) -> None:
        if not slices:
            raise ValueError("a slice set holds at least one slice")
        if [s.index for s in slices] != list(range(len(slices))):
            raise ValueError("slices are numbered 0, 1, 2, ... in order")
        self.slices = tuple(slices)
        self.tree = StandardMerkleTree.of(
            [[s.index, "0x" + s.commitment.hex()] for s in self.slices], list(SLICE_LEAF_ENCODING)
        )

    @classmethod
    def build(cls, datas: Sequence[bytes], salts: Sequence[bytes] | None = None) -> SliceSet:
        """A set over `datas`, with fresh random salts unless given."""
        salts = list(salts) if salts is not None else [secrets.token_bytes(32) for _ in datas]
        if len(salts) != len(datas):
            raise ValueError(f"{len(datas)} slices but {len(salts)} salts")
        return cls([HiddenSlice(i, d, s) for i, (d, s) in enumerate(zip(datas, salts, strict=True))])

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.tree.root[2:])

    def __len__(self) -> int:
        return len(self.slices)

    def proof(self, index: int) -> list[bytes]:
        leaf = [index, "0x" + self.slices[index].commitment.hex()]
        return [bytes.fromhex(p[2:]) for p in self.tree.get_proof(leaf)]


def verify_slice(root: bytes, index: int, data: bytes, salt: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `data` with `salt` is slice `index` of the set committed as `root`: what anyone checks
    after a reveal, with the bytes fetched by the CID the SliceRevealed event names."""
    leaf = [index, "0x" + slice_commitment(content_hash(data), salt).hex()]
    return StandardMerkleTree.verify(root, list(SLICE_LEAF_ENCODING), leaf, ["0x" + p.hex() for p in proof])
