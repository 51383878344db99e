"""MeritToken: who may mint, the cap, vote checkpoints."""

import brownie
import pytest

from dao.proposals import Action, Proposal
from tests.helpers import TOKEN, revert_message


def test_deployer_cannot_mint(token, deployer):
    with brownie.reverts(
        revert_message(
            "AccessControlUnauthorizedAccount",
            deployer,
            token.MINTER_ROLE(),
        )
    ):
        token.mint(deployer, 1, {"from": deployer})


def test_holder_cannot_mint(token, alice):
    with brownie.reverts(revert_message("AccessControlUnauthorizedAccount", alice, token.MINTER_ROLE())):
        token.mint(alice, 1, {"from": alice})


def test_timelock_holds_the_minter_and_admin_roles(token, timelock):
    assert token.hasRole(token.MINTER_ROLE(), timelock)
    assert token.hasRole(token.DEFAULT_ADMIN_ROLE(), timelock)


def test_only_the_timelock_grants_minter_role(token, deployer, alice):
    with brownie.reverts(
        revert_message(
            "AccessControlUnauthorizedAccount",
            deployer,
            token.DEFAULT_ADMIN_ROLE(),
        )
    ):
        token.grantRole(token.MINTER_ROLE(), alice, {"from": deployer})


def test_cap_holds_for_a_dao_mint(governance, token, alice, bob, outsider, delegated):
    over = token.cap() - token.totalSupply() + 1
    proposal = Proposal((Action(token.address, token.mint.encode_input(outsider, over)),), "Mint over the cap")
    governance.pass_proposal(proposal, alice, [alice, bob])
    governance.queue(proposal, alice)
    governance.wait_timelock()
    with brownie.reverts(revert_message("ERC20ExceededCap", token.cap() + 1, token.cap())):
        governance.execute(proposal, alice)
    assert token.balanceOf(outsider) == 0


def test_dao_can_mint_up_to_the_cap(governance, token, alice, bob, outsider, delegated):
    room = token.cap() - token.totalSupply()
    proposal = Proposal((Action(token.address, token.mint.encode_input(outsider, room)),), "Mint to the cap")
    governance.enact(proposal, alice, [alice, bob])
    assert token.totalSupply() == token.cap()


def test_constructor_rejects_mismatched_distribution(MeritToken, deployer, alice):
    with brownie.reverts(revert_message("MeritTokenDistributionLengthMismatch", 1, 2)):
        MeritToken.deploy("T", "T", 100 * TOKEN, deployer, [alice], [1, 2], {"from": deployer})


def test_constructor_rejects_zero_admin(MeritToken, deployer):
    with brownie.reverts(revert_message("MeritTokenZeroAdmin")):
        MeritToken.deploy("T", "T", 100 * TOKEN, brownie.ZERO_ADDRESS, [], [], {"from": deployer})


def test_constructor_enforces_the_cap(MeritToken, deployer, alice):
    with brownie.reverts(revert_message("ERC20ExceededCap", 101 * TOKEN, 100 * TOKEN)):
        MeritToken.deploy("T", "T", 100 * TOKEN, deployer, [alice], [101 * TOKEN], {"from": deployer})


def test_clock_is_the_timestamp(token, chain):
    assert token.CLOCK_MODE() == "mode=timestamp"
    assert token.clock() == chain[-1].timestamp


@pytest.mark.parametrize("holder_name", ["alice", "bob"])
def test_votes_follow_delegation(token, request, holder_name):
    holder = request.getfixturevalue(holder_name)
    assert token.getVotes(holder) == 0  # undelegated balances carry no votes
    token.delegate(holder, {"from": holder})
    assert token.getVotes(holder) == token.balanceOf(holder)
