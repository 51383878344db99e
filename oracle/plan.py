"""The oracle's pure decisions: what an epoch is scored from, which score and verdict each
contribution is attested with. No I/O: data in, data out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from oracle.scoring.rejections import RejectionReason
from oracle.scoring.report import EpochInputs, EpochReport, submission_refs

T = TypeVar("T")


def epoch_inputs(
    *,
    project: str,
    epoch: int,
    chain_id: int,
    budget_wei: int,
    submissions: Sequence[Mapping[str, Any]],
    answers_cid: str | None,
    champion_cid: str | None,
    label_items_cid: str | None,
    gold_cid: str | None,
    carried_in: tuple[int, int] = (0, 0),
    slice_index: int | None = None,
    slice_commitment: str | None = None,
    items_cid: str | None = None,
) -> EpochInputs:
    return EpochInputs(
        project=project,
        epoch=epoch,
        chain_id=chain_id,
        budget_wei=budget_wei,
        answers_cid=answers_cid,
        champion_cid=champion_cid,
        label_items_cid=label_items_cid,
        gold_cid=gold_cid,
        submissions=submission_refs(submissions),
        carried_in_model_wei=carried_in[0],
        carried_in_label_wei=carried_in[1],
        slice_index=slice_index,
        slice_commitment=slice_commitment,
        items_cid=items_cid,
    )


def carried_in(previous: EpochReport | None, project: str, epoch: int) -> tuple[int, int]:
    """What the model and label pools carry into `epoch`: the carry-outs of the previous epoch's
    report (its pools' unspent money, still in the treasury), or nothing when there is no previous
    report (the first epoch, or an oracle started later) or it is not the previous epoch of this
    project. A report is final once scored (steps never rescore it), so the chain of carries is too;
    allocations of an epoch whose funding failed stay in the treasury and are not carried."""
    if previous is None or previous.inputs.project != project or previous.inputs.epoch != epoch - 1:
        return 0, 0
    return previous.carried_out_model_wei, previous.carried_out_label_wei


# Rejections that make a contribution invalid (its bond goes to the treasury): it was malformed or a
# copy. A model that is well formed but no better than the champion is valid; so is an artifact the
# oracle could not fetch, which is never held against the contributor.
_VALID_REJECTIONS = frozenset({RejectionReason.NO_GAIN, RejectionReason.UNAVAILABLE})


@dataclass(frozen=True)
class Verdict:
    """What the oracle attests for one contribution."""

    contribution_id: int
    score_units: int
    valid: bool


def contribution_verdicts(report: EpochReport) -> list[Verdict]:
    """The score and validity of every submission of the report, in contribution order.

    A model submission's score is its score units (0 when rejected); a label submission carries its
    annotator's score units when the file was accepted, 0 when it was rejected whole. A submission
    is invalid when it was malformed or a copy.
    """
    verdicts: dict[int, Verdict] = {}
    for m in report.model_scores:
        valid = m.accepted or m.reason in _VALID_REJECTIONS
        verdicts[m.order] = Verdict(m.order, m.score_units, valid)
    by_annotator = {a.annotator: a for a in report.annotator_scores}
    for submission in report.label_submissions:
        annotator = by_annotator.get(submission.contributor)
        units = annotator.score_units if submission.accepted and annotator is not None else 0
        copied = annotator is not None and annotator.copy_of is not None
        valid = (submission.accepted or submission.reason in _VALID_REJECTIONS) and not copied
        verdicts[submission.order] = Verdict(submission.order, units, valid)
    for ref in report.inputs.submissions:
        verdicts.setdefault(ref.order, Verdict(ref.order, 0, False))  # a kind this version does not score
    return [verdicts[order] for order in sorted(verdicts)]


def contribution_scores(report: EpochReport) -> list[tuple[int, int]]:
    """(contribution id, score) for every submission of the report, in contribution order."""
    return [(v.contribution_id, v.score_units) for v in contribution_verdicts(report)]


def funded_total(report: EpochReport) -> int:
    """What the proposal moves from the treasury: the allocations (the unallocated rest stays)."""
    return sum(a.amount_wei for a in report.allocations)


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    if size < 1:
        raise ValueError("a batch holds at least one item")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
