"""Every read endpoint against fake indexed data, on SQLite and PostgreSQL."""

from __future__ import annotations

from eth_abi import decode
from eth_utils import keccak
from web3 import Web3

from dao.merkle import REWARD_LEAF_ENCODING, StandardMerkleTree
from tests.api.fakes import ADDRESSES, ALICE, BOB, CAROL, DAVE, RELAYER, TOKEN


def test_health_and_readiness(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["database"] and ready["schema_revision"] == "0001"


def test_projects_with_pause_state_and_counts(client):
    projects = client.get("/projects").json()
    assert [(p["project_id"], p["name"], p["task"], p["paused"], p["contributions"]) for p in projects] == [
        (1, "iris", "classification", False, 4),
        (2, "street-signs", "labelling", True, 2),
    ]
    assert client.get("/projects/2").json()["name"] == "street-signs"
    assert client.get("/projects/9").status_code == 404


def test_history_is_newest_first(client):
    items = client.get("/contributions").json()["items"]
    assert [i["contribution_id"] for i in items] == [6, 5, 4, 3, 2, 1]
    assert items[0]["relayer"] == RELAYER and items[1]["relayer"] is None


def test_history_filters(client, fake):
    def ids(query: str) -> list[int]:
        response = client.get(f"/contributions?{query}")
        assert response.status_code == 200, response.text
        return [i["contribution_id"] for i in response.json()["items"]]

    assert ids("project=2") == [4, 3]
    assert ids(f"contributor={ALICE.lower()}") == [5, 2, 1]  # any case, normalized
    assert ids("kind=labels") == [4, 3]
    assert ids("epoch=1") == [4, 3, 2, 1]
    assert ids("status=pending") == [6, 5]
    assert ids("status=rejected") == [2]
    assert ids("status=scored") == [4, 3, 1]
    assert ids(f"contributor={ALICE}&status=scored&kind=model_predictions&project=1&epoch=1") == [1]
    assert ids("project=9") == []


def test_keyset_pages_cover_everything_once(client):
    seen, token, pages = [], None, 0
    while True:
        url = "/contributions?limit=4" + (f"&page_token={token}" if token else "")
        body = client.get(url).json()
        seen += [i["contribution_id"] for i in body["items"]]
        pages += 1
        token = body["next_page_token"]
        if token is None:
            break
    assert seen == [6, 5, 4, 3, 2, 1] and pages == 2
    exact = client.get("/contributions?limit=6").json()
    assert exact["next_page_token"] is None


def test_page_size_is_capped(client):
    response = client.get("/contributions?limit=101")
    assert response.status_code == 422 and "between 1 and 100" in response.json()["detail"]
    assert client.get("/contributions?limit=0").status_code == 422


def test_contribution_with_score_explanation(client, fake):
    accepted = client.get("/contributions/1").json()
    assert accepted["status"] == "scored" and accepted["score"] == "12" and accepted["report_cid"] == fake.report_cid
    assert accepted["explanation"] == {
        "epoch_id": 1,
        "accepted": True,
        "metric": "accuracy",
        "metric_value": 0.93,
        "gain": 0.012,
        "confidence_interval": [0.004, 0.02],
        "rejection_reason": None,
        "detail": None,
        "copy_of": None,
        "report_cid": fake.report_cid,
    }
    rejected = client.get("/contributions/2").json()
    assert rejected["status"] == "rejected"
    assert rejected["explanation"]["rejection_reason"] == "no_significant_gain"
    assert rejected["explanation"]["detail"] == "gain 0.001 within the interval"
    labels = client.get("/contributions/3").json()["explanation"]
    assert labels["metric"] == "annotator_accuracy" and labels["metric_value"] == 0.88 and labels["accepted"]
    assert client.get("/contributions/6").json()["explanation"] is None
    assert client.get("/contributions/77").status_code == 404


def test_contributor_totals_and_history(client):
    alice = client.get(f"/contributors/{ALICE}").json()
    assert (alice["contributions"], alice["pending"], alice["scored"], alice["rejected"]) == (3, 1, 1, 1)
    assert alice["total_score"] == "12" and alice["projects"] == [1]
    assert alice["allocated"] == str(600 * TOKEN) and alice["claimed"] == str(600 * TOKEN)
    assert alice["allocations"] == [
        {"epoch_id": 1, "index": 0, "account": ALICE, "amount": str(600 * TOKEN), "claimed": True}
    ]
    dave = client.get(f"/contributors/{DAVE}").json()  # allocated without contributing
    assert dave["contributions"] == 0 and dave["allocated"] == str(100 * TOKEN)
    history = client.get(f"/contributors/{BOB}/contributions?limit=1").json()
    assert [i["contribution_id"] for i in history["items"]] == [4]
    rest = client.get(f"/contributors/{BOB}/contributions?page_token={history['next_page_token']}").json()
    assert [i["contribution_id"] for i in rest["items"]] == [3] and rest["next_page_token"] is None
    assert client.get("/contributors/0x0000000000000000000000000000000000000001").status_code == 404


def test_epochs_and_allocations(client, fake):
    (epoch,) = client.get("/epochs").json()
    assert epoch["epoch_id"] == 1 and epoch["merkle_root"] == fake.root and epoch["report_status"] == "ok"
    assert epoch["total"] == str(1000 * TOKEN) and epoch["claimed"] == str(600 * TOKEN)
    assert epoch["allocations"] == 3 and epoch["project"] == "iris" and not epoch["swept"]
    first = client.get("/epochs/1/allocations?limit=2").json()
    rest = client.get(f"/epochs/1/allocations?page_token={first['next_page_token']}").json()
    assert [(a["index"], a["account"], a["claimed"]) for a in first["items"] + rest["items"]] == [
        (0, ALICE, True),
        (1, BOB, False),
        (2, DAVE, False),
    ]
    assert client.get("/epochs/2").status_code == 404
    assert client.get("/epochs/2/allocations").status_code == 404


def test_proof_verifies_against_the_root(client, fake):
    proof = client.get(f"/epochs/1/proofs/{BOB.lower()}").json()
    assert (proof["account"], proof["index"], proof["amount"], proof["claimed"]) == (BOB, 1, str(300 * TOKEN), False)
    assert proof["distributor"] == ADDRESSES["distributor"] and proof["merkle_root"] == fake.root
    leaf = [proof["index"], proof["account"], int(proof["amount"])]
    assert StandardMerkleTree.verify(fake.root, REWARD_LEAF_ENCODING, leaf, proof["proof"])
    assert client.get(f"/epochs/1/proofs/{ALICE}").json()["claimed"] is True
    missing = client.get(f"/epochs/1/proofs/{CAROL}")
    assert missing.status_code == 404 and CAROL in missing.json()["detail"]


def test_unclaimed_gives_one_claim_many_payload(client, fake):
    bob = client.get(f"/contributors/{BOB}/unclaimed").json()
    assert bob["total"] == str(300 * TOKEN) and [c["index"] for c in bob["claims"]] == [1]
    calldata = bytes.fromhex(bob["claim_many_calldata"][2:])
    assert calldata[:4] == keccak(text="claimMany(address,(uint256,uint256,uint256,bytes32[])[])")[:4]
    account, claims = decode(["address", "(uint256,uint256,uint256,bytes32[])[]"], calldata[4:])
    assert Web3.to_checksum_address(account) == BOB
    assert [(e, i, a) for e, i, a, _ in claims] == [(1, 1, 300 * TOKEN)]
    assert ["0x" + p.hex() for p in claims[0][3]] == bob["claims"][0]["proof"]
    alice = client.get(f"/contributors/{ALICE}/unclaimed").json()  # claimed already
    assert alice["claims"] == [] and alice["total"] == "0" and alice["claim_many_calldata"] is None


def test_proposals_and_votes(client, fake):
    (proposal,) = client.get("/proposals").json()
    assert proposal["proposal_id"] == str(fake.proposal_id) and proposal["state"] == "queued"
    assert proposal["eta"] == 300 and proposal["description"] == "Fund epoch 1"
    assert (proposal["votes_for"], proposal["votes_against"], proposal["votes_abstain"]) == (
        str(50 * TOKEN),
        str(5 * TOKEN),
        "0",
    )
    assert client.get(f"/proposals/{fake.proposal_id}").json() == proposal
    votes = client.get(f"/proposals/{fake.proposal_id}/votes").json()
    assert [(v["voter"], v["support"], v["reason"]) for v in votes] == [(ALICE, "for", ""), (BOB, "against", "no")]
    assert client.get("/proposals/1").status_code == 404
    assert client.get("/proposals/1/votes").status_code == 404


def test_leaderboard_and_delegations(client):
    assert client.get("/projects/2/leaderboard").json() == [
        {"rank": 1, "contributor": BOB, "total_score": "60", "scored_contributions": 2}
    ]
    assert client.get("/projects/1/leaderboard").json()[0]["contributor"] == ALICE
    assert client.get("/projects/5/leaderboard").status_code == 404
    (delegation,) = client.get(f"/delegations?delegator={ALICE}").json()
    assert delegation["to_delegate"] == ALICE
    assert client.get(f"/delegations?delegate={BOB}").json() == []


def test_artifact_download_streams_the_bytes(client, fake):
    response = client.get(f"/artifacts/{fake.cids['a1']}")
    assert response.status_code == 200 and response.content == b"artifact a1"
    assert response.headers["x-artifact-cid"] == fake.cids["a1"]


def test_openapi_documents_every_route_with_examples(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for path in (
        "/projects",
        "/contributions",
        "/contributions/{contribution_id}",
        "/contributors/{address}",
        "/contributors/{address}/unclaimed",
        "/epochs/{epoch_id}/proofs/{address}",
        "/proposals",
        "/artifacts",
        "/artifacts/{cid}",
        "/relay/submissions",
        "/health",
        "/ready",
    ):
        assert path in paths
    relay_schema = spec["components"]["schemas"]["SubmissionRelayRequest"]
    assert relay_schema["additionalProperties"] is False and relay_schema["examples"]
    assert client.get("/docs").status_code == 200
