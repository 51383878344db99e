"""scripts/deploy.py on a fresh chain: the manifest, the wiring, resuming, refusing."""

import json

import pytest
from brownie import ZERO_ADDRESS, web3

import scripts.deploy as deploy_script
from dao.deployments import DeployConfigError, load_deployment
from tests.helpers import TEST_CONFIG, TOKEN


def _project():
    from brownie import project as brownie_project

    return brownie_project.get_loaded_projects()[0]


def _deploy(deployer, manifest, config=TEST_CONFIG, **kwargs):
    return deploy_script.deploy(
        _project(),
        config,
        deployer,
        manifest=manifest,
        log=lambda line: None,
        **{"network_name": "development", **kwargs},
    )


def test_manifest_records_every_contract(deployment, deployer, chain):
    assert deployment.complete
    assert deployment.chain_id == chain.id
    assert deployment.deployer == deployer.address
    assert set(deployment.contracts) == {"timelock", "token", "governor", "registry", "distributor"}
    for record in deployment.contracts.values():
        receipt = web3.eth.get_transaction_receipt(record.tx_hash)
        assert receipt.contractAddress == record.address
        assert receipt.blockNumber == record.block_number
    assert deployment.contracts["governor"].artifact == "MeritGovernor"
    assert deployment.contracts["token"].constructor_args[3] == deployment.address("timelock")


def test_manifest_file_round_trips(deployer, tmp_path):
    manifest = tmp_path / "development.json"
    written = _deploy(deployer, manifest)
    assert load_deployment(manifest) == written
    assert json.loads(manifest.read_text())["format"] == "openmerit-deployment-v1"


def test_roles_are_wired(timelock, token, governor):
    assert timelock.hasRole(timelock.PROPOSER_ROLE(), governor)
    assert timelock.hasRole(timelock.CANCELLER_ROLE(), governor)
    assert timelock.hasRole(timelock.EXECUTOR_ROLE(), ZERO_ADDRESS)  # anyone executes
    assert timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), timelock)  # self-administered
    assert governor.timelock() == timelock
    assert governor.token() == token
    assert token.hasRole(token.DEFAULT_ADMIN_ROLE(), timelock)


def test_reward_contracts_are_wired(registry, distributor, timelock, token, guardian, oracle):
    assert registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), timelock)
    assert registry.hasRole(registry.GUARDIAN_ROLE(), guardian)
    assert registry.hasRole(registry.ORACLE_ROLE(), oracle)
    assert distributor.hasRole(distributor.DEFAULT_ADMIN_ROLE(), timelock)
    assert distributor.hasRole(distributor.GUARDIAN_ROLE(), guardian)
    assert distributor.token() == token
    assert distributor.treasury() == timelock
    assert distributor.epochCap() == 1_000_000 * TOKEN


def test_deployer_holds_no_role_anywhere(timelock, token, registry, distributor, deployer):
    for role in ("DEFAULT_ADMIN_ROLE", "PROPOSER_ROLE", "CANCELLER_ROLE", "EXECUTOR_ROLE"):
        assert not timelock.hasRole(getattr(timelock, role)(), deployer), role
    for role in ("DEFAULT_ADMIN_ROLE", "MINTER_ROLE"):
        assert not token.hasRole(getattr(token, role)(), deployer), role
    for role in ("DEFAULT_ADMIN_ROLE", "ORACLE_ROLE", "GUARDIAN_ROLE"):
        assert not registry.hasRole(getattr(registry, role)(), deployer), role
    for role in ("DEFAULT_ADMIN_ROLE", "GUARDIAN_ROLE"):
        assert not distributor.hasRole(getattr(distributor, role)(), deployer), role


def test_parameters_match_the_config(governor, timelock, token, alice):
    config = json.loads(TEST_CONFIG.read_text())
    assert governor.votingDelay() == config["governor"]["voting_delay"]
    assert governor.votingPeriod() == config["governor"]["voting_period"]
    assert governor.proposalThreshold() == 1000 * TOKEN
    assert governor.quorumNumerator() == config["governor"]["quorum_percent"]
    assert governor.lateQuorumVoteExtension() == config["governor"]["late_quorum_extension"]
    assert timelock.getMinDelay() == config["timelock"]["min_delay"]
    assert token.cap() == 100_000_000 * TOKEN
    assert token.balanceOf(timelock) == 50_000_000 * TOKEN
    assert token.balanceOf(alice) == 10_000_000 * TOKEN


@pytest.mark.parametrize(
    "key, value, message",
    [
        (("governor", "quorum_percent"), 101, "governor.quorum_percent"),
        (("governor", "voting_period"), 0, "governor.voting_period"),
        (("timelock", "min_delay"), -1, "timelock.min_delay"),
        (("token", "cap"), "lots", "token.cap"),
        (("initial_distribution", 1, "recipient"), "0x1234", "initial_distribution.1.recipient"),
    ],
)
def test_bad_config_stops_before_any_transaction(deployer, tmp_path, key, value, message):
    config = json.loads(TEST_CONFIG.read_text())
    target = config
    for part in key[:-1]:
        target = target[part]
    target[key[-1]] = value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(config))
    nonce = deployer.nonce

    with pytest.raises(DeployConfigError, match=message.replace(".", r"\.")):
        _deploy(deployer, tmp_path / "development.json", config=bad)
    assert deployer.nonce == nonce
    assert not (tmp_path / "development.json").exists()


def test_unknown_config_key_is_named(deployer, tmp_path):
    config = json.loads(TEST_CONFIG.read_text())
    config["governor"]["quorum"] = 4
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(config))
    with pytest.raises(DeployConfigError, match=r"governor\.quorum: Extra inputs are not permitted"):
        _deploy(deployer, tmp_path / "development.json", config=bad)


def test_distribution_over_the_cap_is_refused(deployer, tmp_path):
    config = json.loads(TEST_CONFIG.read_text())
    config["initial_distribution"][0]["amount"] = "99000000"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(config))
    with pytest.raises(DeployConfigError, match="over token.cap"):
        _deploy(deployer, tmp_path / "development.json", config=bad)


def test_resumes_after_a_failure_part_way(deployer, tmp_path, monkeypatch):
    manifest = tmp_path / "development.json"
    real_steps = deploy_script._steps

    def failing_steps(run):
        steps = real_steps(run)

        def boom():
            raise ConnectionError("node went away")

        return [s if s[0] != "governor" else ("governor", boom) for s in steps]

    monkeypatch.setattr(deploy_script, "_steps", failing_steps)
    with pytest.raises(ConnectionError):
        _deploy(deployer, manifest)
    partial = load_deployment(manifest)
    assert not partial.complete
    assert set(partial.contracts) == {"timelock", "token"}
    assert "governor" not in partial.steps_done

    monkeypatch.setattr(deploy_script, "_steps", real_steps)
    finished = _deploy(deployer, manifest)
    assert finished.complete
    assert finished.contracts["timelock"] == partial.contracts["timelock"]
    assert finished.contracts["token"] == partial.contracts["token"]
    assert "governor" in finished.contracts


def test_refuses_to_overwrite_a_live_deployment(deployer, tmp_path):
    manifest = tmp_path / "rehearsal.json"
    first = _deploy(deployer, manifest, network_name="rehearsal")
    assert first.live and first.complete
    nonce = deployer.nonce

    with pytest.raises(deploy_script.DeploymentRefused, match="finished live deployment"):
        _deploy(deployer, manifest, network_name="rehearsal")
    assert deployer.nonce == nonce

    second = _deploy(deployer, manifest, network_name="rehearsal", overwrite=True)
    assert second.address("governor") != first.address("governor")


def test_refuses_a_manifest_from_another_chain(deployer, tmp_path):
    manifest = tmp_path / "rehearsal.json"
    first = _deploy(deployer, manifest, network_name="rehearsal")
    manifest.write_text(first.model_copy(update={"chain_id": 11155111}).model_dump_json())
    with pytest.raises(deploy_script.DeploymentRefused, match="chain id 11155111"):
        _deploy(deployer, manifest, network_name="rehearsal")
