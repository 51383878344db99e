"""The API against the real contracts: the project clock it serves is the registry's; the proofs
and the claimMany payload it serves are accepted by the RewardDistributor; the relay sends signed
commits and reveals and refuses, sending and recording nothing, a wrong chain, an expired deadline,
a replay, a tampered field and a foreign signature; the indexer runs inside the API process."""

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
from dao.commitments import contribution_commitment, new_salt
from dao.proposals import epoch_key
from dao.vocabulary import ContributionKind, Phase
from tests.api.chain.conftest import BOND, TOKEN, WINDOW, advance_to, block_time
from tests.api.fakes import table_snapshot

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


def test_the_served_clock_is_the_registrys(scenario, sessions, make_indexer, api, registry, treasury, chain):
    digits = scenario.digits
    registry.setSchedule(digits, 2 * WINDOW, WINDOW, 2 * BOND, {"from": treasury})  # from the next epoch on
    make_indexer(sessions).run_once()
    now = block_time()
    project = api.get(f"/projects/{digits}").json()
    assert project["now"] == now
    epoch, phase = registry.epochAt(digits, now)
    current = project["current_epoch"]
    assert (current["epoch"], current["phase"]) == (epoch, Phase.from_code(phase).value)
    assert (current["commit_start"], current["reveal_start"], current["end"]) == tuple(
        registry.epochWindows(digits, epoch)
    )
    assert (
        current["seconds_left"] == {"commit": current["reveal_start"], "reveal": current["end"]}[current["phase"]] - now
    )
    pending = project["pending_schedule"]
    assert pending is not None and pending["from_epoch"] == epoch + 1
    assert (pending["commit_window"], pending["bond"]) == (2 * WINDOW, str(2 * BOND))
    assert pending["start"] == registry.epochWindows(digits, epoch + 1)[0]
    for later in (epoch + 1, epoch + 2):
        served = api.get(f"/projects/{digits}/epochs/{later}").json()
        assert (served["commit_start"], served["reveal_start"], served["end"]) == tuple(
            registry.epochWindows(digits, later)
        )
        assert served["bond"] == str(registry.bondFor(digits, later))
    assert project["slices"] == {
        "slice_set": 1,
        "slices_root": "0x" + scenario.slices[digits].root.hex(),
        "count": 3,
        "used": 1,
        "left": registry.slicesLeft(digits),
    }
    zero = api.get(f"/projects/{digits}/epochs/0").json()
    assert (zero["phase"], zero["commits"], zero["reveals"], zero["forfeited"]) == ("closed", 3, 2, 1)
    assert zero["slice"]["content_hash"] == "0x" + scenario.slices[digits].slices[0].content_hash.hex()
    assert zero["funding"]["epoch_key"] == str(epoch_key(digits, 0))
    signs_zero = api.get(f"/projects/{scenario.signs}/epochs/0").json()
    assert (signs_zero["commits"], signs_zero["slice"]) == (1, None)
    assert signs_zero["funding"]["merkle_root"] == scenario.trees[scenario.signs].root


def test_funding_proposal_is_served_with_what_it_funds(scenario, sessions, make_indexer, api, alice, bob):
    make_indexer(sessions).run_once()
    proposal = api.get(f"/proposals/{scenario.proposal_id}").json()
    assert proposal["state"] == "executed" and proposal["proposer"] == alice.address
    funds = proposal["funds_epoch"]
    assert (funds["project_id"], funds["epoch"], funds["attempt"], funds["proposer"]) == (
        scenario.digits,
        0,
        1,
        alice.address,
    )
    assert funds["report_cid"] == scenario.report_cids[scenario.digits] and funds["consistent"] is True
    assert funds["epoch_key"] == str(epoch_key(scenario.digits, 0))
    assert funds["merkle_root"] == scenario.trees[scenario.digits].root and funds["total"] == str(1000 * TOKEN)
    votes = api.get(f"/proposals/{scenario.proposal_id}/votes").json()
    assert sorted(v["voter"] for v in votes) == sorted([alice.address, bob.address])
    assert {v["support"] for v in votes} == {"for"}


def test_contributions_show_reveal_attestation_and_bond(scenario, sessions, make_indexer, api, alice):
    make_indexer(sessions).run_once()
    alice_digits = api.get(f"/contributions/{scenario.commits['alice_digits'].contribution_id}").json()
    assert (alice_digits["status"], alice_digits["score"], alice_digits["valid"]) == ("accepted", "20", True)
    assert (alice_digits["bond"], alice_digits["bond_state"]) == (str(BOND), "returned")
    assert alice_digits["kind"] == "model_predictions" and alice_digits["cid"] == scenario.commits["alice_digits"].cid
    assert alice_digits["explanation"]["accepted"] and alice_digits["explanation"]["project_id"] == scenario.digits
    bob = api.get(f"/contributions/{scenario.commits['bob_digits'].contribution_id}").json()
    assert (bob["status"], bob["valid"], bob["bond_state"]) == ("rejected", False, "forfeited")
    assert bob["explanation"]["rejection_reason"] == "exact_copy"
    carol = api.get(f"/contributions/{scenario.commits['carol_digits'].contribution_id}").json()
    assert (carol["status"], carol["bond_state"], carol["kind"], carol["cid"]) == ("forfeited", "forfeited", None, None)
    labels = api.get(f"/contributions/{scenario.commits['alice_signs'].contribution_id}").json()
    assert (labels["status"], labels["kind"], labels["bond_state"]) == ("accepted", "labels", "none")


def test_served_proofs_are_accepted_on_chain(scenario, sessions, make_indexer, api, distributor, token, bob):
    make_indexer(sessions).run_once()
    proof = api.get(f"/projects/{scenario.digits}/epochs/0/proofs/{bob.address}").json()
    assert proof["distributor"] == distributor.address and not proof["claimed"]
    assert proof["epoch_key"] == str(epoch_key(scenario.digits, 0))
    before = token.balanceOf(bob)
    distributor.claim(
        int(proof["epoch_key"]), proof["index"], proof["account"], int(proof["amount"]), proof["proof"], {"from": bob}
    )
    assert token.balanceOf(bob) - before == 300 * TOKEN
    make_indexer(sessions).run_once()
    assert api.get(f"/projects/{scenario.digits}/epochs/0/proofs/{bob.address}").json()["claimed"] is True
    # the same index in the other project's epoch 0 is another leaf, still unclaimed
    assert api.get(f"/projects/{scenario.signs}/epochs/0/proofs/{bob.address}").json()["claimed"] is False


def test_claim_many_payload_is_accepted_on_chain(scenario, sessions, make_indexer, api, distributor, token, carol, bob):
    make_indexer(sessions).run_once()
    unclaimed = api.get(f"/contributors/{carol.address}/unclaimed").json()
    assert [(c["project_id"], c["epoch"], c["epoch_key"], c["amount"]) for c in unclaimed["claims"]] == [
        (scenario.digits, 0, str(epoch_key(scenario.digits, 0)), str(100 * TOKEN)),
        (scenario.signs, 0, str(epoch_key(scenario.signs, 0)), str(70 * TOKEN)),
    ]
    before = token.balanceOf(carol)
    # anyone may send it; the tokens go to the account
    bob.transfer(distributor.address, 0, data=unclaimed["claim_many_calldata"])
    assert token.balanceOf(carol) - before == 170 * TOKEN == int(unclaimed["total"])
    make_indexer(sessions).run_once()
    after = api.get(f"/contributors/{carol.address}/unclaimed").json()
    assert after["claims"] == [] and after["claim_many_calldata"] is None


def _deadline() -> int:
    return max(block_time(), int(time.time())) + 3600


def _commit_body(registry, chain_id: int, key: str, *, project_id: int, commitment: bytes, nonce: int, **signed):
    contributor = Account.from_key(key).address
    message = dict(contributor=contributor, project_id=project_id, commitment=commitment, nonce=nonce)
    message["deadline"] = signed.pop("deadline", _deadline())
    message.update(signed)
    typed = eip712.commit(chain_id, registry.address, **message)
    return {
        "contributor": message["contributor"],
        "project_id": message["project_id"],
        "commitment": "0x" + message["commitment"].hex(),
        "nonce": message["nonce"],
        "deadline": message["deadline"],
        "signature": "0x" + eip712.sign(typed, key).hex(),
    }


def _reveal_body(registry, chain_id: int, key: str, *, contribution_id, project_id, epoch, cid, salt, nonce):
    contributor = Account.from_key(key).address
    deadline = _deadline()
    typed = eip712.reveal(
        chain_id,
        registry.address,
        contributor=contributor,
        contribution_id=contribution_id,
        kind=ContributionKind.MODEL_PREDICTIONS.code,
        cid=cid,
        salt=salt,
        nonce=nonce,
        deadline=deadline,
    )
    return {
        "contributor": contributor,
        "contribution_id": contribution_id,
        "project_id": project_id,
        "epoch": epoch,
        "kind": "model_predictions",
        "cid": cid,
        "salt": "0x" + salt.hex(),
        "nonce": nonce,
        "deadline": deadline,
        "signature": "0x" + eip712.sign(typed, key).hex(),
    }


def test_relay_commits_and_reveals_and_refuses_the_rest(
    scenario, api, api_settings, registry, token, alice, w3, store, sessions, make_indexer, chain
):
    digits = scenario.digits
    relayer = brownie_accounts[5]
    assert Account.from_key(ANVIL_KEYS[1]).address == alice.address
    assert Account.from_key(ANVIL_KEYS[5]).address == relayer.address
    epoch = int(registry.epochAt(digits, block_time())[0]) + 1
    commit_start, reveal_start, _ = registry.epochWindows(digits, epoch)
    advance_to(chain, commit_start)
    make_indexer(sessions).run_once()

    def chain_state():
        return (
            registry.contributionCount(),
            registry.nonces(alice),
            w3.eth.get_transaction_count(relayer.address),
            token.balanceOf(alice),
            token.balanceOf(registry),
        )

    def refused(path: str, body: dict, status: int, words: str) -> None:
        make_indexer(sessions).run_once()
        before, rows = chain_state(), table_snapshot(sessions)
        response = api.post(path, json=body)
        assert response.status_code == status, response.text
        assert words in response.json()["detail"], response.json()["detail"]
        make_indexer(sessions).run_once()
        assert chain_state() == before and table_snapshot(sessions) == rows  # nothing sent, nothing recorded

    cid = store.put(b"relayed predictions")
    salt = new_salt()
    commitment = contribution_commitment(
        contributor=alice.address,
        project_id=digits,
        epoch=epoch,
        kind=ContributionKind.MODEL_PREDICTIONS,
        cid=cid,
        salt=salt,
    )
    nonce = registry.nonces(alice)
    chain_id = w3.eth.chain_id
    body = _commit_body(registry, chain_id, ANVIL_KEYS[1], project_id=digits, commitment=commitment, nonce=nonce)

    refused("/relay/commits", _commit_body(registry, 1, ANVIL_KEYS[1], project_id=digits, commitment=commitment,
                                           nonce=nonce), 403, f"not {alice.address}'s")  # fmt: skip
    expired = _commit_body(
        registry, chain_id, ANVIL_KEYS[1], project_id=digits, commitment=commitment, nonce=nonce, deadline=1000
    )
    refused("/relay/commits", expired, 400, "deadline")
    refused("/relay/commits", {**body, "project_id": scenario.signs}, 403, f"not {alice.address}'s")
    refused("/relay/commits", {**body, "commitment": "0x" + "ab" * 32}, 403, f"not {alice.address}'s")
    foreign = _commit_body(registry, chain_id, ANVIL_KEYS[2], project_id=digits, commitment=commitment, nonce=nonce)
    refused("/relay/commits", {**foreign, "contributor": alice.address}, 403, f"not {alice.address}'s")
    unknown = _commit_body(registry, chain_id, ANVIL_KEYS[1], project_id=99, commitment=commitment, nonce=nonce)
    refused("/relay/commits", unknown, 400, "RegistryUnknownProject")
    ahead = _commit_body(registry, chain_id, ANVIL_KEYS[1], project_id=digits, commitment=commitment, nonce=nonce + 1)
    refused("/relay/commits", ahead, 400, "ahead")

    alice_eth = alice.balance()
    response = api.post("/relay/commits", json=body)
    assert response.status_code == 201, response.text
    committed = response.json()
    assert (committed["contributor"], committed["project_id"], committed["epoch"]) == (alice.address, digits, epoch)
    contribution_id = committed["contribution_id"]
    assert alice.balance() == alice_eth  # the relayer paid the gas
    make_indexer(sessions).run_once()
    row = api.get(f"/contributions/{contribution_id}").json()
    assert (row["status"], row["kind"], row["cid"], row["relayer"]) == ("committed", None, None, relayer.address)
    assert row["commitment"] == "0x" + commitment.hex() and row["bond_state"] == "held"
    assert row["tx_hash"] == committed["tx_hash"]

    refused("/relay/commits", body, 409, "replay")
    with TestClient(create_app(api_settings, store=store, configure_logs=False)) as restarted:
        again = restarted.post("/relay/commits", json=body)
    assert again.status_code == 409 and f"nonce {nonce}" in again.json()["detail"]

    reveal = _reveal_body(
        registry,
        chain_id,
        ANVIL_KEYS[1],
        contribution_id=contribution_id,
        project_id=digits,
        epoch=epoch,
        cid=cid,
        salt=salt,
        nonce=nonce + 1,
    )
    refused("/relay/reveals", reveal, 400, "RegistryNotInRevealWindow")  # still the commit window
    advance_to(chain, reveal_start)
    make_indexer(sessions).run_once()
    # project and epoch are not signed (the commitment binds them): the registry's check refuses them
    refused("/relay/reveals", {**reveal, "epoch": epoch + 1}, 400, "RegistryRevealMismatch")
    refused("/relay/reveals", {**reveal, "project_id": scenario.signs}, 400, "RegistryRevealMismatch")
    refused("/relay/reveals", {**reveal, "salt": "0x" + "00" * 32}, 403, f"not {alice.address}'s")
    refused("/relay/reveals", {**reveal, "kind": "labels"}, 403, f"not {alice.address}'s")
    response = api.post("/relay/reveals", json=reveal)
    assert response.status_code == 201, response.text
    assert response.json()["contribution_id"] == contribution_id
    refused("/relay/reveals", reveal, 409, "replay")
    make_indexer(sessions).run_once()
    row = api.get(f"/contributions/{contribution_id}").json()
    assert (row["status"], row["kind"], row["cid"]) == ("revealed", "model_predictions", cid)
    assert row["reveal_relayer"] == relayer.address and row["reveal_tx"] == response.json()["tx_hash"]
    assert row["epoch_clock"]["phase"] == "reveal"


def test_indexer_runs_inside_the_api_process(scenario, api_settings, store, engine, sessions):
    inside = api_settings.model_copy(update={"run_indexer": True, "index_poll_seconds": 0.1})
    with TestClient(create_app(inside, store=store, configure_logs=False)) as c:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(c.get("/epochs").json()) < 2:
            time.sleep(0.1)
        assert [(e["project_id"], e["epoch"]) for e in c.get("/epochs").json()] == [
            (scenario.signs, 0),
            (scenario.digits, 0),
        ]
        assert c.get("/ready").json()["indexed_block"] is not None
    with sessions() as session:  # the thread stopped with the app: nothing more is written
        cursor = session.scalar(select(m.IndexerCursor.block_number))
    time.sleep(0.3)
    with sessions() as session:
        assert session.scalar(select(m.IndexerCursor.block_number)) == cursor
