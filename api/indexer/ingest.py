"""Writing decoded events into the database: idempotent inserts, derived contribution fields,
epoch reports turned into allocations, proofs and score explanations, and rollbacks.

Every function takes the session and commits nothing: the indexer commits one block range (its
events, derived rows and cursor) in one transaction, so a crash leaves the previous range's state.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Insert, delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from api import models as m
from dao.artifacts.cid import is_cid, normalize_cid
from dao.artifacts.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    StoreUnavailableError,
)
from dao.artifacts.store import ArtifactStore
from dao.merkle import RewardLeaf, reward_tree
from dao.merkle.errors import MerkleTreeError
from oracle.scoring.report import EpochReport, report_from_json

log = logging.getLogger("api.indexer")

MAX_STORED_ID = 2**63 - 1  # epoch ids and leaf indices are BIGINT columns


def insert_ignoring_duplicates(session: Session, model: type[m.Base], rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: re-ingesting a range changes nothing."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        statement: Insert = postgresql_insert(model).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(model).on_conflict_do_nothing()
    session.execute(statement, rows)


def _cid_key(cid: str) -> str:
    return normalize_cid(cid) if is_cid(cid) else cid


def store_events(session: Session, events: Iterable[dict[str, Any]]) -> tuple[set[int], list[int]]:
    """Stores decoded events; returns the contribution ids whose attestation arrived and the ids
    of epochs funded in these events."""
    rows: dict[type[m.Base], list[dict[str, Any]]] = defaultdict(list)
    attested: set[int] = set()
    funded: list[int] = []
    blocks: dict[int, str] = {}
    for e in events:
        name, block, tx = e["event"], e["block_number"], e["tx_hash"]
        blocks[block] = e["block_hash"]
        if e.get("epochId", 0) > MAX_STORED_ID or e.get("index", 0) > MAX_STORED_ID:
            # Governance may pick any uint256 epoch id; one past BIGINT is recorded in the log
            # rather than stopping the indexer on every later range.
            log.warning("event skipped: epoch id or index beyond 2^63", extra={"event": name, "block": block})
            continue
        at = {"block_number": block, "log_index": e["log_index"]}
        if name == "ContributionSubmitted":
            rows[m.Contribution].append(
                dict(
                    contribution_id=e["contributionId"],
                    project_id=e["projectId"],
                    contributor=e["contributor"],
                    kind=e["kind"],
                    cid=e["cid"],
                    block_number=block,
                    tx_hash=tx,
                    status="pending",
                    relayer=None if int(e["relayer"], 16) == 0 else e["relayer"],
                )
            )
        elif name == "ScoreAttested":
            rows[m.Attestation].append(
                dict(
                    contribution_id=e["contributionId"], score=e["score"], report_cid=e["reportCid"], block_number=block
                )
            )
            attested.add(e["contributionId"])
        elif name == "ProjectRegistered":
            rows[m.Project].append(
                dict(
                    project_id=e["projectId"],
                    name=e["name"],
                    task=e["task"],
                    metric=e["metric"],
                    benchmark_cid=e["benchmarkCid"],
                    answers_commitment=e["answersCommitment"],
                    block_number=block,
                    tx_hash=tx,
                )
            )
        elif name in ("ProjectPaused", "ProjectUnpaused"):
            rows[m.ProjectPause].append(
                dict(at, project_id=e["projectId"], paused=name == "ProjectPaused", guardian=e.get("guardian"))
            )
        elif name == "EpochFunded":
            rows[m.Epoch].append(
                dict(
                    epoch_id=e["epochId"],
                    merkle_root=e["merkleRoot"],
                    total=e["total"],
                    report_cid=e["reportCid"],
                    claim_deadline=e["claimDeadline"],
                    block_number=block,
                    tx_hash=tx,
                    report_status="missing",
                )
            )
            funded.append(e["epochId"])
        elif name == "Claimed":
            rows[m.Claim].append(
                dict(
                    epoch_id=e["epochId"],
                    leaf_index=e["index"],
                    account=e["account"],
                    amount=e["amount"],
                    block_number=block,
                    tx_hash=tx,
                )
            )
        elif name == "EpochSwept":
            rows[m.Sweep].append(
                dict(epoch_id=e["epochId"], treasury=e["treasury"], amount=e["amount"], block_number=block, tx_hash=tx)
            )
        elif name == "ProposalCreated":
            rows[m.Proposal].append(
                dict(
                    proposal_id=e["proposalId"],
                    proposer=e["proposer"],
                    targets=json.dumps(e["targets"]),
                    values=json.dumps([str(v) for v in e["values"]]),
                    calldatas=json.dumps(e["calldatas"]),
                    vote_start=e["voteStart"],
                    vote_end=e["voteEnd"],
                    description=e["description"],
                    block_number=block,
                    tx_hash=tx,
                )
            )
        elif name in ("ProposalQueued", "ProposalExecuted", "ProposalCanceled", "ProposalExtended"):
            rows[m.ProposalEvent].append(
                dict(
                    at,
                    proposal_id=e["proposalId"],
                    event=name.removeprefix("Proposal").lower(),
                    eta_or_deadline=e.get("etaSeconds", e.get("extendedDeadline")),
                )
            )
        elif name in ("VoteCast", "VoteCastWithParams"):
            rows[m.Vote].append(
                dict(
                    at,
                    proposal_id=e["proposalId"],
                    voter=e["voter"],
                    support=e["support"],
                    weight=e["weight"],
                    reason=e["reason"],
                    tx_hash=tx,
                )
            )
        elif name == "DelegateChanged":
            rows[m.Delegation].append(
                dict(
                    at,
                    delegator=e["delegator"],
                    from_delegate=e["fromDelegate"],
                    to_delegate=e["toDelegate"],
                    tx_hash=tx,
                )
            )
    # Parents before children: contributions before attestations, epochs before claims.
    for model in (
        m.Project,
        m.ProjectPause,
        m.Contribution,
        m.Attestation,
        m.Epoch,
        m.Claim,
        m.Sweep,
        m.Proposal,
        m.ProposalEvent,
        m.Vote,
        m.Delegation,
    ):
        insert_ignoring_duplicates(session, model, rows.get(model, []))
    record_blocks(session, blocks)
    return attested, funded


def ingest_events(session: Session, store: ArtifactStore, events: list[dict[str, Any]]) -> None:
    """Stores a range's decoded events and everything derived from them: contribution status,
    and for each newly funded epoch its report's allocations, proofs and explanations."""
    attested, funded = store_events(session, events)
    refresh_contributions(session, attested)
    for epoch_id in funded:
        epoch = session.get(m.Epoch, epoch_id)
        if epoch is not None and epoch.report_status == "missing":
            load_epoch_report(session, store, epoch)


def record_blocks(session: Session, blocks: dict[int, str]) -> None:
    insert_ignoring_duplicates(session, m.IndexedBlock, [{"number": n, "hash": h} for n, h in blocks.items()])


def refresh_contributions(session: Session, contribution_ids: Iterable[int]) -> None:
    """Recomputes status, score, report CID and epoch of these contributions from their
    attestation and their latest score explanation."""
    ids = sorted(set(contribution_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        attestations = {
            a.contribution_id: a
            for a in session.scalars(select(m.Attestation).where(m.Attestation.contribution_id.in_(chunk)))
        }
        explanations: dict[int, m.ScoreExplanation] = {}
        for explanation in session.scalars(
            select(m.ScoreExplanation)
            .where(m.ScoreExplanation.contribution_id.in_(chunk))
            .order_by(m.ScoreExplanation.epoch_id)
        ):
            explanations[explanation.contribution_id] = explanation
        existing = set(
            session.scalars(select(m.Contribution.contribution_id).where(m.Contribution.contribution_id.in_(chunk)))
        )
        updates = []
        for cid in chunk:
            if cid not in existing:
                continue
            a, x = attestations.get(cid), explanations.get(cid)
            status = "rejected" if x is not None and not x.accepted else "scored" if a is not None else "pending"
            updates.append(
                {
                    "contribution_id": cid,
                    "status": status,
                    "score": a.score if a else None,
                    "report_cid": a.report_cid if a else (x.report_cid if x else None),
                    "epoch_id": x.epoch_id if x else None,
                }
            )
        if updates:
            session.execute(update(m.Contribution), updates)


def load_epoch_report(session: Session, store: ArtifactStore, epoch: m.Epoch) -> None:
    """Reads the funded epoch's report from the artifact store: allocations with their proofs and
    the score explanations. A report that is absent stays `missing` (retried on the next cycle);
    one that cannot be parsed or whose root differs from the funded root is `invalid`."""
    try:
        report = report_from_json(store.get(epoch.report_cid))
    except (ArtifactNotFoundError, StoreUnavailableError):
        epoch.report_status, epoch.report_error = "missing", "the report is not in the artifact store yet"
        return
    except (ArtifactError, ValueError) as exc:  # includes pydantic's ValidationError
        _invalid(epoch, f"the report cannot be read: {_one_line(exc)}")
        return
    if any(a.index > MAX_STORED_ID for a in report.allocations):
        _invalid(epoch, "the report has a leaf index beyond 2^63, which this indexer does not store")
        return
    try:
        leaves = [RewardLeaf(a.index, a.account, a.amount_wei) for a in report.allocations]
        tree = reward_tree(leaves) if leaves else None
    except MerkleTreeError as exc:
        _invalid(epoch, f"the report's allocations do not form a tree: {exc}")
        return
    if tree is None or tree.root.lower() != epoch.merkle_root.lower():
        _invalid(
            epoch, f"the report's merkle root {tree.root if tree else None} is not the funded root {epoch.merkle_root}"
        )
        return
    insert_ignoring_duplicates(
        session,
        m.AllocationRow,
        [
            {
                "epoch_id": epoch.epoch_id,
                "leaf_index": leaf.index,
                "account": leaf.account,
                "amount": leaf.amount,
                "proof": json.dumps(tree.get_proof(position)),
            }
            for position, leaf in enumerate(leaves)
        ],
    )
    explained = _explanations(session, epoch, report)
    insert_ignoring_duplicates(session, m.ScoreExplanation, explained)
    epoch.report_status, epoch.report_error, epoch.project = "ok", None, report.inputs.project
    refresh_contributions(session, (x["contribution_id"] for x in explained))


def _invalid(epoch: m.Epoch, reason: str) -> None:
    log.warning("epoch report rejected", extra={"epoch_id": epoch.epoch_id, "reason": reason})
    epoch.report_status, epoch.report_error = "invalid", reason


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _explanations(session: Session, epoch: m.Epoch, report: EpochReport) -> list[dict[str, Any]]:
    """Score explanation rows, matched to indexed contributions by (contributor, CID)."""
    cids = {s.cid for s in report.model_scores} | {s.cid for s in report.label_submissions}
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    raw_cids = set(cids) | {normalize_cid(c) for c in cids if is_cid(c)}
    for row in session.execute(
        select(m.Contribution.contribution_id, m.Contribution.contributor, m.Contribution.cid).where(
            m.Contribution.cid.in_(sorted(raw_cids))
        )
    ):
        by_key[(row.contributor, _cid_key(row.cid))].append(row.contribution_id)
    accuracy = {a.annotator: a for a in report.annotator_scores}
    rows = []
    base = {"epoch_id": epoch.epoch_id, "report_cid": epoch.report_cid}
    for s in report.model_scores:
        for contribution_id in by_key.get((s.contributor, _cid_key(s.cid)), []):
            rows.append(
                dict(
                    base,
                    contribution_id=contribution_id,
                    accepted=s.accepted,
                    metric=report.parameters.metric.value,
                    metric_value=s.metric_value,
                    gain=s.gain,
                    gain_lower=s.gain_lower,
                    gain_upper=s.gain_upper,
                    reason=s.reason.value if s.reason else None,
                    detail=s.detail,
                    copy_of=s.copy_of,
                )
            )
    for ls in report.label_submissions:
        annotator = accuracy.get(ls.contributor)
        reason = ls.reason or (annotator.reason if annotator else None)
        for contribution_id in by_key.get((ls.contributor, _cid_key(ls.cid)), []):
            rows.append(
                dict(
                    base,
                    contribution_id=contribution_id,
                    accepted=ls.accepted and reason is None,
                    metric="annotator_accuracy",
                    metric_value=annotator.accuracy if annotator else None,
                    gain=None,
                    gain_lower=None,
                    gain_upper=None,
                    reason=reason.value if reason else None,
                    detail=ls.detail,
                    copy_of=annotator.copy_of if annotator else None,
                )
            )
    return rows


def rollback_above(session: Session, ancestor: int) -> int:
    """Deletes every row from blocks after `ancestor` and recomputes what depended on them;
    returns the number of event rows deleted."""
    touched = set(session.scalars(select(m.Attestation.contribution_id).where(m.Attestation.block_number > ancestor)))
    doomed_epochs = list(session.scalars(select(m.Epoch.epoch_id).where(m.Epoch.block_number > ancestor)))
    if doomed_epochs:
        touched |= set(
            session.scalars(
                select(m.ScoreExplanation.contribution_id).where(m.ScoreExplanation.epoch_id.in_(doomed_epochs))
            )
        )
        session.execute(delete(m.ScoreExplanation).where(m.ScoreExplanation.epoch_id.in_(doomed_epochs)))
        session.execute(delete(m.AllocationRow).where(m.AllocationRow.epoch_id.in_(doomed_epochs)))
    deleted = 0
    for model in m.EVENT_TABLES:
        # mypy does not narrow `is` out of this union of tables: the else branch never sees IndexedBlock
        column = model.number if model is m.IndexedBlock else model.block_number  # type: ignore[union-attr]
        # a DELETE gives a CursorResult, which the Result that Session.execute is typed to return is not
        result = cast(CursorResult[Any], session.execute(delete(model).where(column > ancestor)))
        deleted += result.rowcount or 0
    refresh_contributions(session, touched)
    return deleted
