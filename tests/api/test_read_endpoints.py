"""Every read endpoint against fake indexed data (tests/api/fakes.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from eth_abi import decode
from eth_utils import keccak
from web3 import Web3

from dao.merkle import REWARD_LEAF_ENCODING, StandardMerkleTree
from dao.proposals import epoch_key
from tests.api.fakes import (
    ADDRESSES,
    ALICE,
    BOB,
    BOND,
    CAROL,
    DAVE,
    NOW,
    ORACLE,
    RELAYER,
    TOKEN,
    commitment_of,
)


def test_health_and_readiness(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["database"] and ready["schema_revision"] == "0003"


def test_projects_with_pause_state_counts_and_slices(client):
    projects = client.get("/projects").json()
    assert [(p["project_id"], p["name"], p["task"], p["paused"], p["contributions"]) for p in projects] == [
        (1, "iris", "classification", False, 5),
        (2, "street-signs", "labelling", True, 2),
    ]
    assert "answers_commitment" not in projects[0]
    assert projects[0]["slices"] == {
        "slice_set": 1,
        "slices_root": "0x" + f"{77:064x}",
        "count": 3,
        "used": 1,
        "left": 2,
    }
    assert client.get("/projects/2").json()["name"] == "street-signs"
    missing = client.get("/projects/9")
    assert missing.status_code == 404 and "no project 9" in missing.json()["detail"]


def test_project_clock_phase_and_seconds_left_with_a_pending_change(client):
    iris = client.get("/projects/1").json()
    assert iris["now"] == NOW
    assert iris["schedule"] == {
        "from_epoch": 0,
        "start": 1000,
        "commit_window": 100,
        "reveal_window": 50,
        "bond": str(BOND),
    }
    # the second change from epoch 3 replaced the first (commit window 200)
    assert iris["pending_schedule"] == {
        "from_epoch": 3,
        "start": 1450,
        "commit_window": 300,
        "reveal_window": 100,
        "bond": str(7 * TOKEN),
    }
    assert iris["current_epoch"] == {
        "epoch": 2,
        "commit_start": 1300,
        "reveal_start": 1400,
        "end": 1450,
        "phase": "reveal",
        "seconds_left": 30,
    }
    signs = client.get("/projects/2").json()
    assert signs["pending_schedule"] is None and signs["schedule"]["bond"] == "0"
    assert (signs["current_epoch"]["epoch"], signs["current_epoch"]["phase"]) == (2, "reveal")


def test_project_epochs_follow_the_clock_across_the_change(client, fake):
    page = client.get("/projects/1/epochs").json()
    assert [e["epoch"] for e in page["items"]] == [2, 1, 0] and page["next_page_token"] is None
    two, one, zero = page["items"]
    assert (two["phase"], two["seconds_left"], two["commits"], two["reveals"], two["forfeited"]) == (
        "reveal",
        30,
        2,
        1,
        0,
    )
    assert (one["phase"], one["commits"], one["reveals"], one["forfeited"]) == ("closed", 3, 2, 1)
    assert one["slice"]["index"] == 0 and one["slice"]["content_hash"] == "0x" + f"{1001:064x}"
    assert one["slice"]["salt"] == "0x" + f"{2001:064x}" and one["slice"]["cid"] == fake.cids["bench"]
    assert zero["commits"] == 0 and zero["funding"] is None and zero["slice"] is None
    assert one["funding"]["merkle_root"] == fake.roots[1] and one["funding"]["total"] == str(700 * TOKEN)
    assert one["funding"]["claimed"] == str(600 * TOKEN) and one["funding"]["report_status"] == "ok"
    assert one["funding"]["epoch_key"] == str(epoch_key(1, 1)) and not one["funding"]["swept"]
    assert one["bond"] == str(BOND)
    # epoch 3 and later run on the new configuration, pending at NOW
    three = client.get("/projects/1/epochs/3").json()
    assert (three["commit_start"], three["reveal_start"], three["end"]) == (1450, 1750, 1850)
    assert (three["phase"], three["seconds_left"], three["bond"]) == ("not_started", 30, str(7 * TOKEN))
    four = client.get("/projects/1/epochs/4").json()
    assert four["commit_start"] == 1850
    first = client.get("/projects/1/epochs?limit=2").json()
    rest = client.get(f"/projects/1/epochs?limit=2&page_token={first['next_page_token']}").json()
    assert [e["epoch"] for e in first["items"] + rest["items"]] == [2, 1, 0] and rest["next_page_token"] is None
    assert client.get("/projects/9/epochs").status_code == 404
    assert client.get("/projects/9/epochs/1").status_code == 404


def test_two_projects_with_the_same_epoch_number_never_mix(client, fake):
    one = client.get("/projects/1/epochs/1").json()
    two = client.get("/projects/2/epochs/1").json()
    assert (one["commits"], two["commits"]) == (3, 2)
    assert one["funding"]["merkle_root"] == fake.roots[1] and two["funding"]["merkle_root"] == fake.roots[2]
    assert one["funding"]["report_cid"] == fake.report_cids[1] and two["funding"]["report_cid"] == fake.report_cids[2]
    assert two["funding"]["epoch_key"] == str(2 << 128 | 1) and two["funding"]["claimed"] == "0"
    assert two["slice"]["content_hash"] == "0x" + f"{1002:064x}"
    first = client.get("/projects/1/epochs/1/allocations").json()["items"]
    second = client.get("/projects/2/epochs/1/allocations").json()["items"]
    assert [(a["account"], a["amount"], a["claimed"]) for a in first] == [
        (ALICE, str(600 * TOKEN), True),
        (DAVE, str(100 * TOKEN), False),
    ]
    assert [(a["account"], a["amount"], a["claimed"]) for a in second] == [
        (BOB, str(300 * TOKEN), False),
        (ALICE, str(50 * TOKEN), False),  # same index 0/1 space, other epoch: alice's claim in project 1 is not this
    ]
    assert {a["epoch_key"] for a in second} == {str(epoch_key(2, 1))}
    assert client.get(f"/projects/1/epochs/1/proofs/{ALICE}").json()["claimed"] is True
    alice_two = client.get(f"/projects/2/epochs/1/proofs/{ALICE}").json()
    assert (alice_two["index"], alice_two["amount"], alice_two["claimed"]) == (1, str(50 * TOKEN), False)
    assert StandardMerkleTree.verify(
        fake.roots[2], REWARD_LEAF_ENCODING, [1, ALICE, 50 * TOKEN], alice_two["proof"]
    ) and not StandardMerkleTree.verify(fake.roots[1], REWARD_LEAF_ENCODING, [1, ALICE, 50 * TOKEN], alice_two["proof"])
    assert [i["contribution_id"] for i in client.get("/contributions?epoch=1&project=2").json()["items"]] == [4, 3]
    assert client.get("/contributions/3").json()["explanation"]["project_id"] == 2


def test_history_is_newest_first(client):
    items = client.get("/contributions").json()["items"]
    assert [i["contribution_id"] for i in items] == [7, 6, 5, 4, 3, 2, 1]
    assert items[0]["relayer"] == RELAYER and items[0]["reveal_relayer"] == RELAYER and items[1]["relayer"] is None


def test_a_commit_shows_committed_with_no_kind_or_cid(client):
    six = client.get("/contributions/6").json()
    assert (six["status"], six["epoch"], six["project_id"], six["contributor"]) == ("committed", 2, 1, ALICE)
    assert six["kind"] is None and six["cid"] is None and six["reveal_block"] is None and six["reveal_tx"] is None
    assert six["commitment"] == commitment_of(6) and six["bond"] == str(BOND) and six["bond_state"] == "held"
    assert six["score"] is None and six["valid"] is None and six["explanation"] is None
    assert six["epoch_clock"] == {
        "epoch": 2,
        "commit_start": 1300,
        "reveal_start": 1400,
        "end": 1450,
        "phase": "reveal",
        "seconds_left": 30,
    }


def test_a_reveal_fills_kind_and_cid(client, fake):
    seven = client.get("/contributions/7").json()
    assert (seven["status"], seven["kind"], seven["cid"]) == ("revealed", "model_predictions", fake.cids["c7"])
    assert seven["reveal_block"] > seven["block_number"] and seven["reveal_tx"].startswith("0x")
    assert seven["score"] is None and seven["bond_state"] == "held"


def test_attestation_sets_score_validity_and_bond_state(client, fake):
    accepted = client.get("/contributions/1").json()
    assert (accepted["status"], accepted["score"], accepted["valid"], accepted["bond_state"]) == (
        "accepted",
        "12",
        True,
        "returned",
    )
    assert accepted["report_cid"] == fake.report_cids[1] and accepted["epoch_clock"]["phase"] == "closed"
    assert accepted["explanation"] == {
        "project_id": 1,
        "epoch": 1,
        "accepted": True,
        "metric": "accuracy",
        "metric_value": 0.93,
        "gain": 0.012,
        "confidence_interval": [0.004, 0.02],
        "rejection_reason": None,
        "detail": None,
        "copy_of": None,
        "report_cid": fake.report_cids[1],
    }
    copy = client.get("/contributions/2").json()
    assert (copy["status"], copy["valid"], copy["score"], copy["bond_state"]) == ("rejected", False, "0", "forfeited")
    assert copy["explanation"]["rejection_reason"] == "exact_copy" and copy["explanation"]["copy_of"] == fake.cids["a1"]
    labels = client.get("/contributions/3").json()
    assert labels["bond"] == "0" and labels["bond_state"] == "none"  # project 2 takes no bond
    assert labels["explanation"]["metric"] == "annotator_accuracy" and labels["explanation"]["metric_value"] == 0.88
    assert client.get("/contributions/7").json()["explanation"] is None
    missing = client.get("/contributions/77")
    assert missing.status_code == 404 and "77" in missing.json()["detail"]


def test_an_unrevealed_commit_is_forfeited(client):
    five = client.get("/contributions/5").json()
    assert (five["status"], five["bond_state"], five["kind"], five["cid"], five["score"]) == (
        "forfeited",
        "forfeited",
        None,
        None,
        None,
    )


def test_history_filters(client):
    def ids(query: str) -> list[int]:
        response = client.get(f"/contributions?{query}")
        assert response.status_code == 200, response.text
        return [i["contribution_id"] for i in response.json()["items"]]

    assert ids("project=2") == [4, 3]
    assert ids(f"contributor={ALICE.lower()}") == [6, 2, 1]  # any case, normalized
    assert ids("kind=labels") == [4, 3]
    assert ids("epoch=1") == [5, 4, 3, 2, 1]
    assert ids("epoch=2&project=1") == [7, 6]
    assert ids("status=committed") == [6]
    assert ids("status=revealed") == [7]
    assert ids("status=accepted") == [4, 3, 1]
    assert ids("status=rejected") == [2]
    assert ids("status=forfeited") == [5]
    assert ids(f"contributor={ALICE}&status=accepted&kind=model_predictions&project=1&epoch=1") == [1]
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
    assert seen == [7, 6, 5, 4, 3, 2, 1] and pages == 2
    exact = client.get("/contributions?limit=7").json()
    assert exact["next_page_token"] is None


def test_page_size_is_capped(client):
    response = client.get("/contributions?limit=101")
    assert response.status_code == 422 and "between 1 and 100" in response.json()["detail"]
    assert client.get("/contributions?limit=0").status_code == 422


def test_contributor_totals_and_history(client):
    alice = client.get(f"/contributors/{ALICE}").json()
    assert (alice["contributions"], alice["committed"], alice["accepted"], alice["rejected"]) == (3, 1, 1, 1)
    assert alice["total_score"] == "12" and alice["projects"] == [1] and alice["bonds_held"] == str(BOND)
    assert alice["allocated"] == str(650 * TOKEN) and alice["claimed"] == str(600 * TOKEN)
    assert alice["allocations"] == [
        {
            "project_id": 1,
            "epoch": 1,
            "epoch_key": str(epoch_key(1, 1)),
            "index": 0,
            "account": ALICE,
            "amount": str(600 * TOKEN),
            "claimed": True,
        },
        {
            "project_id": 2,
            "epoch": 1,
            "epoch_key": str(epoch_key(2, 1)),
            "index": 1,
            "account": ALICE,
            "amount": str(50 * TOKEN),
            "claimed": False,
        },
    ]
    carol = client.get(f"/contributors/{CAROL}").json()
    assert (carol["forfeited"], carol["revealed"], carol["bonds_held"]) == (1, 1, str(BOND))
    dave = client.get(f"/contributors/{DAVE}").json()  # allocated without contributing
    assert dave["contributions"] == 0 and dave["allocated"] == str(100 * TOKEN)
    history = client.get(f"/contributors/{BOB}/contributions?limit=1").json()
    assert [i["contribution_id"] for i in history["items"]] == [4]
    rest = client.get(f"/contributors/{BOB}/contributions?page_token={history['next_page_token']}").json()
    assert [i["contribution_id"] for i in rest["items"]] == [3] and rest["next_page_token"] is None
    assert client.get("/contributors/0x0000000000000000000000000000000000000001").status_code == 404


def test_funded_epochs_of_every_project(client, fake):
    epochs = client.get("/epochs").json()
    assert [(e["project_id"], e["epoch"]) for e in epochs] == [(1, 1), (2, 1)]
    assert [e["epoch_key"] for e in epochs] == [str(epoch_key(1, 1)), str(epoch_key(2, 1))]
    assert [e["allocations"] for e in epochs] == [2, 2] and {e["report_status"] for e in epochs} == {"ok"}
    assert client.get("/projects/1/epochs/2/allocations").status_code == 404
    assert client.get("/projects/3/epochs/1/allocations").status_code == 404
    first = client.get("/projects/1/epochs/1/allocations?limit=1").json()
    rest = client.get(f"/projects/1/epochs/1/allocations?page_token={first['next_page_token']}").json()
    assert [a["index"] for a in first["items"] + rest["items"]] == [0, 1] and rest["next_page_token"] is None


def test_proof_verifies_against_the_root(client, fake):
    proof = client.get(f"/projects/1/epochs/1/proofs/{DAVE.lower()}").json()
    assert (proof["account"], proof["index"], proof["amount"], proof["claimed"]) == (DAVE, 1, str(100 * TOKEN), False)
    assert proof["distributor"] == ADDRESSES["distributor"] and proof["merkle_root"] == fake.roots[1]
    assert (proof["project_id"], proof["epoch"], proof["epoch_key"]) == (1, 1, str(epoch_key(1, 1)))
    leaf = [proof["index"], proof["account"], int(proof["amount"])]
    assert StandardMerkleTree.verify(fake.roots[1], REWARD_LEAF_ENCODING, leaf, proof["proof"])
    missing = client.get(f"/projects/1/epochs/1/proofs/{CAROL}")
    assert missing.status_code == 404 and CAROL in missing.json()["detail"]
    assert client.get(f"/projects/1/epochs/2/proofs/{DAVE}").status_code == 404


def test_unclaimed_gives_one_claim_many_payload(client, fake):
    alice = client.get(f"/contributors/{ALICE}/unclaimed").json()
    assert alice["total"] == str(50 * TOKEN)
    assert [(c["project_id"], c["epoch"], c["epoch_key"], c["index"]) for c in alice["claims"]] == [
        (2, 1, str(epoch_key(2, 1)), 1)
    ]
    calldata = bytes.fromhex(alice["claim_many_calldata"][2:])
    assert calldata[:4] == keccak(text="claimMany(address,(uint256,uint256,uint256,bytes32[])[])")[:4]
    account, claims = decode(["address", "(uint256,uint256,uint256,bytes32[])[]"], calldata[4:])
    assert Web3.to_checksum_address(account) == ALICE
    assert [(k, i, a) for k, i, a, _ in claims] == [(epoch_key(2, 1), 1, 50 * TOKEN)]
    assert ["0x" + p.hex() for p in claims[0][3]] == alice["claims"][0]["proof"]
    carol = client.get(f"/contributors/{CAROL}/unclaimed").json()  # nothing allocated
    assert carol["claims"] == [] and carol["total"] == "0" and carol["claim_many_calldata"] is None


def test_proposals_show_what_they_fund(client, fake):
    proposals = {p["proposal_id"]: p for p in client.get("/proposals").json()}
    funding = proposals[str(fake.proposal_id)]
    assert funding["state"] == "queued" and funding["eta"] == 300 and funding["proposer"] == ORACLE
    assert funding["funds_epoch"] == {
        "project_id": 1,
        "epoch": 1,
        "epoch_key": str(epoch_key(1, 1)),
        "report_cid": fake.report_cids[1],
        "attempt": 1,
        "proposer": ORACLE,
        "merkle_root": fake.roots[1],
        "total": str(700 * TOKEN),
        "claim_deadline": 4_000_000_000,
        "consistent": True,
    }
    assert (funding["votes_for"], funding["votes_against"], funding["votes_abstain"]) == (
        str(50 * TOKEN),
        str(5 * TOKEN),
        "0",
    )
    assert proposals[str(fake.plain_proposal_id)]["funds_epoch"] is None
    assert client.get(f"/proposals/{fake.proposal_id}").json() == funding
    votes = client.get(f"/proposals/{fake.proposal_id}/votes").json()
    assert [(v["voter"], v["support"], v["reason"]) for v in votes] == [(ALICE, "for", ""), (BOB, "against", "no")]
    assert client.get("/proposals/1").status_code == 404
    assert client.get("/proposals/1/votes").status_code == 404


def test_leaderboard_and_delegations(client):
    assert client.get("/projects/2/leaderboard").json() == [
        {"rank": 1, "contributor": BOB, "total_score": "60", "scored_contributions": 2}
    ]
    assert client.get("/projects/1/leaderboard").json() == [
        {"rank": 1, "contributor": ALICE, "total_score": "12", "scored_contributions": 1}
    ]
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
        "/projects/{project_id}",
        "/projects/{project_id}/epochs",
        "/projects/{project_id}/epochs/{epoch}",
        "/projects/{project_id}/epochs/{epoch}/allocations",
        "/projects/{project_id}/epochs/{epoch}/proofs/{address}",
        "/epochs",
        "/contributions",
        "/contributions/{contribution_id}",
        "/contributors/{address}",
        "/contributors/{address}/unclaimed",
        "/proposals",
        "/artifacts",
        "/artifacts/{cid}",
        "/relay/commits",
        "/relay/reveals",
        "/health",
        "/ready",
    ):
        assert path in paths, path
    assert "/relay/submissions" not in paths and "/epochs/{epoch_id}/proofs/{address}" not in paths
    for name in ("CommitRelayRequest", "RevealRelayRequest"):
        schema = spec["components"]["schemas"][name]
        assert schema["additionalProperties"] is False and schema["examples"]
    assert client.get("/docs").status_code == 200
