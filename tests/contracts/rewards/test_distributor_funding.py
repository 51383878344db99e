"""RewardDistributor's governance side: fundEpoch, setEpochCap, pause and unpause, roles, views.
Every revert asserts its named error; every rejected call is shown to change nothing (balances,
claimed flags, epoch data, cap, pause)."""

import brownie
import pytest
from brownie import web3

from tests.contracts.rewards.epochs import (
    ADMIN_ROLE,
    REPORT_CID,
    UINT96_MAX,
    WEEK,
    ZERO_ROOT,
    close_window,
    deadline_of,
    epoch_tree,
    key,
    set_next_timestamp,
    state,
)
from tests.helpers import TOKEN, fund_epoch, revert_message

pytestmark = pytest.mark.usefixtures("clock")

# ------------------------------------------------------------------------------ fundEpoch


def test_fund_epoch_stores_the_epoch_and_pulls_the_total(distributor, token, treasury, first, chain):
    before_treasury, before_distributor = token.balanceOf(treasury), token.balanceOf(distributor)
    deadline = chain.time() + WEEK
    token.approve(distributor, first.total, {"from": treasury})
    tx = distributor.fundEpoch(1, 1, first.tree.root, first.total, REPORT_CID, deadline, {"from": treasury})

    assert tuple(distributor.epoch(key(1))) == (first.tree.root, first.total, 0, deadline, False)
    assert token.balanceOf(treasury) == before_treasury - first.total
    assert token.balanceOf(distributor) == before_distributor + first.total
    event = tx.events["EpochFunded"]
    assert dict(event) == {
        "epochKey": key(1),
        "projectId": 1,
        "epoch": 1,
        "merkleRoot": first.tree.root,
        "total": first.total,
        "reportCid": REPORT_CID,
        "claimDeadline": deadline,
    }
    assert (event["epochKey"], event["merkleRoot"], event["total"], event["reportCid"], event["claimDeadline"]) == (
        key(1),
        first.tree.root,
        first.total,
        REPORT_CID,
        deadline,
    )
    transfer = tx.events["Transfer"]
    assert (transfer["from"], transfer["to"], transfer["value"]) == (treasury, distributor, first.total)


def test_fund_epoch_at_exactly_the_cap(distributor, token, treasury, alice, chain):
    cap = distributor.epochCap()
    epoch = epoch_tree(9, [(0, alice, cap)])
    fund_epoch(distributor, token, treasury, 1, 9, epoch.tree, cap, chain)
    assert distributor.epoch(key(9))[1] == cap


def test_fund_epoch_only_by_the_admin(distributor, token, treasury, first, guardian, outsider, alice, chain):
    for caller in (outsider, guardian):
        before = state(distributor, token, treasury, [alice])
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
            distributor.fundEpoch(1, 1, first.tree.root, first.total, REPORT_CID, chain.time() + WEEK, {"from": caller})
        assert state(distributor, token, treasury, [alice]) == before


def test_fund_epoch_rejects_a_zero_root(distributor, token, treasury, first, chain):
    token.approve(distributor, first.total, {"from": treasury})
    before = state(distributor, token, treasury, [])
    with brownie.reverts(revert_message("DistributorZeroRoot")):
        distributor.fundEpoch(1, 1, ZERO_ROOT, first.total, REPORT_CID, chain.time() + WEEK, {"from": treasury})
    assert state(distributor, token, treasury, []) == before


def test_fund_epoch_rejects_a_total_over_the_cap(distributor, token, treasury, first, chain):
    cap = distributor.epochCap()
    token.approve(distributor, cap + 1, {"from": treasury})
    before = state(distributor, token, treasury, [])
    with brownie.reverts(revert_message("DistributorInvalidTotal", cap + 1, cap)):
        distributor.fundEpoch(1, 1, first.tree.root, cap + 1, REPORT_CID, chain.time() + WEEK, {"from": treasury})
    assert state(distributor, token, treasury, []) == before


def test_fund_epoch_rejects_a_zero_total(distributor, token, treasury, first, chain):
    before = state(distributor, token, treasury, [])
    with brownie.reverts(revert_message("DistributorInvalidTotal", 0, distributor.epochCap())):
        distributor.fundEpoch(1, 1, first.tree.root, 0, REPORT_CID, chain.time() + WEEK, {"from": treasury})
    assert state(distributor, token, treasury, []) == before


def test_fund_epoch_sets_a_root_once(distributor, token, treasury, funded, second, chain):
    first = funded[0]
    token.approve(distributor, second.total, {"from": treasury})
    before = state(distributor, token, treasury, [])
    with brownie.reverts(revert_message("DistributorEpochAlreadyFunded", key(1))):
        distributor.fundEpoch(1, 1, second.tree.root, second.total, REPORT_CID, chain.time() + WEEK, {"from": treasury})
    assert state(distributor, token, treasury, []) == before
    assert distributor.epoch(key(1))[0] == first.tree.root


def test_fund_epoch_sets_a_root_once_even_after_the_sweep(distributor, token, treasury, funded, chain):
    first = funded[0]
    close_window(distributor, 1)
    distributor.sweep(key(1), {"from": treasury})
    token.approve(distributor, first.total, {"from": treasury})
    with brownie.reverts(revert_message("DistributorEpochAlreadyFunded", key(1))):
        distributor.fundEpoch(1, 1, first.tree.root, first.total, REPORT_CID, chain.time() + WEEK, {"from": treasury})


@pytest.mark.parametrize("offset", [-3600, 0, 730 * 86400 + 60], ids=["past", "now", "beyond-730-days"])
def test_fund_epoch_rejects_a_deadline_outside_the_window(distributor, token, treasury, first, offset):
    token.approve(distributor, first.total, {"from": treasury})
    now = web3.eth.get_block("latest").timestamp + 10
    set_next_timestamp(now)
    before = state(distributor, token, treasury, [])
    with brownie.reverts(revert_message("DistributorInvalidDeadline", now + offset)):
        distributor.fundEpoch(1, 1, first.tree.root, first.total, REPORT_CID, now + offset, {"from": treasury})
    assert state(distributor, token, treasury, []) == before


def test_fund_epoch_accepts_the_longest_window(distributor, token, treasury, first):
    token.approve(distributor, first.total, {"from": treasury})
    now = web3.eth.get_block("latest").timestamp + 10
    set_next_timestamp(now)
    distributor.fundEpoch(1, 1, first.tree.root, first.total, REPORT_CID, now + 730 * 86400, {"from": treasury})
    assert deadline_of(distributor, 1) == now + 730 * 86400


def test_fund_epoch_needs_the_allowance(distributor, token, treasury, first, chain):
    token.approve(distributor, first.total - 1, {"from": treasury})
    before = state(distributor, token, treasury, [])
    with brownie.reverts(revert_message("ERC20InsufficientAllowance", distributor, first.total - 1, first.total)):
        distributor.fundEpoch(1, 1, first.tree.root, first.total, REPORT_CID, chain.time() + WEEK, {"from": treasury})
    assert state(distributor, token, treasury, []) == before


# ------------------------------------------------------------------------------ setEpochCap


def test_set_epoch_cap_changes_the_cap_and_is_enforced(distributor, token, treasury, first, chain):
    previous = distributor.epochCap()
    tx = distributor.setEpochCap(first.total - 1, {"from": treasury})
    assert distributor.epochCap() == first.total - 1
    assert dict(tx.events["EpochCapChanged"]) == {"previousCap": previous, "newCap": first.total - 1}

    token.approve(distributor, first.total, {"from": treasury})
    with brownie.reverts(revert_message("DistributorInvalidTotal", first.total, first.total - 1)):
        distributor.fundEpoch(1, 1, first.tree.root, first.total, REPORT_CID, chain.time() + WEEK, {"from": treasury})


def test_set_epoch_cap_only_by_the_admin(distributor, guardian, outsider):
    before = distributor.epochCap()
    for caller in (outsider, guardian):
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
            distributor.setEpochCap(1, {"from": caller})
    assert distributor.epochCap() == before


def test_set_epoch_cap_rejects_more_than_the_epoch_fits(distributor, treasury):
    before = distributor.epochCap()
    with brownie.reverts(revert_message("DistributorInvalidTotal", UINT96_MAX + 1, UINT96_MAX)):
        distributor.setEpochCap(UINT96_MAX + 1, {"from": treasury})
    assert distributor.epochCap() == before
    distributor.setEpochCap(UINT96_MAX, {"from": treasury})
    assert distributor.epochCap() == UINT96_MAX


def test_lowering_the_cap_leaves_funded_epochs_claimable(distributor, token, treasury, funded, carol):
    first = funded[0]
    distributor.setEpochCap(1, {"from": treasury})
    before = token.balanceOf(carol)
    distributor.claim(*first.claim_args(2), {"from": carol})
    assert token.balanceOf(carol) == before + 300 * TOKEN


# ------------------------------------------------------------------------------ pause / unpause / roles


def test_guardian_pauses_and_governance_unpauses(distributor, guardian, treasury):
    tx = distributor.pause({"from": guardian})
    assert distributor.paused() and tx.events["Paused"]["account"] == guardian
    tx = distributor.unpause({"from": treasury})
    assert not distributor.paused() and tx.events["Unpaused"]["account"] == treasury


def test_only_the_guardian_pauses(distributor, guardian_role, treasury, outsider):
    for caller in (outsider, treasury):
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, guardian_role)):
            distributor.pause({"from": caller})
    assert not distributor.paused()


def test_only_governance_unpauses(distributor, guardian, outsider):
    distributor.pause({"from": guardian})
    for caller in (guardian, outsider):
        with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", caller, ADMIN_ROLE)):
            distributor.unpause({"from": caller})
    assert distributor.paused()


def test_pause_twice_and_unpause_when_running_revert(distributor, guardian, treasury):
    with brownie.reverts(revert_message("ExpectedPause")):
        distributor.unpause({"from": treasury})
    distributor.pause({"from": guardian})
    with brownie.reverts(revert_message("EnforcedPause")):
        distributor.pause({"from": guardian})


def test_claims_resume_after_unpause(distributor, token, funded, guardian, treasury, alice):
    first = funded[0]
    distributor.pause({"from": guardian})
    distributor.unpause({"from": treasury})
    before = token.balanceOf(alice)
    distributor.claim(*first.claim_args(0), {"from": alice})
    assert token.balanceOf(alice) == before + 100 * TOKEN


def test_governance_grants_and_revokes_the_guardian_role(distributor, guardian_role, treasury, carol):
    tx = distributor.grantRole(guardian_role, carol, {"from": treasury})
    assert dict(tx.events["RoleGranted"]) == {"role": guardian_role, "account": carol, "sender": treasury}
    distributor.pause({"from": carol})
    distributor.unpause({"from": treasury})
    tx = distributor.revokeRole(guardian_role, carol, {"from": treasury})
    assert dict(tx.events["RoleRevoked"]) == {"role": guardian_role, "account": carol, "sender": treasury}
    with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", carol, guardian_role)):
        distributor.pause({"from": carol})


def test_only_governance_grants_roles(distributor, guardian_role, guardian, outsider):
    with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", guardian, ADMIN_ROLE)):
        distributor.grantRole(guardian_role, outsider, {"from": guardian})
    assert not distributor.hasRole(guardian_role, outsider)


# ------------------------------------------------------------------------------ views


def test_views_of_a_fresh_distributor(distributor, token, timelock, guardian, guardian_role):
    assert distributor.token() == token
    assert distributor.treasury() == timelock
    assert distributor.hasRole(ADMIN_ROLE, timelock) and distributor.hasRole(guardian_role, guardian)
    assert distributor.MAX_PROOF_LENGTH() == 32
    assert distributor.MAX_CLAIM_WINDOW() == 730 * 86400
    assert distributor.epochCap() == 1_000_000 * TOKEN
    assert tuple(distributor.epoch(key(1))) == (ZERO_ROOT, 0, 0, 0, False)
    assert not distributor.isClaimed(key(1), 0) and not distributor.paused()
