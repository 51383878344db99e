"""EIP-712 typed data OpenMerit signs: one definition used by the contracts' tests, the CLI and
the API. Each builder returns the full typed-data dict that eth-account signs and that a wallet
displays (``eth_signTypedData_v4``)."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

EIP712_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

BALLOT_TYPE = [
    {"name": "proposalId", "type": "uint256"},
    {"name": "support", "type": "uint8"},
    {"name": "voter", "type": "address"},
    {"name": "nonce", "type": "uint256"},
]
"""OpenZeppelin Governor 5's vote by signature (Governor.BALLOT_TYPEHASH)."""


def domain(name: str, version: str, chain_id: int, verifying_contract: str) -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(verifying_contract),
    }


def ballot(
    governor_name: str, chain_id: int, governor: str, *, proposal_id: int, support: int, voter: str, nonce: int
) -> dict[str, Any]:
    """Typed data for Governor.castVoteBySig; the governor's EIP-712 version is "1"."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN, "Ballot": BALLOT_TYPE},
        "primaryType": "Ballot",
        "domain": domain(governor_name, "1", chain_id, governor),
        "message": {"proposalId": proposal_id, "support": support, "voter": to_checksum_address(voter), "nonce": nonce},
    }


def sign(typed_data: dict[str, Any], private_key: bytes | str) -> bytes:
    """The 65-byte signature (r, s, v) over the typed data."""
    signed = Account.sign_message(encode_typed_data(full_message=typed_data), private_key)
    return bytes(signed.signature)


def recover(typed_data: dict[str, Any], signature: bytes) -> str:
    """The address that signed the typed data."""
    return to_checksum_address(Account.recover_message(encode_typed_data(full_message=typed_data), signature=signature))


REGISTRY_DOMAIN_NAME = "OpenMerit ContributionRegistry"
REGISTRY_DOMAIN_VERSION = "1"

COMMIT_TYPE = [
    {"name": "contributor", "type": "address"},
    {"name": "projectId", "type": "uint256"},
    {"name": "commitment", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
"""ContributionRegistry.COMMIT_TYPEHASH: a contributor's consent to one commit (and its bond)."""

REVEAL_TYPE = [
    {"name": "contributor", "type": "address"},
    {"name": "contributionId", "type": "uint256"},
    {"name": "kind", "type": "uint8"},
    {"name": "cid", "type": "string"},
    {"name": "salt", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
"""ContributionRegistry.REVEAL_TYPEHASH: a contributor's consent to reveal one commit."""


def _registry_typed(primary: str, fields: list[dict[str, str]], chain_id: int, registry: str, message: dict[str, Any]):
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN, primary: fields},
        "primaryType": primary,
        "domain": domain(REGISTRY_DOMAIN_NAME, REGISTRY_DOMAIN_VERSION, chain_id, registry),
        "message": message,
    }


def commit(
    chain_id: int, registry: str, *, contributor: str, project_id: int, commitment: bytes, nonce: int, deadline: int
) -> dict[str, Any]:
    """Typed data for ContributionRegistry.commitBySig."""
    if len(commitment) != 32:
        raise ValueError(f"a commitment is 32 bytes, got {len(commitment)}")
    message = {
        "contributor": to_checksum_address(contributor),
        "projectId": project_id,
        "commitment": bytes(commitment),
        "nonce": nonce,
        "deadline": deadline,
    }
    return _registry_typed("Commit", COMMIT_TYPE, chain_id, registry, message)


def reveal(
    chain_id: int,
    registry: str,
    *,
    contributor: str,
    contribution_id: int,
    kind: int,
    cid: str,
    salt: bytes,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    """Typed data for ContributionRegistry.revealBySig."""
    if len(salt) != 32:
        raise ValueError(f"a salt is 32 bytes, got {len(salt)}")
    message = {
        "contributor": to_checksum_address(contributor),
        "contributionId": contribution_id,
        "kind": kind,
        "cid": cid,
        "salt": bytes(salt),
        "nonce": nonce,
        "deadline": deadline,
    }
    return _registry_typed("Reveal", REVEAL_TYPE, chain_id, registry, message)
