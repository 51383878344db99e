"""Benchmark metrics, computed in numpy and equal to scikit-learn's to 1e-9.

Inputs are already validated (see `predictions.py`): `y_true` holds class indices 0..k-1 (int)
for classification or finite floats for regression; label predictions are class indices,
probability predictions are an (n, k) float matrix whose rows sum to 1.

Conventions followed so the numbers match scikit-learn on the same arrays:
- balanced accuracy: mean recall over classes that occur in `y_true`;
- macro-F1: mean F1 over classes that occur in `y_true` or `y_pred`, F1 = 0 where undefined;
- ROC-AUC: ties between a positive and a negative count one half (the trapezoid of the ROC
  curve); multiclass is one-vs-rest, macro-averaged over classes;
- log-loss: probabilities clipped to [eps, 1 - eps] with eps the float64 machine epsilon;
- R^2: 1.0 for a perfect fit of a constant target, 0.0 for an imperfect one.
"""

from __future__ import annotations

import numpy as np

from oracle.scoring.choices import Metric, PredictionKind

# The prediction kind each metric is computed from; label metrics also accept probabilities
# (the label is the row's argmax, the first class on ties).
METRIC_INPUT: dict[Metric, PredictionKind] = {
    Metric.ACCURACY: PredictionKind.LABELS,
    Metric.BALANCED_ACCURACY: PredictionKind.LABELS,
    Metric.MACRO_F1: PredictionKind.LABELS,
    Metric.ROC_AUC: PredictionKind.PROBABILITIES,
    Metric.LOG_LOSS: PredictionKind.PROBABILITIES,
    Metric.RMSE: PredictionKind.VALUES,
    Metric.MAE: PredictionKind.VALUES,
    Metric.R2: PredictionKind.VALUES,
}

HIGHER_IS_BETTER: dict[Metric, bool] = {
    Metric.ACCURACY: True,
    Metric.BALANCED_ACCURACY: True,
    Metric.MACRO_F1: True,
    Metric.ROC_AUC: True,
    Metric.LOG_LOSS: False,
    Metric.RMSE: False,
    Metric.MAE: False,
    Metric.R2: True,
}


class MetricUndefined(ValueError):
    """The metric has no value on these answers (e.g. ROC-AUC with a class absent)."""


def _n_classes(y_true: np.ndarray, y_pred: np.ndarray) -> int:
    top = 0
    if y_true.size:
        top = max(top, int(y_true.max()))
    if y_pred.size:
        top = max(top, int(y_pred.max()))
    return top + 1


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """The k x k confusion matrix, rows the true class and columns the predicted one."""
    flat = y_true.astype(np.int64, copy=False) * n_classes + y_pred
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def labels_from_probabilities(probabilities: np.ndarray) -> np.ndarray:
    return np.argmax(probabilities, axis=1)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if y_true.size == 0:
        raise MetricUndefined("accuracy of zero items")
    return np.count_nonzero(y_true == y_pred) / y_true.size


def _per_class_counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, ...]:
    """True positives, true counts and predicted counts per class, from one confusion matrix."""
    confusion = confusion_counts(y_true, y_pred, _n_classes(y_true, y_pred))
    return np.diag(confusion), confusion.sum(axis=1), confusion.sum(axis=0)


def balanced_accuracy_from_counts(true_positive: np.ndarray, true_count: np.ndarray) -> np.ndarray:
    """Balanced accuracy along the last axis (classes); accepts stacked replicates."""
    present = true_count > 0
    recall = np.divide(true_positive, true_count, out=np.zeros(true_count.shape), where=present)
    return recall.sum(axis=-1) / present.sum(axis=-1)


def macro_f1_from_counts(true_positive: np.ndarray, true_count: np.ndarray, pred_count: np.ndarray) -> np.ndarray:
    """Macro-F1 along the last axis (classes); accepts stacked replicates."""
    denominator = true_count + pred_count
    present = denominator > 0
    f1 = np.divide(2.0 * true_positive, denominator, out=np.zeros(denominator.shape), where=present)
    return f1.sum(axis=-1) / present.sum(axis=-1)


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if y_true.size == 0:
        raise MetricUndefined("balanced accuracy of zero items")
    true_positive, true_count, _ = _per_class_counts(y_true, y_pred)
    return float(balanced_accuracy_from_counts(true_positive, true_count))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if y_true.size == 0:
        raise MetricUndefined("F1 of zero items")
    true_positive, true_count, pred_count = _per_class_counts(y_true, y_pred)
    return float(macro_f1_from_counts(true_positive, true_count, pred_count))


def _placements(sorted_reference: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Twice the number of reference values below each query, ties counting one half each."""
    below = np.searchsorted(sorted_reference, queries, side="left")
    below_or_equal = np.searchsorted(sorted_reference, queries, side="right")
    return below + below_or_equal


def binary_roc_auc(is_positive: np.ndarray, scores: np.ndarray) -> float:
    """The Mann-Whitney statistic with ties counting one half: equal to the trapezoidal area
    under the ROC curve, which is what scikit-learn computes. Integer counts keep it exact."""
    positive_scores = np.sort(scores[is_positive])
    negative_scores = np.sort(scores[~is_positive])
    n_positive, n_negative = positive_scores.size, negative_scores.size
    if n_positive == 0 or n_negative == 0:
        raise MetricUndefined("ROC-AUC needs both a positive and a negative item")
    twice_u = int(_placements(negative_scores, positive_scores).sum(dtype=np.int64))
    return twice_u / (2 * n_positive * n_negative)


def roc_auc(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    """Binary ROC-AUC (on the second column) for two classes, one-vs-rest macro otherwise."""
    n_classes = probabilities.shape[1]
    if n_classes == 2:
        return binary_roc_auc(y_true == 1, probabilities[:, 1])
    return float(np.mean([binary_roc_auc(y_true == c, probabilities[:, c]) for c in range(n_classes)]))


def roc_auc_influence(y_true: np.ndarray, probabilities: np.ndarray) -> tuple[float, np.ndarray]:
    """ROC-AUC and each item's first-order (Hajek projection) influence on it.

    Resampling items with multiplicities m_i moves the AUC by about sum_i (m_i - 1) * influence_i;
    the variance this gives is DeLong's. Used by the paired bootstrap, which cannot afford to
    re-sort a million scores per replicate.
    """
    n_classes = probabilities.shape[1]
    classes = [1] if n_classes == 2 else list(range(n_classes))
    influence = np.zeros(y_true.size)
    areas = []
    for c in classes:
        is_positive = y_true == c
        scores = probabilities[:, c]
        positive_scores = scores[is_positive]
        negative_scores = scores[~is_positive]
        n_positive, n_negative = positive_scores.size, negative_scores.size
        if n_positive == 0 or n_negative == 0:
            raise MetricUndefined("ROC-AUC needs both a positive and a negative item")
        positive_placement = _placements(np.sort(negative_scores), positive_scores) / (2 * n_negative)
        negative_placement = (2 * n_positive - _placements(np.sort(positive_scores), negative_scores)) / (
            2 * n_positive
        )
        area = float(positive_placement.mean())
        areas.append(area)
        influence[is_positive] += (positive_placement - area) / n_positive
        influence[~is_positive] += (negative_placement - area) / n_negative
    return float(np.mean(areas)), influence / len(classes)


def true_class_probability(y_true: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    return probabilities[np.arange(y_true.size), y_true]


def log_loss_terms(y_true: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    eps = np.finfo(np.float64).eps
    return -np.log(np.clip(true_class_probability(y_true, probabilities), eps, 1 - eps))


def log_loss(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    if y_true.size == 0:
        raise MetricUndefined("log-loss of zero items")
    return float(log_loss_terms(y_true, probabilities).mean())


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if y_true.size == 0:
        raise MetricUndefined("RMSE of zero items")
    residual = y_true - y_pred
    return float(np.sqrt(np.dot(residual, residual) / y_true.size))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if y_true.size == 0:
        raise MetricUndefined("MAE of zero items")
    return float(np.abs(y_true - y_pred).mean())


def r2_from_sums(sse: np.ndarray, sst: np.ndarray) -> np.ndarray:
    """R^2 with scikit-learn's finite convention for a constant target."""
    perfect = np.where(sse == 0, 1.0, 0.0)
    safe_sst = np.where(sst == 0, 1.0, sst)
    return np.where(sst == 0, perfect, 1.0 - sse / safe_sst)


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    if y_true.size == 0:
        raise MetricUndefined("R^2 of zero items")
    residual = y_true - y_pred
    centred = y_true - y_true.mean()
    return float(r2_from_sums(np.dot(residual, residual), np.dot(centred, centred)))


def compute_metric(metric: Metric, y_true: np.ndarray, predictions: np.ndarray) -> float:
    """The metric of validated predictions (labels, probabilities or values) against answers."""
    if metric in (Metric.ACCURACY, Metric.BALANCED_ACCURACY, Metric.MACRO_F1):
        labels = labels_from_probabilities(predictions) if predictions.ndim == 2 else predictions
        return {
            Metric.ACCURACY: accuracy,
            Metric.BALANCED_ACCURACY: balanced_accuracy,
            Metric.MACRO_F1: macro_f1,
        }[metric](y_true, labels)
    if metric is Metric.ROC_AUC:
        return roc_auc(y_true, predictions)
    if metric is Metric.LOG_LOSS:
        return log_loss(y_true, predictions)
    return {Metric.RMSE: rmse, Metric.MAE: mae, Metric.R2: r2}[metric](y_true, predictions)
