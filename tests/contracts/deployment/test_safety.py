"""The deployment exploits an audit found, each replayed: refused before anything is sent, or
defeated on chain; and the census that ends every deployment, read from the chain."""

import json
from pathlib import Path

import brownie
import pytest
from brownie import web3

import scripts.deploy as deploy_script
from dao.census import take_census
from dao.deployments import DeployConfigError, load_deployment
from dao.proposals import Action, Proposal
from tests.fixtures.chain import Governance
from tests.helpers import REPO_ROOT, TEST_CONFIG, TOKEN, revert_message

ROOT = REPO_ROOT
LIVE_CONFIGS = ("sepolia", "base-sepolia")
AS_SHIPPED = Path(__file__).with_name("as-shipped")


def _project():
    from brownie import project as brownie_project

    return brownie_project.get_loaded_projects()[0]


def _deploy(deployer, manifest, config, **kwargs):
    lines = kwargs.pop("lines", [])
    return deploy_script.deploy(
        _project(), config, deployer, manifest=manifest, log=lines.append, **{"network_name": "development", **kwargs}
    )


def _write(tmp_path, config, name="config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return path


def _live(network="sepolia"):
    """A shipped live config; one confirmation, since the test chain mines only when sent to."""
    config = json.loads((ROOT / "config" / "deploy" / f"{network}.json").read_text())
    return {**config, "confirmations": 1}


def _refused(deployer, tmp_path, config, match):
    nonce = deployer.nonce
    manifest = tmp_path / "development.json"
    with pytest.raises(DeployConfigError, match=match) as refusal:
        _deploy(deployer, manifest, _write(tmp_path, config))
    assert deployer.nonce == nonce  # nothing sent
    assert not manifest.exists()
    return str(refusal.value)


@pytest.mark.parametrize("network", LIVE_CONFIGS)
def test_the_live_configs_as_shipped_are_refused_naming_each_key(deployer, tmp_path, network):
    config = json.loads((AS_SHIPPED / f"{network}.json").read_text())
    message = _refused(deployer, tmp_path, config, r"initial_distribution\.1\.amount: .* at or above quorum")
    for key in (
        "governor.voting_delay",
        "timelock.min_delay",
        "rewards.guardian",
        "rewards.oracle",
        "initial_distribution.1.recipient",
    ):
        assert f"{key}: " in message


@pytest.mark.parametrize("network", LIVE_CONFIGS)
def test_the_live_configs_pass_with_their_own_deployer(deployer, tmp_path, network):
    lines = []
    deployment = _deploy(deployer, tmp_path / "development.json", _write(tmp_path, _live(network)), lines=lines)
    assert deployment.complete
    assert not [line for line in lines if "WAIVED" in line or "OFF" in line]


def _impersonate(address):
    web3.provider.make_request("anvil_impersonateAccount", [address])
    web3.provider.make_request("anvil_setBalance", [address, hex(10**18)])
    return brownie.accounts.at(address, force=True)


def test_the_takeover_with_the_live_config_is_defeated(
    deployer, tmp_path, chain, MeritGovernor, MeritToken, MeritTimelock, MeritVesting
):
    """The audit's exploit: the deployer self-delegates, proposes moving the treasury and votes it
    through alone. With the shipped config the deployer holds nothing, the team's share sits in
    vesting, and the largest holder voting alone falls short of quorum."""
    config = _live()
    deployment = _deploy(deployer, tmp_path / "development.json", _write(tmp_path, config))
    token = MeritToken.at(deployment.address("token"))
    governor = MeritGovernor.at(deployment.address("governor"))
    timelock = MeritTimelock.at(deployment.address("timelock"))
    vesting = MeritVesting.at(deployment.address("vesting-1"))
    governance = Governance(governor, timelock, chain)
    theft = Proposal(
        (Action(token.address, token.transfer.encode_input(deployer, token.balanceOf(timelock))),), "move the treasury"
    )

    token.delegate(deployer, {"from": deployer})
    chain.sleep(1)
    chain.mine()
    assert token.balanceOf(deployer) == 0 and token.getVotes(deployer) == 0
    with brownie.reverts(revert_message("GovernorInsufficientProposerVotes", deployer, 0, 1000 * TOKEN)):
        governance.propose(theft, deployer)

    team = _impersonate(config["initial_distribution"][1]["recipient"])
    assert vesting.owner() == team and token.balanceOf(vesting) == 10_000_000 * TOKEN
    assert vesting.releasable(token) == 0  # nothing before the cliff
    assert token.getVotes(team) == 0

    largest = _impersonate(config["initial_distribution"][2]["recipient"])
    token.delegate(largest, {"from": largest})
    chain.sleep(1)
    chain.mine()
    governance.pass_proposal(theft, largest, [largest])
    assert governor.state(theft.proposal_id) == 3  # Defeated: 1M votes against a 2.88M quorum
    assert governor.quorum(governor.proposalSnapshot(theft.proposal_id)) == 72_005_000 * TOKEN * 4 // 100


def _set(config, key, value):
    target = config
    for part in key[:-1]:
        target = target[part]
    target[key[-1]] = value
    return config


BRICKING = [
    (
        "a quorum above the votable supply",
        ("governor", "quorum_percent"),
        40,
        r"governor\.quorum_percent: quorum .* not reachable with a margin",
    ),
    ("voting delay 0", ("governor", "voting_delay"), 0, r"governor\.voting_delay: 0 is outside"),
    ("proposal threshold 0", ("governor", "proposal_threshold"), "0", r"governor\.proposal_threshold: 0 lets"),
    ("timelock delay 0", ("timelock", "min_delay"), 0, r"timelock\.min_delay: 0 is outside"),
    ("a one-second voting period", ("governor", "voting_period"), 1, r"governor\.voting_period: 1 is outside"),
    ("quorum 100%", ("governor", "quorum_percent"), 100, r"governor\.quorum_percent: 100 is outside"),
    ("a delay of 10^12 s", ("timelock", "min_delay"), 10**12, r"timelock\.min_delay: 1000000000000 is outside"),
    ("no guardian", ("rewards", "guardian"), None, r"rewards\.guardian: is required"),
    ("no oracle", ("rewards", "oracle"), None, r"rewards\.oracle: is required"),
    (
        "one member at quorum",
        ("initial_distribution", 2, "amount"),
        "3000000",
        r"initial_distribution\.2\.amount: .* at or above quorum",
    ),
    (
        "a vesting cliff of a month",
        ("initial_distribution", 1, "vesting", "cliff"),
        30 * 86400,
        r"initial_distribution\.1\.vesting\.cliff: 2592000 is outside",
    ),
    (
        "a team majority once vested",
        ("initial_distribution", 1, "amount"),
        "20000000",
        r"initial_distribution\.1\.amount: .* majority .* once vesting ends",
    ),
]


@pytest.mark.parametrize("case, key, value, match", BRICKING, ids=[c[0] for c in BRICKING])
def test_each_bricking_parameter_is_refused_before_anything_is_sent(deployer, tmp_path, case, key, value, match):
    _refused(deployer, tmp_path, _set(_live(), key, value), match)


def test_all_tokens_to_the_treasury_is_refused(deployer, tmp_path):
    config = _live()
    config["initial_distribution"] = [{"recipient": "treasury", "amount": "50000000"}]
    _refused(deployer, tmp_path, config, r"initial_distribution: the 0 base units .* nobody could ever propose")


@pytest.mark.parametrize("role", ["oracle", "guardian"])
def test_the_deployer_may_not_be_oracle_or_guardian(deployer, tmp_path, role):
    _refused(
        deployer,
        tmp_path,
        _set(_live(), ("rewards", role), deployer.address),
        rf"rewards\.{role}: may not be the deployer {deployer.address}",
    )


def test_unvested_tokens_for_the_deployer_are_refused(deployer, tmp_path):
    config = _live()
    config["initial_distribution"].append({"recipient": "deployer", "amount": "1000"})
    _refused(deployer, tmp_path, config, r"initial_distribution\.15\.recipient: the deployer's key may hold no votes")


def test_a_waiver_is_explicit_and_named_in_the_output(deployer, tmp_path):
    config = _set(_live(), ("timelock", "min_delay"), 0)
    config["safety_waiver"] = "a rehearsal of the timelock's zero delay"
    lines = []
    deployment = _deploy(deployer, tmp_path / "development.json", _write(tmp_path, config), lines=lines)
    assert deployment.complete
    assert "SAFETY CHECKS WAIVED: a rehearsal of the timelock's zero delay" in lines


def test_resuming_with_another_key_is_refused_naming_both(deployer, alice, tmp_path, monkeypatch, MeritTimelock):
    """The audit's second exploit: a run that stopped before the renounce step, resumed with another
    key, marked itself complete while the first key still administered the timelock."""
    manifest = tmp_path / "development.json"
    real_steps = deploy_script._steps

    def stops_before_renouncing(run):
        def node_went_away():
            raise ConnectionError("node went away")

        return [s if s[0] != "timelock: deployer renounces admin" else (s[0], node_went_away) for s in real_steps(run)]

    monkeypatch.setattr(deploy_script, "_steps", stops_before_renouncing)
    with pytest.raises(ConnectionError):
        _deploy(deployer, manifest, TEST_CONFIG)
    monkeypatch.setattr(deploy_script, "_steps", real_steps)
    before = manifest.read_text()
    nonce = alice.nonce

    with pytest.raises(
        deploy_script.DeploymentRefused,
        match=f"started by the deployer {deployer.address}; this run's deployer is {alice.address}",
    ):
        _deploy(alice, manifest, TEST_CONFIG)
    assert alice.nonce == nonce
    assert manifest.read_text() == before

    finished = _deploy(deployer, manifest, TEST_CONFIG)
    assert finished.complete
    timelock = MeritTimelock.at(finished.address("timelock"))
    assert not timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer)


def test_a_step_that_did_nothing_cannot_mark_the_deployment_complete(deployer, tmp_path, monkeypatch):
    """Whatever the manifest says was done, the census reads the chain: a renounce step that
    sent nothing leaves the deployer as the timelock's admin, and the deployment is refused."""
    manifest = tmp_path / "development.json"
    real_steps = deploy_script._steps
    monkeypatch.setattr(
        deploy_script,
        "_steps",
        lambda run: [
            s if s[0] != "timelock: deployer renounces admin" else (s[0], lambda: None) for s in real_steps(run)
        ],
    )

    with pytest.raises(deploy_script.DeploymentUnsafe) as refusal:
        _deploy(deployer, manifest, TEST_CONFIG)
    assert [f.message for f in refusal.value.census.blocking] == [
        f"the deployer {deployer.address} still holds timelock.DEFAULT_ADMIN_ROLE",
        "timelock.DEFAULT_ADMIN_ROLE is held by ['deployer', 'timelock'], not only by the timelock",
    ]
    assert not load_deployment(manifest).complete


def test_the_census_enumerates_every_role_from_events(deployment, deployer, guardian, oracle):
    census = take_census(web3, deployment)
    assert {(r.contract, r.role, r.holder) for r in census.roles} == {
        ("timelock", "DEFAULT_ADMIN_ROLE", "timelock"),
        ("timelock", "PROPOSER_ROLE", "governor"),
        ("timelock", "CANCELLER_ROLE", "governor"),
        ("timelock", "EXECUTOR_ROLE", "anyone"),
        ("token", "DEFAULT_ADMIN_ROLE", "timelock"),
        ("token", "MINTER_ROLE", "timelock"),
        ("registry", "DEFAULT_ADMIN_ROLE", "timelock"),
        ("registry", "GUARDIAN_ROLE", guardian.address),
        ("registry", "ORACLE_ROLE", oracle.address),
        ("distributor", "DEFAULT_ADMIN_ROLE", "timelock"),
        ("distributor", "GUARDIAN_ROLE", guardian.address),
    }
    assert census.blocking == ()
    # the test config waives the vote checks (alice alone holds quorum): reported, never hidden
    assert census.safety_waiver and not census.ok
    assert {f.area for f in census.findings} == {"votes"} and all(f.waived for f in census.findings)
    assert census.powers[0].holder == brownie.accounts[1].address and census.powers[0].potential == 10_000_000 * TOKEN


def test_the_census_sees_a_role_revoked(deployment, registry, treasury, oracle):
    registry.revokeRole(registry.ORACLE_ROLE(), oracle, {"from": treasury})
    census = take_census(web3, deployment)
    assert ("registry", "ORACLE_ROLE") not in {(r.contract, r.role) for r in census.roles}
