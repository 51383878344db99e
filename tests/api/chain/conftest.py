"""Chain fixtures for the API suites: the real contracts deployed by the real deploy script (from
tests/contracts/conftest.py), reached from web3.py, and a scenario of real transactions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from brownie import web3 as brownie_web3

from api.db import session_factory
from dao.chain import connect
from dao.deployments import save_deployment
from dao.merkle import RewardLeaf, reward_tree
from dao.proposals import fund_epoch_proposal
from dao.vocabulary import ContributionKind
from oracle.scoring.report import (
    Allocation,
    EpochInputs,
    EpochReport,
    ModelScore,
    ScoringParameters,
    SubmissionRef,
    canonical_json,
)
from tests.helpers import TOKEN


@pytest.fixture(autouse=True)
def _isolated(isolation):
    """A snapshot around every test."""


BENCHMARK_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
WEEK = 7 * 86400


@pytest.fixture
def w3():
    return connect(brownie_web3.provider.endpoint_uri)


@pytest.fixture
def manifest(deployment, tmp_path):
    path = tmp_path / "deployment.json"
    save_deployment(deployment, path)
    return path


@dataclass
class Scenario:
    project_id: int
    contribution_ids: list[int]
    epoch_ids: list[int]
    trees: dict[int, object]
    leaves: dict[int, list[RewardLeaf]]
    report_cids: dict[int, str]
    proposal_id: int


def _report(epoch_id: int, submissions: list[tuple[str, str]], leaves: list[RewardLeaf], root: str) -> EpochReport:
    return EpochReport(
        scoring_version="test",
        parameters=ScoringParameters(task="classification", metric="accuracy"),
        inputs=EpochInputs(
            project="digits",
            epoch=epoch_id,
            chain_id=31337,
            budget_wei=sum(leaf.amount for leaf in leaves),
            submissions=[
                SubmissionRef(order=i, contributor=who, kind=ContributionKind.MODEL_PREDICTIONS, cid=cid)
                for i, (who, cid) in enumerate(submissions)
            ],
        ),
        model_scores=[
            ModelScore(
                order=i,
                contributor=who,
                cid=cid,
                accepted=i == 0,
                metric_value=0.9 + i / 100,
                gain=0.02 if i == 0 else 0.0,
                gain_lower=0.01 if i == 0 else -0.01,
                gain_upper=0.03 if i == 0 else 0.01,
                reason=None if i == 0 else "no_significant_gain",
            )
            for i, (who, cid) in enumerate(submissions)
        ],
        model_pool_wei=sum(leaf.amount for leaf in leaves),
        label_pool_wei=0,
        unallocated_wei=0,
        allocations=[Allocation(index=leaf.index, account=leaf.account, amount_wei=leaf.amount) for leaf in leaves],
        merkle_root=root,
    )


@pytest.fixture
def scenario(
    deployment, registry, distributor, token, treasury, governance, delegated, oracle, alice, bob, carol, chain, store
) -> Scenario:
    """A project; alice, bob and carol submit (their artifacts in the store); the oracle attests;
    epoch 1 is funded by a real proposal (approve + fundEpoch, voted, queued, executed), epoch 2
    by the treasury directly; alice claims epoch 1. Reports are in the artifact store."""
    project_id = registry.registerProject(
        "digits", 0, "accuracy", BENCHMARK_CID, "0x" + "11" * 32, {"from": treasury}
    ).events["ProjectRegistered"]["projectId"]
    submissions, ids = [], []
    for who in (alice, bob, carol, alice):
        cid = store.put(f"predictions of {who.address} #{len(ids)}".encode())
        ids.append(registry.submit(project_id, 0, cid, {"from": who}).events["ContributionSubmitted"]["contributionId"])
        submissions.append((who.address, cid))
    trees, leaves_by_epoch, reports = {}, {}, {}
    amounts = {1: [(alice, 600), (bob, 300), (carol, 100)], 2: [(carol, 70), (bob, 30)]}
    for epoch_id, shares in amounts.items():
        leaves = [RewardLeaf(i, who.address, n * TOKEN) for i, (who, n) in enumerate(shares)]
        tree = reward_tree(leaves)
        report = _report(epoch_id, submissions[:2] if epoch_id == 1 else submissions[2:3], leaves, tree.root)
        reports[epoch_id] = store.put(canonical_json(report).encode())
        trees[epoch_id], leaves_by_epoch[epoch_id] = tree, leaves
    registry.attestScores(ids[:2], [20, 0], reports[1], {"from": oracle})
    registry.attestScores(ids[2:3], [7], reports[2], {"from": oracle})

    total1 = sum(leaf.amount for leaf in leaves_by_epoch[1])
    proposal = fund_epoch_proposal(
        token.address, distributor.address, 1, trees[1].root, total1, reports[1], chain.time() + 30 * 86400
    )
    governance.pass_proposal(proposal, alice, [alice, bob])
    governance.queue(proposal, alice)
    governance.wait_timelock()
    governance.execute(proposal, alice)

    total2 = sum(leaf.amount for leaf in leaves_by_epoch[2])
    token.approve(distributor, total2, {"from": treasury})
    distributor.fundEpoch(2, trees[2].root, total2, reports[2], chain.time() + WEEK, {"from": treasury})
    leaf = leaves_by_epoch[1][0]
    distributor.claim(1, leaf.index, leaf.account, leaf.amount, trees[1].get_proof(0), {"from": alice})
    return Scenario(project_id, ids, [1, 2], trees, leaves_by_epoch, reports, proposal.proposal_id)


@pytest.fixture
def make_indexer(w3, deployment, store):
    from api.indexer import Indexer

    def make(sessions, **options):
        return Indexer(w3, deployment, sessions, store, **options)

    return make


@pytest.fixture
def reference_sessions(tmp_path):
    """A second, independent SQLite database, for indexing the same chain once from scratch."""
    from api.db import make_engine, upgrade_schema

    engine = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    upgrade_schema(engine)
    yield session_factory(engine)
    engine.dispose()
