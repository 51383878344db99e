"""Champion / challenger: a seeded, deterministic paired bootstrap of the gain over the champion.

Resampling a million items a thousand times per submission is too slow for an epoch, so the
bootstrap resamples buckets: the items are dealt into `n_buckets` buckets by a seeded permutation,
each metric is reduced to per-bucket sufficient statistics (hits, per-class counts, sums of
losses or squared errors), and each replicate draws the buckets with replacement (multinomial
multiplicities from the same seed) and recomputes the metric from the summed statistics. Buckets of
randomly dealt items are exchangeable, so this is the ordinary bootstrap of the item mean at bucket
granularity. ROC-AUC is not a sum over items; it is resampled through its first-order (Hajek)
expansion, whose variance is DeLong's. The same plan (buckets and multiplicities) serves both sides
of every comparison, which is what makes the bootstrap paired.

A challenger beats the champion when the lower confidence bound of its gain exceeds the project's
margin; its gain is the metric improvement (sign-adjusted so that higher is better). With many
challengers in one epoch each comparison runs at a Bonferroni-corrected level (`corrected_confidence`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist

import numpy as np

from oracle.scoring import metrics as m
from oracle.scoring.metrics import HIGHER_IS_BETTER, Metric


@dataclass(frozen=True)
class BootstrapPlan:
    """Bucket of each item and the replicates' bucket multiplicities, fixed by the seed."""

    bucket_of_item: np.ndarray  # (n_items,) int64
    multiplicities: np.ndarray  # (n_replicates, n_buckets) float64
    bucket_sizes: np.ndarray  # (n_buckets,) float64

    @cached_property
    def replicate_sizes(self) -> np.ndarray:
        """Items in each replicate (the same for every submission)."""
        return self.resample(self.bucket_sizes)

    @classmethod
    def create(cls, n_items: int, seed: int, n_buckets: int = 1000, n_replicates: int = 1000) -> BootstrapPlan:
        rng = np.random.Generator(np.random.PCG64(seed))
        n_buckets = max(1, min(n_buckets, n_items))
        bucket_of_item = rng.permutation(n_items) % n_buckets
        multiplicities = rng.multinomial(n_buckets, np.full(n_buckets, 1.0 / n_buckets), size=n_replicates)
        sizes = np.bincount(bucket_of_item, minlength=n_buckets).astype(np.float64)
        return cls(bucket_of_item, multiplicities.astype(np.float64), sizes)

    @property
    def n_buckets(self) -> int:
        return self.bucket_sizes.size

    def bucket_sums(self, per_item: np.ndarray) -> np.ndarray:
        return np.bincount(self.bucket_of_item, weights=per_item, minlength=self.n_buckets)

    def bucket_class_counts(self, classes: np.ndarray, n_classes: int) -> np.ndarray:
        flat = self.bucket_of_item * n_classes + classes
        counts = np.bincount(flat, minlength=self.n_buckets * n_classes)
        return counts.reshape(self.n_buckets, n_classes).astype(np.float64)

    def resample(self, bucket_statistics: np.ndarray) -> np.ndarray:
        return self.multiplicities @ bucket_statistics


@dataclass(frozen=True)
class ScoredPredictions:
    """A metric value on the full benchmark and its bootstrap replicates under a plan."""

    value: float
    replicates: np.ndarray


def _label_replicates(plan: BootstrapPlan, metric: Metric, y_true: np.ndarray, labels: np.ndarray) -> np.ndarray:
    if metric is Metric.ACCURACY:
        hits = plan.bucket_sums((y_true == labels).astype(np.float64))
        return plan.resample(hits) / plan.replicate_sizes
    n_classes = int(max(y_true.max(), labels.max())) + 1
    hit_classes = np.where(y_true == labels, y_true, n_classes)  # misses go to a spare column
    true_positive = plan.resample(plan.bucket_class_counts(hit_classes, n_classes + 1)[:, :n_classes])
    true_count = plan.resample(plan.bucket_class_counts(y_true, n_classes))
    if metric is Metric.BALANCED_ACCURACY:
        return m.balanced_accuracy_from_counts(true_positive, true_count)
    pred_count = plan.resample(plan.bucket_class_counts(labels, n_classes))
    return m.macro_f1_from_counts(true_positive, true_count, pred_count)


def score_with_replicates(
    plan: BootstrapPlan, metric: Metric, y_true: np.ndarray, predictions: np.ndarray
) -> ScoredPredictions:
    """The exact metric and its bootstrap replicates for validated predictions."""
    value = m.compute_metric(metric, y_true, predictions)
    sizes = plan.replicate_sizes
    if metric in (Metric.ACCURACY, Metric.BALANCED_ACCURACY, Metric.MACRO_F1):
        labels = m.labels_from_probabilities(predictions) if predictions.ndim == 2 else predictions
        replicates = _label_replicates(plan, metric, y_true, labels)
    elif metric is Metric.LOG_LOSS:
        replicates = plan.resample(plan.bucket_sums(m.log_loss_terms(y_true, predictions))) / sizes
    elif metric is Metric.ROC_AUC:
        _, influence = m.roc_auc_influence(y_true, predictions)
        bucket_influence = plan.bucket_sums(influence)
        replicates = value + plan.resample(bucket_influence) - bucket_influence.sum()
    else:
        residual = y_true - predictions
        if metric is Metric.MAE:
            replicates = plan.resample(plan.bucket_sums(np.abs(residual))) / sizes
        else:
            sse = plan.resample(plan.bucket_sums(residual * residual))
            if metric is Metric.RMSE:
                replicates = np.sqrt(sse / sizes)
            else:
                total = plan.resample(plan.bucket_sums(y_true))
                total_squares = plan.resample(plan.bucket_sums(y_true * y_true))
                sst = np.maximum(total_squares - total * total / sizes, 0.0)
                replicates = m.r2_from_sums(sse, sst)
    return ScoredPredictions(value, np.asarray(replicates, dtype=np.float64))


@dataclass(frozen=True)
class Comparison:
    """A challenger against the champion: gain (higher is better) and its confidence interval."""

    gain: float
    lower: float
    upper: float
    beats_champion: bool


def corrected_confidence(confidence: float, challengers: int) -> float:
    """The one-sided confidence of each comparison when an epoch tests `challengers` of them
    (Bonferroni): the chance that any no-better challenger passes stays below 1 - confidence."""
    return 1.0 - (1.0 - confidence) / max(1, challengers)


def compare_to_champion(
    metric: Metric,
    champion: ScoredPredictions,
    challenger: ScoredPredictions,
    margin: float,
    confidence: float,
    challengers: int = 1,
) -> Comparison:
    """The challenger wins when the one-sided lower bound of its gain exceeds `margin`.

    The bound is normal with the paired bootstrap's standard error, gain - z x se, at the level
    `corrected_confidence(confidence, challengers)`: a tail quantile of a thousand replicates cannot
    resolve the levels a Bonferroni correction over hundreds of challengers asks for, while the
    standard error can (the bucketed statistics are sums of many items, close to normal)."""
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    gain = float(sign * (challenger.value - champion.value))
    replicate_gains = sign * (challenger.replicates - champion.replicates)
    spread = float(np.std(replicate_gains))
    z = NormalDist().inv_cdf(corrected_confidence(confidence, challengers))
    lower, upper = gain - z * spread, gain + z * spread
    return Comparison(gain, lower, upper, bool(lower > margin and gain > margin))
