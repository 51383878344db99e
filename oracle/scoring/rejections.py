"""Why a contribution (or one row of it) earns nothing: one code per cause, with a detail."""

from __future__ import annotations

from enum import Enum


class RejectionReason(str, Enum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNREADABLE = "unreadable"
    WRONG_DTYPE = "wrong_dtype"
    WRONG_SHAPE = "wrong_shape"
    WRONG_LENGTH = "wrong_length"
    WRONG_IDS = "wrong_ids"
    UNKNOWN_CLASS = "unknown_class"
    NON_FINITE = "non_finite"
    PROBABILITY_RANGE = "probability_out_of_range"
    PROBABILITY_SUM = "probability_rows_not_summing_to_one"
    WRONG_KIND = "wrong_prediction_kind"
    EXACT_COPY = "exact_copy"
    NEAR_COPY = "near_copy"
    NO_GAIN = "no_significant_gain"
    OVER_CONTRIBUTOR_LIMIT = "over_contributor_limit"
    UNKNOWN_ITEM = "unknown_item"
    DUPLICATE_LABEL = "duplicate_label"
    UNKNOWN_KIND = "unknown_contribution_kind"
    UNAVAILABLE = "artifact_unavailable"


class ArtifactRejected(ValueError):
    """A contribution that cannot be scored, with the reason code and a human-readable detail."""

    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
