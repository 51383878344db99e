"""The seeded paired bootstrap and the originality checks."""

from __future__ import annotations

import numpy as np
import pytest

from oracle.scoring import metrics as m
from oracle.scoring.champion import (
    BootstrapPlan,
    compare_to_champion,
    score_with_replicates,
)
from oracle.scoring.metrics import Metric, PredictionKind
from oracle.scoring.originality import OriginalityIndex
from oracle.scoring.predictions import Predictions
from oracle.scoring.rejections import RejectionReason

N = 20_000


def noisy_labels(truth: np.ndarray, accuracy: float, seed: int, k: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    wrong = (truth + rng.integers(1, k, truth.size)) % k
    return np.where(rng.random(truth.size) < accuracy, truth, wrong)


@pytest.fixture
def truth() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 3, N)


def test_plan_is_deterministic_and_seeded() -> None:
    a, b, c = (
        BootstrapPlan.create(1000, 7, 50, 100),
        BootstrapPlan.create(1000, 7, 50, 100),
        BootstrapPlan.create(1000, 8, 50, 100),
    )
    assert np.array_equal(a.bucket_of_item, b.bucket_of_item)
    assert np.array_equal(a.multiplicities, b.multiplicities)
    assert not np.array_equal(a.multiplicities, c.multiplicities)
    assert a.multiplicities.sum(axis=1).tolist() == [50.0] * 100
    assert a.bucket_sizes.sum() == 1000


@pytest.mark.parametrize("metric", [Metric.ACCURACY, Metric.BALANCED_ACCURACY, Metric.MACRO_F1])
def test_identity_resample_reproduces_the_metric(truth: np.ndarray, metric: Metric) -> None:
    plan = BootstrapPlan.create(N, 1, 100, 20)
    identity = BootstrapPlan(plan.bucket_of_item, np.ones((1, 100)), plan.bucket_sizes)
    labels = noisy_labels(truth, 0.7, 3, k=3)
    scored = score_with_replicates(identity, metric, truth, labels)
    assert scored.replicates[0] == pytest.approx(scored.value, abs=1e-12)


def test_replicate_spread_matches_the_standard_error(truth: np.ndarray) -> None:
    plan = BootstrapPlan.create(N, 2)
    labels = noisy_labels(truth, 0.7, 4, k=3)
    scored = score_with_replicates(plan, Metric.ACCURACY, truth, labels)
    expected = np.sqrt(0.7 * 0.3 / N)
    assert scored.replicates.std() == pytest.approx(expected, rel=0.15)


def test_auc_replicates_spread_like_delong() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, N)
    score = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.3, N), 0, 1)
    p = np.stack([1 - score, score], axis=1)
    scored = score_with_replicates(BootstrapPlan.create(N, 3), Metric.ROC_AUC, y, p)
    # a plain item bootstrap (re-sorting every replicate) on a subsample of replicates
    plain = [m.roc_auc(y[idx], p[idx]) for idx in (rng.integers(0, N, N) for _ in range(150))]
    assert scored.value == pytest.approx(m.roc_auc(y, p))
    assert scored.replicates.std() == pytest.approx(np.std(plain), rel=0.25)


def test_real_improvement_beats_the_champion(truth: np.ndarray) -> None:
    plan = BootstrapPlan.create(N, 9)
    champion = score_with_replicates(plan, Metric.ACCURACY, truth, noisy_labels(truth, 0.70, 1, 3))
    better = score_with_replicates(plan, Metric.ACCURACY, truth, noisy_labels(truth, 0.75, 2, 3))
    result = compare_to_champion(Metric.ACCURACY, champion, better, margin=0.0, confidence=0.95)
    assert result.beats_champion
    assert result.gain == pytest.approx(better.value - champion.value)
    assert result.lower < result.gain < result.upper


def test_margin_and_noise_do_not_beat_the_champion(truth: np.ndarray) -> None:
    plan = BootstrapPlan.create(N, 9)
    champion = score_with_replicates(plan, Metric.ACCURACY, truth, noisy_labels(truth, 0.70, 1, 3))
    same_quality = score_with_replicates(plan, Metric.ACCURACY, truth, noisy_labels(truth, 0.70, 5, 3))
    better = score_with_replicates(plan, Metric.ACCURACY, truth, noisy_labels(truth, 0.75, 2, 3))
    assert not compare_to_champion(Metric.ACCURACY, champion, same_quality, 0.0, 0.95).beats_champion
    assert not compare_to_champion(Metric.ACCURACY, champion, better, 0.1, 0.95).beats_champion


def test_loss_metrics_count_a_lower_loss_as_gain() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(size=N)
    plan = BootstrapPlan.create(N, 4)
    champion = score_with_replicates(plan, Metric.RMSE, y, y + rng.normal(0, 1.0, N))
    better = score_with_replicates(plan, Metric.RMSE, y, y + rng.normal(0, 0.8, N))
    result = compare_to_champion(Metric.RMSE, champion, better, 0.0, 0.95)
    assert result.beats_champion and result.gain == pytest.approx(champion.value - better.value)


def test_exact_and_near_copies_are_found_earliest_first(truth: np.ndarray) -> None:
    index = OriginalityIndex(N, seed=1)
    original = Predictions(PredictionKind.LABELS, noisy_labels(truth, 0.8, 1, 3))
    index.add("first", "hash-1", original)
    assert index.find_copy("hash-1", original).reason is RejectionReason.EXACT_COPY
    tweaked = original.values.copy()
    tweaked[:50] = (tweaked[:50] + 1) % 3  # 99.75% agreement
    finding = index.find_copy("hash-2", Predictions(PredictionKind.LABELS, tweaked))
    assert finding is not None and finding.reason is RejectionReason.NEAR_COPY and finding.original == "first"
    tweaked[:200] = (original.values[:200] + 1) % 3  # 99% agreement: original enough
    assert index.find_copy("hash-3", Predictions(PredictionKind.LABELS, tweaked)) is None


def test_near_copies_of_probabilities_and_values() -> None:
    rng = np.random.default_rng(2)
    index = OriginalityIndex(N, seed=1)
    probabilities = rng.dirichlet(np.ones(3), N)
    values = rng.normal(size=N)
    index.add("p", "h-p", Predictions(PredictionKind.PROBABILITIES, probabilities))
    index.add("v", "h-v", Predictions(PredictionKind.VALUES, values))
    jitter = probabilities + rng.normal(0, 0.002, probabilities.shape)
    assert index.find_copy("x", Predictions(PredictionKind.PROBABILITIES, jitter)).original == "p"
    other = rng.dirichlet(np.ones(3), N)
    assert index.find_copy("y", Predictions(PredictionKind.PROBABILITIES, other)) is None
    assert index.find_copy("z", Predictions(PredictionKind.VALUES, values + 0.001)).original == "v"
    assert index.find_copy("w", Predictions(PredictionKind.VALUES, values + 0.1)) is None


def test_the_screen_follows_a_configured_agreement(truth: np.ndarray) -> None:
    from oracle.scoring.originality import OriginalityThresholds

    index = OriginalityIndex(N, seed=3, thresholds=OriginalityThresholds(label_agreement=0.9))
    original = noisy_labels(truth, 0.8, 1, 3)
    index.add("first", "h1", Predictions(PredictionKind.LABELS, original))
    changed = original.copy()
    changed[: N // 20] = (changed[: N // 20] + 1) % 3  # 95% agreement: a near copy at 0.9
    assert index.find_copy("h2", Predictions(PredictionKind.LABELS, changed)).original == "first"


def test_concentrated_value_changes_are_still_near_copies() -> None:
    rng = np.random.default_rng(4)
    values = rng.normal(size=N)
    index = OriginalityIndex(N, seed=2)
    index.add("v", "h", Predictions(PredictionKind.VALUES, values))
    changed = values.copy()
    changed[rng.choice(N, 20, replace=False)] += 0.2  # RMS 0.0063 < 0.01, all on 0.1% of items
    assert index.find_copy("x", Predictions(PredictionKind.VALUES, changed)).original == "v"


def test_copies_are_judged_on_shared_errors_not_agreement() -> None:
    n = 2000
    rng = np.random.default_rng(11)
    truth = rng.integers(0, 2, n)
    index = OriginalityIndex(n, seed=1, truth=truth)
    # near the ceiling: the champion errs on 3 items, an honest model on 2 others (agreement 0.9975)
    champion = truth.copy()
    champion[[10, 20, 30]] ^= 1
    honest = truth.copy()
    honest[[40, 50]] ^= 1
    index.add("champion", "h0", Predictions(PredictionKind.LABELS, champion))
    assert np.mean(honest == champion) >= 0.995
    assert index.find_copy("h1", Predictions(PredictionKind.LABELS, honest)) is None
    # a noisy copy of a weaker model (3% of labels flipped at random) is still a copy
    weaker = noisy_labels(truth, 0.85, 2)
    index.add("weaker", "h2", Predictions(PredictionKind.LABELS, weaker))
    noisy = np.where(rng.random(n) < 0.03, 1 - weaker, weaker)
    finding = index.find_copy("h3", Predictions(PredictionKind.LABELS, noisy))
    assert finding is not None and finding.reason is RejectionReason.NEAR_COPY and finding.original == "weaker"
    # an independent model of the same quality shares errors only by chance
    assert index.find_copy("h4", Predictions(PredictionKind.LABELS, noisy_labels(truth, 0.85, 3))) is None
