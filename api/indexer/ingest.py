"""Writing decoded events into the database: idempotent inserts, derived rows (a contribution's
reveal, score and bond; a project's schedule configurations), epoch reports turned into
allocations, proofs and score explanations, and rollbacks.

Every function takes the session and commits nothing: the indexer commits one block range (its
events, derived rows and cursor) in one transaction, so a crash leaves the previous range's state.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Insert, delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from api import models as m
from api.indexer.verification import reset_after_rollback
from dao.artifacts.cid import is_cid, normalize_cid
from dao.artifacts.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    StoreUnavailableError,
)
from dao.artifacts.store import ArtifactStore
from dao.merkle import RewardLeaf, reward_tree
from dao.merkle.errors import MerkleTreeError
from dao.vocabulary import Status
from oracle.scoring.report import EpochReport, report_from_json

log = logging.getLogger("api.indexer")

MAX_STORED_ID = 2**63 - 1  # ids, epochs, leaf indices and times are BIGINT columns
# Event fields stored in BIGINT columns: an event with one past 2^63 is skipped with a warning.
_BIGINT_FIELDS = (
    "contributionId",
    "projectId",
    "epoch",
    "index",
    "sliceSet",
    "sliceIndex",
    "sliceCount",
    "fromEpoch",
    "startTime",
    "commitWindow",
    "revealWindow",
    "claimDeadline",
)
_EPOCH_MASK = (1 << 128) - 1


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


def _address_or_none(address: str) -> str | None:
    return None if int(address, 16) == 0 else address


@dataclass
class Touched:
    """What a batch of events changed that derived rows depend on."""

    contributions: set[int] = field(default_factory=set)
    schedules: set[int] = field(default_factory=set)  # project ids
    funded: list[tuple[int, int]] = field(default_factory=list)  # (project_id, epoch)


def store_events(session: Session, events: Iterable[dict[str, Any]]) -> Touched:
    """Stores decoded events; returns what the derived rows must be recomputed for."""
    rows: dict[type[m.Base], list[dict[str, Any]]] = defaultdict(list)
    touched = Touched()
    blocks: dict[int, tuple[str, int | None]] = {}
    for e in events:
        name, block, tx = e["event"], e["block_number"], e["tx_hash"]
        blocks[block] = (e["block_hash"], e.get("block_timestamp") or blocks.get(block, ("", None))[1])
        if "epochKey" in e:
            e = {**e, "projectId": e["epochKey"] >> 128, "epoch": e["epochKey"] & _EPOCH_MASK}
        too_large = [f for f in _BIGINT_FIELDS if isinstance(e.get(f), int) and e[f] > MAX_STORED_ID]
        if too_large:
            # What the chain allows but a BIGINT column cannot hold is recorded in the log rather
            # than stopping the indexer on every later range.
            log.warning(
                "event skipped: a value beyond 2^63", extra={"event": name, "block": block, "fields": too_large}
            )
            continue
        at = {"block_number": block, "log_index": e["log_index"]}
        if name == "Committed":
            rows[m.Contribution].append(
                dict(
                    contribution_id=e["contributionId"],
                    project_id=e["projectId"],
                    epoch=e["epoch"],
                    contributor=e["contributor"],
                    commitment=e["commitment"],
                    bond=e["bond"],
                    relayer=_address_or_none(e["relayer"]),
                    block_number=block,
                    tx_hash=tx,
                    status=Status.COMMITTED.value,
                    bond_state="held" if e["bond"] else "none",
                )
            )
        elif name == "Revealed":
            rows[m.Reveal].append(
                dict(
                    contribution_id=e["contributionId"],
                    kind=e["kind"],
                    cid=e["cid"],
                    relayer=_address_or_none(e["relayer"]),
                    block_number=block,
                    tx_hash=tx,
                )
            )
            touched.contributions.add(e["contributionId"])
        elif name == "ScoreAttested":
            rows[m.Attestation].append(
                dict(
                    contribution_id=e["contributionId"],
                    score=e["score"],
                    valid=e["valid"],
                    report_cid=e["reportCid"],
                    block_number=block,
                )
            )
            touched.contributions.add(e["contributionId"])
        elif name in ("BondReturned", "BondForfeited"):
            rows[m.BondSettlement].append(
                dict(
                    contribution_id=e["contributionId"],
                    returned=name == "BondReturned",
                    amount=e["amount"],
                    block_number=block,
                    tx_hash=tx,
                )
            )
            touched.contributions.add(e["contributionId"])
        elif name == "ProjectRegistered":
            rows[m.Project].append(
                dict(
                    project_id=e["projectId"],
                    name=e["name"],
                    task=e["task"],
                    metric=e["metric"],
                    benchmark_cid=e["benchmarkCid"],
                    block_number=block,
                    tx_hash=tx,
                )
            )
        elif name == "ScheduleChanged":
            rows[m.ScheduleChange].append(
                dict(
                    at,
                    project_id=e["projectId"],
                    from_epoch=e["fromEpoch"],
                    start_time=e["startTime"],
                    commit_window=e["commitWindow"],
                    reveal_window=e["revealWindow"],
                    bond=e["bond"],
                    tx_hash=tx,
                )
            )
            touched.schedules.add(e["projectId"])
        elif name == "SlicesRegistered":
            rows[m.SliceSet].append(
                dict(
                    project_id=e["projectId"],
                    slice_set=e["sliceSet"],
                    slices_root=e["slicesRoot"],
                    slice_count=e["sliceCount"],
                    block_number=block,
                    tx_hash=tx,
                )
            )
        elif name == "SliceRevealed":
            rows[m.RevealedSlice].append(
                dict(
                    project_id=e["projectId"],
                    epoch=e["epoch"],
                    slice_set=e["sliceSet"],
                    slice_index=e["sliceIndex"],
                    content_hash=e["contentHash"],
                    salt=e["salt"],
                    cid=e["cid"],
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
                    project_id=e["projectId"],
                    epoch=e["epoch"],
                    epoch_key=e["epochKey"],
                    merkle_root=e["merkleRoot"],
                    total=e["total"],
                    report_cid=e["reportCid"],
                    claim_deadline=e["claimDeadline"],
                    block_number=block,
                    tx_hash=tx,
                    report_status="missing",
                )
            )
            touched.funded.append((e["projectId"], e["epoch"]))
        elif name == "Claimed":
            rows[m.Claim].append(
                dict(
                    project_id=e["projectId"],
                    epoch=e["epoch"],
                    leaf_index=e["index"],
                    account=e["account"],
                    amount=e["amount"],
                    block_number=block,
                    tx_hash=tx,
                )
            )
        elif name == "EpochSwept":
            rows[m.Sweep].append(
                dict(
                    project_id=e["projectId"],
                    epoch=e["epoch"],
                    treasury=e["treasury"],
                    amount=e["amount"],
                    block_number=block,
                    tx_hash=tx,
                )
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
    # Parents before children: commits before reveals and attestations, epochs before claims.
    for model in (
        m.Project,
        m.ScheduleChange,
        m.SliceSet,
        m.RevealedSlice,
        m.ProjectPause,
        m.Contribution,
        m.Reveal,
        m.Attestation,
        m.BondSettlement,
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
    return touched


def ingest_events(session: Session, store: ArtifactStore, events: list[dict[str, Any]]) -> None:
    """Stores a range's decoded events and everything derived from them: contributions' reveal,
    score and bond, projects' schedules, and for each newly funded epoch its report's allocations,
    proofs and explanations."""
    touched = store_events(session, events)
    refresh_contributions(session, touched.contributions)
    refresh_schedules(session, touched.schedules)
    for key in touched.funded:
        epoch = session.get(m.Epoch, key)
        if epoch is not None and epoch.report_status == "missing":
            load_epoch_report(session, store, epoch)


def record_blocks(session: Session, blocks: dict[int, tuple[str, int | None]]) -> None:
    """Block number -> (hash, timestamp or None); a known timestamp is kept when a later record has none."""
    if not blocks:
        return
    rows = [{"number": n, "hash": h, "timestamp": t} for n, (h, t) in blocks.items()]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        pg = postgresql_insert(m.IndexedBlock)
        statement: Insert = pg.on_conflict_do_update(
            index_elements=["number"],
            set_={"timestamp": func.coalesce(pg.excluded.timestamp, m.IndexedBlock.timestamp)},
        )
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(m.IndexedBlock)
        statement = lite.on_conflict_do_update(
            index_elements=["number"],
            set_={"timestamp": func.coalesce(lite.excluded.timestamp, m.IndexedBlock.timestamp)},
        )
    session.execute(statement, rows)


def refresh_contributions(session: Session, contribution_ids: Iterable[int]) -> None:
    """Recomputes the reveal, status, score and bond columns of these contributions from their
    `reveals`, `attestations` and `bond_settlements` rows."""
    ids = sorted(set(contribution_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        bonds = dict(
            session.execute(
                select(m.Contribution.contribution_id, m.Contribution.bond).where(
                    m.Contribution.contribution_id.in_(chunk)
                )
            ).all()
        )
        reveals = {
            r.contribution_id: r for r in session.scalars(select(m.Reveal).where(m.Reveal.contribution_id.in_(chunk)))
        }
        attestations = {
            a.contribution_id: a
            for a in session.scalars(select(m.Attestation).where(m.Attestation.contribution_id.in_(chunk)))
        }
        settlements = {
            b.contribution_id: b
            for b in session.scalars(select(m.BondSettlement).where(m.BondSettlement.contribution_id.in_(chunk)))
        }
        updates = []
        for cid in chunk:
            if cid not in bonds:
                continue  # an event about a commit this database never saw (indexing began after it)
            r, a, b = reveals.get(cid), attestations.get(cid), settlements.get(cid)
            updates.append(
                {
                    "contribution_id": cid,
                    "status": contribution_status(revealed=r is not None, attestation=a, settlement=b).value,
                    "kind": r.kind if r else None,
                    "cid": r.cid if r else None,
                    "reveal_block": r.block_number if r else None,
                    "reveal_tx": r.tx_hash if r else None,
                    "reveal_relayer": r.relayer if r else None,
                    "score": a.score if a else None,
                    "valid": a.valid if a else None,
                    "report_cid": a.report_cid if a else None,
                    "bond_state": bond_state(bonds[cid], b),
                }
            )
        if updates:
            session.execute(update(m.Contribution), updates)


def contribution_status(
    *, revealed: bool, attestation: m.Attestation | None, settlement: m.BondSettlement | None
) -> Status:
    """As the registry's Contribution.status: an attestation decides; an unrevealed commit whose
    bond was forfeited is forfeited."""
    if attestation is not None:
        return Status.ACCEPTED if attestation.valid else Status.REJECTED
    if settlement is not None and not settlement.returned and not revealed:
        return Status.FORFEITED
    return Status.REVEALED if revealed else Status.COMMITTED


def bond_state(bond: int, settlement: m.BondSettlement | None) -> str:
    if settlement is not None:
        return "returned" if settlement.returned else "forfeited"
    return "held" if bond else "none"


def refresh_schedules(session: Session, project_ids: Iterable[int]) -> None:
    """Rebuilds these projects' schedule configurations from their ScheduleChanged events: one row
    per (project, from_epoch), the latest change winning, as the registry replaces a change that
    had not taken effect yet."""
    for project_id in sorted(set(project_ids)):
        latest: dict[int, m.ScheduleChange] = {}
        for change in session.scalars(
            select(m.ScheduleChange)
            .where(m.ScheduleChange.project_id == project_id)
            .order_by(m.ScheduleChange.block_number, m.ScheduleChange.log_index)
        ):
            latest[change.from_epoch] = change
        session.execute(delete(m.ProjectSchedule).where(m.ProjectSchedule.project_id == project_id))
        insert_ignoring_duplicates(
            session,
            m.ProjectSchedule,
            [
                {
                    "project_id": project_id,
                    "from_epoch": c.from_epoch,
                    "start_time": c.start_time,
                    "commit_window": c.commit_window,
                    "reveal_window": c.reveal_window,
                    "bond": c.bond,
                    "block_number": c.block_number,
                    "log_index": c.log_index,
                }
                for c in latest.values()
            ],
        )


def load_epoch_report(session: Session, store: ArtifactStore, epoch: m.Epoch) -> None:
    """Reads the funded epoch's report from the artifact store: allocations with their proofs and
    the score explanations. A report that is absent stays `missing` (retried on the next cycle);
    one that cannot be parsed, is another epoch's, or whose root differs from the funded root is
    `invalid`."""
    try:
        report = report_from_json(store.get(epoch.report_cid))
    except (ArtifactNotFoundError, StoreUnavailableError):
        epoch.report_status, epoch.report_error = "missing", "the report is not in the artifact store yet"
        return
    except (ArtifactError, ValueError) as exc:  # includes pydantic's ValidationError
        _invalid(epoch, f"the report cannot be read: {_one_line(exc)}")
        return
    if report.inputs.epoch != epoch.epoch:
        _invalid(epoch, f"the report is of epoch {report.inputs.epoch}, not of the funded epoch {epoch.epoch}")
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
                "project_id": epoch.project_id,
                "epoch": epoch.epoch,
                "leaf_index": leaf.index,
                "account": leaf.account,
                "amount": leaf.amount,
                "proof": json.dumps(tree.get_proof(position)),
            }
            for position, leaf in enumerate(leaves)
        ],
    )
    insert_ignoring_duplicates(session, m.ScoreExplanation, _explanations(session, epoch, report))
    epoch.report_status, epoch.report_error = "ok", None


def _invalid(epoch: m.Epoch, reason: str) -> None:
    log.warning("epoch report rejected", extra={"project_id": epoch.project_id, "epoch": epoch.epoch, "reason": reason})
    epoch.report_status, epoch.report_error = "invalid", reason


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _explanations(session: Session, epoch: m.Epoch, report: EpochReport) -> list[dict[str, Any]]:
    """Score explanation rows. A report entry's `order` is the contribution id; it explains that
    contribution only when the contribution is indexed in this project's epoch, by the same
    contributor, with the same CID (anything else is logged and left out)."""
    orders = {s.order for s in report.model_scores} | {s.order for s in report.label_submissions}
    known = {
        row.contribution_id: row
        for row in session.execute(
            select(
                m.Contribution.contribution_id,
                m.Contribution.project_id,
                m.Contribution.epoch,
                m.Contribution.contributor,
                m.Contribution.cid,
            ).where(m.Contribution.contribution_id.in_(sorted(o for o in orders if o <= MAX_STORED_ID)))
        )
    }

    def ours(order: int, contributor: str, cid: str) -> bool:
        row = known.get(order)
        if (
            row is not None
            and (row.project_id, row.epoch) == (epoch.project_id, epoch.epoch)
            and row.contributor == contributor
            and row.cid is not None
            and _cid_key(row.cid) == _cid_key(cid)
        ):
            return True
        log.warning(
            "report entry names no contribution of its epoch",
            extra={"project_id": epoch.project_id, "epoch": epoch.epoch, "order": order, "contributor": contributor},
        )
        return False

    accuracy = {a.annotator: a for a in report.annotator_scores}
    rows = []
    base = {"project_id": epoch.project_id, "epoch": epoch.epoch, "report_cid": epoch.report_cid}
    for s in report.model_scores:
        if ours(s.order, s.contributor, s.cid):
            rows.append(
                dict(
                    base,
                    contribution_id=s.order,
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
        if ours(ls.order, ls.contributor, ls.cid):
            rows.append(
                dict(
                    base,
                    contribution_id=ls.order,
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
    returns the number of event rows deleted. Epochs that stay but were verified against rows
    that go are verified again."""
    reset_after_rollback(session, ancestor)
    touched: set[int] = set()
    for settled in (m.Reveal, m.Attestation, m.BondSettlement):
        touched |= set(session.scalars(select(settled.contribution_id).where(settled.block_number > ancestor)))
    projects = set(session.scalars(select(m.ScheduleChange.project_id).where(m.ScheduleChange.block_number > ancestor)))
    for project_id, epoch in session.execute(
        select(m.Epoch.project_id, m.Epoch.epoch).where(m.Epoch.block_number > ancestor)
    ).all():
        for child in (m.ScoreExplanation, m.AllocationRow):
            session.execute(delete(child).where(child.project_id == project_id, child.epoch == epoch))
    deleted = 0
    for model in m.EVENT_TABLES:
        # mypy does not narrow `is` out of this union of tables: the else branch never sees IndexedBlock
        column = model.number if model is m.IndexedBlock else model.block_number  # type: ignore[union-attr]
        # a DELETE gives a CursorResult, which the Result that Session.execute is typed to return is not
        result = cast(CursorResult[Any], session.execute(delete(model).where(column > ancestor)))
        deleted += result.rowcount or 0
    refresh_contributions(session, touched)
    refresh_schedules(session, projects)
    return deleted
