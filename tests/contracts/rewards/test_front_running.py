"""Written as the attacker: a front-runner who watches the mempool and the chain and copies what
alice sends. A commit hides the content and binds its committer, so copying it (or replaying her
reveal) gets the copier nothing on chain; a revealed artifact can only be committed after the
commit window closed, that is in a later epoch, behind alice's commit. Alice's reveal stands."""

import brownie
import pytest

from dao.vocabulary import Phase, Status
from tests.contracts.rewards.registry_state import registry_state
from tests.helpers import (
    CID,
    Sealed,
    advance_to_phase,
    commit,
    current_epoch,
    revert_message,
)


@pytest.fixture
def victim(registry, project, alice):
    """alice committed her contribution (id 1) in epoch 0 of project 1."""
    return commit(registry, alice, project)


def test_a_copied_commitment_cannot_be_revealed_by_the_copier(registry, token, project, victim, alice, bob):
    alice_id, alice_sealed = victim
    # bob sends alice's pending commitment as his own, with a higher fee: it is recorded...
    copy_id = registry.commit(project, alice_sealed.commitment, {"from": bob, "priority_fee": "2 gwei"}).return_value
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    # ...but he can reveal it neither as himself nor with alice's content once she reveals it
    registry.reveal(*alice_sealed.reveal_args(alice_id), {"from": alice})
    before = registry_state(registry, token, [alice, bob])
    with brownie.reverts(revert_message("RegistryRevealMismatch", copy_id, bob)):
        registry.reveal(*alice_sealed.reveal_args(copy_id), {"from": bob})
    as_bob = Sealed(**{**alice_sealed.__dict__, "contributor": bob.address})
    with brownie.reverts(revert_message("RegistryRevealMismatch", copy_id, bob)):
        registry.reveal(*as_bob.reveal_args(copy_id), {"from": bob})
    assert registry_state(registry, token, [alice, bob]) == before
    assert registry.contribution(alice_id)["status"] == Status.REVEALED.code
    assert registry.contribution(copy_id)["status"] == Status.COMMITTED.code  # never revealed: earns nothing


def test_replaying_the_victims_reveal_transaction_reveals_nothing_for_the_copier(
    registry, token, project, victim, alice, bob
):
    alice_id, alice_sealed = victim
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    # bob copies alice's pending reveal (her id, CID and salt) and sends it first, from his account
    before = registry_state(registry, token, [alice, bob])
    with brownie.reverts(revert_message("RegistryRevealMismatch", alice_id, bob)):
        registry.reveal(*alice_sealed.reveal_args(alice_id), {"from": bob})
    assert registry_state(registry, token, [alice, bob]) == before
    tx = registry.reveal(*alice_sealed.reveal_args(alice_id), {"from": alice})
    assert tx.events["Revealed"]["contributor"] == alice


def test_revealing_the_victims_commit_as_someone_else_is_refused(registry, token, project, victim, alice, bob):
    alice_id, _alice_sealed = victim
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    # bob reveals alice's commit with his own content: it is not what she committed
    his = Sealed(bob.address, project, 0, cid="bafkreibobsartifactbobsartifactbobsartifactbobsartifactbo")
    before = registry_state(registry, token, [alice, bob])
    with brownie.reverts(revert_message("RegistryRevealMismatch", alice_id, bob)):
        registry.reveal(*his.reveal_args(alice_id), {"from": bob})
    assert registry_state(registry, token, [alice, bob]) == before


def test_a_revealed_artifact_cannot_be_committed_in_its_epoch(registry, token, project, victim, alice, bob):
    alice_id, alice_sealed = victim
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    registry.reveal(*alice_sealed.reveal_args(alice_id), {"from": alice})
    # bob read the CID from alice's Revealed event: the commit window of epoch 0 is over
    _, reveal_start, _ = registry.epochWindows(project, 0)
    copied = Sealed(bob.address, project, 0, cid=CID, salt=bytes([0xB0]) * 32)
    before = registry_state(registry, token, [alice, bob])
    with brownie.reverts(revert_message("RegistryNotInCommitWindow", project, 0, reveal_start)):
        registry.commit(project, copied.commitment, {"from": bob})
    assert registry_state(registry, token, [alice, bob]) == before


def test_a_revealed_artifact_committed_next_epoch_comes_after_the_original(registry, project, victim, alice, bob):
    alice_id, alice_sealed = victim
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    registry.reveal(*alice_sealed.reveal_args(alice_id), {"from": alice})
    advance_to_phase(registry, project, 1, Phase.COMMIT)
    copy_id, copied = commit(registry, bob, project, cid=CID, salt=bytes([0xB0]) * 32)
    assert copied.epoch == current_epoch(registry, project) == 1
    advance_to_phase(registry, project, 1, Phase.REVEAL)
    registry.reveal(*copied.reveal_args(copy_id), {"from": bob})
    # commit order is contribution order: alice's id and epoch are both earlier
    original, copy = registry.contribution(alice_id), registry.contribution(copy_id)
    assert (original["epoch"], alice_id) < (copy["epoch"], copy_id)
