"""Gas of the governance path, recorded in benchmarks/gas/governance.json and held under ceilings.

Gas is deterministic for the same code, state and inputs, so the figures are exact and the
ceilings are tight (about 5% over what was measured when they were set)."""

import json

import brownie
import pytest

from dao import eip712
from dao.proposals import Action, Proposal, VoteType
from tests.helpers import REPO_ROOT, TOKEN, revert_message

GAS_FILE = REPO_ROOT / "benchmarks" / "gas" / "governance.json"
CEILINGS = {
    "delegate (first, to self)": 100_500,
    "propose (1 action)": 80_000,
    "castVote (first vote, reaches quorum)": 129_500,
    "castVote (later vote)": 72_500,
    "castVoteBySig": 105_500,
    "queue (1 action, through the timelock)": 155_000,
    "execute (1 action: mint)": 140_500,
}


@pytest.fixture(scope="module")
def measured(module_isolation, deployment, governance, governor, token, alice, bob, carol, accounts, chain):
    gas = {}
    # a key we hold, to sign the ballot; fixed, so that the signature (and its calldata gas) is too
    signer = accounts.add("0x" + "5e" * 32)
    token.transfer(signer, 2_000_000 * TOKEN, {"from": alice})
    gas["delegate (first, to self)"] = token.delegate(alice, {"from": alice}).gas_used
    token.delegate(bob, {"from": bob})
    token.delegate(signer, {"from": signer})
    governance.advance(1)

    proposal = Proposal(
        (Action(token.address, token.mint.encode_input(carol, 1_000 * TOKEN)),), "Gas measurement: mint 1,000 MERIT"
    )
    gas["propose (1 action)"] = governance.propose(proposal, alice).gas_used
    governance.open_voting(proposal)
    gas["castVote (first vote, reaches quorum)"] = governor.castVote(
        proposal.proposal_id, VoteType.FOR, {"from": alice}
    ).gas_used
    gas["castVote (later vote)"] = governor.castVote(proposal.proposal_id, VoteType.FOR, {"from": bob}).gas_used
    typed = eip712.ballot(
        governor.name(),
        chain.id,
        governor.address,
        proposal_id=proposal.proposal_id,
        support=VoteType.FOR,
        voter=signer.address,
        nonce=governor.nonces(signer),
    )
    signature = eip712.sign(typed, signer.private_key)
    by_sig = governor.castVoteBySig(proposal.proposal_id, VoteType.FOR, signer, signature, {"from": carol})
    gas["castVoteBySig"] = by_sig.gas_used
    vote = by_sig.events["VoteCast"]
    assert (vote["voter"], vote["weight"]) == (signer.address, 2_000_000 * TOKEN)
    with brownie.reverts(revert_message("GovernorInvalidSignature", signer)):  # replay
        governor.castVoteBySig(proposal.proposal_id, VoteType.FOR, signer, signature, {"from": carol})
    governance.close_voting(proposal)
    gas["queue (1 action, through the timelock)"] = governance.queue(proposal, alice).gas_used
    governance.wait_timelock()
    gas["execute (1 action: mint)"] = governance.execute(proposal, alice).gas_used
    assert token.balanceOf(carol) == 1_001_000 * TOKEN
    return gas


def test_gas_is_recorded_and_under_the_ceilings(measured):
    GAS_FILE.parent.mkdir(parents=True, exist_ok=True)
    GAS_FILE.write_text(
        json.dumps({name: {"gas": measured[name], "ceiling": CEILINGS[name]} for name in CEILINGS}, indent=2) + "\n"
    )
    over = {name: (measured[name], ceiling) for name, ceiling in CEILINGS.items() if measured[name] > ceiling}
    assert not over, f"over the gas ceiling (measured, ceiling): {over}"
