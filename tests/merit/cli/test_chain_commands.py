"""Every role's `merit` commands against the real contracts, the explorer API and a keystore,
run in-process as a user would type them."""

import json

import pytest
from brownie import web3

from dao.merkle import RewardLeaf, reward_tree
from dao.vocabulary import Phase, Status
from merit.demo.story import ApiServer, anvil_account
from tests.helpers import TOKEN, advance_to_phase, free_port, fund_epoch, register_project

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test


@pytest.fixture
def keystores(merit):
    """alice, bob and carol imported into the module's keystore folder (once)."""
    for name, index in (("alice", 1), ("bob", 2), ("carol", 3)):
        if not (merit.home / "keys" / f"{name}.json").exists():
            merit("accounts", "import", name, input="0x" + anvil_account(index).key.hex() + "\n")
    return merit


def test_accounts_import_list_and_refuse_a_second_import(keystores):
    listed = json.loads(keystores("accounts", "list", "--json").stdout)
    assert {a["name"]: a["address"] for a in listed}["alice"] == anvil_account(1).address
    again = keystores("accounts", "import", "alice", input="0x" + "11" * 32 + "\n", code=2)
    assert "exists already" in again.output


def test_a_project_goes_through_governance(keystores, chain, registry):
    merit = keystores
    for member in ("alice", "bob"):
        merit("delegate", "--account", member)
    chain.sleep(1)
    chain.mine()
    (merit.home / "inputs.csv").write_text("id,px0\nt0,1\n")
    for epoch in range(3):  # one hidden slice per future epoch
        (merit.home / f"slice-{epoch}.csv").write_text(f"id,answer\nt0,{epoch}\n")
    proposed = json.loads(
        merit(
            "project",
            "register",
            "--name",
            "digits",
            "--task",
            "classification",
            "--metric",
            "accuracy",
            "--benchmark",
            merit.home / "inputs.csv",
            *[arg for epoch in range(3) for arg in ("--slice", merit.home / f"slice-{epoch}.csv")],
            "--slices-out",
            merit.home / "slices",
            "--commit-window",
            600,
            "--reveal-window",
            300,
            "--bond",
            "2.5",
            "--account",
            "alice",
            "--json",
        ).stdout
    )
    pid = proposed["proposal_id"]
    chain.sleep(2)
    chain.mine()
    shown = merit("proposals").stdout
    assert pid[:12] + "…" not in shown and pid[:8] in shown  # the id is not cut (a narrow table folds it)
    assert "abstain" in shown and "quorum" in shown and "UTC" in shown and "ends" in shown
    # a prefix of the id that no other proposal has names it
    voted = json.loads(merit("vote", pid[:10], "for", "--account", "bob", "--json").stdout)
    assert int(voted["weight"]) == 5_000_000 * TOKEN and voted["proposal"] == pid
    (listed,) = json.loads(merit("proposals", "--json").stdout)
    assert listed["quorum"]["counted"] == 5_000_000 * TOKEN and listed["quorum"]["reached"]
    assert listed["vote_end"] > listed["vote_start"]
    merit("vote", pid, "maybe", "--account", "alice", code=2)
    chain.sleep(301)
    chain.mine()
    assert json.loads(merit("queue", pid, "--account", "alice", "--json").stdout)["state"] == "queued"
    chain.sleep(61)
    chain.mine()
    assert json.loads(merit("execute", pid, "--account", "carol", "--json").stdout)["state"] == "executed"

    projects = json.loads(merit("project", "list", "--json").stdout)
    assert [(p["name"], p["benchmark_cid"]) for p in projects] == [("digits", proposed["benchmark_cid"])]
    # the clock: epoch 0 has not started yet (its start was set ten minutes after the proposal)
    assert (projects[0]["epoch"], projects[0]["phase"], projects[0]["slices_left"]) == (None, "not_started", 3)
    assert projects[0]["bond"] == str(25 * TOKEN // 10)
    # only the root left the machine; the oracle's copy of the slices and salts is where it was asked
    manifest = json.loads((merit.home / "slices" / "slices.json").read_text())
    assert len(manifest["slices"]) == 3 and registry.project(1)["slicesRoot"].hex() in proposed["slices_root"]
    listed = json.loads(merit("proposals", "--json").stdout)
    assert [p["state"] for p in listed] == ["executed"]
    status = json.loads(merit("status", "--json").stdout)
    assert [p["phase"] for p in status["projects"]] == ["not_started"] and status["proposals"] == {"executed": 1}


def test_unknown_proposal_and_empty_claims_are_one_line_errors(keystores):
    missing = keystores("queue", "12345", "--account", "alice", code=3)
    assert "no proposal starts with 12345" in missing.output
    assert "Traceback" not in missing.output


def test_contributor_commits_reveals_sees_rewards_and_claims(
    keystores, registry, distributor, token, treasury, chain, monkeypatch
):
    merit = keystores
    from dao.artifacts import ArtifactStoreSettings, open_artifact_store

    benchmark_cid = open_artifact_store(ArtifactStoreSettings(path=merit.home / "artifacts")).put(b"id,px0\nt0,1\n")
    project_id = register_project(registry, treasury, benchmark_cid=benchmark_cid)  # epoch 0's commit window is open
    carol, bob = anvil_account(3), anvil_account(2)
    leaves = [RewardLeaf(0, bob.address, 5 * TOKEN), RewardLeaf(1, carol.address, 7 * TOKEN)]
    tree = reward_tree(leaves)
    from api.settings import Settings
    from oracle.scoring.report import (
        Allocation,
        EpochInputs,
        EpochReport,
        ScoringParameters,
        canonical_json,
    )

    home = merit.home
    report = EpochReport(  # the allocations the API serves proofs for come from the epoch's report
        scoring_version="test",
        parameters=ScoringParameters(task="classification", metric="accuracy"),
        inputs=EpochInputs(project="digits", epoch=0, chain_id=chain.id, budget_wei=12 * TOKEN),
        model_pool_wei=12 * TOKEN,
        label_pool_wei=0,
        unallocated_wei=0,
        allocations=[Allocation(index=leaf.index, account=leaf.account, amount_wei=leaf.amount) for leaf in leaves],
        merkle_root=tree.root,
    )
    report_cid = open_artifact_store(ArtifactStoreSettings(path=home / "artifacts")).put(
        canonical_json(report).encode()
    )
    settings = Settings(
        database_url=f"sqlite:///{home / 'api.db'}",
        rpc_url=web3.provider.endpoint_uri,
        deployment=home / "development.json",
        artifacts=ArtifactStoreSettings(path=home / "artifacts"),
        run_indexer=True,
        index_poll_seconds=0.2,
        relayer_private_key="0x" + anvil_account(5).key.hex(),
        log_json=False,
    )
    port = free_port()
    with ApiServer(settings, port) as api:
        monkeypatch.setenv("MERIT_API_URL", api.url)
        (home / "preds.csv").write_text("id,label\nt0,7\n")
        direct = json.loads(
            merit(
                "submit",
                home / "preds.csv",
                "--project",
                project_id,
                "--kind",
                "model_predictions",
                "--account",
                "carol",
                "--json",
            ).stdout
        )
        (home / "labels.csv").write_text("item,label\nt0,7\n")
        relayed = json.loads(
            merit(
                "submit",
                home / "labels.csv",
                "--project",
                project_id,
                "--kind",
                "labels",
                "--account",
                "bob",
                "--relay",
                "--json",
            ).stdout
        )
        assert (direct["contribution_id"], relayed["contribution_id"]) == (1, 2) and direct["epoch"] == 0
        # committed: nothing about the content is public, on chain or in the API's store
        assert not open_artifact_store(ArtifactStoreSettings(path=home / "artifacts")).has(direct["cid"])
        assert registry.contribution(2)["status"] == Status.COMMITTED.code  # the relayer paid, bob committed
        too_early = merit("reveal", 1, "--account", "carol", code=1)
        assert "reveal window opens in" in too_early.output
        lost = merit("reveal", 7, "--account", "carol", code=3)
        assert "its salt is not on this machine" in lost.output and "keys are not affected" in lost.output

        advance_to_phase(registry, project_id, 0, Phase.REVEAL)
        revealed = json.loads(merit("reveal", "--account", "carol", "--json").stdout)["revealed"]
        assert [r["contribution_id"] for r in revealed] == [1] and revealed[0]["cid"] == direct["cid"]
        merit("reveal", "--account", "bob", "--relay")
        assert registry.contribution(2)["contributor"] == bob.address
        assert [registry.contribution(i)["status"] for i in (1, 2)] == [Status.REVEALED.code] * 2
        again = merit("reveal", 1, "--account", "carol", code=1)
        assert "was revealed" in again.output

        api.wait_for("/contributions", lambda d: len(d["items"]) == 2, "both contributions")
        mine = json.loads(merit("contributions", "--account", "carol", "--json").stdout)
        assert [(c["contribution_id"], c["status"], c["phase"]) for c in mine["items"]] == [(1, "revealed", "reveal")]

        advance_to_phase(registry, project_id, 0, Phase.CLOSED)
        fund_epoch(distributor, token, treasury, project_id, 0, tree, 12 * TOKEN, chain, report_cid=report_cid)
        api.wait_for(f"/contributors/{carol.address}/unclaimed", lambda d: d["claims"], "carol's claim")
        rewards = json.loads(merit("rewards", "--account", "carol", "--json").stdout)
        assert int(rewards["total"]) == 7 * TOKEN
        before = token.balanceOf(carol.address)
        claimed = json.loads(merit("claim", "--account", "carol", "--json").stdout)
        assert token.balanceOf(carol.address) - before == 7 * TOKEN == int(claimed["amount"])
        api.wait_for(f"/contributors/{carol.address}/unclaimed", lambda d: not d["claims"], "the claim indexed")
        nothing = merit("claim", "--account", "carol", code=3)
        assert "nothing to claim" in nothing.output


def test_a_commit_outside_the_commit_window_is_refused_before_anything_is_sent(keystores, registry, treasury):
    merit = keystores
    project_id = register_project(registry, treasury)
    advance_to_phase(registry, project_id, 0, Phase.REVEAL)
    (merit.home / "late.csv").write_text("id,label\nt0,7\n")
    count = registry.contributionCount()
    late = merit(
        "submit",
        merit.home / "late.csv",
        "--project",
        project_id,
        "--kind",
        "model_predictions",
        "--account",
        "carol",
        code=1,
    )
    assert "takes commits only in an epoch's commit window; the next opens in" in late.output
    assert registry.contributionCount() == count


def test_proposals_show_who_a_funding_proposal_pays_and_why(keystores, token, distributor, chain):
    from dao.artifacts import ArtifactStoreSettings, open_artifact_store
    from dao.proposals import fund_epoch_proposal
    from oracle.scoring.report import (
        Allocation,
        AnnotatorScore,
        EpochInputs,
        EpochReport,
        ModelScore,
        ScoringParameters,
        canonical_json,
    )

    merit = keystores
    ada, ann = anvil_account(4).address, anvil_account(6).address
    leaves = [RewardLeaf(0, ada, 60 * TOKEN), RewardLeaf(1, ann, 40 * TOKEN)]
    tree = reward_tree(leaves)
    report = EpochReport(
        scoring_version="test",
        parameters=ScoringParameters(task="classification", metric="accuracy"),
        inputs=EpochInputs(project="digits", epoch=4, chain_id=chain.id, budget_wei=100 * TOKEN),
        model_scores=[
            ModelScore(
                order=0,
                contributor=ada,
                cid="bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
                accepted=True,
                gain=0.0123,
                gain_lower=0.01,
                gain_upper=0.015,
                became_champion=True,
                score_units=12,
            )
        ],
        annotator_scores=[
            AnnotatorScore(annotator=ann, labels=300, accuracy=0.91, chance=0.1, score=240.0, score_units=240)
        ],
        model_pool_wei=60 * TOKEN,
        label_pool_wei=40 * TOKEN,
        unallocated_wei=0,
        allocations=[Allocation(index=leaf.index, account=leaf.account, amount_wei=leaf.amount) for leaf in leaves],
        merkle_root=tree.root,
    )
    report_cid = open_artifact_store(ArtifactStoreSettings(path=merit.home / "artifacts")).put(
        canonical_json(report).encode()
    )
    proposal = fund_epoch_proposal(
        token.address,
        distributor.address,
        1,
        4,
        tree.root,
        100 * TOKEN,
        report_cid,
        chain.time() + 86400,
        proposer=anvil_account(1).address,
    )
    merit("delegate", "--account", "alice")
    chain.sleep(1)
    chain.mine()
    from dao.chain import connect, load_contracts, send_transaction

    w3 = connect(web3.provider.endpoint_uri)
    contracts = load_contracts(w3, merit.home / "development.json")
    send_transaction(w3, anvil_account(1), contracts.governor.functions.propose(*proposal.propose_args()))

    listed = json.loads(merit("proposals", "--json").stdout)
    funding = listed[-1]["funds_epoch"]
    assert (funding["project_id"], funding["epoch"], funding["total"], funding["report_cid"]) == (
        1,
        4,
        100 * TOKEN,
        report_cid,
    )
    assert funding["recipients"] == [
        {"account": ada, "amount": 60 * TOKEN, "why": "model: accuracy gain +0.0123"},
        {
            "account": ann,
            "amount": 40 * TOKEN,
            "why": "300 labels, agreement with consensus 0.910, annotator score 240.0",
        },
    ]
    shown = merit("proposals").stdout
    assert "funds project 1, epoch 4" in shown and "accuracy gain +0.0123" in shown
    assert listed[-1]["id"] in "".join(shown.split()) and "unclaimedtokensreturnafter" in "".join(shown.split())
