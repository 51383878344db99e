"""RewardDistributor's paying side: claim, claimMany and sweep. Every revert asserts its named
error; every rejected call is shown to change nothing (balances, claimed flags, epoch data)."""

import brownie
import pytest

from tests.contracts.rewards.epochs import (
    WEEK,
    close_window,
    deadline_of,
    key,
    set_next_timestamp,
    state,
)
from tests.helpers import TOKEN, fund_epoch, revert_message

pytestmark = pytest.mark.usefixtures("clock")

# ------------------------------------------------------------------------------ claim


def test_claim_pays_the_account_whoever_sends_it(distributor, token, funded, alice, outsider):
    first = funded[0]
    before, held = token.balanceOf(alice), token.balanceOf(distributor)
    tx = distributor.claim(*first.claim_args(0), {"from": outsider})

    assert token.balanceOf(alice) == before + 100 * TOKEN
    assert token.balanceOf(distributor) == held - 100 * TOKEN
    assert token.balanceOf(outsider) == 0
    assert dict(tx.events["Claimed"]) == {"epochKey": key(1), "index": 0, "account": alice, "amount": 100 * TOKEN}
    assert distributor.isClaimed(key(1), 0)
    assert distributor.epoch(key(1))[2] == 100 * TOKEN


def test_claim_marks_only_its_own_bit(distributor, funded, alice):
    first = funded[0]
    distributor.claim(*first.claim_args(300), {"from": alice})
    assert distributor.isClaimed(key(1), 300)
    assert [distributor.isClaimed(key(1), i) for i in (0, 1, 2, 44, 299, 301)] == [False] * 6
    assert not distributor.isClaimed(key(2), 300)  # the same index in another epoch


def test_claim_twice_reverts_and_pays_once(distributor, token, treasury, funded, alice, bob, carol):
    first = funded[0]
    distributor.claim(*first.claim_args(1), {"from": bob})
    before = state(distributor, token, treasury, [alice, bob, carol], flags=[(1, 1)])
    with brownie.reverts(revert_message("DistributorAlreadyClaimed", key(1), 1)):
        distributor.claim(*first.claim_args(1), {"from": alice})
    assert state(distributor, token, treasury, [alice, bob, carol], flags=[(1, 1)]) == before


@pytest.mark.parametrize("tamper", ["amount", "account", "index", "epoch", "proof"])
def test_claim_with_a_leaf_not_in_the_tree_reverts(distributor, token, treasury, funded, alice, bob, carol, tamper):
    first = funded[0]
    epoch_id, index, account, amount, proof = first.claim_args(1)
    if tamper == "amount":
        amount += 1
    elif tamper == "account":
        account = alice.address
    elif tamper == "index":
        index = 5
    elif tamper == "epoch":
        epoch_id = key(2)
    else:
        proof = first.proof(2)
    flags = [(epoch_id, index), (1, 1)]
    before = state(distributor, token, treasury, [alice, bob, carol], flags=flags)
    with brownie.reverts(revert_message("DistributorInvalidProof", epoch_id, index)):
        distributor.claim(epoch_id, index, account, amount, proof, {"from": bob})
    assert state(distributor, token, treasury, [alice, bob, carol], flags=flags) == before


@pytest.mark.parametrize("change", ["one-short", "one-extra", "empty"])
def test_claim_with_a_proof_of_the_wrong_length_reverts(distributor, token, treasury, funded, bob, change):
    first = funded[0]
    epoch_id, index, account, amount, proof = first.claim_args(1)
    proof = {"one-short": proof[:-1], "one-extra": proof + [proof[0]], "empty": []}[change]
    before = state(distributor, token, treasury, [bob], flags=[(1, 1)])
    with brownie.reverts(revert_message("DistributorInvalidProof", epoch_id, index)):
        distributor.claim(epoch_id, index, account, amount, proof, {"from": bob})
    assert state(distributor, token, treasury, [bob], flags=[(1, 1)]) == before


def test_claim_with_a_proof_longer_than_any_tree_reverts(distributor, token, treasury, funded, bob):
    first = funded[0]
    epoch_id, index, account, amount, proof = first.claim_args(1)
    too_long = proof + [proof[0]] * (33 - len(proof))
    before = state(distributor, token, treasury, [bob], flags=[(1, 1)])
    with brownie.reverts(revert_message("DistributorProofTooLong", 33, 32)):
        distributor.claim(epoch_id, index, account, amount, too_long, {"from": bob})
    assert state(distributor, token, treasury, [bob], flags=[(1, 1)]) == before


def test_claim_in_an_unknown_epoch_reverts(distributor, token, treasury, funded, bob):
    first = funded[0]
    _, index, account, amount, proof = first.claim_args(1)
    before = state(distributor, token, treasury, [bob], flags=[(4, 1)])
    with brownie.reverts(revert_message("DistributorUnknownEpoch", key(4))):
        distributor.claim(key(4), index, account, amount, proof, {"from": bob})
    assert state(distributor, token, treasury, [bob], flags=[(4, 1)]) == before


def test_claim_at_the_deadline_pays_and_after_it_reverts(distributor, token, treasury, funded, alice, bob):
    first = funded[0]
    deadline = deadline_of(distributor, 1)
    set_next_timestamp(deadline)
    distributor.claim(*first.claim_args(0), {"from": alice})
    assert distributor.isClaimed(key(1), 0)

    set_next_timestamp(deadline + 1)
    before = state(distributor, token, treasury, [alice, bob], flags=[(1, 1)])
    with brownie.reverts(revert_message("DistributorClaimWindowClosed", key(1), deadline)):
        distributor.claim(*first.claim_args(1), {"from": bob})
    assert state(distributor, token, treasury, [alice, bob], flags=[(1, 1)]) == before


def test_claim_never_takes_an_epoch_past_its_total(distributor, token, treasury, first, alice, bob, carol, chain):
    # governance funded less than the tree adds up to: the leaves cannot all be paid
    short_total = 100 * TOKEN + 200 * TOKEN + 250 * TOKEN
    fund_epoch(distributor, token, treasury, 1, 1, first.tree, short_total, chain)
    distributor.claim(*first.claim_args(0), {"from": alice})
    distributor.claim(*first.claim_args(1), {"from": bob})
    flags = [(1, 2), (1, 300)]
    before = state(distributor, token, treasury, [alice, bob, carol], flags=flags)
    with brownie.reverts(revert_message("DistributorEpochOverClaimed", key(1), 600 * TOKEN, short_total)):
        distributor.claim(*first.claim_args(2), {"from": carol})
    assert state(distributor, token, treasury, [alice, bob, carol], flags=flags) == before
    assert distributor.epoch(key(1))[2] == 300 * TOKEN


def test_claim_while_paused_reverts(distributor, token, treasury, funded, guardian, alice):
    first = funded[0]
    distributor.pause({"from": guardian})
    before = state(distributor, token, treasury, [alice], flags=[(1, 0)])
    with brownie.reverts(revert_message("EnforcedPause")):
        distributor.claim(*first.claim_args(0), {"from": alice})
    assert state(distributor, token, treasury, [alice], flags=[(1, 0)]) == before


# ------------------------------------------------------------------------------ claimMany


def test_claim_many_pays_one_account_across_epochs_in_one_transfer(distributor, token, funded, alice, outsider):
    first, second, third = funded
    before = token.balanceOf(alice)
    claims = [first.many_entry(0), second.many_entry(1), third.many_entry(1), first.many_entry(300)]
    tx = distributor.claimMany(alice, claims, {"from": outsider})

    paid = (100 + 7 + 13 + 400) * TOKEN
    assert token.balanceOf(alice) == before + paid
    assert [dict(e) for e in tx.events["Claimed"]] == [
        {"epochKey": key(e), "index": i, "account": alice, "amount": a}
        for e, i, a in [(1, 0, 100 * TOKEN), (2, 1, 7 * TOKEN), (3, 1, 13 * TOKEN), (1, 300, 400 * TOKEN)]
    ]
    assert len(tx.events["Transfer"]) == 1 and tx.events["Transfer"]["value"] == paid
    assert all(distributor.isClaimed(key(e), i) for e, i in [(1, 0), (2, 1), (3, 1), (1, 300)])
    assert [distributor.epoch(key(e))[2] for e in (1, 2, 3)] == [500 * TOKEN, 7 * TOKEN, 13 * TOKEN]


def test_claim_many_of_nothing_reverts(distributor, alice):
    with brownie.reverts(revert_message("DistributorNoClaims")):
        distributor.claimMany(alice, [], {"from": alice})


def test_claim_many_with_one_bad_claim_pays_nothing(distributor, token, treasury, funded, alice):
    first, second, third = funded
    distributor.claim(*third.claim_args(1), {"from": alice})
    flags = [(1, 0), (2, 1), (3, 1)]
    before = state(distributor, token, treasury, [alice], flags=flags)
    with brownie.reverts(revert_message("DistributorAlreadyClaimed", key(3), 1)):
        distributor.claimMany(alice, [first.many_entry(0), second.many_entry(1), third.many_entry(1)], {"from": alice})
    assert state(distributor, token, treasury, [alice], flags=flags) == before


def test_claim_many_with_the_same_claim_twice_reverts(distributor, token, treasury, funded, alice):
    second = funded[1]
    before = state(distributor, token, treasury, [alice], flags=[(2, 1)])
    with brownie.reverts(revert_message("DistributorAlreadyClaimed", key(2), 1)):
        distributor.claimMany(alice, [second.many_entry(1), second.many_entry(1)], {"from": alice})
    assert state(distributor, token, treasury, [alice], flags=[(2, 1)]) == before


def test_claim_many_pays_only_the_account_of_the_leaves(distributor, token, treasury, funded, alice, bob):
    _, second, _ = funded
    # bob's leaf (epoch 2, index 0) sent for alice
    before = state(distributor, token, treasury, [alice, bob], flags=[(2, 1), (2, 0)])
    with brownie.reverts(revert_message("DistributorInvalidProof", key(2), 0)):
        distributor.claimMany(alice, [second.many_entry(1), second.many_entry(0)], {"from": alice})
    assert state(distributor, token, treasury, [alice, bob], flags=[(2, 1), (2, 0)]) == before


def test_claim_many_with_a_closed_epoch_reverts(distributor, token, treasury, first, second, alice, chain):
    fund_epoch(distributor, token, treasury, 1, 1, first.tree, first.total, chain, window=3600)
    fund_epoch(distributor, token, treasury, 1, 2, second.tree, second.total, chain, window=WEEK)
    close_window(distributor, 1)
    before = state(distributor, token, treasury, [alice], flags=[(1, 0), (2, 1)])
    with brownie.reverts(revert_message("DistributorClaimWindowClosed", key(1), deadline_of(distributor, 1))):
        distributor.claimMany(alice, [second.many_entry(1), first.many_entry(0)], {"from": alice})
    assert state(distributor, token, treasury, [alice], flags=[(1, 0), (2, 1)]) == before


def test_claim_many_while_paused_reverts(distributor, token, treasury, funded, guardian, alice):
    second = funded[1]
    distributor.pause({"from": guardian})
    with brownie.reverts(revert_message("EnforcedPause")):
        distributor.claimMany(alice, [second.many_entry(1)], {"from": alice})
    assert not distributor.isClaimed(key(2), 1)


def test_claim_many_with_a_too_long_proof_reverts(distributor, funded, alice):
    second = funded[1]
    epoch_id, index, amount, proof = second.many_entry(1)
    with brownie.reverts(revert_message("DistributorProofTooLong", 40, 32)):
        distributor.claimMany(
            alice, [(epoch_id, index, amount, proof + [proof[0]] * (40 - len(proof)))], {"from": alice}
        )


# ------------------------------------------------------------------------------ sweep


def test_sweep_before_the_deadline_reverts(distributor, token, treasury, funded, outsider):
    deadline = deadline_of(distributor, 1)
    set_next_timestamp(deadline)
    before = state(distributor, token, treasury, [])
    with brownie.reverts(revert_message("DistributorClaimWindowOpen", key(1), deadline)):
        distributor.sweep(key(1), {"from": outsider})
    assert state(distributor, token, treasury, []) == before


def test_sweep_returns_the_unclaimed_tokens_to_the_treasury(distributor, token, treasury, funded, alice, outsider):
    first = funded[0]
    distributor.claim(*first.claim_args(0), {"from": alice})
    deadline = deadline_of(distributor, 1)
    set_next_timestamp(deadline + 1)
    before_treasury, before_held = token.balanceOf(treasury), token.balanceOf(distributor)
    tx = distributor.sweep(key(1), {"from": outsider})  # anyone may sweep

    unclaimed = first.total - 100 * TOKEN
    assert token.balanceOf(treasury) == before_treasury + unclaimed
    assert token.balanceOf(distributor) == before_held - unclaimed
    assert dict(tx.events["EpochSwept"]) == {"epochKey": key(1), "treasury": treasury, "amount": unclaimed}
    assert tuple(distributor.epoch(key(1)))[1:] == (first.total, 100 * TOKEN, deadline, True)


def test_sweep_of_a_fully_claimed_epoch_moves_nothing(distributor, token, treasury, funded, alice, bob, chain):
    second = funded[1]
    distributor.claim(*second.claim_args(0), {"from": bob})
    distributor.claim(*second.claim_args(1), {"from": alice})
    close_window(distributor, 2)
    held = token.balanceOf(distributor)
    tx = distributor.sweep(key(2), {"from": bob})
    assert tx.events["EpochSwept"]["amount"] == 0
    assert "Transfer" not in tx.events
    assert token.balanceOf(distributor) == held
    assert distributor.epoch(key(2))[4]


def test_sweep_twice_reverts(distributor, token, treasury, funded, chain):
    close_window(distributor, 1)
    distributor.sweep(key(1), {"from": treasury})
    before = state(distributor, token, treasury, [])
    with brownie.reverts(revert_message("DistributorEpochSwept", key(1))):
        distributor.sweep(key(1), {"from": treasury})
    assert state(distributor, token, treasury, []) == before


def test_sweep_of_an_unknown_epoch_reverts(distributor, funded, outsider):
    with brownie.reverts(revert_message("DistributorUnknownEpoch", key(4))):
        distributor.sweep(key(4), {"from": outsider})


def test_sweep_works_while_claims_are_paused(distributor, token, treasury, funded, guardian, chain):
    distributor.pause({"from": guardian})
    close_window(distributor, 3)
    before = token.balanceOf(treasury)
    distributor.sweep(key(3), {"from": treasury})
    assert token.balanceOf(treasury) == before + funded[2].total


def test_sweep_leaves_the_other_epochs_whole(distributor, token, treasury, first, second, alice, chain):
    fund_epoch(distributor, token, treasury, 1, 1, first.tree, first.total, chain, window=3600)
    fund_epoch(distributor, token, treasury, 1, 2, second.tree, second.total, chain, window=WEEK)
    close_window(distributor, 1)
    distributor.sweep(key(1), {"from": alice})
    assert token.balanceOf(distributor) == second.total
    distributor.claim(*second.claim_args(1), {"from": alice})
    assert distributor.isClaimed(key(2), 1)
