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
from typing import Annotated, Any

from eth_utils import is_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from dao.vocabulary import ContributionKind, Task
from oracle.scoring.labels import AggregationMethod
from oracle.scoring.metrics import Metric
from oracle.scoring.rejections import RejectionReason

SCHEMA_VERSION = "openmerit.epoch-report/1"
FLOAT_SIGNIFICANT_DIGITS = 12


def round_float(value: float) -> float:
    return float(f"{value:.{FLOAT_SIGNIFICANT_DIGITS}g}")


def _checksummed(value: str) -> str:
    if not is_address(value):
        raise ValueError(f"{value!r} is not a 20-byte hex address")
    return to_checksum_address(value)


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
    label_agreement: ReportFloat = Field(0.995, gt=0.0, le=1.0)
    probability_distance: ReportFloat = Field(0.01, ge=0.0)
    value_distance: ReportFloat = Field(0.01, ge=0.0)
    label_method: AggregationMethod = AggregationMethod.DAWID_SKENE
    # Labels (see labels.score_labels). Dependent annotators (copies, colluders) are found from shared
    # errors on at least this many shared items, with this chance of flagging any independent pair of
    # the epoch; annotators are paid on the lower bound of their skill at `label_skill_confidence`.
    label_copy_min_overlap: int = Field(20, ge=1)
    label_dependence_false_alarm: ReportFloat = Field(1e-3, gt=0.0, lt=1.0)
    label_skill_confidence: ReportFloat = Field(0.95, gt=0.5, lt=1.0)
    model_share_bps: int = Field(5000, ge=0, le=10_000)
    cap_wei: Wei | None = None
    min_payout_wei: Wei = 0


class SubmissionRef(_Model):
    """One on-chain submission: its place in submission order, submitter, kind and artifact CID."""

    order: int = Field(ge=0)
    contributor: Address
    kind: ContributionKind
    cid: str = Field(min_length=1)


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
    label_submissions: list[LabelSubmissionScore] = Field(default_factory=list)
    annotator_scores: list[AnnotatorScore] = Field(default_factory=list)
    model_pool_wei: Wei
    label_pool_wei: Wei
    unallocated_wei: Wei
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
