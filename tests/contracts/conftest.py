"""Chain fixtures for the contract suites: one deployment per test module, made by the real
deploy script on a reset chain, and a snapshot around every test (fn_isolation)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from scripts.deploy import deploy

TEST_CONFIG = Path(__file__).with_name("deploy-test.json")
TOKEN = 10**18


def free_port() -> int:
    """A loopback TCP port nobody listens on now (for a server or chain a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def revert_message(error: str, *args: Any) -> str:
    """The message Brownie decodes a custom error into: ``Name: arg1, arg2`` (addresses in
    lower case, fixed-size bytes as Python's bytes repr)."""
    def show(value: Any) -> str:
        if isinstance(value, (bytes, bytearray)):
            return str(bytes(value))
        if hasattr(value, "address"):
            value = value.address
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            return value.lower()
        return str(value)

    return f"{error}: {', '.join(show(a) for a in args)}"


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def oracle(accounts):
    """Holds the registry's ORACLE_ROLE from deployment (deploy-test.json)."""
    return accounts[7]


@pytest.fixture(scope="session")
def guardian(accounts):
    """May pause submissions and claims (deploy-test.json)."""
    return accounts[8]


@pytest.fixture(scope="session")
def outsider(accounts):
    """Holds no tokens and no role."""
    return accounts[9]


@pytest.fixture(scope="module")
def deployment(module_isolation, deployer, tmp_path_factory):
    from brownie import project as brownie_project

    project = brownie_project.get_loaded_projects()[0]
    manifest = tmp_path_factory.mktemp("deployments") / "development.json"
    return deploy(project, TEST_CONFIG, deployer, network_name="development",
                  manifest=manifest, log=lambda line: None)


@pytest.fixture(scope="module")
def timelock(deployment, MeritTimelock):
    return MeritTimelock.at(deployment.address("timelock"))


@pytest.fixture(scope="module")
def token(deployment, MeritToken):
    return MeritToken.at(deployment.address("token"))


@pytest.fixture(scope="module")
def governor(deployment, MeritGovernor):
    return MeritGovernor.at(deployment.address("governor"))


@pytest.fixture(scope="module")
def registry(deployment, ContributionRegistry):
    return ContributionRegistry.at(deployment.address("registry"))


@pytest.fixture(scope="module")
def distributor(deployment, RewardDistributor):
    return RewardDistributor.at(deployment.address("distributor"))


class Governance:
    """Drives proposals through the real governor: propose, vote, queue, execute."""

    def __init__(self, governor, timelock, chain):
        self.governor = governor
        self.timelock = timelock
        self.chain = chain

    def advance(self, seconds: int) -> None:
        self.chain.sleep(seconds)
        self.chain.mine()

    def propose(self, proposal, proposer):
        tx = self.governor.propose(*proposal.propose_args(), {"from": proposer})
        assert tx.events["ProposalCreated"]["proposalId"] == proposal.proposal_id
        return tx

    def open_voting(self, proposal) -> None:
        snapshot = self.governor.proposalSnapshot(proposal.proposal_id)
        self.advance(max(0, snapshot - self.chain.time()) + 1)

    def close_voting(self, proposal) -> None:
        deadline = self.governor.proposalDeadline(proposal.proposal_id)
        self.advance(max(0, deadline - self.chain.time()) + 1)

    def vote(self, proposal, voters, support=1):
        return [self.governor.castVote(proposal.proposal_id, support, {"from": v}) for v in voters]

    def pass_proposal(self, proposal, proposer, voters) -> None:
        """Proposes, votes FOR with every voter, and closes voting: the proposal Succeeds."""
        self.propose(proposal, proposer)
        self.open_voting(proposal)
        self.vote(proposal, voters)
        self.close_voting(proposal)

    def queue(self, proposal, sender):
        return self.governor.queue(*proposal.lifecycle_args(), {"from": sender})

    def execute(self, proposal, sender):
        return self.governor.execute(*proposal.lifecycle_args(), {"from": sender})

    def wait_timelock(self) -> None:
        self.advance(self.timelock.getMinDelay() + 1)

    def enact(self, proposal, proposer, voters) -> None:
        """The whole path: propose, vote, queue, wait out the delay, execute."""
        self.pass_proposal(proposal, proposer, voters)
        self.queue(proposal, proposer)
        self.wait_timelock()
        self.execute(proposal, proposer)


@pytest.fixture(scope="module")
def governance(governor, timelock, chain):
    return Governance(governor, timelock, chain)


@pytest.fixture
def delegated(token, alice, bob, carol, chain):
    """alice, bob and carol each delegate to themselves; a second passes, so that the votes
    count at the next proposal's snapshot."""
    for holder in (alice, bob, carol):
        token.delegate(holder, {"from": holder})
    chain.sleep(1)
    chain.mine()


@pytest.fixture(scope="module")
def treasury(timelock, accounts):
    """The timelock, impersonated, for unit tests of calls only governance may make (the
    governance path itself is tested end to end in tests/contracts/rewards/test_governance_funding.py)."""
    from brownie import web3

    web3.provider.make_request("anvil_impersonateAccount", [timelock.address])
    return accounts.at(timelock.address, force=True)


def fund_epoch(distributor, token, treasury, epoch_id, tree, total, chain, *, window=7 * 86400,
               report_cid="bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"):
    """Funds an epoch from the treasury as a passed proposal would: approve, then fundEpoch."""
    token.approve(distributor, total, {"from": treasury})
    return distributor.fundEpoch(epoch_id, tree.root, total, report_cid, chain.time() + window, {"from": treasury})
