"""The epoch report: its schema (the one definition, imported by the oracle service and the API)
and its canonical JSON.

Canonical JSON: UTF-8, keys sorted, no whitespace (separators ``,`` and ``:``), no NaN or infinity.
Token amounts (base units, 18 decimals) and other integers that may exceed 2^53 are decimal
strings; other integers are JSON integers; floats are rounded to 12 significant digits and written
in Python's shortest round-trip form; addresses are EIP-55 checksummed. `schema_version` names this
layout; `scoring_version` the scoring rules that produced the numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from eth_utils import is_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from dao.vocabulary import ContributionKind, Task
from oracle.scoring.labels import AggregationMethod
from oracle.scoring.metrics import Metric
from oracle.scoring.rejections import RejectionReason

SCHEMA_VERSION = "openmerit.epoch-report/2"  # 2: the slice, the model test level, per-contributor limit
FLOAT_SIGNIFICANT_DIGITS = 12


def round_float(value: float) -> float:
    return float(f"{value:.{FLOAT_SIGNIFICANT_DIGITS}g}")


def _checksummed(value: str) -> str:
    if not is_address(value):
        raise ValueError(f"{value!r} is not a 20-byte hex address")
    return to_checksum_address(value)


def _bytes32_hex(value: str) -> str:
    if len(value) != 66 or not value.startswith("0x") or any(c not in "0123456789abcdefABCDEF" for c in value[2:]):
        raise ValueError(f"{value!r} is not a 0x-prefixed 32-byte hex string")
    return value.lower()


Bytes32Hex = Annotated[str, AfterValidator(_bytes32_hex)]
Wei = Annotated[int, Field(ge=0), PlainSerializer(lambda v: str(v), return_type=str, when_used="json")]
Address = Annotated[str, AfterValidator(_checksummed)]
ReportFloat = Annotated[float, AfterValidator(round_float), Field(allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class ScoringParameters(_Model):
    """Everything the scores depend on besides the artifacts."""

    task: Task
    metric: Metric
    classes: list[str] = Field(default_factory=list)  # the project's classes, for answers and labels alike
    margin: ReportFloat = 0.0  # the gain's lower bound must exceed this to beat the champion
    confidence: ReportFloat = Field(0.95, gt=0.5, lt=1.0)  # one-sided level of that lower bound
    # Fixed once submissions close (e.g. from the closing block's hash), so nobody can tune to it.
    bootstrap_seed: int = Field(0, ge=0)
    bootstrap_buckets: int = Field(1000, ge=1)
    bootstrap_replicates: int = Field(1000, ge=10)
    max_artifact_bytes: int = Field(512 * 1024 * 1024, ge=1)
    # Near copies of model predictions (see originality.py): label agreement, probability
    # total-variation distance, regression RMS difference relative to the earlier values' spread.
    label_agreement: ReportFloat = Field(0.995, gt=0.0, le=1.0)  # labels: only against an error-free model
    probability_distance: ReportFloat = Field(0.01, ge=0.0)
    value_distance: ReportFloat = Field(0.01, ge=0.0)
    # Model label predictions are near copies on shared errors: within 1 - this share of an earlier
    # model's labels, repeating this share of its errors, departing from it no better than noise.
    model_shared_errors: ReportFloat = Field(0.9, gt=0.0, le=1.0)
    # Scored model submissions per contributor per epoch (None: no limit); beyond: over_contributor_limit.
    max_models_per_contributor: int | None = Field(None, ge=1)
    label_method: AggregationMethod = AggregationMethod.DAWID_SKENE
    # Labels (see labels.score_labels). Dependent annotators (copies, colluders) are found from shared
    # errors on at least this many shared items, with this chance of flagging any independent pair of
    # the epoch; annotators are paid on the lower bound of their skill at `label_skill_confidence`.
    label_copy_min_overlap: int = Field(20, ge=1)
    label_dependence_false_alarm: ReportFloat = Field(1e-3, gt=0.0, lt=1.0)
    label_skill_confidence: ReportFloat = Field(0.95, gt=0.5, lt=1.0)
    # Pay (see allocation.py). A price is base units per point of score (1.0 of verified gain, or of
    # annotator score), paid up to the pool's money, the rest carried over; None shares the pool by score.
    model_share_bps: int = Field(5000, ge=0, le=10_000)
    cap_wei: Wei | None = None  # no longer supported (bypassed by splitting over accounts); kept so old reports read
    min_payout_wei: Wei = 0
    model_price_wei: Wei | None = None
    label_price_wei: Wei | None = None

    @field_validator("cap_wei")
    @classmethod
    def _no_cap(cls, value: int | None) -> int | None:
        if value is not None:
            raise ValueError(
                "a per-contributor cap is not supported: accounts are free, so it is bypassed by splitting one "
                "contributor's work over accounts; set model_price_wei / label_price_wei to bound pay per unit of score"
            )
        return value


class SubmissionRef(_Model):
    """One on-chain submission: its place in submission order, submitter, kind and artifact CID."""

    order: int = Field(ge=0)
    contributor: Address
    kind: ContributionKind
    cid: str = Field(min_length=1)


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


class EpochInputs(_Model):
    """What an epoch is scored from: the artifacts are fetched by these CIDs."""

    project: str = Field(min_length=1)
    epoch: int = Field(ge=0)
    chain_id: int = Field(ge=0)
    budget_wei: Wei
    answers_cid: str | None = None
    champion_cid: str | None = None  # the champion entering the epoch (for a new project, its baseline)
    label_items_cid: str | None = None  # CSV with header `item`: the items open for labelling
    gold_cid: str | None = None
    submissions: list[SubmissionRef] = Field(default_factory=list)
    # The epoch's hidden slice (models are scored on it alone): its index in the project's committed
    # sequence and its on-chain commitment; and the public benchmark inputs (CSV with an `id`
    # column) that give the public item order of .npy predictions. None in reports before slices.
    slice_index: int | None = Field(None, ge=0)
    slice_commitment: Bytes32Hex | None = None
    items_cid: str | None = None
    # What each pool did not pay in the previous epoch (its report's carried_out_*), added to this epoch's pool.
    carried_in_model_wei: Wei = 0
    carried_in_label_wei: Wei = 0


class ModelScore(_Model):
    order: int
    contributor: Address
    cid: str
    accepted: bool
    reason: RejectionReason | None = None
    detail: str | None = None
    copy_of: str | None = None
    metric_value: ReportFloat | None = None
    gain: ReportFloat | None = None  # over the champion of the moment, higher is better
    gain_lower: ReportFloat | None = None  # bootstrap quantile 1 - confidence
    gain_upper: ReportFloat | None = None  # bootstrap quantile confidence
    became_champion: bool = False
    score_units: int = 0


class RowRejectionCount(_Model):
    reason: RejectionReason
    count: int
    first_line: int


class LabelSubmissionScore(_Model):
    """A label artifact: accepted unless unreadable as a whole; rows it lost and why."""

    order: int
    contributor: Address
    cid: str
    accepted: bool
    reason: RejectionReason | None = None
    detail: str | None = None
    rejected_rows: list[RowRejectionCount] = Field(default_factory=list)


class AnnotatorScore(_Model):
    annotator: Address
    labels: int
    # Figures over all the annotator's labels, gold items judged like the rest (by the other labels),
    # so none of them tells a gold item apart; score = labels x max(0, skill_lower) over the source's
    # labels (a group of dependent annotators is one source, paid at its earliest member).
    accuracy: ReportFloat | None = None
    chance: ReportFloat | None = None
    skill_lower: ReportFloat | None = None
    score: ReportFloat = 0.0
    score_units: int = 0
    reason: RejectionReason | None = None
    copy_of: Address | None = None


class Allocation(_Model):
    index: int = Field(ge=0)
    account: Address
    amount_wei: Wei


class EpochReport(_Model):
    schema_version: str = SCHEMA_VERSION
    scoring_version: str
    inputs: EpochInputs
    parameters: ScoringParameters
    champion_before: str | None = None
    champion_after: str | None = None
    champion_metric: ReportFloat | None = None
    model_scores: list[ModelScore] = Field(default_factory=list)
    # The champion test's multiple-testing correction (Bonferroni): challengers tested this epoch
    # and the one-sided confidence each comparison used, 1 - (1 - confidence) / challengers.
    model_challengers: int | None = None
    model_test_confidence: ReportFloat | None = None
    label_submissions: list[LabelSubmissionScore] = Field(default_factory=list)
    annotator_scores: list[AnnotatorScore] = Field(default_factory=list)
    model_pool_wei: Wei  # the pool's money: its share of budget_wei plus its carry-in
    label_pool_wei: Wei
    unallocated_wei: Wei  # not paid: carried_out_model_wei + carried_out_label_wei
    carried_out_model_wei: Wei = 0  # the next epoch's carried_in_model_wei
    carried_out_label_wei: Wei = 0
    allocations: list[Allocation] = Field(default_factory=list)
    merkle_root: str


def canonical_json(model: BaseModel) -> str:
    """The model's canonical JSON text (see the module docstring)."""
    return json.dumps(
        model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def report_from_json(text: str | bytes) -> EpochReport:
    return EpochReport.model_validate_json(text)


def report_as_data(report: EpochReport) -> dict[str, Any]:
    """The report as JSON-ready data (what the canonical JSON encodes)."""
    data: dict[str, Any] = report.model_dump(mode="json")
    return data
