"""A testnet rehearsal: `merit deploy --network sepolia`, the live path with a keystore deployer,
against a local anvil started with Sepolia's chain id (blocks every second, so that the config's
two confirmations are really waited for)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from dao import keystore
from dao.abi import abi
from dao.deployments import load_deployment
from tests.helpers import REPO_ROOT, free_port

ROOT = REPO_ROOT
MERIT = str(Path(sys.executable).parent / "merit")
SEPOLIA_CHAIN_ID = 11155111


def _forget_brownie_records() -> None:
    """Brownie keeps its own record of live deployments (build/deployments/<chain id>) and refuses
    to connect when a recorded address has no code, as on the next throwaway chain: the
    rehearsal's records are removed before and after it (the OpenMerit manifest is the record)."""
    deployments = ROOT / "build" / "deployments"
    shutil.rmtree(deployments / str(SEPOLIA_CHAIN_ID), ignore_errors=True)
    map_file = deployments / "map.json"
    if map_file.is_file():
        records = json.loads(map_file.read_text())
        records.pop(str(SEPOLIA_CHAIN_ID), None)
        map_file.write_text(json.dumps(records, indent=2))


@pytest.fixture
def sepolia_like_chain():
    _forget_brownie_records()
    port = free_port()
    anvil = shutil.which("anvil") or str(ROOT / "node_modules" / ".bin" / "anvil")
    process = subprocess.Popen(
        [anvil, "--port", str(port), "--chain-id", str(SEPOLIA_CHAIN_ID), "--block-time", "1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    w3 = Web3(Web3.HTTPProvider(url))
    try:
        for _ in range(100):
            try:
                if w3.eth.chain_id == SEPOLIA_CHAIN_ID:
                    break
            except Exception:
                time.sleep(0.1)
        yield url, w3
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        _forget_brownie_records()


def test_the_live_path_deploys_with_a_keystore(sepolia_like_chain, tmp_path):
    url, w3 = sepolia_like_chain
    deployer = Account.create()
    entry = keystore.save(tmp_path / "keys", "deployer", deployer.key, "rehearsal-password")
    w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": deployer.address, "value": 10**19})
    env = {
        **os.environ,
        "SEPOLIA_RPC_URL": url,
        "MERIT_DEPLOYER_KEYSTORE": str(entry.path),
        "MERIT_DEPLOYER_PASSWORD": "rehearsal-password",
        "MERIT_DEPLOYMENT_DIR": str(tmp_path / "deployments"),
    }

    first = subprocess.run(
        [MERIT, "deploy", "--network", "sepolia"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "governor.voting_period: 432000" in first.stdout  # every parameter printed first
    assert "SAFETY CHECKS WAIVED" not in first.stdout
    assert "census at block" in first.stdout and "OFF" not in first.stdout

    manifest = load_deployment(tmp_path / "deployments" / "sepolia.json")
    assert manifest.live and manifest.complete
    assert manifest.chain_id == SEPOLIA_CHAIN_ID
    assert manifest.deployer == deployer.address
    for record in manifest.contracts.values():
        assert len(w3.eth.get_code(record.address)) > 0
    config = json.loads((ROOT / "config" / "deploy" / "sepolia.json").read_text())
    assert manifest.config == config

    again = subprocess.run(
        [MERIT, "deploy", "--network", "sepolia"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode != 0
    assert "finished live deployment" in again.stdout + again.stderr

    audit_env = {**os.environ, "MERIT_RPC_URL": url, "MERIT_DEPLOYMENT": str(tmp_path / "deployments" / "sepolia.json")}
    audit = subprocess.run(
        [MERIT, "status", "--audit", "--json"], cwd=ROOT, env=audit_env, capture_output=True, text=True, timeout=120
    )
    assert audit.returncode == 0, audit.stdout[-3000:] + audit.stderr[-3000:]
    census = json.loads(audit.stdout)
    assert census["ok"] and census["findings"] == []
    held = {(r["contract"], r["role"], r["holder"]) for r in census["roles"]}
    assert ("timelock", "DEFAULT_ADMIN_ROLE", "timelock") in held
    assert not [r for r in census["roles"] if r["account"] == deployer.address]
    assert census["vesting"][0]["balance"] == 10_000_000 * 10**18  # the team's share, not votable
    assert census["powers"][0]["potential"] < census["quorum"]

    # a minter granted outside the vote (here by the timelock itself, impersonated) is caught
    timelock = manifest.address("timelock")
    token = w3.eth.contract(address=manifest.address("token"), abi=abi("MeritToken"))
    w3.provider.make_request("anvil_impersonateAccount", [timelock])
    w3.provider.make_request("anvil_setBalance", [timelock, hex(10**18)])
    tx = token.functions.grantRole(token.functions.MINTER_ROLE().call(), deployer.address).transact({"from": timelock})
    w3.eth.wait_for_transaction_receipt(tx)
    off = subprocess.run(
        [MERIT, "status", "--audit", "--json"], cwd=ROOT, env=audit_env, capture_output=True, text=True, timeout=120
    )
    assert off.returncode == 1, off.stdout[-3000:] + off.stderr[-3000:]
    assert {f["message"] for f in json.loads(off.stdout)["findings"]} == {
        f"the deployer {deployer.address} still holds token.MINTER_ROLE",
        "token.MINTER_ROLE is held outside the timelock by ['deployer']",
    }


def test_dry_run_sends_nothing(sepolia_like_chain, tmp_path):
    url, w3 = sepolia_like_chain
    deployer = Account.create()
    entry = keystore.save(tmp_path / "keys", "deployer", deployer.key, "pw")
    env = {
        **os.environ,
        "SEPOLIA_RPC_URL": url,
        "MERIT_DEPLOYER_KEYSTORE": str(entry.path),
        "MERIT_DEPLOYER_PASSWORD": "pw",
        "MERIT_DEPLOYMENT_DIR": str(tmp_path / "deployments"),
    }
    run = subprocess.run(
        [MERIT, "deploy", "--network", "sepolia", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "dry run: nothing is sent" in run.stdout
    assert "  governor: deploy" in run.stdout
    assert w3.eth.get_transaction_count(deployer.address) == 0
    assert not (tmp_path / "deployments" / "sepolia.json").exists()


def test_a_testnet_needs_its_rpc_url(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BASE_SEPOLIA_RPC_URL"}
    run = subprocess.run(
        [MERIT, "deploy", "--network", "base-sepolia"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "set BASE_SEPOLIA_RPC_URL" in run.stderr
