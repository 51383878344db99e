"""A token or a recipient that calls back into the distributor while it pays cannot be paid twice.

The doubles are in contracts/test/ReentrancyDoubles.sol: CallbackToken (an ERC20 that, armed,
calls back itself on its next transfer out of the distributor, and notifies recipients that
ask for it, as ERC-777 / ERC-1363 tokens do) and ReentrantRecipient (calls back when notified).
A distributor of the CallbackToken is deployed here, with the deployer as its treasury."""

import brownie
import pytest
from eth_utils import keccak

from tests.contracts.rewards.epochs import REPORT_CID, epoch_tree, key
from tests.helpers import TOKEN, revert_message

REENTRANT_CALL = "0x" + keccak(text="ReentrancyGuardReentrantCall()")[:4].hex()
WEEK = 7 * 86400


@pytest.fixture(scope="module")
def callback_token(deployment, CallbackToken, deployer):
    return CallbackToken.deploy({"from": deployer})


@pytest.fixture(scope="module")
def recipient(deployment, ReentrantRecipient, deployer):
    return ReentrantRecipient.deploy({"from": deployer})


@pytest.fixture(scope="module")
def hostile(deployment, RewardDistributor, EpochClockStub, callback_token, deployer, guardian):
    """A distributor of the CallbackToken, on a clock where every epoch has closed."""
    clock = EpochClockStub.deploy({"from": deployer})
    return RewardDistributor.deploy(callback_token, deployer, guardian, 10**6 * TOKEN, clock, {"from": deployer})


@pytest.fixture(scope="module")
def epochs(hostile, callback_token, recipient, deployer, alice, bob, chain):
    """Epochs 1 and 2, each paying alice, bob and the reentrant recipient."""
    trees = [
        epoch_tree(
            1, [(0, alice, 10 * TOKEN), (1, bob, 20 * TOKEN), (2, recipient, 30 * TOKEN), (3, alice, 40 * TOKEN)]
        ),
        epoch_tree(2, [(0, recipient, 5 * TOKEN), (1, alice, 6 * TOKEN)]),
    ]
    for epoch in trees:
        callback_token.mint(deployer, epoch.total, {"from": deployer})
        callback_token.approve(hostile, epoch.total, {"from": deployer})
        hostile.fundEpoch(
            epoch.project_id,
            epoch.epoch,
            epoch.tree.root,
            epoch.total,
            REPORT_CID,
            chain.time() + WEEK,
            {"from": deployer},
        )
    return trees


def reentry(hostile, epochs, name):
    """Calldata of a call back: the claim being paid, a claimMany holding it, another leaf of
    the same account, or a sweep."""
    first, second = epochs
    return {
        "claim-same": lambda: hostile.claim.encode_input(*first.claim_args(0)),
        "claim-other-leaf": lambda: hostile.claim.encode_input(*first.claim_args(3)),
        "claimMany-same": lambda: hostile.claimMany.encode_input(
            first.leaf(0).account, [first.many_entry(0), second.many_entry(1)]
        ),
        "sweep": lambda: hostile.sweep.encode_input(key(1)),
    }[name]()


def paid_state(hostile, callback_token, holders, flags):
    return (
        {str(h): callback_token.balanceOf(h) for h in [hostile, *holders]},
        {f: hostile.isClaimed(key(f[0]), f[1]) for f in flags},
        [tuple(hostile.epoch(key(e))) for e in (1, 2)],
    )


@pytest.mark.parametrize("call_back", ["claim-same", "claim-other-leaf", "claimMany-same", "sweep"])
def test_a_token_calling_back_during_claim_is_refused_and_pays_once(
    hostile, callback_token, epochs, alice, bob, call_back
):
    first = epochs[0]
    held = callback_token.balanceOf(hostile)
    callback_token.arm(hostile, reentry(hostile, epochs, call_back), False, {"from": bob})
    hostile.claim(*first.claim_args(0), {"from": bob})

    assert callback_token.attempted() and not callback_token.succeeded()
    assert callback_token.result() == REENTRANT_CALL
    assert callback_token.balanceOf(alice) == 10 * TOKEN
    assert callback_token.balanceOf(hostile) == held - 10 * TOKEN
    assert hostile.isClaimed(key(1), 0) and not hostile.isClaimed(key(1), 3) and not hostile.isClaimed(key(2), 1)
    assert hostile.epoch(key(1))[2] == 10 * TOKEN and hostile.epoch(key(2))[2] == 0
    with brownie.reverts(revert_message("DistributorAlreadyClaimed", key(1), 0)):
        hostile.claim(*first.claim_args(0), {"from": bob})


def test_a_token_calling_back_during_claim_many_is_refused_and_pays_once(hostile, callback_token, epochs, alice, bob):
    first, second = epochs
    callback_token.arm(hostile, hostile.claim.encode_input(*first.claim_args(0)), False, {"from": bob})
    hostile.claimMany(alice, [first.many_entry(0), second.many_entry(1)], {"from": bob})

    assert callback_token.result() == REENTRANT_CALL
    assert callback_token.balanceOf(alice) == 16 * TOKEN
    assert [hostile.epoch(key(e))[2] for e in (1, 2)] == [10 * TOKEN, 6 * TOKEN]


def test_a_call_back_whose_failure_bubbles_up_undoes_the_claim(hostile, callback_token, epochs, alice, bob):
    first = epochs[0]
    callback_token.arm(hostile, reentry(hostile, epochs, "claim-same"), True, {"from": bob})
    before = paid_state(hostile, callback_token, [alice], [(1, 0)])
    with brownie.reverts(revert_message("ReentrancyGuardReentrantCall")):
        hostile.claim(*first.claim_args(0), {"from": bob})
    assert paid_state(hostile, callback_token, [alice], [(1, 0)]) == before


@pytest.mark.parametrize("call_back", ["claim-same", "claimMany-own"])
def test_a_recipient_calling_back_is_refused_and_paid_once(hostile, callback_token, recipient, epochs, bob, call_back):
    first, second = epochs
    callback_token.setNotifies(recipient, True, {"from": bob})
    data = (
        hostile.claim.encode_input(*first.claim_args(2))
        if call_back == "claim-same"
        else hostile.claimMany.encode_input(recipient, [first.many_entry(2), second.many_entry(0)])
    )
    recipient.arm(hostile, data, False, {"from": bob})
    hostile.claim(*first.claim_args(2), {"from": bob})

    assert recipient.notifications() == 1
    assert recipient.attempted() and not recipient.succeeded()
    assert recipient.result() == REENTRANT_CALL
    assert callback_token.balanceOf(recipient) == 30 * TOKEN
    assert hostile.isClaimed(key(1), 2) and not hostile.isClaimed(key(2), 0)
    assert hostile.epoch(key(1))[2] == 30 * TOKEN

    # outside the payment, its other leaf pays normally, once
    hostile.claim(*second.claim_args(0), {"from": bob})
    assert callback_token.balanceOf(recipient) == 35 * TOKEN
    with brownie.reverts(revert_message("DistributorAlreadyClaimed", key(1), 2)):
        hostile.claim(*first.claim_args(2), {"from": bob})


def test_a_recipient_whose_call_back_bubbles_up_is_not_paid(hostile, callback_token, recipient, epochs, bob):
    first = epochs[0]
    callback_token.setNotifies(recipient, True, {"from": bob})
    recipient.arm(hostile, hostile.claim.encode_input(*first.claim_args(2)), True, {"from": bob})
    before = paid_state(hostile, callback_token, [recipient], [(1, 2)])
    with brownie.reverts(revert_message("ReentrancyGuardReentrantCall")):
        hostile.claim(*first.claim_args(2), {"from": bob})
    assert paid_state(hostile, callback_token, [recipient], [(1, 2)]) == before
