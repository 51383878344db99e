"""Fake indexed chain state for the endpoint tests: decoded events, as `api.indexer.decoding` emits
them, stored with the indexer's own `ingest_events`, and real epoch reports in the artifact store.

Two projects on the same clock (epochs of 150 s from t=1000: commit 100 s, reveal 50 s), so that
their epoch numbers collide: project 1 "iris" (bond 5 tokens), project 2 "street-signs" (no bond,
paused). Epoch 1 of both is scored and funded; epoch 2 is in its reveal window at the newest block
(t=1420), and project 1 has a pending schedule change from epoch 3, replaced once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.indexer.ingest import ingest_events
from dao.artifacts.store import ArtifactStore
from dao.deployments import ContractRecord, Deployment, save_deployment
from dao.merkle import RewardLeaf, reward_tree
from dao.proposals import epoch_key, fund_epoch_proposal
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
ORACLE = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
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
BOND = 5 * TOKEN
FAR_DEADLINE = 4_000_000_000
START, COMMIT, REVEAL = 1000, 100, 50
NOW = 1420  # the newest block's timestamp: epoch 2's reveal window, 30 s left


def _hash(n: int) -> str:
    return "0x" + f"{n:064x}"


def commitment_of(contribution_id: int) -> str:
    return _hash(0xC0 << 240 | contribution_id)


class EventLog:
    """Builds decoded events in chain order, one block per call of `block(timestamp)`."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.number = 10
        self.timestamp = 900

    def block(self, timestamp: int) -> None:
        assert timestamp > self.timestamp
        self.number += 1
        self.timestamp = timestamp

    def add(self, event: str, contract: str, **args: Any) -> dict[str, Any]:
        record = {
            "event": event,
            "contract": contract,
            "block_number": self.number,
            "block_hash": _hash(self.number),
            "block_timestamp": self.timestamp,
            "log_index": len(self.events),
            "tx_hash": _hash(10**6 + len(self.events)),
            **args,
        }
        self.events.append(record)
        return record


@dataclass
class FakeChain:
    reports: dict[int, EpochReport]  # by project id (epoch 1 of each)
    report_cids: dict[int, str]
    cids: dict[str, str]
    roots: dict[int, str]
    events: list[dict[str, Any]]
    proposal_id: int
    plain_proposal_id: int
    leaves: dict[int, list[RewardLeaf]] = field(default_factory=dict)

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


# (contribution id, project, epoch, contributor, kind, artifact name or None when never revealed)
COMMITS = [
    (1, 1, 1, ALICE, 0, "a1"),
    (2, 1, 1, ALICE, 0, "a2"),
    (3, 2, 1, BOB, 1, "b3"),
    (4, 2, 1, BOB, 1, "b4"),
    (5, 1, 1, CAROL, 0, None),
    (6, 1, 2, ALICE, 0, None),
    (7, 1, 2, CAROL, 0, "c7"),
]


def _reports(cids: dict[str, str]) -> tuple[dict[int, EpochReport], dict[int, list[RewardLeaf]]]:
    leaves = {
        1: [RewardLeaf(0, ALICE, 600 * TOKEN), RewardLeaf(1, DAVE, 100 * TOKEN)],
        2: [RewardLeaf(0, BOB, 300 * TOKEN), RewardLeaf(1, ALICE, 50 * TOKEN)],
    }

    def refs(project_id: int) -> list[SubmissionRef]:
        return [
            SubmissionRef(order=cid_, contributor=who, kind=ContributionKind.from_code(kind), cid=cids[name])
            for cid_, project, epoch, who, kind, name in COMMITS
            if project == project_id and epoch == 1 and name is not None
        ]

    def common(project_id: int, name: str) -> dict[str, Any]:
        return dict(
            scoring_version="test",
            inputs=EpochInputs(
                project=name, epoch=1, chain_id=31337, budget_wei=1000 * TOKEN, submissions=refs(project_id)
            ),
            allocations=[Allocation(index=x.index, account=x.account, amount_wei=x.amount) for x in leaves[project_id]],
            merkle_root=reward_tree(leaves[project_id]).root,
            unallocated_wei=0,
        )

    iris = EpochReport(
        **common(1, "iris"),
        parameters=ScoringParameters(task="classification", metric="accuracy"),
        model_scores=[
            ModelScore(
                order=1,
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
                order=2,
                contributor=ALICE,
                cid=cids["a2"],
                accepted=False,
                reason="exact_copy",
                detail="byte for byte the predictions of contribution 1",
                copy_of=cids["a1"],
            ),
        ],
        model_pool_wei=700 * TOKEN,
        label_pool_wei=0,
    )
    signs = EpochReport(
        **common(2, "street-signs"),
        parameters=ScoringParameters(task="labelling", metric="accuracy"),
        label_submissions=[
            LabelSubmissionScore(order=3, contributor=BOB, cid=cids["b3"], accepted=True),
            LabelSubmissionScore(order=4, contributor=BOB, cid=cids["b4"], accepted=True),
        ],
        annotator_scores=[
            AnnotatorScore(annotator=BOB, labels=40, accuracy=0.88, chance=0.5, score=0.3, score_units=30)
        ],
        model_pool_wei=0,
        label_pool_wei=350 * TOKEN,
    )
    return {1: iris, 2: signs}, leaves


def seed(sessions: sessionmaker[Session], store: ArtifactStore) -> FakeChain:
    """The two projects above: contributions 1-7 (1, 3, 4 accepted; 2 rejected as a copy, bond
    forfeited; 5 never revealed, forfeited; 6 committed in epoch 2; 7 committed and revealed in
    epoch 2 through the relayer); epoch 1 of both projects funded, alice claimed in project 1; a
    funding proposal voted and queued, a plain one created; a delegation."""
    names = ("a1", "a2", "b3", "b4", "c7", "bench")
    cids = {name: store.put(f"artifact {name}".encode()) for name in names}
    reports, leaves = _reports(cids)
    report_cids = {p: store.put(canonical_json(r).encode()) for p, r in reports.items()}
    log = EventLog()
    log.block(950)
    for project_id, name, task, bond in ((1, "iris", 0, BOND), (2, "street-signs", 2, 0)):
        log.add(
            "ProjectRegistered",
            "registry",
            projectId=project_id,
            name=name,
            task=task,
            metric="accuracy",
            benchmarkCid=cids["bench"],
        )
        log.add(
            "ScheduleChanged",
            "registry",
            projectId=project_id,
            fromEpoch=0,
            startTime=START,
            commitWindow=COMMIT,
            revealWindow=REVEAL,
            bond=bond,
        )
        log.add("SlicesRegistered", "registry", projectId=project_id, sliceSet=1, slicesRoot=_hash(77), sliceCount=3)
    log.block(960)
    log.add("ProjectPaused", "registry", projectId=2, guardian=GUARDIAN)

    def committed(contribution_id: int) -> None:
        _, project, epoch, who, _, _ = COMMITS[contribution_id - 1]
        relayed = contribution_id == 7
        log.add(
            "Committed",
            "registry",
            contributionId=contribution_id,
            projectId=project,
            contributor=who,
            epoch=epoch,
            commitment=commitment_of(contribution_id),
            bond=BOND if project == 1 else 0,
            relayer=RELAYER if relayed else ZERO,
        )

    def revealed(contribution_id: int) -> None:
        _, project, epoch, who, kind, name = COMMITS[contribution_id - 1]
        log.add(
            "Revealed",
            "registry",
            contributionId=contribution_id,
            projectId=project,
            contributor=who,
            epoch=epoch,
            kind=kind,
            cid=cids[name],
            relayer=RELAYER if contribution_id == 7 else ZERO,
        )

    for contribution_id in range(1, 6):  # epoch 1's commit window: [1150, 1250)
        log.block(1160 + contribution_id)
        committed(contribution_id)
    log.block(1260)  # its reveal window: [1250, 1300)
    for contribution_id in range(1, 5):
        revealed(contribution_id)
    log.block(1310)  # epoch 1 closed; the oracle reveals the slices, attests and forfeits
    for project_id in (1, 2):
        log.add(
            "SliceRevealed",
            "registry",
            projectId=project_id,
            epoch=1,
            sliceSet=1,
            sliceIndex=0,
            contentHash=_hash(1000 + project_id),
            salt=_hash(2000 + project_id),
            cid=cids["bench"],
        )
    for contribution_id, score, valid, project_id in (
        (1, 12, True, 1),
        (2, 0, False, 1),
        (3, 30, True, 2),
        (4, 30, True, 2),
    ):
        log.add(
            "ScoreAttested",
            "registry",
            contributionId=contribution_id,
            score=score,
            valid=valid,
            reportCid=report_cids[project_id],
        )
    log.add("BondReturned", "registry", contributionId=1, contributor=ALICE, amount=BOND)
    log.add("BondForfeited", "registry", contributionId=2, contributor=ALICE, amount=BOND)
    log.add("BondForfeited", "registry", contributionId=5, contributor=CAROL, amount=BOND)
    log.block(1320)  # epoch 2's commit window: [1300, 1400)
    committed(6)
    committed(7)
    log.block(1410)  # its reveal window: [1400, 1450)
    revealed(7)
    # governance changes project 1's windows from epoch 3 (starting at 1450), then changes its mind
    for commit_window in (200, 300):
        log.add(
            "ScheduleChanged",
            "registry",
            projectId=1,
            fromEpoch=3,
            startTime=START + 3 * (COMMIT + REVEAL),
            commitWindow=commit_window,
            revealWindow=100,
            bond=7 * TOKEN,
        )
    proposal = fund_epoch_proposal(
        ADDRESSES["token"],
        ADDRESSES["distributor"],
        1,
        1,
        reward_tree(leaves[1]).root,
        700 * TOKEN,
        report_cids[1],
        FAR_DEADLINE,
        proposer=ORACLE,
    )
    log.add(
        "ProposalCreated",
        "governor",
        proposalId=proposal.proposal_id,
        proposer=ORACLE,
        targets=proposal.targets,
        values=proposal.values,
        signatures=["", ""],
        calldatas=["0x" + c.hex() for c in proposal.calldatas],
        voteStart=100,
        voteEnd=200,
        description=proposal.description,
    )
    plain_id = 2**255 + 12345  # proposal ids are hashes: far past 2^63
    log.add(
        "ProposalCreated",
        "governor",
        proposalId=plain_id,
        proposer=ALICE,
        targets=[ADDRESSES["token"]],
        values=[0],
        signatures=[""],
        calldatas=["0x095ea7b3"],
        voteStart=100,
        voteEnd=200,
        description="Raise the epoch cap",
    )
    log.add(
        "VoteCast", "governor", voter=ALICE, proposalId=proposal.proposal_id, support=1, weight=50 * TOKEN, reason=""
    )
    log.add(
        "VoteCast", "governor", voter=BOB, proposalId=proposal.proposal_id, support=0, weight=5 * TOKEN, reason="no"
    )
    log.add("ProposalQueued", "governor", proposalId=proposal.proposal_id, etaSeconds=300)
    log.add("DelegateChanged", "token", delegator=ALICE, fromDelegate=ZERO, toDelegate=ALICE)
    log.block(1415)
    for project_id, total in ((1, 700 * TOKEN), (2, 350 * TOKEN)):
        log.add(
            "EpochFunded",
            "distributor",
            epochKey=epoch_key(project_id, 1),
            projectId=project_id,
            epoch=1,
            merkleRoot=reward_tree(leaves[project_id]).root,
            total=total,
            reportCid=report_cids[project_id],
            claimDeadline=FAR_DEADLINE,
        )
    log.block(NOW)
    log.add("Claimed", "distributor", epochKey=epoch_key(1, 1), index=0, account=ALICE, amount=600 * TOKEN)
    with sessions.begin() as session:
        ingest_events(session, store, log.events)
    return FakeChain(
        reports=reports,
        report_cids=report_cids,
        cids=cids,
        roots={p: reward_tree(x).root for p, x in leaves.items()},
        events=log.events,
        proposal_id=proposal.proposal_id,
        plain_proposal_id=plain_id,
        leaves=leaves,
    )


def table_snapshot(sessions: sessionmaker[Session]) -> dict[str, list[tuple[str, ...]]]:
    """Every indexed row of every table, to compare two databases or two moments. The cursor, the
    block-hash bookkeeping and the block an epoch was verified at are left out: they depend on how
    the ranges were cut."""
    from sqlalchemy import select

    from api import models as m

    when = {"verified_block", "verified_at"}
    tables = [t for t in (*m.EVENT_TABLES, m.AllocationRow, m.ScoreExplanation) if t is not m.IndexedBlock]
    with sessions() as session:
        return {
            t.__tablename__: sorted(
                tuple(str(v) for v in row)
                for row in session.execute(select(*(c for c in t.__table__.columns if c.name not in when)))
            )
            for t in tables
        }
