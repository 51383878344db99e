"""Chain fixtures for the API suites: the real contracts deployed by the real deploy script
(tests/fixtures/chain.py), reached from web3.py, and a commit-reveal scenario of real transactions.
The helpers that drive the registry's clock live here, so that the API suites do not depend on
how the contract suites write theirs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from brownie import web3 as brownie_web3

from api.db import session_factory
from dao.chain import connect
from dao.commitments import contribution_commitment, new_salt
from dao.deployments import save_deployment
from dao.merkle import RewardLeaf, reward_tree
from dao.proposals import epoch_key, fund_epoch_proposal
from dao.slices import SliceSet
from dao.vocabulary import ContributionKind
from oracle.scoring.report import (
    Allocation,
    AnnotatorScore,
    EpochInputs,
    EpochReport,
    LabelSubmissionScore,
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
WINDOW = 1000  # seconds, both windows of both projects: their epoch numbers line up
BOND = 5 * TOKEN
WEEK = 7 * 86400


def block_time() -> int:
    """The newest block's timestamp: the clock the contracts read."""
    return int(brownie_web3.eth.get_block("latest")["timestamp"])


def advance_to(chain, timestamp: int) -> None:
    """Mines a block timed at `timestamp` or later."""
    if block_time() < timestamp:
        chain.sleep(timestamp - block_time())
    chain.mine()
    while block_time() < timestamp:
        chain.sleep(1)
        chain.mine()


@pytest.fixture
def w3():
    return connect(brownie_web3.provider.endpoint_uri)


@pytest.fixture
def manifest(deployment, tmp_path):
    path = tmp_path / "deployment.json"
    save_deployment(deployment, path)
    return path


@dataclass
class Committed:
    contribution_id: int
    account: Any
    project_id: int
    epoch: int
    kind: ContributionKind
    cid: str
    salt: bytes


@dataclass
class Scenario:
    projects: dict[str, int]  # "digits" (bond 5 tokens), "signs" (no bond)
    slices: dict[int, SliceSet]
    commits: dict[str, Committed]  # alice_digits, bob_digits, carol_digits (never revealed), alice_signs
    trees: dict[int, Any]  # by project id, epoch 0
    leaves: dict[int, list[RewardLeaf]]
    report_cids: dict[int, str]
    proposal_id: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def digits(self) -> int:
        return self.projects["digits"]

    @property
    def signs(self) -> int:
        return self.projects["signs"]


def register(registry, treasury, name: str, task: int, start: int, bond: int, slices: SliceSet) -> int:
    params = (name, task, "accuracy", BENCHMARK_CID, start, WINDOW, WINDOW, bond, "0x" + slices.root.hex(), len(slices))
    return registry.registerProject(params, {"from": treasury}).events["ProjectRegistered"]["projectId"]


def commit(registry, store, account, project_id: int, kind: ContributionKind, content: bytes) -> Committed:
    cid = store.put(content)
    epoch = int(registry.epochAt(project_id, block_time() + 1)[0])
    salt = new_salt()
    commitment = contribution_commitment(
        contributor=account.address, project_id=project_id, epoch=epoch, kind=kind, cid=cid, salt=salt
    )
    tx = registry.commit(project_id, commitment, {"from": account})
    return Committed(tx.events["Committed"]["contributionId"], account, project_id, epoch, kind, cid, salt)


def reveal(registry, c: Committed) -> None:
    registry.reveal(c.contribution_id, c.project_id, c.epoch, c.kind.code, c.cid, c.salt, {"from": c.account})


def _report(
    project: str, epoch: int, leaves: list[RewardLeaf], root: str, models: list[Committed], labels: list[Committed]
) -> EpochReport:
    return EpochReport(
        scoring_version="test",
        parameters=ScoringParameters(task="labelling" if labels else "classification", metric="accuracy"),
        inputs=EpochInputs(
            project=project,
            epoch=epoch,
            chain_id=31337,
            budget_wei=sum(leaf.amount for leaf in leaves),
            submissions=[
                SubmissionRef(order=c.contribution_id, contributor=c.account.address, kind=c.kind, cid=c.cid)
                for c in models + labels
            ],
        ),
        model_scores=[
            ModelScore(
                order=c.contribution_id,
                contributor=c.account.address,
                cid=c.cid,
                accepted=i == 0,
                metric_value=0.9 + i / 100,
                gain=0.02 if i == 0 else None,
                gain_lower=0.01 if i == 0 else None,
                gain_upper=0.03 if i == 0 else None,
                reason=None if i == 0 else "exact_copy",
            )
            for i, c in enumerate(models)
        ],
        label_submissions=[
            LabelSubmissionScore(order=c.contribution_id, contributor=c.account.address, cid=c.cid, accepted=True)
            for c in labels
        ],
        annotator_scores=[
            AnnotatorScore(annotator=c.account.address, labels=10, accuracy=0.9, chance=0.5, score=0.4) for c in labels
        ],
        model_pool_wei=sum(leaf.amount for leaf in leaves) if models else 0,
        label_pool_wei=sum(leaf.amount for leaf in leaves) if labels else 0,
        unallocated_wei=0,
        allocations=[Allocation(index=leaf.index, account=leaf.account, amount_wei=leaf.amount) for leaf in leaves],
        merkle_root=root,
    )


@pytest.fixture
def scenario(
    deployment,
    registry,
    distributor,
    token,
    treasury,
    governance,
    delegated,
    oracle,
    alice,
    bob,
    carol,
    chain,
    store,
) -> Scenario:
    """Two projects on the same clock, "digits" (bond 5 tokens) and "signs" (no bond). In epoch 0
    alice and bob commit predictions to digits and carol commits but never reveals; alice commits
    labels to signs. They reveal; after the epoch the oracle attests (alice valid, bob's a copy,
    alice's labels valid), forfeits carol's bond and reveals digits' hidden slice. Epoch 0 of digits
    is funded by a real proposal that alice proposes (approve + fundEpoch, voted, queued, executed),
    epoch 0 of signs by the treasury directly; alice claims in digits. Reports are in the store."""
    for who in (alice, bob, carol):
        token.approve(registry, 100 * BOND, {"from": who})
    start = block_time() + 10
    slices = {}
    projects = {}
    for name, task, bond in (("digits", 0, BOND), ("signs", 2, 0)):
        piece = SliceSet.build([f"{name} slice {i}".encode() for i in range(3)])
        projects[name] = register(registry, treasury, name, task, start, bond, piece)
        slices[projects[name]] = piece
    digits, signs = projects["digits"], projects["signs"]
    advance_to(chain, start)
    commits = {
        "alice_digits": commit(
            registry, store, alice, digits, ContributionKind.MODEL_PREDICTIONS, b"alice predictions"
        ),
        "bob_digits": commit(registry, store, bob, digits, ContributionKind.MODEL_PREDICTIONS, b"alice predictions!"),
        "carol_digits": commit(registry, store, carol, digits, ContributionKind.MODEL_PREDICTIONS, b"carol's"),
        "alice_signs": commit(registry, store, alice, signs, ContributionKind.LABELS, b"alice labels"),
    }
    _, reveal_start, end = registry.epochWindows(digits, 0)
    advance_to(chain, reveal_start)
    for name in ("alice_digits", "bob_digits", "alice_signs"):
        reveal(registry, commits[name])
    advance_to(chain, end)

    amounts = {digits: [(alice, 600), (bob, 300), (carol, 100)], signs: [(carol, 70), (bob, 30)]}
    trees, leaves_by_project, reports = {}, {}, {}
    for project_id, shares in amounts.items():
        leaves = [RewardLeaf(i, who.address, n * TOKEN) for i, (who, n) in enumerate(shares)]
        tree = reward_tree(leaves)
        if project_id == digits:
            report = _report("digits", 0, leaves, tree.root, [commits["alice_digits"], commits["bob_digits"]], [])
        else:
            report = _report("signs", 0, leaves, tree.root, [], [commits["alice_signs"]])
        reports[project_id] = store.put(canonical_json(report).encode())
        trees[project_id], leaves_by_project[project_id] = tree, leaves
    registry.attestScores(
        [commits["alice_digits"].contribution_id, commits["bob_digits"].contribution_id],
        [20, 0],
        [True, False],
        reports[digits],
        {"from": oracle},
    )
    registry.attestScores([commits["alice_signs"].contribution_id], [7], [True], reports[signs], {"from": oracle})
    carol_commit = commits["carol_digits"]
    carol_commitment = contribution_commitment(
        contributor=carol.address,
        project_id=digits,
        epoch=0,
        kind=carol_commit.kind,
        cid=carol_commit.cid,
        salt=carol_commit.salt,
    )
    registry.forfeitUnrevealed(
        [(carol_commit.contribution_id, carol.address, digits, 0, carol_commitment)], {"from": bob}
    )
    hidden = slices[digits].slices[0]
    registry.revealSlice(
        digits, 0, hidden.content_hash, hidden.salt, BENCHMARK_CID, slices[digits].proof(0), {"from": oracle}
    )

    total = sum(leaf.amount for leaf in leaves_by_project[digits])
    proposal = fund_epoch_proposal(
        token.address,
        distributor.address,
        digits,
        0,
        trees[digits].root,
        total,
        reports[digits],
        block_time() + 30 * 86400,
        proposer=alice.address,
    )
    governance.pass_proposal(proposal, alice, [alice, bob])
    governance.queue(proposal, alice)
    governance.wait_timelock()
    governance.execute(proposal, alice)

    total = sum(leaf.amount for leaf in leaves_by_project[signs])
    token.approve(distributor, total, {"from": treasury})
    distributor.fundEpoch(signs, 0, trees[signs].root, total, reports[signs], block_time() + WEEK, {"from": treasury})
    leaf = leaves_by_project[digits][0]
    distributor.claim(
        epoch_key(digits, 0), leaf.index, leaf.account, leaf.amount, trees[digits].get_proof(0), {"from": alice}
    )
    return Scenario(projects, slices, commits, trees, leaves_by_project, reports, proposal.proposal_id)


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
