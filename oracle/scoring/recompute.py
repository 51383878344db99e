"""Recompute an epoch report from its public artifacts and list where it differs.

`report_differences(report, artifacts)` reruns `score_epoch` on the report's own inputs and parameters with the
artifacts (bytes by CID; fetching them and checking their CIDs is the caller's job) and compares
every field: scores, reasons, gains and intervals, allocations and the merkle root. Floats agree
when within 1e-9 (relative) of each other; everything else must be equal. An honest report gives
an empty list.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dao.slices import content_hash, slice_commitment
from oracle.scoring.epoch import EpochInputError, score_epoch
from oracle.scoring.report import EpochReport, SubmissionRef, report_as_data
from oracle.scoring.slices import label_item_ids, split_slice

FLOAT_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Difference:
    path: str  # dotted path into the report, list positions in brackets
    reported: Any
    recomputed: Any


def _compare(path: str, reported: Any, recomputed: Any, out: list[Difference]) -> None:
    if isinstance(reported, dict) and isinstance(recomputed, dict):
        for key in sorted(set(reported) | set(recomputed)):
            _compare(f"{path}.{key}" if path else key, reported.get(key), recomputed.get(key), out)
    elif isinstance(reported, list) and isinstance(recomputed, list):
        if len(reported) != len(recomputed):
            out.append(Difference(f"{path}.length", len(reported), len(recomputed)))
        for i, (a, b) in enumerate(zip(reported, recomputed)):
            _compare(f"{path}[{i}]", a, b, out)
    elif isinstance(reported, float) and isinstance(recomputed, float):
        if not math.isclose(reported, recomputed, rel_tol=FLOAT_RELATIVE_TOLERANCE, abs_tol=1e-12):
            out.append(Difference(path, reported, recomputed))
    elif reported != recomputed or type(reported) is not type(recomputed):
        out.append(Difference(path, reported, recomputed))


def report_differences(report: EpochReport, artifacts: Mapping[str, bytes]) -> list[Difference]:
    """Every difference between the report and its recomputation (empty when it is honest)."""
    differences: list[Difference] = []
    try:
        recomputed = score_epoch(report.inputs, report.parameters, artifacts)
    except EpochInputError as error:
        return [*differences, Difference("inputs", "scorable", f"cannot recompute: {error}")]
    _compare("", report_as_data(report), report_as_data(recomputed), differences)
    return differences


# -- an epoch against what the chain says of it ---------------------------------------------------


@dataclass(frozen=True)
class FundedRecord:
    """The distributor's EpochFunded event of the epoch."""

    merkle_root: str  # 0x-prefixed
    total: int
    report_cid: str


@dataclass(frozen=True)
class RevealedSliceRecord:
    """The registry's SliceRevealed event of the epoch (the registry checked it against the
    project's committed slices root before emitting it)."""

    index: int
    content_hash: str  # 0x-prefixed keccak256 of the slice's bytes
    salt: str  # 0x-prefixed
    cid: str


@dataclass(frozen=True)
class PublicEpoch:
    """What the chain says of one epoch of a project, read by whoever verifies it."""

    chain_id: int
    epoch: int
    funded: FundedRecord | None
    revealed_slice: RevealedSliceRecord | None
    submissions: Sequence[SubmissionRef]  # the epoch's reveals, in contribution order (submission_refs)
    # The previous epoch's report when it is public (funded, or named by an attestation): the
    # champion entering this epoch and the carry-ins follow from it. None: those stay unchecked.
    previous: EpochReport | None = None


@dataclass(frozen=True)
class Audit:
    differences: list[Difference]
    unchecked: list[str]  # what public data could not settle (said, never counted as a match)

    @property
    def matches(self) -> bool:
        return not self.differences


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _slice_parts(
    report: EpochReport,
    public: PublicEpoch,
    artifacts: Mapping[str, bytes],
    cid_of: Callable[[bytes], str],
    out: list[Difference],
) -> dict[str, bytes]:
    """Checks the report's slice against the revealed one and returns the parts the engine scores
    from (answers and gold, under the CIDs they hash to)."""
    inputs = report.inputs
    revealed = public.revealed_slice
    if inputs.slice_index is None:
        if revealed is not None:
            out.append(Difference("inputs.slice_index", None, revealed.index))
        return {}
    if revealed is None:
        out.append(Difference("chain.slice", f"slice {inputs.slice_index}", "no slice revealed for the epoch"))
        return {}
    if inputs.slice_index != revealed.index:
        out.append(Difference("inputs.slice_index", inputs.slice_index, revealed.index))
    commitment = _hex(slice_commitment(bytes.fromhex(revealed.content_hash[2:]), bytes.fromhex(revealed.salt[2:])))
    if inputs.slice_commitment != commitment:
        out.append(Difference("inputs.slice_commitment", inputs.slice_commitment, commitment))
    data = artifacts.get(revealed.cid)
    if data is None:
        out.append(Difference("chain.slice.cid", revealed.cid, "not available"))
        return {}
    if _hex(content_hash(data)) != revealed.content_hash.lower():
        out.append(Difference("chain.slice.content_hash", revealed.content_hash, _hex(content_hash(data))))
        return {}
    items = artifacts.get(inputs.label_items_cid) if inputs.label_items_cid else None
    try:
        answers, gold = split_slice(data, label_item_ids(items))
    except ValueError as error:
        out.append(Difference("chain.slice", "a slice", str(error)))
        return {}
    parts: dict[str, bytes] = {}
    for path, claimed, part in (
        ("inputs.answers_cid", inputs.answers_cid, answers),
        ("inputs.gold_cid", inputs.gold_cid, gold),
    ):
        derived = cid_of(part) if part is not None else None
        if claimed != derived:
            out.append(Difference(path, claimed, derived))
        if derived is not None and part is not None:
            parts[derived] = part
    return parts


def audit_report(
    report: EpochReport,
    public: PublicEpoch,
    artifacts: Mapping[str, bytes],
    cid_of: Callable[[bytes], str],
) -> Audit:
    """Every way the report departs from the chain and from its own recomputation.

    `artifacts` holds bytes by CID, each already checked against its CID by whoever fetched them:
    the report's inputs (champion, label items, public items, submissions) and the revealed slice
    (under the CID its SliceRevealed event names). The answers and gold are derived from the slice
    here, not taken from anyone's store, so a report cannot be scored on answers other than the
    committed ones. `cid_of` is the artifact store's CID function (the engine stays free of it).
    """
    out: list[Difference] = []
    unchecked: list[str] = []
    inputs = report.inputs
    if inputs.epoch != public.epoch:
        out.append(Difference("inputs.epoch", inputs.epoch, public.epoch))
    if inputs.chain_id != public.chain_id:
        out.append(Difference("inputs.chain_id", inputs.chain_id, public.chain_id))
    on_chain = [s.model_dump(mode="json") for s in public.submissions]
    reported = [s.model_dump(mode="json") for s in inputs.submissions]
    if reported != on_chain:
        _compare("inputs.submissions", reported, on_chain, out)
    if public.funded is None:
        unchecked.append("the epoch is not funded on chain: nothing paid to compare with")
    else:
        paid = sum(a.amount_wei for a in report.allocations)
        if report.merkle_root.lower() != public.funded.merkle_root.lower():
            out.append(Difference("chain.merkle_root", report.merkle_root, public.funded.merkle_root))
        if paid != public.funded.total:
            out.append(Difference("chain.total", paid, public.funded.total))
    previous = public.previous
    if previous is None:
        if inputs.epoch > 0:
            unchecked.append(
                f"epoch {inputs.epoch - 1}'s report is not public (never funded or attested): "
                "the champion entering the epoch and the carry-ins"
            )
    else:
        if previous.champion_after is not None and inputs.champion_cid != previous.champion_after:
            out.append(Difference("inputs.champion_cid", inputs.champion_cid, previous.champion_after))
        for path, carried_in, carried_out in (
            ("inputs.carried_in_model_wei", inputs.carried_in_model_wei, previous.carried_out_model_wei),
            ("inputs.carried_in_label_wei", inputs.carried_in_label_wei, previous.carried_out_label_wei),
        ):
            if carried_in != carried_out:
                out.append(Difference(path, carried_in, carried_out))
    unchecked.append("the budget and scoring parameters are the oracle's settings, not on chain")
    parts = _slice_parts(report, public, artifacts, cid_of, out)
    out.extend(report_differences(report, {**artifacts, **parts}))
    return Audit(out, unchecked)
