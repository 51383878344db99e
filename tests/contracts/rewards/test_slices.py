"""Hidden answer slices on chain: the oracle reveals an epoch's slice once the epoch closed, the
registry checks it against the set governance committed (dao.slices builds the root and proofs),
and anyone can check a revealed slice from what the SliceRevealed event published. A slice is used
once, in order; a used-up set is replaced by rotation."""

import brownie
import pytest
from hexbytes import HexBytes

from dao.slices import content_hash, verify_slice
from dao.vocabulary import Phase
from tests.contracts.rewards.registry_state import registry_state
from tests.helpers import SLICE_CID, advance_to_phase, hidden_slices, revert_message

ADMIN_ROLE = bytes(32)


def reveal_args(project_id, epoch, slices, index, cid=SLICE_CID):
    hidden = slices.slices[index]
    return project_id, epoch, hidden.content_hash, hidden.salt, cid, slices.proof(index)


def as_bytes(value) -> bytes:
    """bytes32 as Brownie returns it (hex text or bytes)."""
    return bytes(HexBytes(value))


def close(registry, project_id, epoch):
    advance_to_phase(registry, project_id, epoch, Phase.CLOSED)


def test_a_revealed_slice_matches_its_commitment_and_anyone_can_check_it(registry, project, slices, oracle):
    close(registry, project, 0)
    tx = registry.revealSlice(*reveal_args(project, 0, slices, 0), {"from": oracle})
    event = tx.events["SliceRevealed"]
    assert dict(event) == {
        "projectId": project,
        "epoch": 0,
        "sliceSet": 1,
        "sliceIndex": 0,
        "contentHash": "0x" + slices.slices[0].content_hash.hex(),
        "salt": "0x" + slices.slices[0].salt.hex(),
        "cid": SLICE_CID,
    }
    assert tuple(registry.epochSlice(project, 0)) == (True, 1, 0) and registry.slicesLeft(project) == 2
    # a verifier: the bytes fetched by the event's CID, its salt and index, and the registered root
    root = as_bytes(registry.project(project)["slicesRoot"])
    data = slices.slices[0].data
    assert as_bytes(event["contentHash"]) == content_hash(data)
    salt = as_bytes(event["salt"])
    assert verify_slice(root, event["sliceIndex"], data, salt, slices.proof(0))
    assert not verify_slice(root, event["sliceIndex"], data + b" tampered", salt, slices.proof(0))


def test_slices_are_used_in_order_one_per_epoch(registry, project, slices, oracle):
    for epoch in range(3):
        close(registry, project, epoch)
        tx = registry.revealSlice(*reveal_args(project, epoch, slices, epoch), {"from": oracle})
        assert tx.events["SliceRevealed"]["sliceIndex"] == epoch
    assert registry.slicesLeft(project) == 0


def test_a_slice_cannot_be_revealed_before_its_epoch_closed(registry, token, project, slices, oracle):
    advance_to_phase(registry, project, 0, Phase.REVEAL)
    end = registry.epochEnd(project, 0)
    before = registry_state(registry, token)
    with brownie.reverts(revert_message("RegistryEpochNotClosed", project, 0, end)):
        registry.revealSlice(*reveal_args(project, 0, slices, 0), {"from": oracle})
    assert registry_state(registry, token) == before and registry.slicesLeft(project) == 3


def test_an_epochs_slice_cannot_be_revealed_twice(registry, token, project, slices, oracle):
    close(registry, project, 0)
    registry.revealSlice(*reveal_args(project, 0, slices, 0), {"from": oracle})
    before = registry_state(registry, token)
    with brownie.reverts(revert_message("RegistrySliceAlreadyRevealed", project, 0)):
        registry.revealSlice(*reveal_args(project, 0, slices, 1), {"from": oracle})
    assert registry_state(registry, token) == before and registry.slicesLeft(project) == 2


@pytest.mark.parametrize("wrong", ["another-slices-proof", "other-bytes", "other-salt", "skipped-ahead"])
def test_a_slice_with_a_wrong_proof_is_refused(registry, token, project, slices, oracle, wrong):
    close(registry, project, 0)
    args = list(reveal_args(project, 0, slices, 0))
    if wrong == "another-slices-proof":
        args[5] = slices.proof(1)
    elif wrong == "other-bytes":
        args[2] = content_hash(b"answers I would rather publish")
    elif wrong == "other-salt":
        args[3] = bytes(32)
    else:  # slice 1, properly proven, in the place of slice 0
        args = list(reveal_args(project, 0, slices, 1))
    before = registry_state(registry, token)
    with brownie.reverts(revert_message("RegistryInvalidSliceProof", project, 0)):
        registry.revealSlice(*args, {"from": oracle})
    assert registry_state(registry, token) == before and registry.slicesLeft(project) == 3


def test_no_slice_is_revealed_after_the_set_ran_out(registry, token, project, slices, oracle):
    for epoch in range(3):
        close(registry, project, epoch)
        registry.revealSlice(*reveal_args(project, epoch, slices, epoch), {"from": oracle})
    close(registry, project, 3)
    before = registry_state(registry, token)
    with brownie.reverts(revert_message("RegistryNoSlicesLeft", project)):
        registry.revealSlice(*reveal_args(project, 3, slices, 2), {"from": oracle})
    assert registry_state(registry, token) == before


def test_rotation_starts_a_fresh_set_and_the_old_one_is_never_used(registry, project, slices, oracle, treasury):
    close(registry, project, 0)
    registry.revealSlice(*reveal_args(project, 0, slices, 0), {"from": oracle})
    fresh = hidden_slices(2, label=b"rotated")
    registry.registerSlices(project, fresh.root, len(fresh), {"from": treasury})
    close(registry, project, 1)
    # the old set's next slice no longer proves
    with brownie.reverts(revert_message("RegistryInvalidSliceProof", project, 0)):
        registry.revealSlice(*reveal_args(project, 1, slices, 1), {"from": oracle})
    tx = registry.revealSlice(*reveal_args(project, 1, fresh, 0), {"from": oracle})
    assert (tx.events["SliceRevealed"]["sliceSet"], tx.events["SliceRevealed"]["sliceIndex"]) == (2, 0)
    assert tuple(registry.epochSlice(project, 1)) == (True, 2, 0) and registry.slicesLeft(project) == 1


def test_only_the_oracle_reveals_slices(registry, token, project, slices, treasury, outsider):
    close(registry, project, 0)
    role = registry.ORACLE_ROLE()
    before = registry_state(registry, token)
    for caller in (treasury, outsider):
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, role)):
            registry.revealSlice(*reveal_args(project, 0, slices, 0), {"from": caller})
    assert registry_state(registry, token) == before
