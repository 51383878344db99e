"""The real path of governance over the reward contracts, through the real governor and timelock:
dao.proposals.register_project_proposal registers a project with its clock and slices, and
dao.proposals.fund_epoch_proposal (token.approve, distributor.fundEpoch) funds a closed epoch.
Written also as the attacker: only the oracle (the proposer its description names) can create or
cancel its funding proposal, a cancelled one is proposed again and the epoch is paid once, and one
proposal funds one closed epoch: never two, never a future one."""

import brownie
import pytest

from dao.proposals import (
    Action,
    ProjectSchedule,
    Proposal,
    ProposalState,
    calldata,
    epoch_key,
    fund_epoch_proposal,
    parse_fund_epoch_description,
    register_project_proposal,
)
from tests.contracts.rewards.epochs import REPORT_CID, epoch_tree
from tests.helpers import HOUR, TOKEN, advance_to, latest_timestamp, register_project, revert_message

MONTH = 30 * 86400


@pytest.fixture(autouse=True)
def setup(token, oracle, alice, chain):
    """The oracle holds enough votes to propose (delegated to itself); alice, bob and carol vote."""
    token.transfer(oracle, 5_000 * TOKEN, {"from": alice})
    token.delegate(oracle, {"from": oracle})


@pytest.fixture(autouse=True)
def voters(delegated, alice, bob):
    return [alice, bob]


@pytest.fixture
def project(registry, treasury):
    """Project 1 on a clock of two-minute epochs: a funding proposal's vote outlasts a few of them."""
    return register_project(registry, treasury, commit_window=60, reveal_window=60)


@pytest.fixture(scope="module")
def epoch(bob, carol, outsider):
    return epoch_tree(0, [(0, outsider, 1_000 * TOKEN), (1, carol, 2_500 * TOKEN), (2, bob, 500 * TOKEN)])


def proposal_for(token, distributor, epoch, proposer, *, epoch_number=None, total=None, attempt=1):
    deadline = latest_timestamp() + MONTH
    return fund_epoch_proposal(
        token.address,
        distributor.address,
        epoch.project_id,
        epoch.epoch if epoch_number is None else epoch_number,
        epoch.tree.root,
        epoch.total if total is None else total,
        REPORT_CID,
        deadline,
        proposer=proposer.address,
        attempt=attempt,
        description="Three contributions paid.",
    ), deadline


def test_a_passed_proposal_funds_the_closed_epoch_and_it_becomes_claimable(
    governance, governor, token, distributor, timelock, project, epoch, oracle, voters, outsider
):
    proposal, deadline = proposal_for(token, distributor, epoch, oracle)
    treasury_before = token.balanceOf(timelock)
    created = governance.propose(proposal, oracle)
    parsed = parse_fund_epoch_description(created.events["ProposalCreated"]["description"])
    assert (parsed.project_id, parsed.epoch, parsed.proposer) == (1, 0, oracle.address)
    governance.open_voting(proposal)
    governance.vote(proposal, voters)
    governance.close_voting(proposal)
    governance.queue(proposal, oracle)
    governance.wait_timelock()
    executed = governance.execute(proposal, outsider)

    assert governor.state(proposal.proposal_id) == ProposalState.EXECUTED
    assert dict(executed.events["EpochFunded"]) == {
        "epochKey": epoch_key(1, 0),
        "projectId": 1,
        "epoch": 0,
        "merkleRoot": epoch.tree.root,
        "total": epoch.total,
        "reportCid": REPORT_CID,
        "claimDeadline": deadline,
    }
    assert token.balanceOf(timelock) == treasury_before - epoch.total
    assert token.allowance(timelock, distributor) == 0  # approved exactly what was pulled
    assert distributor.nextFundableEpoch(1) == 1
    distributor.claim(*epoch.claim_args(0), {"from": outsider})
    assert token.balanceOf(outsider) == 1_000 * TOKEN


def test_an_outsider_cannot_create_the_oracles_funding_proposal(
    governor, token, distributor, project, epoch, oracle, alice
):
    proposal, _ = proposal_for(token, distributor, epoch, oracle)
    # alice has the votes to propose, but the description names the oracle as its only proposer
    with brownie.reverts(revert_message("GovernorRestrictedProposer", alice)):
        governor.propose(*proposal.propose_args(), {"from": alice})
    assert governor.proposalSnapshot(proposal.proposal_id) == 0


def test_an_outsider_cannot_cancel_the_oracles_funding_proposal(
    governance, governor, token, distributor, project, epoch, oracle, alice
):
    proposal, _ = proposal_for(token, distributor, epoch, oracle)
    governance.propose(proposal, oracle)
    with brownie.reverts(revert_message("GovernorUnableToCancel", proposal.proposal_id, alice)):
        governor.cancel(*proposal.lifecycle_args(), {"from": alice})
    assert governor.state(proposal.proposal_id) == ProposalState.PENDING


def test_a_cancelled_funding_proposal_is_proposed_again_and_the_epoch_is_paid_once(
    governance, governor, token, distributor, timelock, project, epoch, oracle, voters
):
    first, _ = proposal_for(token, distributor, epoch, oracle)
    governance.propose(first, oracle)
    governor.cancel(*first.lifecycle_args(), {"from": oracle})  # the proposer may, while Pending
    assert governor.state(first.proposal_id) == ProposalState.CANCELED
    with brownie.reverts():
        governor.propose(*first.propose_args(), {"from": oracle})  # that id is spent for good

    again, _ = proposal_for(token, distributor, epoch, oracle, attempt=2)
    assert again.proposal_id != first.proposal_id
    treasury_before = token.balanceOf(timelock)
    governance.enact(again, oracle, voters)
    assert token.balanceOf(timelock) == treasury_before - epoch.total
    assert distributor.epoch(epoch.key)["total"] == epoch.total

    third, _ = proposal_for(token, distributor, epoch, oracle, attempt=3)
    governance.pass_proposal(third, oracle, voters)
    governance.queue(third, oracle)
    governance.wait_timelock()
    with brownie.reverts(revert_message("DistributorEpochAlreadyFunded", epoch.key)):
        governance.execute(third, oracle)
    assert token.balanceOf(timelock) == treasury_before - epoch.total


def test_one_proposal_cannot_fund_two_epochs(
    governance, governor, token, distributor, timelock, project, epoch, oracle, voters
):
    deadline = latest_timestamp() + MONTH
    fund = [
        Action(
            distributor.address,
            calldata(
                "RewardDistributor",
                "fundEpoch",
                1,
                e,
                bytes.fromhex(epoch.tree.root[2:]),
                epoch.total,
                REPORT_CID,
                deadline,
            ),
        )
        for e in (0, 1)
    ]
    approve = Action(token.address, calldata("MeritToken", "approve", distributor.address, 2 * epoch.total))
    proposal = Proposal((approve, *fund), f"# Fund two epochs at once\n#proposer={oracle.address}")
    treasury_before = token.balanceOf(timelock)
    governance.pass_proposal(proposal, oracle, voters)
    governance.queue(proposal, oracle)
    governance.wait_timelock()
    with brownie.reverts(revert_message("DistributorOneEpochPerTransaction")):
        governance.execute(proposal, oracle)
    assert governor.state(proposal.proposal_id) == ProposalState.QUEUED
    assert token.balanceOf(timelock) == treasury_before
    assert distributor.nextFundableEpoch(1) == 0


def test_one_proposal_cannot_fund_a_future_epoch(
    governance, governor, registry, token, distributor, timelock, project, epoch, oracle, voters
):
    proposal, _ = proposal_for(token, distributor, epoch, oracle, epoch_number=1_000)
    treasury_before = token.balanceOf(timelock)
    governance.pass_proposal(proposal, oracle, voters)
    governance.queue(proposal, oracle)
    governance.wait_timelock()
    end = registry.epochEnd(1, 1_000)
    with brownie.reverts(revert_message("DistributorEpochNotClosed", 1, 1_000, end)):
        governance.execute(proposal, oracle)
    assert token.balanceOf(timelock) == treasury_before and distributor.nextFundableEpoch(1) == 0


def test_funding_an_epoch_passes_over_the_earlier_unfunded_ones(
    governance, registry, token, distributor, project, epoch, oracle, voters
):
    advance_to(registry.epochEnd(project, 1))
    later, _ = proposal_for(token, distributor, epoch, oracle, epoch_number=1)
    governance.enact(later, oracle, voters)
    assert distributor.nextFundableEpoch(1) == 2
    earlier, _ = proposal_for(token, distributor, epoch, oracle, epoch_number=0)
    governance.pass_proposal(earlier, oracle, voters)
    governance.queue(earlier, oracle)
    governance.wait_timelock()
    with brownie.reverts(revert_message("DistributorEpochPassedOver", 1, 0, 2)):
        governance.execute(earlier, oracle)


def test_two_projects_epochs_never_collide(
    governance, registry, token, distributor, treasury, project, oracle, voters, bob
):
    second = register_project(registry, treasury, commit_window=60, reveal_window=60)
    trees = [epoch_tree(0, [(0, bob, (p + 1) * TOKEN)], project_id=p) for p in (project, second)]
    for tree in trees:
        governance.enact(proposal_for(token, distributor, tree, oracle)[0], oracle, voters)
    assert trees[0].key != trees[1].key
    assert [distributor.epoch(t.key)["root"] for t in trees] == [t.tree.root for t in trees]
    assert [distributor.epochKey(t.project_id, 0) for t in trees] == [epoch_key(t.project_id, 0) for t in trees]


def test_a_project_registered_by_proposal_runs_on_its_clock(governance, registry, slices, oracle, voters, alice):
    start = latest_timestamp() + 3 * 86400
    proposal = register_project_proposal(
        registry.address,
        name="digits",
        task="classification",
        metric="accuracy",
        benchmark_cid="bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        schedule=ProjectSchedule(start, HOUR, 2 * HOUR, bond=TOKEN),
        slices_root=slices.root,
        slice_count=len(slices),
    )
    governance.enact(proposal, alice, voters)
    assert registry.projectCount() == 1
    assert [tuple(c) for c in registry.schedules(1)] == [(0, start, HOUR, 2 * HOUR, TOKEN)]
    assert registry.project(1)["slicesRoot"] == "0x" + slices.root.hex() and registry.slicesLeft(1) == 3
