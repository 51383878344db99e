"""Each metric equals scikit-learn's to 1e-9 on random inputs, ties and edge cases included."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from oracle.scoring import metrics as m
from oracle.scoring.metrics import Metric, MetricUndefined, compute_metric

SEEDS = range(8)


def _probabilities(rng: np.random.Generator, n: int, k: int, decimals: int | None) -> np.ndarray:
    p = rng.dirichlet(np.ones(k), n)
    if decimals is not None:  # coarse values make many ties
        p = np.round(p, decimals)
        p[:, -1] = 1.0 - p[:, :-1].sum(axis=1)
        p = np.clip(p, 0.0, 1.0)
        p /= p.sum(axis=1, keepdims=True)
    return p


# scikit-learn warns about classes predicted but absent from y_true; the values are what matter
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k", [2, 3, 6])
def test_label_metrics_equal_sklearn(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 500))
    y = rng.integers(0, k, n)
    p = rng.integers(0, k, n)
    assert m.accuracy(y, p) == pytest.approx(skm.accuracy_score(y, p), abs=1e-9)
    assert m.balanced_accuracy(y, p) == pytest.approx(skm.balanced_accuracy_score(y, p), abs=1e-9)
    assert m.macro_f1(y, p) == pytest.approx(skm.f1_score(y, p, average="macro", zero_division=0), abs=1e-9)


@pytest.mark.filterwarnings("ignore")
def test_balanced_accuracy_ignores_classes_only_predicted() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0, 2, 1, 1])
    expected = skm.balanced_accuracy_score(y, p)
    assert m.balanced_accuracy(y, p) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.75)


@pytest.mark.filterwarnings("ignore")
def test_macro_f1_counts_classes_only_predicted_as_zero() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0, 2, 1, 1])
    expected = skm.f1_score(y, p, average="macro")
    assert m.macro_f1(y, p) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("decimals", [None, 1, 2])
def test_binary_roc_auc_and_log_loss_equal_sklearn(seed: int, decimals: int | None) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 2000))
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    p = _probabilities(rng, n, 2, decimals)
    assert m.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p[:, 1]), abs=1e-9)
    assert m.log_loss(y, p) == pytest.approx(skm.log_loss(y, p), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k", [3, 5])
@pytest.mark.parametrize("decimals", [None, 1])
def test_multiclass_roc_auc_and_log_loss_equal_sklearn(seed: int, k: int, decimals: int | None) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(k, 1500))
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)
    p = _probabilities(rng, n, k, decimals)
    assert m.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p, multi_class="ovr", average="macro"), abs=1e-9)
    assert m.log_loss(y, p) == pytest.approx(skm.log_loss(y, p, labels=list(range(k))), abs=1e-9)


def test_log_loss_clips_zero_and_one_like_sklearn() -> None:
    y = np.array([0, 1, 1, 0])
    p = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    assert m.log_loss(y, p) == pytest.approx(skm.log_loss(y, p), abs=1e-9)
    assert np.isfinite(m.log_loss(y, p))


def test_roc_auc_all_tied_scores_is_one_half() -> None:
    y = np.array([0, 1, 0, 1, 1])
    p = np.tile([0.5, 0.5], (5, 1))
    assert m.roc_auc(y, p) == 0.5 == skm.roc_auc_score(y, p[:, 1])


def test_roc_auc_needs_both_classes() -> None:
    with pytest.raises(MetricUndefined):
        m.roc_auc(np.zeros(4, dtype=int), np.tile([0.3, 0.7], (4, 1)))


@pytest.mark.parametrize("seed", SEEDS)
def test_regression_metrics_equal_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 1000))
    y = rng.normal(size=n) * 10
    p = y + rng.normal(size=n)
    assert m.rmse(y, p) == pytest.approx(skm.root_mean_squared_error(y, p), abs=1e-9)
    assert m.mae(y, p) == pytest.approx(skm.mean_absolute_error(y, p), abs=1e-9)
    assert m.r2(y, p) == pytest.approx(skm.r2_score(y, p), abs=1e-9)


def test_r2_of_constant_target_follows_sklearn() -> None:
    y = np.full(5, 3.0)
    assert m.r2(y, y.copy()) == skm.r2_score(y, y.copy()) == 1.0
    assert m.r2(y, y + 1) == skm.r2_score(y, y + 1) == 0.0


def test_label_metrics_take_argmax_of_probabilities() -> None:
    y = np.array([0, 1, 2, 2])
    p = np.array([[0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [0.4, 0.4, 0.2], [0.1, 0.1, 0.8]])
    assert compute_metric(Metric.ACCURACY, y, p) == 0.75  # the tie on row 2 goes to class 0, a miss


def test_empty_inputs_are_undefined() -> None:
    empty = np.zeros(0, dtype=np.int64)
    for metric in (m.accuracy, m.balanced_accuracy, m.macro_f1):
        with pytest.raises(MetricUndefined):
            metric(empty, empty)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), k=st.integers(2, 4))
def test_metrics_equal_sklearn_on_any_small_input(data: st.DataObject, k: int) -> None:
    n = data.draw(st.integers(k, 40))
    y = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    y[:k] = np.arange(k)  # every class present, as ROC-AUC requires
    weights = np.array(
        data.draw(st.lists(st.lists(st.integers(0, 4), min_size=k, max_size=k), min_size=n, max_size=n)),
        dtype=np.float64,
    )  # small integer weights: many exact ties
    weights[weights.sum(axis=1) == 0, 0] = 1.0
    p = weights / weights.sum(axis=1, keepdims=True)
    labels = np.argmax(p, axis=1)
    if k == 2:
        assert m.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p[:, 1]), abs=1e-9)
    else:
        assert m.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p, multi_class="ovr"), abs=1e-9)
    assert m.log_loss(y, p) == pytest.approx(skm.log_loss(y, p, labels=list(range(k))), abs=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert m.balanced_accuracy(y, labels) == pytest.approx(skm.balanced_accuracy_score(y, labels), abs=1e-9)
        assert m.macro_f1(y, labels) == pytest.approx(skm.f1_score(y, labels, average="macro"), abs=1e-9)
