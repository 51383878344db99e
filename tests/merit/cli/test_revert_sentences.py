"""Reverts as a user meets them on anvil, in words with exit code 1: voting before it opens and
twice, queueing a proposal still in its vote or defeated, executing before the timelock delay
ends, and an unknown proposal (exit 3)."""

from __future__ import annotations

import pytest
from brownie import web3
from typer.testing import CliRunner

from dao import keystore
from dao.proposals import Action, Proposal
from merit.cli import app
from merit.demo.story import anvil_account

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test

PASSWORD = "pw"


@pytest.fixture(scope="module")
def env(deployment, tmp_path_factory):
    home = tmp_path_factory.mktemp("reverts")
    (home / "development.json").write_text(deployment.model_dump_json())
    for name, index in (("alice", 1), ("bob", 2)):
        keystore.save(home / "keys", name, anvil_account(index).key.hex(), PASSWORD)
    return {
        "MERIT_RPC_URL": web3.provider.endpoint_uri,
        "MERIT_DEPLOYMENT": str(home / "development.json"),
        "MERIT_KEYSTORE_DIR": str(home / "keys"),
        "MERIT_KEYSTORE_PASSWORD": PASSWORD,
    }


@pytest.fixture
def merit(env, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def run(*args, code=0):
        result = CliRunner().invoke(app, [str(a) for a in args])
        assert result.exit_code == code, (args, result.output, result.exception)
        return result

    return run


@pytest.fixture
def proposal(token, governance, alice, deployer, delegated):
    made = Proposal((Action(token.address, token.mint.encode_input(deployer, 1)),), "# Mint one base unit")
    governance.propose(made, alice)
    return made


def error_line(result) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0].removeprefix("error: ")


def test_voting_before_it_opens_says_when(merit, proposal, governor, chain):
    line = error_line(merit("vote", proposal.proposal_id, "for", "-a", "alice", code=1))
    opens = governor.proposalSnapshot(proposal.proposal_id)
    assert line.startswith("you cannot vote yet: voting has not opened yet: it opens in ")
    assert f"in {opens - web3.eth.get_block('latest')['timestamp']} s (at " in line


def test_voting_twice_and_after_execution(merit, proposal, governance, alice, bob, carol):
    governance.open_voting(proposal)
    merit("vote", proposal.proposal_id, "for", "-a", "alice")
    line = error_line(merit("vote", proposal.proposal_id, "against", "-a", "alice", code=1))
    assert line == f"{alice.address} has already voted on this proposal; a vote cannot be changed"
    governance.vote(proposal, [bob, carol])
    governance.close_voting(proposal)
    merit("queue", proposal.proposal_id, "-a", "alice")
    governance.wait_timelock()
    merit("execute", proposal.proposal_id, "-a", "bob")
    line = error_line(merit("vote", proposal.proposal_id, "for", "-a", "bob", code=1))
    assert line == "voting is closed: the proposal was executed"


def test_queue_while_voting_and_when_defeated(merit, proposal, governance, bob, carol):
    governance.open_voting(proposal)
    line = error_line(merit("queue", proposal.proposal_id, "-a", "bob", code=1))
    assert line.startswith("the proposal cannot be queued: voting is still open: it ends in ")
    governance.vote(proposal, [bob, carol], support=0)
    governance.close_voting(proposal)
    line = error_line(merit("queue", proposal.proposal_id, "-a", "bob", code=1))
    assert line.startswith("the proposal cannot be queued: the proposal was defeated")


def test_execute_before_the_timelock_delay_ends(merit, proposal, governance, timelock, alice, bob, carol):
    governance.open_voting(proposal)
    governance.vote(proposal, [alice, bob, carol])
    governance.close_voting(proposal)
    merit("queue", proposal.proposal_id, "-a", "alice")
    line = error_line(merit("execute", proposal.proposal_id, "-a", "alice", code=1))
    assert line.startswith("the timelock delay has not ended: it ")
    assert " s (at " in line and "execute" in line


def test_an_unknown_proposal_is_not_found(merit, deployment):
    line = error_line(merit("queue", "12345", "-a", "alice", code=3))
    assert line == "no proposal starts with 12345 on this governor (`merit proposals` lists them)"
