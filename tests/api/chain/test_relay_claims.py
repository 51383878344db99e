"""The claim relay against the real distributor: POST /relay/claims sends claimMany for an account
and the relayer pays the gas; a claim that would revert (claimed already, a bad proof, an unknown
epoch) is refused with its reason and nothing is sent; the claims sent are rate-limited per account
and per client; a relayer without ETH says so."""

from __future__ import annotations

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.main import create_app
from dao.proposals import epoch_key
from tests.api.chain.conftest import TOKEN

RELAYER_KEY = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"  # anvil's account 5


@pytest.fixture
def api_settings(settings, manifest, w3):
    return settings.model_copy(
        update={
            "deployment": manifest,
            "rpc_url": w3.provider.endpoint_uri,
            "relayer_private_key": SecretStr(RELAYER_KEY),
        }
    )


def _client(api_settings, store, **changes):
    return TestClient(
        create_app(api_settings.model_copy(update=changes), store=store, configure_logs=False),
        raise_server_exceptions=False,
    )


@pytest.fixture
def api(api_settings, store, engine):
    with _client(api_settings, store) as client:
        yield client


def _claim(scenario, project_id: int, who, *, amount: int | None = None, proof_of=None) -> dict:
    """The claim of `who`'s leaf in `project_id`'s epoch 0 (with another amount or another leaf's proof)."""
    leaves = scenario.leaves[project_id]
    index = next(leaf.index for leaf in leaves if leaf.account == who.address)
    proof_index = index if proof_of is None else next(leaf.index for leaf in leaves if leaf.account == proof_of.address)
    return {
        "epoch_key": str(epoch_key(project_id, 0)),
        "index": index,
        "amount": str(leaves[index].amount if amount is None else amount),
        "proof": list(scenario.trees[project_id].get_proof(proof_index)),
    }


def _refused(api, body: dict, status: int, word: str):
    response = api.post("/relay/claims", json=body)
    assert response.status_code == status, response.text
    assert word in response.json()["detail"], response.json()["detail"]
    return response


def test_relay_claims_pays_the_account_and_refuses_what_would_revert(scenario, api, w3, token, alice, bob, carol):
    relayer = Account.from_key(RELAYER_KEY).address
    sent_before = w3.eth.get_transaction_count(relayer)
    digits, signs = scenario.digits, scenario.signs
    # alice claimed her digits allocation in the scenario
    _refused(api, {"account": alice.address, "claims": [_claim(scenario, digits, alice)]}, 409, "AlreadyClaimed")
    _refused(
        api, {"account": bob.address, "claims": [_claim(scenario, digits, bob, proof_of=carol)]}, 400, "InvalidProof"
    )
    _refused(api, {"account": carol.address, "claims": [_claim(scenario, digits, carol, amount=TOKEN)]}, 400, "Proof")
    unknown = {**_claim(scenario, digits, carol), "epoch_key": str(epoch_key(digits, 5))}
    _refused(api, {"account": carol.address, "claims": [unknown]}, 400, "DistributorUnknownEpoch")
    # bob's leaf paid to carol: the leaf names bob, so the proof fails
    _refused(api, {"account": carol.address, "claims": [_claim(scenario, signs, bob)]}, 400, "InvalidProof")
    # shapes the relay never simulates
    _refused(api, {"account": carol.address, "claims": []}, 422, "claims")
    _refused(api, {"account": carol.address, "claims": [_claim(scenario, digits, carol)] * 17}, 422, "claims")
    too_deep = {**_claim(scenario, digits, carol), "proof": ["0x" + "ab" * 32] * 33}
    _refused(api, {"account": carol.address, "claims": [too_deep]}, 422, "proof")
    _refused(api, {"account": carol.address, "claims": [_claim(scenario, digits, carol)], "fee": 1}, 422, "fee")
    huge = {**_claim(scenario, digits, carol), "epoch_key": "9" * 78}
    _refused(api, {"account": carol.address, "claims": [huge]}, 422, "uint256")
    assert w3.eth.get_transaction_count(relayer) == sent_before  # nothing was sent

    eth, tokens = w3.eth.get_balance(carol.address), token.balanceOf(carol)
    claims = [_claim(scenario, digits, carol), _claim(scenario, signs, carol)]
    response = api.post("/relay/claims", json={"account": carol.address, "claims": claims})
    assert response.status_code == 201, response.text
    paid = response.json()
    assert paid["account"] == carol.address and paid["amount"] == str(170 * TOKEN)
    assert [(c["epoch_key"], c["index"], c["amount"]) for c in paid["claims"]] == [
        (c["epoch_key"], c["index"], c["amount"]) for c in claims
    ]
    assert token.balanceOf(carol) - tokens == 170 * TOKEN
    assert w3.eth.get_balance(carol.address) == eth  # the relayer paid the gas
    receipt = w3.eth.get_transaction_receipt(paid["tx_hash"])
    assert receipt["from"] == relayer and receipt["blockNumber"] == paid["block_number"]
    _refused(api, {"account": carol.address, "claims": claims}, 409, "AlreadyClaimed")
    assert w3.eth.get_transaction_count(relayer) == sent_before + 1


def test_relayed_claims_are_rate_limited_per_account_and_per_client(scenario, api_settings, store, engine, bob, carol):
    digits, signs = scenario.digits, scenario.signs
    with _client(api_settings, store, relay_claims_per_account="1/hour", relay_claims_per_client="10/hour") as api:
        # refused requests are not counted: nobody can use up an account's allowance with bad claims
        for _ in range(3):
            bad = {"account": carol.address, "claims": [_claim(scenario, digits, carol, amount=1)]}
            _refused(api, bad, 400, "InvalidProof")
        ok = api.post("/relay/claims", json={"account": carol.address, "claims": [_claim(scenario, digits, carol)]})
        assert ok.status_code == 201, ok.text
        limited = _refused(
            api, {"account": carol.address, "claims": [_claim(scenario, signs, carol)]}, 429, f"account {carol.address}"
        )
        assert int(limited.headers["Retry-After"]) > 0
        ok = api.post("/relay/claims", json={"account": bob.address, "claims": [_claim(scenario, digits, bob)]})
        assert ok.status_code == 201, ok.text  # another account's allowance is its own
    with _client(api_settings, store, relay_claims_per_account="10/hour", relay_claims_per_client="1/hour") as api:
        ok = api.post("/relay/claims", json={"account": bob.address, "claims": [_claim(scenario, signs, bob)]})
        assert ok.status_code == 201, ok.text
        _refused(api, {"account": carol.address, "claims": [_claim(scenario, signs, carol)]}, 429, "for client")


def test_a_relayer_without_eth_says_so_and_sends_nothing(scenario, api_settings, store, engine, w3, carol):
    broke = Account.create()
    with _client(api_settings, store, relayer_private_key=SecretStr("0x" + broke.key.hex())) as api:
        body = {"account": carol.address, "claims": [_claim(scenario, scenario.digits, carol)]}
        _refused(api, body, 503, f"the relayer {broke.address} has 0 ETH")
    assert w3.eth.get_transaction_count(broke.address) == 0
