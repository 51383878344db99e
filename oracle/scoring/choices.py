"""The scoring engine's named choices (metrics, prediction kinds, label aggregation methods), in
a module without numpy: the CLI offers them as option choices without loading the engine.
`metrics` and `labels` export them too; this is where they are defined."""

from __future__ import annotations

from enum import Enum


class Metric(str, Enum):
    ACCURACY = "accuracy"
    BALANCED_ACCURACY = "balanced_accuracy"
    MACRO_F1 = "macro_f1"
    ROC_AUC = "roc_auc"
    LOG_LOSS = "log_loss"
    RMSE = "rmse"
    MAE = "mae"
    R2 = "r2"


class PredictionKind(str, Enum):
    """What a predictions artifact holds for each item."""

    LABELS = "labels"
    PROBABILITIES = "probabilities"
    VALUES = "values"


class AggregationMethod(str, Enum):
    MAJORITY_VOTE = "mv"
    DAWID_SKENE = "ds"
