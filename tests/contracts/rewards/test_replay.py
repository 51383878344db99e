"""A submitBySig signature is good once, on one chain, at one registry: replayed a second time,
on a chain with another id, or at another registry, it reverts with a named error and records
nothing."""

import brownie
import pytest
from brownie import web3

from dao import eip712
from tests.helpers import revert_message

COMMITMENT = "0x" + "c0" * 32
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
PREDICTIONS = 0


@pytest.fixture(scope="module")
def signer(accounts):
    """A contributor who only signs; a relayer sends."""
    return accounts.add("0x" + "3c" * 32)


@pytest.fixture(scope="module")
def other_registry(deployment, ContributionRegistry, timelock, guardian, oracle, deployer):
    """A second registry wired like the first, with the same project 1."""
    return ContributionRegistry.deploy(timelock, guardian, oracle, {"from": deployer})


@pytest.fixture(autouse=True)
def projects(registry, other_registry, treasury):
    for target in (registry, other_registry):
        target.registerProject("digits", 0, "accuracy", CID, COMMITMENT, {"from": treasury})


def sign_submission(target, signer, *, chain_id, nonce=0):
    deadline = web3.eth.get_block("latest").timestamp + 3600
    typed = eip712.submission(
        chain_id,
        target.address,
        contributor=signer.address,
        project_id=1,
        kind=PREDICTIONS,
        cid=CID,
        nonce=nonce,
        deadline=deadline,
    )
    return [signer.address, 1, PREDICTIONS, CID, nonce, deadline, eip712.sign(typed, signer.private_key)]


def recorded(target, signer):
    return target.contributionCount(), target.nonces(signer)


def test_a_signature_fails_the_second_time(registry, signer, alice, bob, chain):
    args = sign_submission(registry, signer, chain_id=chain.id)
    registry.submitBySig(*args, {"from": alice})
    assert recorded(registry, signer) == (1, 1)

    for relayer in (alice, bob):  # whoever relays it again
        with brownie.reverts(revert_message("InvalidAccountNonce", signer, 1)):
            registry.submitBySig(*args, {"from": relayer})
    assert recorded(registry, signer) == (1, 1)


def test_a_signature_for_another_chain_id_fails_here(registry, signer, alice, chain):
    args = sign_submission(registry, signer, chain_id=chain.id + 1)
    with brownie.reverts(revert_message("RegistryInvalidSignature", signer)):
        registry.submitBySig(*args, {"from": alice})
    assert recorded(registry, signer) == (0, 0)


def test_a_signature_fails_on_a_chain_that_changed_its_id(registry, signer, alice, chain):
    """The same registry at the same address on a chain with another id (a fork, say) rejects a
    signature made for the first chain: the domain separator follows block.chainid."""
    original_id = chain.id
    args = sign_submission(registry, signer, chain_id=original_id)
    separator = registry.DOMAIN_SEPARATOR()
    web3.provider.make_request("anvil_setChainId", [original_id + 1])
    try:
        assert web3.eth.chain_id == original_id + 1
        assert registry.DOMAIN_SEPARATOR() != separator
        # a call, not a transaction: Brownie's receipt watcher does not follow a chain whose id
        # changed under it, and the revert is the same
        with brownie.reverts(revert_message("RegistryInvalidSignature", signer)):
            registry.submitBySig.call(*args, {"from": alice})
        assert recorded(registry, signer) == (0, 0)
    finally:
        web3.provider.make_request("anvil_setChainId", [original_id])
    assert web3.eth.chain_id == original_id
    # back on its own chain the untouched signature is still good: the id alone made it fail
    registry.submitBySig(*args, {"from": alice})
    assert recorded(registry, signer) == (1, 1)


def test_a_signature_fails_at_another_registry(registry, other_registry, signer, alice, chain):
    args = sign_submission(registry, signer, chain_id=chain.id)
    registry.submitBySig(*args, {"from": alice})

    # the other registry's nonce for the signer is still 0: only the domain tells them apart
    assert other_registry.nonces(signer) == 0
    with brownie.reverts(revert_message("RegistryInvalidSignature", signer)):
        other_registry.submitBySig(*args, {"from": alice})
    assert recorded(other_registry, signer) == (0, 0)

    own = sign_submission(other_registry, signer, chain_id=chain.id)
    other_registry.submitBySig(*own, {"from": alice})
    assert recorded(other_registry, signer) == (1, 1)
    with brownie.reverts(revert_message("RegistryInvalidSignature", signer)):
        registry.submitBySig(*own, {"from": alice})  # and the other way round
    assert recorded(registry, signer) == (1, 1)
