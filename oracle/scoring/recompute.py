"""Recompute an epoch report from its public artifacts and list where it differs.

`report_differences(report, artifacts)` reruns `score_epoch` on the report's own inputs and parameters with the
artifacts (bytes by CID; fetching them and checking their CIDs is the caller's job) and compares
every field: scores, reasons, gains and intervals, allocations and the merkle root. Floats agree
when within 1e-9 (relative) of each other; everything else must be equal. An honest report gives
an empty list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oracle.scoring.epoch import EpochInputError, score_epoch
from oracle.scoring.report import EpochReport, report_as_data

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
