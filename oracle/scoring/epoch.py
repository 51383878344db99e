"""One epoch, scored: artifacts in (bytes by CID), report out. No I/O.

Model submissions are scored on the epoch's hidden slice (the answers) alone, predictions cut to
its items. They are taken in submission order: each is validated, checked for copies and against
its contributor's limit; the rest (the epoch's challengers) are compared with the current champion
at a Bonferroni-corrected level; one that beats it earns its gain and becomes the champion.
Label submissions are pooled (the submitter is the annotator), copied annotators are set aside,
the rest are aggregated, and each annotator is scored. The budget is then split exactly and the
allocations are committed to with the reward merkle tree of `dao.merkle`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from dao.merkle import RewardLeaf, reward_tree
from dao.vocabulary import ContributionKind, Task
from oracle.scoring import SCORING_VERSION
from oracle.scoring.allocation import (
    AllocationPolicy,
    Pool,
    WeightedScore,
    allocate,
    score_units,
)
from oracle.scoring.champion import (
    BootstrapPlan,
    ScoredPredictions,
    compare_to_champion,
    corrected_confidence,
    score_with_replicates,
)
from oracle.scoring.label_format import (
    LabelBatch,
    LabelTable,
    RowRejection,
    build_label_table,
    gold_arrays,
    read_gold,
    read_label_rows,
)
from oracle.scoring.labels import DependenceThresholds, score_labels
from oracle.scoring.metrics import MetricUndefined
from oracle.scoring.originality import OriginalityIndex, OriginalityThresholds
from oracle.scoring.predictions import (
    Benchmark,
    check_kind_for_metric,
    parse_answers_csv,
    parse_predictions,
    read_public_item_ids,
    with_public_items,
)
from oracle.scoring.rejections import ArtifactRejected, RejectionReason
from oracle.scoring.report import (
    Allocation,
    AnnotatorScore,
    EpochInputs,
    EpochReport,
    LabelSubmissionScore,
    ModelScore,
    RowRejectionCount,
    ScoringParameters,
    SubmissionRef,
)

EMPTY_TREE_ROOT = "0x" + "00" * 32  # no allocations: nothing is claimable


class EpochInputError(ValueError):
    """The epoch itself cannot be scored (not one bad artifact): a missing or invalid input."""


@dataclass(frozen=True)
class _ModelOutcome:
    scores: list[ModelScore]
    champion_after: str | None
    champion_metric: float | None
    challengers: int | None = None  # tested against the champion (the Bonferroni count)
    test_confidence: float | None = None  # the one-sided level of each of those tests


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _required(artifacts: Mapping[str, bytes], cid: str | None, what: str) -> bytes:
    if cid is None:
        raise EpochInputError(f"the epoch has model submissions but no {what} CID")
    if cid not in artifacts:
        raise EpochInputError(f"the {what} artifact {cid} is not available")
    return artifacts[cid]


def _benchmark(inputs: EpochInputs, parameters: ScoringParameters, artifacts: Mapping[str, bytes]) -> Benchmark:
    """The epoch's slice (its answers), with the public item order when the inputs name it."""
    data = _required(artifacts, inputs.answers_cid, "answers")
    try:
        benchmark = parse_answers_csv(data, parameters.task, tuple(parameters.classes) or None)
    except ArtifactRejected as error:
        raise EpochInputError(f"the answers artifact is invalid: {error}") from None
    if inputs.items_cid is None:
        return benchmark
    try:
        return with_public_items(
            benchmark, read_public_item_ids(_required(artifacts, inputs.items_cid, "public items"))
        )
    except ArtifactRejected as error:
        raise EpochInputError(f"the public items do not fit the answers: {error}") from None


@dataclass(frozen=True)
class _Challenger:
    """A valid, original model submission within its contributor's limit, scored on the slice."""

    submission: SubmissionRef
    scored: ScoredPredictions


def _rejected(submission: SubmissionRef, reason: RejectionReason, detail: str, **extra: str | None) -> ModelScore:
    return ModelScore(
        order=submission.order,
        contributor=submission.contributor,
        cid=submission.cid,
        accepted=False,
        reason=reason,
        detail=detail,
        **extra,
    )


def _score_models(
    inputs: EpochInputs, parameters: ScoringParameters, artifacts: Mapping[str, bytes], submissions: list[SubmissionRef]
) -> _ModelOutcome:
    """Two passes over the submissions in order: first validation, copies and the per-contributor
    limit (none depends on a comparison), which fixes the number of challengers; then each
    challenger against the champion of the moment at the Bonferroni-corrected level."""
    benchmark = _benchmark(inputs, parameters, artifacts)
    champion_cid = inputs.champion_cid
    champion_bytes = _required(artifacts, champion_cid, "champion")
    try:
        champion_predictions = parse_predictions(champion_bytes, benchmark, parameters.max_artifact_bytes)
        check_kind_for_metric(champion_predictions, parameters.metric)
    except ArtifactRejected as error:
        raise EpochInputError(f"the champion artifact is invalid: {error}") from None
    plan = BootstrapPlan.create(
        benchmark.n_items, parameters.bootstrap_seed, parameters.bootstrap_buckets, parameters.bootstrap_replicates
    )
    thresholds = OriginalityThresholds(
        parameters.label_agreement,
        parameters.probability_distance,
        parameters.value_distance,
        parameters.model_shared_errors,
    )
    truth = benchmark.answers if parameters.task is not Task.REGRESSION else None
    originals = OriginalityIndex(benchmark.n_items, parameters.bootstrap_seed + 1, thresholds, truth=truth)
    originals.add(str(champion_cid), content_hash(champion_bytes), champion_predictions)
    try:
        champion = score_with_replicates(plan, parameters.metric, benchmark.answers, champion_predictions.values)
    except MetricUndefined as error:
        raise EpochInputError(f"{parameters.metric.value} is undefined on these answers: {error}") from None
    rejected: dict[int, ModelScore] = {}
    challengers: list[_Challenger] = []
    per_contributor: dict[str, int] = {}
    for submission in submissions:
        data = artifacts.get(submission.cid)
        if data is None:
            rejected[submission.order] = _rejected(
                submission, RejectionReason.UNAVAILABLE, "the artifact could not be fetched"
            )
            continue
        try:
            predictions = parse_predictions(data, benchmark, parameters.max_artifact_bytes)
            check_kind_for_metric(predictions, parameters.metric)
        except ArtifactRejected as error:
            rejected[submission.order] = _rejected(submission, error.reason, error.detail)
            continue
        digest = content_hash(data)
        copy = originals.find_copy(digest, predictions)
        originals.add(submission.cid, digest, predictions)
        if copy is not None:
            rejected[submission.order] = _rejected(submission, copy.reason, copy.detail, copy_of=copy.original)
            continue
        count = per_contributor.get(submission.contributor, 0) + 1
        per_contributor[submission.contributor] = count
        limit = parameters.max_models_per_contributor
        if limit is not None and count > limit:
            rejected[submission.order] = _rejected(
                submission, RejectionReason.OVER_CONTRIBUTOR_LIMIT, f"model {count} of its contributor, limit {limit}"
            )
            continue
        scored = score_with_replicates(plan, parameters.metric, benchmark.answers, predictions.values)
        challengers.append(_Challenger(submission, scored))
    tested = len(challengers)
    scores: dict[int, ModelScore] = dict(rejected)
    for challenger in challengers:
        submission = challenger.submission
        common = {"order": submission.order, "contributor": submission.contributor, "cid": submission.cid}
        comparison = compare_to_champion(
            parameters.metric, champion, challenger.scored, parameters.margin, parameters.confidence, tested
        )
        measured = {
            "metric_value": challenger.scored.value,
            "gain": comparison.gain,
            "gain_lower": comparison.lower,
            "gain_upper": comparison.upper,
        }
        if not comparison.beats_champion:
            scores[submission.order] = ModelScore(
                **common,
                **measured,
                accepted=False,
                reason=RejectionReason.NO_GAIN,
                detail=f"gain lower bound {comparison.lower:.6g} not above margin {parameters.margin}",
            )
            continue
        champion, champion_cid = challenger.scored, submission.cid
        scores[submission.order] = ModelScore(
            **common, **measured, accepted=True, became_champion=True, score_units=score_units(comparison.gain)
        )
    ordered = [scores[s.order] for s in submissions]
    return _ModelOutcome(
        ordered, champion_cid, champion.value, tested, corrected_confidence(parameters.confidence, tested)
    )


def _known_items(inputs: EpochInputs, artifacts: Mapping[str, bytes]) -> list[str] | None:
    if inputs.label_items_cid is None:
        return None
    data = artifacts.get(inputs.label_items_cid)
    if data is None:
        raise EpochInputError(f"the label items artifact {inputs.label_items_cid} is not available")
    lines = [line.strip() for line in data.decode("utf-8-sig", errors="replace").splitlines() if line.strip()]
    if not lines or lines[0] != "item":
        raise EpochInputError("the label items artifact must be a CSV with the header 'item'")
    return lines[1:]


def _source(submission: SubmissionRef) -> str:
    """Names a submission's rows: its position in the order (one CID may be submitted twice)."""
    return f"submission {submission.order}"


def _row_counts(rejections: list[RowRejection]) -> list[RowRejectionCount]:
    by_reason: dict[RejectionReason, list[int]] = {}
    for rejection in rejections:
        by_reason.setdefault(rejection.reason, []).append(rejection.line)
    return [
        RowRejectionCount(reason=r, count=len(lines), first_line=min(lines))
        for r, lines in sorted(by_reason.items(), key=lambda pair: pair[0].value)
    ]


def _annotator_order(table: LabelTable, submissions: list[SubmissionRef]) -> np.ndarray:
    """Each annotator's first position in the commit order: of two dependent annotators, the one
    committed first keeps the credit (a copier cannot commit to labels it has not seen yet)."""
    first: dict[str, int] = {}
    for submission in submissions:
        first.setdefault(submission.contributor, submission.order)
    return np.array([first[a] for a in table.annotators], dtype=np.int64)


def _score_labels(
    inputs: EpochInputs, parameters: ScoringParameters, artifacts: Mapping[str, bytes], submissions: list[SubmissionRef]
) -> tuple[list[LabelSubmissionScore], list[AnnotatorScore]]:
    if not parameters.classes:
        # Without a fixed class list, any label file could add classes and move everyone's scores.
        raise EpochInputError("label submissions need the project's class list (parameters.classes)")
    known_items = _known_items(inputs, artifacts)
    gold: dict[str, str] = {}
    if inputs.gold_cid is not None:
        if inputs.gold_cid not in artifacts:
            raise EpochInputError(f"the gold artifact {inputs.gold_cid} is not available")
        try:
            gold, _ = read_gold(artifacts[inputs.gold_cid])
        except ArtifactRejected as error:
            raise EpochInputError(f"the gold artifact is invalid: {error}") from None
    batches: list[LabelBatch] = []
    row_rejections: list[RowRejection] = []
    submission_scores: dict[str, dict] = {}
    for submission in submissions:
        common = {"order": submission.order, "contributor": submission.contributor, "cid": submission.cid}
        data = artifacts.get(submission.cid)
        try:
            if data is None:
                raise ArtifactRejected(RejectionReason.UNAVAILABLE, "the artifact could not be fetched")
            if len(data) > parameters.max_artifact_bytes:
                raise ArtifactRejected(RejectionReason.TOO_LARGE, f"{len(data)} bytes, over the limit")
            batch, rejected = read_label_rows(data, _source(submission), annotator=submission.contributor)
        except ArtifactRejected as error:
            submission_scores[_source(submission)] = {
                **common,
                "accepted": False,
                "reason": error.reason,
                "detail": error.detail,
            }
            continue
        batches.append(batch)
        row_rejections.extend(rejected)
        submission_scores[_source(submission)] = {**common, "accepted": True}
    table = build_label_table(batches, known_items, tuple(parameters.classes), gold, row_rejections)
    per_source: dict[str, list[RowRejection]] = {}
    for rejection in table.rejections:
        per_source.setdefault(rejection.source, []).append(rejection)
    label_submissions = [
        LabelSubmissionScore(**fields, rejected_rows=_row_counts(per_source.get(source, [])))
        for source, fields in submission_scores.items()
    ]
    # Labels: dependent annotators merged into one source each, paid on a lower bound of skill.
    annotator_order = _annotator_order(table, submissions)
    gold_items, gold_classes = gold_arrays(table, gold)
    thresholds = DependenceThresholds(
        min_overlap=parameters.label_copy_min_overlap, false_alarm=parameters.label_dependence_false_alarm
    )
    scored = score_labels(
        table,
        parameters.label_method,
        gold_items,
        gold_classes,
        annotator_order,
        parameters.label_skill_confidence,
        thresholds,
    )
    aggregation, copies = scored.aggregation, scored.source_of
    label_counts = np.bincount(table.annotator_index, minlength=len(table.annotators))
    annotator_scores = []
    for index, annotator in enumerate(table.annotators):
        if index in copies:
            annotator_scores.append(
                AnnotatorScore(
                    annotator=annotator,
                    labels=int(label_counts[index]),
                    reason=RejectionReason.NEAR_COPY,
                    copy_of=table.annotators[copies[index]],
                )
            )
            continue
        score = float(aggregation.annotator_score[index])
        annotator_scores.append(
            AnnotatorScore(
                annotator=annotator,
                labels=int(label_counts[index]),
                accuracy=float(aggregation.annotator_accuracy[index]),
                chance=float(aggregation.annotator_chance[index]),
                skill_lower=float(aggregation.annotator_skill_lower[index]),
                score=score,
                score_units=score_units(score),
            )
        )
    return label_submissions, annotator_scores


def score_epoch(inputs: EpochInputs, parameters: ScoringParameters, artifacts: Mapping[str, bytes]) -> EpochReport:
    """Score every submission of the epoch and split its budget; raises EpochInputError only when
    the epoch's own inputs (answers, champion, gold, label items) are missing or invalid."""
    ordered = sorted(inputs.submissions, key=lambda s: s.order)
    if len({s.order for s in ordered}) != len(ordered):
        raise EpochInputError("two submissions share one position in the submission order")
    model_submissions = [s for s in ordered if s.kind is ContributionKind.MODEL_PREDICTIONS]
    label_submissions = [s for s in ordered if s.kind is ContributionKind.LABELS]
    models = _ModelOutcome([], inputs.champion_cid, None)
    if model_submissions:
        models = _score_models(inputs, parameters, artifacts, model_submissions)
    label_scores: list[LabelSubmissionScore] = []
    annotator_scores: list[AnnotatorScore] = []
    if label_submissions:
        label_scores, annotator_scores = _score_labels(inputs, parameters, artifacts, label_submissions)
    weighted = [WeightedScore(s.contributor, Pool.MODEL_PREDICTIONS, s.score_units) for s in models.scores] + [
        WeightedScore(s.annotator, Pool.LABELS, s.score_units) for s in annotator_scores
    ]
    # -- pay (allocation.py): priced or shared pools, carry-over in and out --
    policy = AllocationPolicy(
        parameters.model_share_bps, parameters.min_payout_wei, parameters.model_price_wei, parameters.label_price_wei
    )
    carried_in = {Pool.MODEL_PREDICTIONS: inputs.carried_in_model_wei, Pool.LABELS: inputs.carried_in_label_wei}
    split = allocate(inputs.budget_wei, policy, weighted, carried_in)
    allocations = [
        Allocation(index=i, account=account, amount_wei=amount) for i, (account, amount) in enumerate(split.amounts)
    ]
    root = EMPTY_TREE_ROOT
    if allocations:
        root = reward_tree([RewardLeaf(a.index, a.account, a.amount_wei) for a in allocations]).root
    return EpochReport(
        scoring_version=SCORING_VERSION,
        inputs=inputs,
        parameters=parameters,
        champion_before=inputs.champion_cid,
        champion_after=models.champion_after,
        champion_metric=models.champion_metric,
        model_scores=models.scores,
        model_challengers=models.challengers,
        model_test_confidence=models.test_confidence,
        label_submissions=label_scores,
        annotator_scores=annotator_scores,
        model_pool_wei=split.model_pool_wei,
        label_pool_wei=split.label_pool_wei,
        unallocated_wei=split.unallocated_wei,
        carried_out_model_wei=split.carried_out_model_wei,
        carried_out_label_wei=split.carried_out_label_wei,
        allocations=allocations,
        merkle_root=root,
    )
