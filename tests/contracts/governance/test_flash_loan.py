"""Votes are read at the proposal's snapshot: tokens that arrive later carry no weight."""

from dao.proposals import Action, Proposal, VoteType
from tests.helpers import TOKEN


def test_tokens_received_after_the_snapshot_carry_no_weight(
    governance, governor, token, alice, bob, outsider, delegated
):
    proposal = Proposal((Action(token.address, token.mint.encode_input(outsider, TOKEN)),), "Snapshot test")
    governance.propose(proposal, alice)
    governance.open_voting(proposal)

    # a "flash loan": bob hands his whole balance to a fresh account that delegates and votes
    token.transfer(outsider, token.balanceOf(bob), {"from": bob})
    token.delegate(outsider, {"from": outsider})
    assert token.getVotes(outsider) > 0
    tx = governor.castVote(proposal.proposal_id, VoteType.AGAINST, {"from": outsider})

    assert tx.events["VoteCast"]["weight"] == 0
    against, _in_favour, _abstain = governor.proposalVotes(proposal.proposal_id)
    assert against == 0
    # and bob, who held the tokens at the snapshot, still votes with them
    tx = governor.castVote(proposal.proposal_id, VoteType.FOR, {"from": bob})
    assert tx.events["VoteCast"]["weight"] == 5_000_000 * TOKEN


def test_delegating_after_the_snapshot_adds_nothing(governance, governor, token, alice, deployer, delegated):
    proposal = Proposal((Action(token.address, token.mint.encode_input(deployer, TOKEN)),), "Late delegation")
    governance.propose(proposal, alice)
    governance.open_voting(proposal)
    snapshot = governor.proposalSnapshot(proposal.proposal_id)
    token.delegate(deployer, {"from": deployer})  # 10M undelegated until now

    assert governor.getVotes(deployer, snapshot) == 0
    tx = governor.castVote(proposal.proposal_id, VoteType.FOR, {"from": deployer})
    assert tx.events["VoteCast"]["weight"] == 0
