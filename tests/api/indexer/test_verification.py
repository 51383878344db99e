"""Epoch verification in the indexer: an honest epoch (its report scored by the engine over the
revealed slice, every artifact in the store) matches; the same epoch funded with one allocation or
one score altered differs and names the path; an epoch whose slice is not in the store is
unavailable until it is, and a rollback of what a check read puts the epoch back to pending. The
views and the verification route show it (on SQLite and PostgreSQL, as every API suite)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api import models as m
from api.indexer.ingest import ingest_events, rollback_above
from api.indexer.verification import verify_epochs
from api.main import create_app
from dao.artifacts.store import ArtifactStore, compute_artifact_cid
from dao.merkle import RewardLeaf, reward_tree
from dao.proposals import epoch_key
from dao.slices import content_hash, slice_commitment
from dao.vocabulary import ContributionKind, Task
from oracle.scoring.epoch import score_epoch
from oracle.scoring.metrics import Metric
from oracle.scoring.report import EpochInputs, EpochReport, ScoringParameters, SubmissionRef, canonical_json
from oracle.scoring.slices import label_item_ids, split_slice
from tests.api.fakes import ALICE, BOB, CAROL, FAR_DEADLINE, TOKEN, EventLog, write_deployment

PROJECT = 9
CHAIN_ID = 31337
N = 300
SALT = b"\x5a" * 32


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _predictions(truth: np.ndarray, accuracy: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(truth.size) < accuracy, truth, 1 - truth)


@dataclass
class HonestEpoch:
    """A project's epoch 1 as an honest oracle scores it: the slice, the artifacts, the report."""

    slice_bytes: bytes
    slice_cid: str
    artifacts: dict[str, bytes]  # by CID: the answers, the champion, the label items, the uploaded models
    submissions: list[SubmissionRef]
    report: EpochReport


def honest_epoch() -> HonestEpoch:
    truth = np.random.default_rng(0).integers(0, 2, N)
    # the hidden slice holds the benchmark items' answers and the label items' gold labels
    items = b"item\nt0\nt1\nt2\n"
    rows = [f"q{i},{'ny'[t]}" for i, t in enumerate(truth)] + ["t0,y", "t1,n", "t2,y"]
    slice_bytes = ("id,answer\n" + "\n".join(rows) + "\n").encode()
    answers, gold = split_slice(slice_bytes, label_item_ids(items))
    assert answers is not None and gold is not None
    champion = _npy(_predictions(truth, 0.6, 1))
    better = _npy(_predictions(truth, 0.95, 2))
    never_uploaded = _npy(_predictions(truth, 0.7, 3))
    by_cid = {compute_artifact_cid(b): b for b in (answers, champion, better, items)}
    submissions = [
        SubmissionRef(
            order=101, contributor=ALICE, kind=ContributionKind.MODEL_PREDICTIONS, cid=compute_artifact_cid(better)
        ),
        # a copy of contribution 101: rejected as one
        SubmissionRef(
            order=102, contributor=BOB, kind=ContributionKind.MODEL_PREDICTIONS, cid=compute_artifact_cid(better)
        ),
        # revealed but never uploaded: the oracle rejects it as unavailable, and so does the check
        SubmissionRef(
            order=103,
            contributor=CAROL,
            kind=ContributionKind.MODEL_PREDICTIONS,
            cid=compute_artifact_cid(never_uploaded),
        ),
    ]
    inputs = EpochInputs(
        project="honest",
        epoch=1,
        chain_id=CHAIN_ID,
        budget_wei=1000 * TOKEN,
        answers_cid=compute_artifact_cid(answers),
        gold_cid=compute_artifact_cid(gold),
        label_items_cid=compute_artifact_cid(items),
        champion_cid=compute_artifact_cid(champion),
        submissions=submissions,
        slice_index=0,
        slice_commitment="0x" + slice_commitment(content_hash(slice_bytes), SALT).hex(),
    )
    parameters = ScoringParameters(
        task=Task.CLASSIFICATION,
        metric=Metric.ACCURACY,
        classes=["n", "y"],
        bootstrap_seed=7,
        bootstrap_buckets=100,
        bootstrap_replicates=200,
    )
    report = score_epoch(inputs, parameters, by_cid)
    assert report.allocations and report.model_scores[0].accepted  # something is paid
    return HonestEpoch(slice_bytes, compute_artifact_cid(slice_bytes), by_cid, submissions, report)


@pytest.fixture(scope="module")
def honest() -> HonestEpoch:
    return honest_epoch()


def _with_root(report: EpochReport) -> EpochReport:
    leaves = [RewardLeaf(a.index, a.account, a.amount_wei) for a in report.allocations]
    return report.model_copy(update={"merkle_root": reward_tree(leaves).root})


def events(
    honest: HonestEpoch, report_cid: str, report: EpochReport, *, slice_after_funding: bool = False
) -> list[dict[str, Any]]:
    """The project's chain record of the epoch as decoded events: registered, commits and reveals,
    the slice revealed, scores attested, the epoch funded with the report's root and total."""
    log = EventLog()
    log.number = 100  # past the fake chain's blocks, whose (block, log index) rows would collide
    log.block(950)
    log.add(
        "ProjectRegistered", "registry", projectId=PROJECT, name="honest", task=0, metric="accuracy", benchmarkCid="b"
    )
    log.add(
        "ScheduleChanged",
        "registry",
        projectId=PROJECT,
        fromEpoch=0,
        startTime=1000,
        commitWindow=100,
        revealWindow=50,
        bond=0,
    )
    log.block(1160)
    for s in honest.submissions:
        log.add(
            "Committed",
            "registry",
            contributionId=s.order,
            projectId=PROJECT,
            contributor=s.contributor,
            epoch=1,
            commitment="0x" + f"{s.order:064x}",
            bond=0,
            relayer="0x" + "00" * 20,
        )
    log.block(1260)
    for s in honest.submissions:
        log.add(
            "Revealed",
            "registry",
            contributionId=s.order,
            projectId=PROJECT,
            contributor=s.contributor,
            epoch=1,
            kind=ContributionKind(s.kind).code,
            cid=s.cid,
            relayer="0x" + "00" * 20,
        )
    sliced = dict(
        projectId=PROJECT,
        epoch=1,
        sliceSet=1,
        sliceIndex=0,
        contentHash="0x" + content_hash(honest.slice_bytes).hex(),
        salt="0x" + SALT.hex(),
        cid=honest.slice_cid,
    )
    log.block(1310)
    if not slice_after_funding:
        log.add("SliceRevealed", "registry", **sliced)
    for s in report.model_scores:
        log.add(
            "ScoreAttested",
            "registry",
            contributionId=s.order,
            score=s.score_units,
            valid=s.accepted,
            reportCid=report_cid,
        )
    log.block(1400)
    log.add(
        "EpochFunded",
        "distributor",
        epochKey=epoch_key(PROJECT, 1),
        projectId=PROJECT,
        epoch=1,
        merkleRoot=report.merkle_root,
        total=sum(a.amount_wei for a in report.allocations),
        reportCid=report_cid,
        claimDeadline=FAR_DEADLINE,
    )
    if slice_after_funding:
        log.block(1410)
        log.add("SliceRevealed", "registry", **sliced)
    return log.events


def index(
    sessions, store: ArtifactStore, honest: HonestEpoch, report: EpochReport, *, put_slice: bool = True, **kw: Any
) -> list[dict[str, Any]]:
    """Puts the epoch's artifacts and report in the store (the slice unless told not to) and
    ingests its events; returns them."""
    for data in honest.artifacts.values():
        store.put(data)
    if put_slice:
        store.put(honest.slice_bytes)
    report_cid = store.put(canonical_json(report).encode())
    recorded = events(honest, report_cid, report, **kw)
    with sessions.begin() as session:
        ingest_events(session, store, recorded)
    return recorded


def _epoch(sessions) -> m.Epoch:
    with sessions() as session:
        row = session.get(m.Epoch, (PROJECT, 1))
        assert row is not None
        return row


def test_an_honest_epoch_matches(sessions, store, honest):
    index(sessions, store, honest, honest.report)
    assert _epoch(sessions).report_status == "ok" and _epoch(sessions).verification_status == "pending"
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "matches"}
    row = _epoch(sessions)
    assert row.verification_differences == "[]" and row.verification_error is None
    assert "scoring parameters" in row.verification_unchecked
    assert "epoch 0's report is not public" in row.verification_unchecked  # nothing named it
    assert row.verified_block == 105 and row.verified_at == 1400  # the newest indexed block
    assert verify_epochs(sessions, store, CHAIN_ID) == {}  # checked once


@pytest.mark.parametrize(
    ("alter", "path"),
    [
        (lambda r: _with_root(_alter_allocation(r)), "allocations[0].amount_wei"),
        (
            lambda r: r.model_copy(
                update={
                    "model_scores": [r.model_scores[0].model_copy(update={"metric_value": 0.5})] + r.model_scores[1:]
                }
            ),
            "model_scores[0].metric_value",
        ),
    ],
    ids=["allocation", "score"],
)
def test_an_altered_report_differs_and_names_the_path(sessions, store, app_client, honest, alter, path):
    forged = alter(honest.report)
    index(sessions, store, honest, forged)  # funded with the forged report's own root and total
    assert _epoch(sessions).report_status == "ok"  # the indexer reads it: its tree is the funded one
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "differs"}
    verification = app_client.get(f"/projects/{PROJECT}/epochs/1/verification").json()
    assert verification["status"] == "differs"
    by_path = {d["path"]: d for d in verification["differences"]}
    assert path in by_path
    reported, expected = by_path[path]["reported"], by_path[path]["expected"]
    assert reported != expected
    if path.startswith("allocations"):
        assert reported == str(forged.allocations[0].amount_wei)
        assert expected == str(honest.report.allocations[0].amount_wei)
        assert "merkle_root" in by_path  # the root follows the allocation
    else:
        assert (reported, expected) == (0.5, honest.report.model_scores[0].metric_value)
    assert verification["difference_count"] == len(verification["differences"])


def _alter_allocation(report: EpochReport) -> EpochReport:
    first = report.allocations[0]
    return report.model_copy(
        update={
            "allocations": [first.model_copy(update={"amount_wei": first.amount_wei + TOKEN})] + report.allocations[1:]
        }
    )


def test_a_slice_not_in_the_store_is_unavailable_then_matches_once_there(sessions, store, honest):
    index(sessions, store, honest, honest.report, put_slice=False)
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "unavailable"}
    row = _epoch(sessions)
    assert honest.slice_cid in row.verification_error and "not in the artifact store" in row.verification_error
    assert verify_epochs(sessions, store, CHAIN_ID, retry_unavailable=False) == {}  # the follower's pace
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "unavailable"}  # tried again
    store.put(honest.slice_bytes)
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "matches"}
    assert _epoch(sessions).verification_error is None


def test_a_rolled_back_slice_puts_the_epoch_back_to_pending(sessions, store, honest):
    recorded = index(sessions, store, honest, honest.report, slice_after_funding=True)
    funded_block = next(e["block_number"] for e in recorded if e["event"] == "EpochFunded")
    with sessions.begin() as session:  # only the funding so far: the slice is not revealed yet
        rollback_above(session, funded_block)
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "unavailable"}
    assert "not revealed" in _epoch(sessions).verification_error
    with sessions.begin() as session:
        ingest_events(session, store, [e for e in recorded if e["block_number"] > funded_block])
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "matches"}
    with sessions.begin() as session:  # a reorg takes the slice away again
        rollback_above(session, funded_block)
    row = _epoch(sessions)
    assert (row.verification_status, row.verified_block, row.verification_differences) == ("pending", None, None)


def test_the_previous_epochs_report_is_checked_when_named(sessions, store, app_client, honest):
    """Epoch 0's report named by an attestation: the champion entering epoch 1 must be its
    champion_after; named but not in the store, the check waits."""
    previous = honest.report.model_copy(
        update={
            "inputs": honest.report.inputs.model_copy(update={"epoch": 0}),
            "champion_after": "bafkreiother",
            "carried_out_label_wei": TOKEN,  # epoch 1 carried in nothing
        }
    )
    previous_cid = compute_artifact_cid(canonical_json(previous).encode())
    recorded = index(sessions, store, honest, honest.report)
    log = EventLog()
    log.number, log.timestamp = 200, 2000
    log.block(2001)
    common = dict(projectId=PROJECT, epoch=0, contributor=ALICE, relayer="0x" + "00" * 20)
    log.add("Committed", "registry", contributionId=90, commitment="0x" + "09" * 32, bond=0, **common)
    log.add("Revealed", "registry", contributionId=90, kind=0, cid=honest.submissions[0].cid, **common)
    log.add("ScoreAttested", "registry", contributionId=90, score=0, valid=False, reportCid=previous_cid)
    with sessions.begin() as session:
        ingest_events(session, store, log.events)
    assert recorded  # epoch 1 was indexed first; its check reads the index as it is when it runs
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "unavailable"}
    assert previous_cid in _epoch(sessions).verification_error
    store.put(canonical_json(previous).encode())
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "differs"}
    verification = app_client.get(f"/projects/{PROJECT}/epochs/1/verification").json()
    assert verification["differences"] == [
        {"path": "inputs.champion_cid", "reported": honest.report.inputs.champion_cid, "expected": "bafkreiother"},
        {"path": "inputs.carried_in_label_wei", "reported": "0", "expected": str(TOKEN)},  # amounts as strings
    ]
    assert not any("not public" in note for note in verification["unchecked"])


def test_an_unreadable_report_differs_at_the_report(sessions, store, app_client, honest):
    junk = store.put(b'{"schema_version": "nope"}')
    with sessions.begin() as session:
        ingest_events(session, store, events(honest, junk, honest.report))
    assert _epoch(sessions).report_status == "invalid"
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "differs"}
    [difference] = app_client.get(f"/projects/{PROJECT}/epochs/1/verification").json()["differences"]
    assert difference["path"] == "report" and "cannot be read" in difference["reported"]


def test_a_report_not_loaded_stays_pending(sessions, honest, tmp_path):
    from dao.artifacts.embedded import EmbeddedStore

    elsewhere = EmbeddedStore(tmp_path / "elsewhere")  # the report is not in it
    report_cid = compute_artifact_cid(canonical_json(honest.report).encode())
    with sessions.begin() as session:
        ingest_events(session, elsewhere, events(honest, report_cid, honest.report))
    assert _epoch(sessions).report_status == "missing"
    assert verify_epochs(sessions, elsewhere, CHAIN_ID) == {}
    assert _epoch(sessions).verification_status == "pending"


def test_a_failing_check_is_unavailable_and_does_not_raise(sessions, store, honest, monkeypatch):
    import api.indexer.verification as verification

    index(sessions, store, honest, honest.report)

    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(verification, "audit_report", broken)
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "unavailable"}
    assert "RuntimeError: boom" in _epoch(sessions).verification_error
    monkeypatch.undo()
    assert verify_epochs(sessions, store, CHAIN_ID) == {(PROJECT, 1): "matches"}


@pytest.fixture
def app_client(settings, store, engine):
    """The API over the test database, with no fake chain in it."""
    write_deployment(settings.deployment)
    with TestClient(create_app(settings, store=store, configure_logs=False), raise_server_exceptions=False) as c:
        yield c


def test_the_epoch_views_show_the_verification(client, sessions, store, honest):
    index(sessions, store, honest, honest.report)
    pending = client.get(f"/projects/{PROJECT}/epochs/1").json()["funding"]["verification"]
    assert pending["status"] == "pending" and pending["checked_block"] is None
    verify_epochs(sessions, store, CHAIN_ID)
    funding = client.get(f"/projects/{PROJECT}/epochs/1").json()["funding"]
    assert funding["verification"]["status"] == "matches"
    assert funding["verification"]["differences"] == [] and funding["verification"]["difference_count"] == 0
    assert funding["verification"]["checked_block"] == 105  # the newest indexed block
    listed = {(e["project_id"], e["epoch"]): e["verification"] for e in client.get("/epochs").json()}
    assert listed[(PROJECT, 1)]["status"] == "matches"
    # the fake chain's epochs were scored without the slices they revealed: named as differing
    assert listed[(1, 1)]["status"] == "differs"
    assert "inputs.slice_index" in {d["path"] for d in listed[(1, 1)]["differences"]}
    detail = client.get(f"/projects/{PROJECT}/epochs/1/verification").json()
    assert detail["report_cid"] == funding["report_cid"] and detail["status"] == "matches"
    assert client.get(f"/projects/{PROJECT}/epochs/2/verification").status_code == 404
    spec = client.get("/openapi.json").json()
    assert "/projects/{project_id}/epochs/{epoch}/verification" in spec["paths"]
    status = spec["components"]["schemas"]["VerificationPublic"]["properties"]["status"]
    assert status["enum"] == ["pending", "matches", "differs", "unavailable"] and "differs" in status["description"]
