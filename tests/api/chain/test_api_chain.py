"""The API against the real contracts: the proofs and the claimMany payload it serves are accepted
by the RewardDistributor; the relay sends signed submissions and refuses replays and foreign
signatures; the indexer runs inside the API process when the setting says so."""

from __future__ import annotations

import time

import pytest
from brownie import accounts as brownie_accounts
from eth_account import Account
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from api import models as m
from api.main import create_app
from dao import eip712
from tests.api.chain.conftest import TOKEN

# anvil's well-known development keys (public, for local chains only)
ANVIL_KEYS = {
    1: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    2: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    5: "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
}


@pytest.fixture
def api_settings(settings, manifest, w3):
    return settings.model_copy(
        update={
            "deployment": manifest,
            "rpc_url": w3.provider.endpoint_uri,
            "relayer_private_key": SecretStr(ANVIL_KEYS[5]),
        }
    )


@pytest.fixture
def api(api_settings, store, engine):
    with TestClient(create_app(api_settings, store=store, configure_logs=False), raise_server_exceptions=False) as c:
        yield c


def test_reward_proposal_is_served_with_its_epoch(scenario, sessions, make_indexer, api, alice, bob):
    make_indexer(sessions).run_once()
    proposal = api.get(f"/proposals/{scenario.proposal_id}").json()
    assert proposal["state"] == "executed" and proposal["proposer"] == alice.address
    assert proposal["funds_epoch"] == {"epoch_id": 1, "report_cid": scenario.report_cids[1]}
    assert int(proposal["votes_for"]) > 0 and proposal["votes_against"] == "0"
    votes = api.get(f"/proposals/{scenario.proposal_id}/votes").json()
    assert sorted(v["voter"] for v in votes) == sorted([alice.address, bob.address])
    assert {v["support"] for v in votes} == {"for"}


def test_served_proofs_are_accepted_on_chain(scenario, sessions, make_indexer, api, distributor, token, bob):
    make_indexer(sessions).run_once()
    proof = api.get(f"/epochs/1/proofs/{bob.address}").json()
    assert proof["distributor"] == distributor.address and not proof["claimed"]
    before = token.balanceOf(bob)
    distributor.claim(1, proof["index"], proof["account"], int(proof["amount"]), proof["proof"], {"from": bob})
    assert token.balanceOf(bob) - before == 300 * TOKEN
    make_indexer(sessions).run_once()
    assert api.get(f"/epochs/1/proofs/{bob.address}").json()["claimed"] is True


def test_claim_many_payload_is_accepted_on_chain(scenario, sessions, make_indexer, api, distributor, token, carol, bob):
    make_indexer(sessions).run_once()
    unclaimed = api.get(f"/contributors/{carol.address}/unclaimed").json()
    assert [(c["epoch_id"], c["amount"]) for c in unclaimed["claims"]] == [(1, str(100 * TOKEN)), (2, str(70 * TOKEN))]
    before = token.balanceOf(carol)
    # anyone may send it; the tokens go to the account
    bob.transfer(distributor.address, 0, data=unclaimed["claim_many_calldata"])
    assert token.balanceOf(carol) - before == 170 * TOKEN == int(unclaimed["total"])
    make_indexer(sessions).run_once()
    after = api.get(f"/contributors/{carol.address}/unclaimed").json()
    assert after["claims"] == [] and after["claim_many_calldata"] is None


def _signed(
    registry, chain_id: int, key: str, *, project_id: int, cid: str, nonce: int, contributor: str | None = None
):
    contributor = contributor or Account.from_key(key).address
    deadline = int(time.time()) + 3600
    typed = eip712.submission(
        chain_id,
        registry.address,
        contributor=contributor,
        project_id=project_id,
        kind=0,
        cid=cid,
        nonce=nonce,
        deadline=deadline,
    )
    return {
        "contributor": contributor,
        "project_id": project_id,
        "kind": "model_predictions",
        "cid": cid,
        "nonce": nonce,
        "deadline": deadline,
        "signature": "0x" + eip712.sign(typed, key).hex(),
    }


def test_relay_sends_signed_submissions_and_refuses_replays(
    scenario, api, api_settings, registry, alice, w3, store, sessions, make_indexer
):
    assert Account.from_key(ANVIL_KEYS[1]).address == alice.address
    relayer = brownie_accounts[5]
    assert Account.from_key(ANVIL_KEYS[5]).address == relayer.address
    cid = store.put(b"relayed predictions")
    nonce = registry.nonces(alice)
    body = _signed(registry, w3.eth.chain_id, ANVIL_KEYS[1], project_id=scenario.project_id, cid=cid, nonce=nonce)
    alice_balance = alice.balance()
    response = api.post("/relay/submissions", json=body)
    assert response.status_code == 201, response.text
    relayed = response.json()
    assert relayed["contributor"] == alice.address
    assert registry.contribution(relayed["contribution_id"])[0] == alice.address
    assert alice.balance() == alice_balance  # the relayer paid
    count = registry.contributionCount()

    replay = api.post("/relay/submissions", json=body)
    assert replay.status_code == 409 and "replay" in replay.json()["detail"]
    # a fresh process has no memory of it: the used nonce refuses it before anything is sent
    with TestClient(create_app(api_settings, store=store, configure_logs=False)) as restarted:
        again = restarted.post("/relay/submissions", json=body)
    assert again.status_code == 409 and f"nonce {nonce}" in again.json()["detail"]
    foreign = _signed(
        registry,
        w3.eth.chain_id,
        ANVIL_KEYS[2],
        project_id=scenario.project_id,
        cid=cid,
        nonce=nonce + 1,
        contributor=alice.address,
    )
    response = api.post("/relay/submissions", json=foreign)
    assert response.status_code == 403 and alice.address in response.json()["detail"]
    unknown_project = _signed(registry, w3.eth.chain_id, ANVIL_KEYS[1], project_id=99, cid=cid, nonce=nonce + 1)
    response = api.post("/relay/submissions", json=unknown_project)
    assert response.status_code == 400 and "RegistryUnknownProject" in response.json()["detail"]
    assert registry.contributionCount() == count  # nothing else was sent

    make_indexer(sessions).run_once()
    row = api.get(f"/contributions/{relayed['contribution_id']}").json()
    assert row["relayer"] == relayer.address and row["contributor"] == alice.address and row["cid"] == cid


def test_indexer_runs_inside_the_api_process(scenario, api_settings, store, engine, sessions):
    inside = api_settings.model_copy(update={"run_indexer": True, "index_poll_seconds": 0.1})
    with TestClient(create_app(inside, store=store, configure_logs=False)) as c:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(c.get("/epochs").json()) < 2:
            time.sleep(0.1)
        assert [e["epoch_id"] for e in c.get("/epochs").json()] == [2, 1]
        assert c.get("/ready").json()["indexed_block"] is not None
    with sessions() as session:  # the thread stopped with the app: nothing more is written
        cursor = session.scalar(select(m.IndexerCursor.block_number))
    time.sleep(0.3)
    with sessions() as session:
        assert session.scalar(select(m.IndexerCursor.block_number)) == cursor
