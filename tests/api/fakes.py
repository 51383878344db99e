"""Fake indexed chain state for the endpoint tests: decoded events, as `api.indexer.decoding` emits them,
stored with the indexer's own `ingest_events`, and a real epoch report in the artifact store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.indexer.ingest import ingest_events
from dao.artifacts.store import ArtifactStore
from dao.deployments import ContractRecord, Deployment, save_deployment
from dao.merkle import RewardLeaf, reward_tree
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

ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
CAROL = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
DAVE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
GUARDIAN = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"
RELAYER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
ZERO = "0x0000000000000000000000000000000000000000"
ADDRESSES = {
    "timelock": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "token": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    "governor": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    "registry": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
    "distributor": "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
}
ARTIFACTS = {
    "timelock": "MeritTimelock",
    "token": "MeritToken",
    "governor": "MeritGovernor",
    "registry": "ContributionRegistry",
    "distributor": "RewardDistributor",
}
TOKEN = 10**18
FAR_DEADLINE = 4_000_000_000


def _hash(n: int) -> str:
    return "0x" + f"{n:064x}"


class EventLog:
    """Builds decoded events in chain order, one block per call of `block()`."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.number = 10

    def block(self) -> None:
        self.number += 1

    def add(self, event: str, contract: str, **args: Any) -> dict[str, Any]:
        record = {
            "event": event,
            "contract": contract,
            "block_number": self.number,
            "block_hash": _hash(self.number),
            "log_index": len(self.events),
            "tx_hash": _hash(10**6 + len(self.events)),
            **args,
        }
        self.events.append(record)
        return record


@dataclass
class FakeChain:
    report: EpochReport
    report_cid: str
    cids: dict[str, str]
    root: str
    events: list[dict[str, Any]]
    proposal_id: int
    leaves: list[RewardLeaf] = field(default_factory=list)

    def write_deployment(self, path: Path) -> Deployment:
        return write_deployment(path)


def write_deployment(path: Path) -> Deployment:
    """A manifest naming the fake chain's contracts (anvil's first deployment addresses)."""
    deployment = Deployment(
        network="development",
        chain_id=31337,
        deployer=ALICE,
        live=False,
        complete=True,
        contracts={
            k: ContractRecord(
                artifact=ARTIFACTS[k], address=a, block_number=1, tx_hash=_hash(k.__hash__() % 997), constructor_args=[]
            )
            for k, a in ADDRESSES.items()
        },
        config={},
    )
    save_deployment(deployment, path)
    return deployment


def seed(sessions: sessionmaker[Session], store: ArtifactStore) -> FakeChain:
    """Two projects (the second paused); contributions 1-6 (alice: 1, 2, 5 models; bob: 3, 4
    labels; carol: 6 model); 1-4 attested; epoch 1 funded with a report that accepts 1 and 3,
    rejects 2 (no significant gain) and allocates alice, bob and dave; alice claimed; a proposal
    voted and queued; a delegation."""
    cids = {name: store.put(f"artifact {name}".encode()) for name in ("a1", "a2", "b3", "b4", "a5", "c6", "bench")}
    log = EventLog()
    log.add(
        "ProjectRegistered",
        "registry",
        projectId=1,
        name="iris",
        task=0,
        metric="accuracy",
        benchmarkCid=cids["bench"],
        answersCommitment=_hash(77),
    )
    log.add(
        "ProjectRegistered",
        "registry",
        projectId=2,
        name="street-signs",
        task=2,
        metric="accuracy",
        benchmarkCid=cids["bench"],
        answersCommitment=_hash(78),
    )
    log.block()
    submitted = [
        (1, 1, ALICE, 0, "a1"),
        (2, 1, ALICE, 0, "a2"),
        (3, 2, BOB, 1, "b3"),
        (4, 2, BOB, 1, "b4"),
        (5, 1, ALICE, 0, "a5"),
        (6, 1, CAROL, 0, "c6"),
    ]
    for contribution_id, project_id, who, kind, name in submitted:
        log.add(
            "ContributionSubmitted",
            "registry",
            contributionId=contribution_id,
            projectId=project_id,
            contributor=who,
            kind=kind,
            cid=cids[name],
            relayer=RELAYER if contribution_id == 6 else ZERO,
        )
        log.block()
    log.add("ProjectPaused", "registry", projectId=2, guardian=GUARDIAN)
    leaves = [RewardLeaf(0, ALICE, 600 * TOKEN), RewardLeaf(1, BOB, 300 * TOKEN), RewardLeaf(2, DAVE, 100 * TOKEN)]
    tree = reward_tree(leaves)
    report = EpochReport(
        scoring_version="test",
        parameters=ScoringParameters(task="classification", metric="accuracy"),
        inputs=EpochInputs(
            project="iris",
            epoch=1,
            chain_id=31337,
            budget_wei=1000 * TOKEN,
            submissions=[
                SubmissionRef(
                    order=i,
                    contributor=who,
                    kind=ContributionKind.MODEL_PREDICTIONS if kind == 0 else ContributionKind.LABELS,
                    cid=cids[name],
                )
                for i, (_, _, who, kind, name) in enumerate(submitted[:4])
            ],
        ),
        model_scores=[
            ModelScore(
                order=0,
                contributor=ALICE,
                cid=cids["a1"],
                accepted=True,
                metric_value=0.93,
                gain=0.012,
                gain_lower=0.004,
                gain_upper=0.02,
                became_champion=True,
                score_units=12,
            ),
            ModelScore(
                order=1,
                contributor=ALICE,
                cid=cids["a2"],
                accepted=False,
                reason="no_significant_gain",
                detail="gain 0.001 within the interval",
                metric_value=0.9,
                gain=0.001,
                gain_lower=-0.003,
                gain_upper=0.005,
            ),
        ],
        label_submissions=[
            LabelSubmissionScore(order=2, contributor=BOB, cid=cids["b3"], accepted=True),
            LabelSubmissionScore(order=3, contributor=BOB, cid=cids["b4"], accepted=True),
        ],
        annotator_scores=[
            AnnotatorScore(annotator=BOB, labels=40, accuracy=0.88, chance=0.5, score=0.3, score_units=30)
        ],
        model_pool_wei=600 * TOKEN,
        label_pool_wei=400 * TOKEN,
        unallocated_wei=0,
        allocations=[Allocation(index=leaf.index, account=leaf.account, amount_wei=leaf.amount) for leaf in leaves],
        merkle_root=tree.root,
    )
    report_cid = store.put(canonical_json(report).encode())
    for contribution_id, score in ((1, 12), (2, 0), (3, 30), (4, 30)):
        log.add("ScoreAttested", "registry", contributionId=contribution_id, score=score, reportCid=report_cid)
    log.block()
    log.add(
        "EpochFunded",
        "distributor",
        epochId=1,
        merkleRoot=tree.root,
        total=1000 * TOKEN,
        reportCid=report_cid,
        claimDeadline=FAR_DEADLINE,
    )
    log.block()
    log.add("Claimed", "distributor", epochId=1, index=0, account=ALICE, amount=600 * TOKEN)
    proposal_id = 2**255 + 12345  # proposal ids are hashes: far past 2^63
    log.add(
        "ProposalCreated",
        "governor",
        proposalId=proposal_id,
        proposer=ALICE,
        targets=[ADDRESSES["token"]],
        values=[0],
        signatures=[""],
        calldatas=["0x095ea7b3"],
        voteStart=100,
        voteEnd=200,
        description="Fund epoch 1",
    )
    log.add("VoteCast", "governor", voter=ALICE, proposalId=proposal_id, support=1, weight=50 * TOKEN, reason="")
    log.add("VoteCast", "governor", voter=BOB, proposalId=proposal_id, support=0, weight=5 * TOKEN, reason="no")
    log.add("ProposalQueued", "governor", proposalId=proposal_id, etaSeconds=300)
    log.add("DelegateChanged", "token", delegator=ALICE, fromDelegate=ZERO, toDelegate=ALICE)
    with sessions.begin() as session:
        ingest_events(session, store, log.events)
    return FakeChain(
        report=report,
        report_cid=report_cid,
        cids=cids,
        root=tree.root,
        events=log.events,
        proposal_id=proposal_id,
        leaves=leaves,
    )


def table_snapshot(sessions: sessionmaker[Session]) -> dict[str, list[tuple[str, ...]]]:
    """Every indexed row of every table, to compare two databases or two moments. The cursor and
    the block-hash bookkeeping are left out: they depend on how the ranges were cut."""
    from sqlalchemy import select

    from api import models as m

    tables = [t for t in (*m.EVENT_TABLES, m.AllocationRow, m.ScoreExplanation) if t is not m.IndexedBlock]
    with sessions() as session:
        return {
            t.__tablename__: sorted(tuple(str(v) for v in row) for row in session.execute(select(t.__table__)))
            for t in tables
        }
