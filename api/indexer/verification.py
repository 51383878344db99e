"""Verifying funded epochs from the index: anyone's check of an epoch (`oracle.scoring.recompute.
audit_report`), over the indexed chain record instead of chain reads.

For each funded epoch whose report was read (`report_status` ok or invalid) the indexer builds the
epoch's `PublicEpoch` from its rows, as `merit verify` builds it from events:

- funded: the EpochFunded row (merkle root, total, report CID);
- revealed slice: the SliceRevealed row of (project, epoch);
- submissions: the epoch's revealed contributions in contribution order (`submission_refs`);
- previous: the report of epoch - 1, the funded one, else the one its contributions' scores were
  attested with (the latest ScoreAttested), fetched from the artifact store;
- chain id: the indexed deployment's.

It fetches the report's inputs (champion, label items, public items, submissions) and the revealed
slice from the artifact store, each checked against its CID by the store, and runs `audit_report`,
which recomputes the epoch. The outcome is stored on the epoch:

- `matches`: no difference (what public data could not settle is listed as unchecked);
- `differs`: the differences, each a path into the report with the reported and expected values;
- `unavailable`: something the check needs is not there yet (the slice not revealed or not in the
  store, an input artifact, the previous epoch's report named on chain, an unreachable store), or
  the check itself failed; tried again on every indexer cycle;
- `pending`: not checked yet (also while the report itself is missing).

A submission artifact the store does not have is left to the engine when the report itself
rejected that submission as unavailable (the recomputation then stands on the same ground as the
report); otherwise the epoch is unavailable. A report marked `invalid` is audited like any other
when it can be read (another epoch's or another root shows as the differences `inputs.epoch` or
`chain.merkle_root`); one that cannot be read at all differs at the path `report`.

Recomputing takes seconds for a big epoch, so it runs once per epoch (and again only while
unavailable), outside any transaction: the rows are read in one short session and the outcome is
written in another, only if the epoch is still the same funding. An exception never stops the
indexer: it is logged and the epoch is unavailable with the reason. A rollback that removes rows
an epoch was checked against puts it back to pending (`reset_after_rollback`).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api import models as m
from dao.artifacts.cid import normalize_cid
from dao.artifacts.errors import ArtifactError, ArtifactNotFoundError, StoreUnavailableError
from dao.artifacts.store import ArtifactStore, compute_artifact_cid
from dao.vocabulary import ContributionKind
from oracle.scoring.recompute import Difference, FundedRecord, PublicEpoch, RevealedSliceRecord, audit_report
from oracle.scoring.rejections import RejectionReason
from oracle.scoring.report import EpochReport, SubmissionRef, report_from_json, submission_refs

log = logging.getLogger("api.indexer")

PENDING, MATCHES, DIFFERS, UNAVAILABLE = "pending", "matches", "differs", "unavailable"
STATUSES = (PENDING, MATCHES, DIFFERS, UNAVAILABLE)
_READ = ("ok", "invalid")  # report statuses whose epochs are verified
_JSON_SAFE_INT = 2**53  # larger integers are written as decimal strings, as every API amount is


@dataclass(frozen=True)
class EpochRecord:
    """What the index holds of one funded epoch: everything its check reads besides artifacts."""

    project_id: int
    epoch: int
    block_number: int  # of the funding: the outcome is written only while this funding stands
    report_cid: str
    report_status: str
    report_error: str | None
    chain_id: int
    funded: FundedRecord
    revealed_slice: RevealedSliceRecord | None
    submissions: list[SubmissionRef]
    previous_cid: str | None  # the report the chain names for epoch - 1
    checked_block: int | None  # the newest indexed block
    checked_at: int | None


@dataclass(frozen=True)
class Outcome:
    status: str
    differences: list[dict[str, Any]]
    unchecked: list[str]
    error: str | None = None


class _Unavailable(Exception):
    """Something the check needs cannot be had yet."""


def _kind_name(code: int) -> str:
    try:
        return ContributionKind.from_code(code).value
    except ValueError:
        return f"unknown:{code}"  # not a kind this version scores: submission_refs leaves it out


def public_report_cid(session: Session, project_id: int, epoch: int) -> str | None:
    """The report the index names for a project's epoch: the funded one, else the one its
    contributions' scores were attested with (the latest attestation); None when there is none."""
    if epoch < 0:
        return None
    funded = session.get(m.Epoch, (project_id, epoch))
    if funded is not None:
        return funded.report_cid
    return session.scalar(
        select(m.Attestation.report_cid)
        .join(m.Contribution, m.Contribution.contribution_id == m.Attestation.contribution_id)
        .where(m.Contribution.project_id == project_id, m.Contribution.epoch == epoch)
        .order_by(m.Attestation.block_number.desc(), m.Attestation.contribution_id.desc())
        .limit(1)
    )


def read_record(session: Session, row: m.Epoch, chain_id: int) -> EpochRecord:
    """The epoch's public record from the indexed rows."""
    piece = session.get(m.RevealedSlice, (row.project_id, row.epoch))
    reveals = session.execute(
        select(m.Contribution.contribution_id, m.Contribution.contributor, m.Contribution.kind, m.Contribution.cid)
        .where(
            m.Contribution.project_id == row.project_id,
            m.Contribution.epoch == row.epoch,
            m.Contribution.cid.is_not(None),
        )
        .order_by(m.Contribution.contribution_id)
    ).all()
    newest = session.execute(
        select(m.IndexedBlock.number, m.IndexedBlock.timestamp).order_by(m.IndexedBlock.number.desc()).limit(1)
    ).first()
    return EpochRecord(
        project_id=row.project_id,
        epoch=row.epoch,
        block_number=row.block_number,
        report_cid=row.report_cid,
        report_status=row.report_status,
        report_error=row.report_error,
        chain_id=chain_id,
        funded=FundedRecord(row.merkle_root, row.total, row.report_cid),
        revealed_slice=None
        if piece is None
        else RevealedSliceRecord(
            index=piece.slice_index, content_hash=piece.content_hash, salt=piece.salt, cid=piece.cid
        ),
        submissions=submission_refs(
            [
                {
                    "contribution_id": r.contribution_id,
                    "contributor": r.contributor,
                    "kind": _kind_name(r.kind),
                    "cid": r.cid,
                }
                for r in reveals
            ]
        ),
        previous_cid=public_report_cid(session, row.project_id, row.epoch - 1),
        checked_block=newest.number if newest is not None else None,
        checked_at=newest.timestamp if newest is not None else None,
    )


def _fetch(store: ArtifactStore, cid: str) -> tuple[bytes | None, str | None]:
    """The artifact's bytes, checked against its CID by the store; else (None, why). An
    unreachable store raises StoreUnavailableError (the whole check waits)."""
    try:
        return store.get(normalize_cid(cid)), None
    except StoreUnavailableError:
        raise
    except ArtifactNotFoundError:
        return None, "not in the artifact store"
    except (ArtifactError, ValueError) as error:
        return None, f"cannot be read by its CID: {_one_line(error)}"


def _one_line(error: Exception) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


def _rejected_as_unavailable(report: EpochReport) -> set[int]:
    """Orders of the submissions the report rejected because their artifact could not be fetched."""
    models = {s.order for s in report.model_scores if s.reason is RejectionReason.UNAVAILABLE}
    return models | {s.order for s in report.label_submissions if s.reason is RejectionReason.UNAVAILABLE}


def _artifacts(store: ArtifactStore, report: EpochReport, record: EpochRecord) -> dict[str, bytes]:
    """The report's input artifacts and the revealed slice by CID; _Unavailable when one the check
    needs is missing."""
    inputs = report.inputs
    artifacts: dict[str, bytes] = {}
    needed: list[tuple[str, str]] = [
        (what, cid)
        for what, cid in (
            ("the champion", inputs.champion_cid),
            ("the label items", inputs.label_items_cid),
            ("the public items", inputs.items_cid),
        )
        if cid
    ]
    if inputs.slice_index is not None or record.revealed_slice is not None:
        if record.revealed_slice is None:
            raise _Unavailable("the epoch's slice is not revealed on chain (or not indexed) yet")
        needed.append(("the revealed slice", record.revealed_slice.cid))
    for what, cid in needed:
        data, why = _fetch(store, cid)
        if data is None:
            raise _Unavailable(f"{what} {cid}: {why}")
        artifacts[cid] = data
    excused = _rejected_as_unavailable(report)
    for submission in inputs.submissions:
        if submission.cid in artifacts:
            continue
        data, why = _fetch(store, submission.cid)
        if data is not None:
            artifacts[submission.cid] = data
        elif submission.order not in excused:
            raise _Unavailable(f"contribution {submission.order}'s artifact {submission.cid}: {why}")
    return artifacts


def _previous(store: ArtifactStore, record: EpochRecord, unchecked: list[str]) -> EpochReport | None:
    if record.previous_cid is None:
        return None  # audit_report says what stays unchecked
    data, why = _fetch(store, record.previous_cid)
    if data is None:
        raise _Unavailable(f"epoch {record.epoch - 1}'s report {record.previous_cid}: {why}")
    try:
        return report_from_json(data)
    except ValueError as error:
        unchecked.append(
            f"epoch {record.epoch - 1}'s report {record.previous_cid} is not an epoch report ({_one_line(error)}): "
            "the champion entering the epoch and the carry-ins"
        )
        return None


def _value(value: Any, amount: bool = False) -> Any:
    """A difference's value as JSON: amounts and big integers as decimal strings (as the report
    and every API amount write them), non-finite floats as text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value) if amount or abs(value) >= _JSON_SAFE_INT else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    return str(value)


def difference_json(difference: Difference) -> dict[str, Any]:
    amount = difference.path.endswith("_wei") or difference.path == "chain.total"
    return {
        "path": difference.path,
        "reported": _value(difference.reported, amount),
        "expected": _value(difference.recomputed, amount),
    }


def check(store: ArtifactStore, record: EpochRecord) -> Outcome:
    """Fetches what the epoch's check needs and audits its report (pure but for the store reads)."""
    unchecked: list[str] = []
    try:
        data, why = _fetch(store, record.report_cid)
        report = None
        if data is not None:
            try:
                report = report_from_json(data)
            except ValueError:
                report = None
        if report is None:
            if record.report_status == "invalid":
                difference = Difference(
                    "report", record.report_error or why, "a readable epoch report of this epoch with the funded root"
                )
                return Outcome(DIFFERS, [difference_json(difference)], [])
            raise _Unavailable(f"the report {record.report_cid}: {why or 'no longer reads as an epoch report'}")
        previous = _previous(store, record, unchecked)
        artifacts = _artifacts(store, report, record)
    except _Unavailable as reason:
        return Outcome(UNAVAILABLE, [], [], str(reason))
    except StoreUnavailableError as error:
        return Outcome(UNAVAILABLE, [], [], f"the artifact store cannot be reached: {_one_line(error)}")
    public = PublicEpoch(
        chain_id=record.chain_id,
        epoch=record.epoch,
        funded=record.funded,
        revealed_slice=record.revealed_slice,
        submissions=record.submissions,
        previous=previous,
    )
    audit = audit_report(report, public, artifacts, compute_artifact_cid)
    differences = [difference_json(d) for d in audit.differences]
    return Outcome(DIFFERS if differences else MATCHES, differences, unchecked + audit.unchecked)


def verify_epoch(sessions: sessionmaker[Session], store: ArtifactStore, key: tuple[int, int], chain_id: int) -> str:
    """Checks one funded epoch and stores the outcome; returns its verification status. Never
    raises for a failure of the check itself (it is logged; the epoch is then unavailable)."""
    checked: tuple[int | None, int | None] = (None, None)
    with sessions() as session:
        row = session.get(m.Epoch, key)
        if row is None or row.report_status not in _READ:
            return PENDING
        funding = (row.block_number, row.report_cid)
        try:
            record = read_record(session, row, chain_id)
            checked = (record.checked_block, record.checked_at)
            outcome = None
        except Exception as error:  # rows no check can be built from: said, not fatal
            log.exception("epoch verification failed", extra={"project_id": key[0], "epoch": key[1]})
            outcome = Outcome(UNAVAILABLE, [], [], f"the check failed: {type(error).__name__}: {_one_line(error)}")
    if outcome is None:
        try:
            outcome = check(store, record)
        except Exception as error:  # a bug or a corrupt input must not stop the indexer
            log.exception("epoch verification failed", extra={"project_id": key[0], "epoch": key[1]})
            outcome = Outcome(UNAVAILABLE, [], [], f"the check failed: {type(error).__name__}: {_one_line(error)}")
    with sessions.begin() as session:
        row = session.get(m.Epoch, key)
        if row is None or (row.block_number, row.report_cid) != funding:
            return PENDING  # rolled back or funded anew meanwhile: checked again on the next cycle
        row.verification_status = outcome.status
        row.verification_differences = json.dumps(outcome.differences)
        row.verification_unchecked = json.dumps(outcome.unchecked)
        row.verification_error = outcome.error
        row.verified_block, row.verified_at = checked
    level = logging.WARNING if outcome.status == DIFFERS else logging.INFO
    log.log(
        level,
        "epoch verified",
        extra={
            "project_id": key[0],
            "epoch": key[1],
            "status": outcome.status,
            "differences": len(outcome.differences),
            "reason": outcome.error,
        },
    )
    return outcome.status


def verify_epochs(
    sessions: sessionmaker[Session], store: ArtifactStore, chain_id: int, *, retry_unavailable: bool = True
) -> dict[tuple[int, int], str]:
    """Checks every funded epoch not checked yet (and those unavailable so far, unless told not
    to), oldest funding first; returns each one's status."""
    statuses = (PENDING, UNAVAILABLE) if retry_unavailable else (PENDING,)
    with sessions() as session:
        keys = session.execute(
            select(m.Epoch.project_id, m.Epoch.epoch)
            .where(m.Epoch.verification_status.in_(statuses), m.Epoch.report_status.in_(_READ))
            .order_by(m.Epoch.block_number, m.Epoch.project_id, m.Epoch.epoch)
        ).all()
    return {(p, e): verify_epoch(sessions, store, (p, e), chain_id) for p, e in keys}


def reset_after_rollback(session: Session, ancestor: int) -> None:
    """Puts back to pending the remaining epochs whose check read rows from blocks after
    `ancestor` (their revealed slice, reveals, or the previous epoch's funding or attestations).
    Called before those rows are deleted."""
    affected: set[tuple[int, int]] = set(
        session.execute(
            select(m.RevealedSlice.project_id, m.RevealedSlice.epoch).where(m.RevealedSlice.block_number > ancestor)
        ).all()
    )
    for settled, shift in ((m.Reveal, 0), (m.Attestation, 1)):
        for project_id, epoch in session.execute(
            select(m.Contribution.project_id, m.Contribution.epoch)
            .join(settled, settled.contribution_id == m.Contribution.contribution_id)
            .where(settled.block_number > ancestor)
            .distinct()
        ).all():
            affected.add((project_id, epoch + shift))
    for project_id, epoch in session.execute(
        select(m.Epoch.project_id, m.Epoch.epoch).where(m.Epoch.block_number > ancestor)
    ).all():
        affected.add((project_id, epoch + 1))
    reset(session, affected)


def reset(session: Session, keys: Iterable[tuple[int, int]]) -> None:
    """These epochs' verification back to pending (checked again on the next cycle)."""
    for project_id, epoch in sorted(set(keys)):
        session.execute(
            update(m.Epoch)
            .where(m.Epoch.project_id == project_id, m.Epoch.epoch == epoch)
            .values(
                verification_status=PENDING,
                verification_differences=None,
                verification_unchecked=None,
                verification_error=None,
                verified_block=None,
                verified_at=None,
            )
        )
