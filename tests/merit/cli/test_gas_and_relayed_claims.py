"""Gas for a new account, on anvil as a user types it: `accounts show` gives the ETH balance, a
transaction the account cannot pay for is refused in one line before anything is signed, a fresh
account with no ETH gets its tokens through `merit claim --relay`, and `accounts fund` gives ETH on
a local chain only."""

import json
import re
import shutil
import subprocess
import time

import httpx
import pytest
from brownie import web3

from dao.merkle import RewardLeaf, reward_tree
from dao.vocabulary import Phase
from merit.demo.story import ApiServer, anvil_account
from tests.helpers import TOKEN, advance_to_phase, free_port, fund_epoch, register_project

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test


@pytest.fixture
def dora(merit):
    """A new account made by `merit accounts create`: a random key, no ETH, no tokens."""
    if not (merit.home / "keys" / "dora.json").exists():
        merit("accounts", "create", "dora")
    return json.loads(merit("accounts", "list", "--json").stdout)[0]["address"]


def one_error_line(result) -> str:
    text = result.output.strip()
    assert "Traceback" not in text and "\n" not in text, text
    assert text.startswith("error: "), text
    return text


def test_a_fresh_account_with_no_eth_gets_its_tokens_through_claim_relay(
    merit, dora, registry, distributor, token, treasury, chain, monkeypatch
):
    from api.settings import Settings
    from dao.artifacts import ArtifactStoreSettings, open_artifact_store
    from oracle.scoring.report import Allocation, EpochInputs, EpochReport, ScoringParameters, canonical_json

    home = merit.home
    shown = json.loads(merit("accounts", "show", "dora", "--json").stdout)
    assert (shown["address"], shown["eth_balance"], shown["balance"]) == (dora, 0, 0)
    table = merit("accounts", "show", "dora").stdout
    assert "ETH (gas)" in table and "no ETH for gas" in table and "merit accounts fund dora" in table

    project_id = register_project(registry, treasury)
    advance_to_phase(registry, project_id, 0, Phase.CLOSED)
    leaves = [RewardLeaf(0, anvil_account(2).address, 5 * TOKEN), RewardLeaf(1, dora, 7 * TOKEN)]
    tree = reward_tree(leaves)
    report = EpochReport(
        scoring_version="test",
        parameters=ScoringParameters(task="classification", metric="accuracy"),
        inputs=EpochInputs(project="digits", epoch=0, chain_id=chain.id, budget_wei=12 * TOKEN),
        model_pool_wei=12 * TOKEN,
        label_pool_wei=0,
        unallocated_wei=0,
        allocations=[Allocation(index=leaf.index, account=leaf.account, amount_wei=leaf.amount) for leaf in leaves],
        merkle_root=tree.root,
    )
    store = open_artifact_store(ArtifactStoreSettings(path=home / "artifacts"))
    report_cid = store.put(canonical_json(report).encode())
    fund_epoch(distributor, token, treasury, project_id, 0, tree, 12 * TOKEN, chain, report_cid=report_cid)
    relayer = anvil_account(5)
    settings = Settings(
        database_url=f"sqlite:///{home / 'api.db'}",
        rpc_url=web3.provider.endpoint_uri,
        deployment=home / "development.json",
        artifacts=ArtifactStoreSettings(path=home / "artifacts"),
        run_indexer=True,
        index_poll_seconds=0.2,
        relayer_private_key="0x" + relayer.key.hex(),
        log_json=False,
    )
    with ApiServer(settings, free_port()) as api:
        monkeypatch.setenv("MERIT_API_URL", api.url)
        api.wait_for(f"/contributors/{dora}/unclaimed", lambda d: d["claims"], "dora's claim")

        # sent directly, the claim needs gas dora does not have: one line before anything is signed
        direct = one_error_line(merit("claim", "--account", "dora", code=1))
        needed = re.search(r"needs up to ([0-9.]+) ETH for gas", direct)
        assert direct.startswith(f"error: dora ({dora}) has 0 ETH and this transaction needs up to "), direct
        assert needed and 0 < float(needed.group(1)) < 0.01, direct
        assert "`merit accounts fund dora`" in direct and "--relay" in direct
        assert web3.eth.get_transaction_count(dora) == 0 and token.balanceOf(dora) == 0

        # relayed: the relayer pays the gas, dora gets the tokens and still has no ETH
        relayer_eth = web3.eth.get_balance(relayer.address)
        claimed = json.loads(merit("claim", "--account", "dora", "--relay", "--json").stdout)
        assert token.balanceOf(dora) == 7 * TOKEN == int(claimed["amount"])
        assert claimed["relayed"] is True and claimed["epochs"] == [{"project_id": project_id, "epoch": 0}]
        assert web3.eth.get_balance(dora) == 0 and web3.eth.get_transaction_count(dora) == 0
        assert web3.eth.get_balance(relayer.address) < relayer_eth
        receipt = web3.eth.get_transaction_receipt(claimed["tx_hash"])
        assert receipt["from"] == relayer.address and receipt["to"] == distributor.address

        # the same claims again: the distributor would refuse them, so nothing is sent
        payload = api.get(f"/contributors/{dora}/unclaimed")
        if payload["claims"]:  # the indexer may not have seen the claim yet
            claims = [{k: c[k] for k in ("epoch_key", "index", "amount", "proof")} for c in payload["claims"]]
            again = httpx.post(api.url + "/relay/claims", json={"account": dora, "claims": claims}, timeout=30)
            assert again.status_code == 409 and "DistributorAlreadyClaimed" in again.json()["detail"]
        api.wait_for(f"/contributors/{dora}/unclaimed", lambda d: not d["claims"], "the claim indexed")
        nothing = one_error_line(merit("claim", "--account", "dora", "--relay", code=3))
        assert "nothing to claim" in nothing

    # with ETH from `accounts fund`, dora sends her own transactions
    funded = json.loads(merit("accounts", "fund", "dora", "--eth", "0.5", "--json").stdout)
    assert int(funded["eth_balance"]) == web3.eth.get_balance(dora) == 5 * TOKEN // 10
    assert "funded dora" in merit("accounts", "fund", dora, "--eth", "0.25").stdout
    assert web3.eth.get_balance(dora) == 75 * TOKEN // 100
    merit("delegate", "--account", "dora")
    assert token.getVotes(dora) == 7 * TOKEN
    assert json.loads(merit("accounts", "show", "dora", "--json").stdout)["eth_balance"] < 75 * TOKEN // 100


def test_delegate_without_gas_is_one_line_before_signing(merit, dora):
    refused = one_error_line(merit("delegate", "--account", "dora", code=1))
    assert f"dora ({dora}) has 0 ETH" in refused and "merit accounts fund dora" in refused
    assert web3.eth.get_transaction_count(dora) == 0


def test_fund_is_refused_off_a_local_chain(merit, dora, monkeypatch):
    anvil = shutil.which("anvil")
    if anvil is None:
        pytest.skip("no anvil on PATH")
    port = free_port()
    node = subprocess.Popen([anvil, "--port", str(port), "--chain-id", "11155111", "--silent"])
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "anvil did not start"
                time.sleep(0.1)
        monkeypatch.setenv("MERIT_RPC_URL", url)
        refused = one_error_line(merit("accounts", "fund", "dora", code=2))
        assert "only on a local chain" in refused and "not chain 11155111" in refused
        assert "on Sepolia get test ETH for it from a faucet, e.g. https://" in refused
    finally:
        node.terminate()
        node.wait(timeout=10)


def test_fund_takes_an_amount_of_eth(merit, dora):
    assert "--eth takes an amount of ETH" in one_error_line(merit("accounts", "fund", "dora", "--eth", "lots", code=2))
    assert "more than 0" in one_error_line(merit("accounts", "fund", "dora", "--eth", "0", code=2))
    assert "no account named 'nobody'" in one_error_line(merit("accounts", "fund", "nobody", code=3))
