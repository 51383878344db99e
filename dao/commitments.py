"""The commitment a contributor commits to in an epoch's commit window: one definition, shared by
the CLI, the API's relay, the oracle and the tests (ContributionRegistry.computeCommitment agrees).

    commitment = keccak256(abi.encode(contributor, projectId, epoch, kind, keccak256(cid), salt))

It binds the content (through its CID), who commits it, the project, the epoch and a 32-byte secret
salt: nothing about the content can be learned from it, and it cannot be revealed as anything else,
by anyone else, or in another project or epoch. Pure: no I/O.
"""

from __future__ import annotations

import secrets

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from dao.vocabulary import ContributionKind

SALT_BYTES = 32


def new_salt() -> bytes:
    """A fresh secret salt; whoever learns it before the reveal can test guesses of the content."""
    return secrets.token_bytes(SALT_BYTES)


def contribution_commitment(
    *, contributor: str, project_id: int, epoch: int, kind: ContributionKind, cid: str, salt: bytes
) -> bytes:
    """The bytes32 a contributor commits for `cid` of `kind` in `project_id`'s epoch `epoch`."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a salt is {SALT_BYTES} bytes, got {len(salt)}")
    if not cid:
        raise ValueError("the CID is empty")
    return keccak(
        encode(
            ["address", "uint256", "uint256", "uint8", "bytes32", "bytes32"],
            [to_checksum_address(contributor), project_id, epoch, kind.code, keccak(cid.encode()), bytes(salt)],
        )
    )
