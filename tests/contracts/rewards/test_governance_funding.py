"""The real path of an epoch's funding: a Governor proposal of two actions built by
dao.proposals.fund_epoch_proposal (token.approve(distributor, total), distributor.fundEpoch(...))
is proposed, voted, queued and executed through the timelock; the epoch becomes claimable."""

import brownie
import pytest
from brownie import web3

from dao.proposals import (
    ProposalState,
    fund_epoch_proposal,
    parse_fund_epoch_description,
)
from tests.contracts.rewards.epochs import REPORT_CID, epoch_tree
from tests.helpers import TOKEN, revert_message

MONTH = 30 * 86400


@pytest.fixture(autouse=True)
def setup(delegated):
    pass


@pytest.fixture(scope="module")
def epoch(alice, bob, carol, outsider):
    return epoch_tree(4, [(0, outsider, 1_000 * TOKEN), (1, carol, 2_500 * TOKEN), (2, bob, 500 * TOKEN)])


def proposal_for(token, distributor, epoch, total=None, summary="Week 4: three contributions paid."):
    deadline = web3.eth.get_block("latest").timestamp + MONTH
    return fund_epoch_proposal(
        token.address,
        distributor.address,
        epoch.epoch_id,
        epoch.tree.root,
        epoch.total if total is None else total,
        REPORT_CID,
        deadline,
        summary,
    ), deadline


def test_a_passed_proposal_funds_the_epoch_and_it_becomes_claimable(
    governance, governor, token, distributor, timelock, epoch, alice, bob, outsider
):
    proposal, deadline = proposal_for(token, distributor, epoch)
    treasury_before = token.balanceOf(timelock)
    with brownie.reverts(revert_message("DistributorUnknownEpoch", 4)):
        distributor.claim(*epoch.claim_args(0), {"from": outsider})

    created = governance.propose(proposal, alice)
    assert parse_fund_epoch_description(created.events["ProposalCreated"]["description"]) == (4, REPORT_CID)
    governance.open_voting(proposal)
    governance.vote(proposal, [alice, bob])
    governance.close_voting(proposal)
    governance.queue(proposal, alice)
    governance.wait_timelock()
    executed = governance.execute(proposal, outsider)

    assert governor.state(proposal.proposal_id) == ProposalState.EXECUTED
    funded = executed.events["EpochFunded"]
    assert (funded["epochId"], funded["merkleRoot"], funded["total"], funded["reportCid"], funded["claimDeadline"]) == (
        4,
        epoch.tree.root,
        epoch.total,
        REPORT_CID,
        deadline,
    )
    assert tuple(distributor.epoch(4)) == (epoch.tree.root, epoch.total, 0, deadline, False)
    assert token.balanceOf(timelock) == treasury_before - epoch.total
    assert token.balanceOf(distributor) == epoch.total
    assert token.allowance(timelock, distributor) == 0  # approved exactly what was pulled

    distributor.claim(*epoch.claim_args(0), {"from": outsider})
    distributor.claim(*epoch.claim_args(1), {"from": outsider})
    assert token.balanceOf(outsider) == 1_000 * TOKEN
    assert distributor.epoch(4)[2] == 3_500 * TOKEN


def test_a_proposal_over_the_cap_passes_the_vote_but_moves_nothing(
    governance, governor, token, distributor, timelock, epoch, alice, bob
):
    cap = distributor.epochCap()
    proposal, _ = proposal_for(token, distributor, epoch, total=cap + 1)
    treasury_before = token.balanceOf(timelock)
    governance.pass_proposal(proposal, alice, [alice, bob])
    governance.queue(proposal, alice)
    governance.wait_timelock()

    with brownie.reverts(revert_message("DistributorInvalidTotal", cap + 1, cap)):
        governance.execute(proposal, alice)
    assert governor.state(proposal.proposal_id) == ProposalState.QUEUED
    assert token.balanceOf(timelock) == treasury_before
    assert token.allowance(timelock, distributor) == 0  # the approve action was undone with it
    assert distributor.epoch(4)[0] == "0x" + "00" * 32


def test_a_second_proposal_for_a_funded_epoch_fails_at_execution(
    governance, token, distributor, timelock, epoch, alice, bob
):
    governance.enact(proposal_for(token, distributor, epoch)[0], alice, [alice, bob])
    again, _ = proposal_for(token, distributor, epoch, summary="The same epoch, proposed twice.")
    governance.pass_proposal(again, alice, [alice, bob])
    governance.queue(again, alice)
    governance.wait_timelock()
    treasury_before = token.balanceOf(timelock)
    with brownie.reverts(revert_message("DistributorEpochAlreadyFunded", 4)):
        governance.execute(again, alice)
    assert token.balanceOf(timelock) == treasury_before
    assert token.balanceOf(distributor) == epoch.total
