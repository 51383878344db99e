"""A proposal's whole life through MeritGovernor and the timelock, and the ways it can fail."""

import brownie
import pytest

from dao.proposals import Action, Proposal, ProposalState, VoteType
from tests.helpers import TOKEN, revert_message


@pytest.fixture(autouse=True)
def setup(delegated):
    pass


def mint_proposal(token, recipient, amount, description="Mint to a contributor"):
    return Proposal((Action(token.address, token.mint.encode_input(recipient, amount)),), description)


def test_full_lifecycle_mints_through_the_timelock(governance, governor, token, alice, bob, outsider):
    proposal = mint_proposal(token, outsider, 1_000 * TOKEN)
    governance.propose(proposal, alice)
    assert governor.state(proposal.proposal_id) == ProposalState.PENDING

    governance.open_voting(proposal)
    assert governor.state(proposal.proposal_id) == ProposalState.ACTIVE
    governance.vote(proposal, [alice, bob])
    governance.close_voting(proposal)
    assert governor.state(proposal.proposal_id) == ProposalState.SUCCEEDED

    governance.queue(proposal, alice)
    assert governor.state(proposal.proposal_id) == ProposalState.QUEUED
    governance.wait_timelock()
    tx = governance.execute(proposal, outsider)  # anyone may execute

    assert governor.state(proposal.proposal_id) == ProposalState.EXECUTED
    assert token.balanceOf(outsider) == 1_000 * TOKEN
    assert tx.events["ProposalExecuted"]["proposalId"] == proposal.proposal_id


def test_defeated_when_quorum_is_not_reached(governance, governor, token, carol, outsider):
    # carol's 1M votes are under 4% of the 66M supply at the snapshot
    proposal = mint_proposal(token, outsider, TOKEN)
    governance.propose(proposal, carol)
    governance.open_voting(proposal)
    governance.vote(proposal, [carol])
    governance.close_voting(proposal)

    assert governor.quorum(governor.proposalSnapshot(proposal.proposal_id)) > token.getVotes(carol)
    assert governor.state(proposal.proposal_id) == ProposalState.DEFEATED


def test_defeated_by_majority(governance, governor, token, alice, bob, outsider):
    proposal = mint_proposal(token, outsider, TOKEN)
    governance.propose(proposal, bob)
    governance.open_voting(proposal)
    governor.castVote(proposal.proposal_id, VoteType.FOR, {"from": bob})
    governor.castVote(proposal.proposal_id, VoteType.AGAINST, {"from": alice})
    governance.close_voting(proposal)

    assert governor.state(proposal.proposal_id) == ProposalState.DEFEATED


def test_queue_of_a_defeated_proposal_reverts(governance, governor, token, carol, outsider):
    proposal = mint_proposal(token, outsider, TOKEN)
    governance.pass_proposal(proposal, carol, [carol])  # under quorum: defeated
    expected_states = 1 << ProposalState.SUCCEEDED
    with brownie.reverts(
        revert_message(
            "GovernorUnexpectedProposalState",
            proposal.proposal_id,
            ProposalState.DEFEATED,
            expected_states.to_bytes(32, "big"),
        )
    ):
        governance.queue(proposal, carol)


def test_proposer_cancels_before_voting(governance, governor, token, alice, outsider):
    proposal = mint_proposal(token, outsider, TOKEN)
    governance.propose(proposal, alice)
    tx = governor.cancel(*proposal.lifecycle_args(), {"from": alice})

    assert tx.events["ProposalCanceled"]["proposalId"] == proposal.proposal_id
    assert governor.state(proposal.proposal_id) == ProposalState.CANCELED


def test_only_the_proposer_cancels(governance, governor, token, alice, bob, outsider):
    proposal = mint_proposal(token, outsider, TOKEN)
    governance.propose(proposal, alice)
    with brownie.reverts(revert_message("GovernorUnableToCancel", proposal.proposal_id, bob)):
        governor.cancel(*proposal.lifecycle_args(), {"from": bob})


def test_execute_before_the_timelock_delay_reverts(governance, governor, timelock, token, alice, bob, outsider):
    proposal = mint_proposal(token, outsider, TOKEN)
    governance.pass_proposal(proposal, alice, [alice, bob])
    governance.queue(proposal, alice)
    operation_id = timelock.hashOperationBatch(
        proposal.targets,
        proposal.values,
        proposal.calldatas,
        "0x" + "00" * 32,
        _timelock_salt(governor, proposal),
    )
    ready_state = 1 << 2  # TimelockController.OperationState.Ready
    with brownie.reverts(
        revert_message(
            "TimelockUnexpectedOperationState",
            bytes(operation_id),
            ready_state.to_bytes(32, "big"),
        )
    ):
        governance.execute(proposal, alice)
    assert token.balanceOf(outsider) == 0


def _timelock_salt(governor, proposal) -> bytes:
    # GovernorTimelockControl salts operations with bytes20(governor) ^ descriptionHash
    governor_bytes = bytes.fromhex(governor.address[2:]) + b"\x00" * 12
    return bytes(a ^ b for a, b in zip(governor_bytes, proposal.description_hash))


def test_proposing_needs_the_threshold(governor, token, outsider):
    proposal = mint_proposal(token, outsider, TOKEN)
    with brownie.reverts(
        revert_message(
            "GovernorInsufficientProposerVotes",
            outsider,
            0,
            governor.proposalThreshold(),
        )
    ):
        governor.propose(*proposal.propose_args(), {"from": outsider})


def test_late_quorum_extends_the_deadline(governance, governor, token, alice, outsider, chain):
    proposal = mint_proposal(token, outsider, TOKEN)
    governance.propose(proposal, alice)
    deadline = governor.proposalDeadline(proposal.proposal_id)
    governance.advance(deadline - chain.time() - 2)  # the last seconds of the vote
    governance.vote(proposal, [alice])  # quorum reached now

    assert governor.proposalDeadline(proposal.proposal_id) >= chain.time() + governor.lateQuorumVoteExtension() - 1
    assert governor.proposalDeadline(proposal.proposal_id) > deadline
