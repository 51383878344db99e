"""Errors raised by the merkle tree, named after those of `@openzeppelin/merkle-tree`.

The JS library throws `InvalidArgumentError` for bad input and `InvariantError` when a tree
does not hold together (a dump whose nodes do not hash to their parents); its ABI layer throws
`ParserError`, here `LeafEncodingError`. All three share one base so callers can catch any of them.
"""

from __future__ import annotations


class MerkleTreeError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidArgumentError(MerkleTreeError, ValueError):
    """The caller passed something the tree cannot use (bad index, unknown format, bad proof node)."""


class InvariantError(MerkleTreeError):
    """The tree's own data is inconsistent (a loaded dump that does not hash up to its root)."""


class LeafEncodingError(InvalidArgumentError):
    """A leaf value does not fit its ABI type, or a type string is not one the encoder knows."""
