"""The oracle's pure decisions: which blocks an epoch covers, what it is scored from, which score
each contribution is attested with. No I/O: data in, data out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dao.vocabulary import ContributionKind
from oracle.scoring.report import (
    EpochInputs,
    EpochReport,
    SubmissionRef,
)

T = TypeVar("T")


@dataclass(frozen=True)
class BlockRange:
    first: int
    last: int  # inclusive


def epoch_blocks(first_block: int, length_blocks: int, epoch: int) -> BlockRange:
    """Epoch N covers [first_block + N * length, first_block + (N + 1) * length - 1]."""
    if epoch < 0:
        raise ValueError(f"epochs are numbered from 0, got {epoch}")
    start = first_block + epoch * length_blocks
    return BlockRange(start, start + length_blocks - 1)


def last_closed_epoch(first_block: int, length_blocks: int, safe_head: int) -> int:
    """The newest epoch whose every block is at or below the safe head (-1 when none is)."""
    if safe_head < first_block:
        return -1
    return (safe_head - first_block + 1) // length_blocks - 1


def submission_refs(submissions: Sequence[Mapping[str, Any]]) -> list[SubmissionRef]:
    """The report's view of chain submissions: the contribution id is the submission order."""
    return [
        SubmissionRef(
            order=int(s["contribution_id"]),
            contributor=s["contributor"],
            kind=ContributionKind(s["kind"]),
            cid=s["cid"],
        )
        for s in submissions
        if s["kind"] in ContributionKind.names()
    ]


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
    )


def contribution_scores(report: EpochReport) -> list[tuple[int, int]]:
    """(contribution id, score) for every submission of the report, in contribution order.

    A model submission's score is its score units (0 when rejected); a label submission carries its
    annotator's score units when the file was accepted, 0 when it was rejected whole.
    """
    scores: dict[int, int] = {s.order: s.score_units for s in report.model_scores}
    by_annotator = {a.annotator: a.score_units for a in report.annotator_scores}
    for submission in report.label_submissions:
        scores[submission.order] = by_annotator.get(submission.contributor, 0) if submission.accepted else 0
    for ref in report.inputs.submissions:
        scores.setdefault(ref.order, 0)
    return sorted(scores.items())


def funded_total(report: EpochReport) -> int:
    """What the proposal moves from the treasury: the allocations (the unallocated rest stays)."""
    return sum(a.amount_wei for a in report.allocations)


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    if size < 1:
        raise ValueError("a batch holds at least one item")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
