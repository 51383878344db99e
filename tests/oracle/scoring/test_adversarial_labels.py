"""Attacks on the label pool, from the attacker's side, on seeded crowds of known truth.

Each crowd: 3 classes, honest annotators of accuracy spread evenly over [0.6, 0.95] giving 5 labels
per item (2,000 items: 50 annotators x 200 labels; 20,000 items: 100 x 1,000), gold answers on 5% of
the items (fresh from the epoch's slice). An attack adds its accounts; the goal for each is that the
adversaries together earn under 2% of the label pool and honest pay still ranks with true accuracy.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from oracle.scoring.labels import AggregationMethod, LabelScores, score_labels
from oracle.scoring.report import round_float
from oracle.scoring.simulation import Crowd

N_CLASSES = 3
GOLD_SHARE = 0.05
CROWDS = {2_000: (50, 200), 20_000: (100, 1_000)}  # items: (honest annotators, labels each)
SEEDS = (1, 2, 3)
ADVERSARY_LIMIT = 0.02
CASES = [pytest.param(n, seed, id=f"{n}-items-seed-{seed}") for n in CROWDS for seed in SEEDS]


def cases_failing_at(n_failing: int, seeds_failing: set[int], reason: str) -> list:
    """CASES, with the seeded cases of `n_failing` items that miss the goal marked as a known gap:
    strict, so a case that starts passing (or one that starts failing) is reported."""
    mark = pytest.mark.xfail(strict=True, reason=reason)
    return [
        pytest.param(
            n, seed, id=f"{n}-items-seed-{seed}", marks=[mark] if n == n_failing and seed in seeds_failing else []
        )
        for n in CROWDS
        for seed in SEEDS
    ]


CAREFUL_COPY_GAP = (
    "known gap: a copy of an annotator with about 12 errors in 200 labels is not always told from independent careful "
    "work when it is committed first"
)


def honest_crowd(n_items: int, seed: int) -> Crowd:
    n_honest, labels_each = CROWDS[n_items]
    return Crowd.honest(seed, n_items, N_CLASSES, np.linspace(0.6, 0.95, n_honest), labels_each, GOLD_SHARE)


def scored(crowd: Crowd) -> LabelScores:
    gold_items, gold_classes = crowd.gold()
    return score_labels(crowd.table(), AggregationMethod.DAWID_SKENE, gold_items, gold_classes, np.array(crowd.order))


def pool_shares(result: LabelScores) -> np.ndarray:
    score = result.aggregation.annotator_score
    return score / score.sum()


def adversaries_share(crowd: Crowd, result: LabelScores) -> float:
    shares = pool_shares(result)
    return float(sum(s for s, kind in zip(shares, crowd.kinds) if kind != "honest"))


def honest_rank(crowd: Crowd, result: LabelScores) -> float:
    honest = [a for a, kind in enumerate(crowd.kinds) if kind == "honest"]
    shares = pool_shares(result)
    return float(spearmanr([crowd.accuracy[a] for a in honest], shares[honest]).statistic)


@pytest.mark.parametrize(("n_items", "seed"), CASES)
def test_without_attackers_nobody_is_merged_and_pay_ranks_with_accuracy(n_items: int, seed: int) -> None:
    crowd = honest_crowd(n_items, seed)
    result = scored(crowd)
    assert result.source_of == {}
    assert honest_rank(crowd, result) >= 0.9


def add_ring(crowd: Crowd, members: int, target_share: float) -> np.ndarray:
    """Colluders who all label one set of items: on a `target_share` of it they agree on a wrong
    class, elsewhere each labels independently and well (accuracy 0.85). Returns the targets."""
    _, labels_each = CROWDS[crowd.truth.size]
    items = crowd.draw_items(labels_each)
    targets = items[: int(target_share * items.size)]
    wrong = (crowd.truth[targets] + 1) % N_CLASSES
    for _ in range(members):
        labels = crowd.answer(items, 0.85)
        labels[: targets.size] = wrong
        crowd.add("ring", items, labels)
    return targets


@pytest.mark.parametrize(("n_items", "seed"), CASES)
def test_ten_colluders_agreeing_on_wrong_labels_are_one_source_and_lose_the_vote(n_items: int, seed: int) -> None:
    crowd = honest_crowd(n_items, seed)
    targets = add_ring(crowd, members=10, target_share=0.3)
    result = scored(crowd)
    ring = [a for a, kind in enumerate(crowd.kinds) if kind == "ring"]
    assert {result.source_of.get(a, a) for a in ring} == {ring[0]}  # one source: the first to commit
    assert adversaries_share(crowd, result) < ADVERSARY_LIMIT
    consensus_wrong = float((result.aggregation.labels[targets] != crowd.truth[targets]).mean())
    assert consensus_wrong < 0.1
    assert honest_rank(crowd, result) >= 0.9


@pytest.mark.parametrize(("n_items", "seed"), CASES)
def test_honest_annotators_labelling_the_same_items_are_not_merged(n_items: int, seed: int) -> None:
    # The false-alarm side of judging a bloc against the labels outside it: ten honest annotators
    # given one batch of items (as a ring labels one set) form a bloc, and must stay ten sources.
    crowd = honest_crowd(n_items, seed)
    _, labels_each = CROWDS[n_items]
    items = crowd.draw_items(labels_each)
    for accuracy in np.linspace(0.6, 0.95, 10):
        crowd.add("honest", items, accuracy=float(accuracy))
    result = scored(crowd)
    assert result.source_of == {}
    assert honest_rank(crowd, result) >= 0.9


def add_copies(crowd: Crowd, noises: tuple[float, ...], before_original: bool = False) -> list[int]:
    """Copiers, each repeating a distinct honest annotator's labels with a share of them changed.
    Returns the victims."""
    honest = [a for a, kind in enumerate(crowd.kinds) if kind == "honest"]
    victims = [int(v) for v in crowd.rng.choice(honest, size=len(noises), replace=False)]
    for victim, noise in zip(victims, noises):
        order = crowd.order[victim] - 1 if before_original else None
        crowd.add("copy", crowd.items[victim], crowd.add_noise(crowd.labels[victim], noise), order=order)
    return victims


@pytest.mark.parametrize(("n_items", "seed"), CASES)
def test_copies_with_a_few_percent_of_noise_earn_nothing_and_their_victims_keep_their_pay(
    n_items: int, seed: int
) -> None:
    baseline = pool_shares(scored(honest_crowd(n_items, seed)))
    crowd = honest_crowd(n_items, seed)
    victims = add_copies(crowd, (0.01, 0.02, 0.03, 0.04, 0.05))
    result = scored(crowd)
    copiers = [a for a, kind in enumerate(crowd.kinds) if kind == "copy"]
    assert [result.source_of.get(c) for c in copiers] == victims
    assert adversaries_share(crowd, result) < ADVERSARY_LIMIT
    shares = pool_shares(result)
    assert shares[victims] == pytest.approx(baseline[victims], rel=0.1)
    assert honest_rank(crowd, result) >= 0.9


@pytest.mark.parametrize(("n_items", "seed"), cases_failing_at(2_000, {2}, CAREFUL_COPY_GAP))
def test_a_copy_committed_before_its_original_takes_one_source_between_the_two(n_items: int, seed: int) -> None:
    # Under commit-reveal a copier commits to labels it must already hold, so only an original who
    # hands its labels over beforehand can be committed after its copy: the pair is then paid once.
    baseline = pool_shares(scored(honest_crowd(n_items, seed)))
    crowd = honest_crowd(n_items, seed)
    victims = add_copies(crowd, (0.02, 0.04), before_original=True)
    result = scored(crowd)
    copiers = [a for a, kind in enumerate(crowd.kinds) if kind == "copy"]
    shares = pool_shares(result)
    for copier, victim in zip(copiers, victims):
        assert result.source_of.get(victim) == copier
        assert shares[copier] + shares[victim] <= 1.1 * baseline[victim]


@pytest.mark.parametrize("labels_each", [3, 5, 10])
@pytest.mark.parametrize(("n_items", "seed"), CASES)
def test_a_thousand_sybils_with_a_handful_of_random_labels_earn_nothing(
    n_items: int, seed: int, labels_each: int
) -> None:
    crowd = honest_crowd(n_items, seed)
    for _ in range(1_000):
        items = crowd.draw_items(labels_each)
        crowd.add("sybil", items, crowd.rng.integers(0, N_CLASSES, items.size))
    result = scored(crowd)
    assert adversaries_share(crowd, result) < ADVERSARY_LIMIT
    assert honest_rank(crowd, result) >= 0.9


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counting half."""
    above = (positive[:, None] > negative[None, :]).mean()
    ties = (positive[:, None] == negative[None, :]).mean()
    return float(above + ties / 2)


@pytest.mark.parametrize(("n_items", "seed"), CASES)
def test_no_published_figure_tells_gold_items_apart(n_items: int, seed: int) -> None:
    # Probe accounts of one label each, one per item, as many on gold items as off them: every
    # figure the report publishes per annotator, rounded as the report rounds it, must not separate
    # the two halves.
    crowd = honest_crowd(n_items, seed)
    non_gold = np.setdiff1d(np.arange(n_items), crowd.gold_items)
    half = min(crowd.gold_items.size, 500)
    probed = np.r_[
        crowd.rng.choice(crowd.gold_items, half, replace=False), crowd.rng.choice(non_gold, half, replace=False)
    ]
    probes = [crowd.add("probe", [item], crowd.rng.integers(0, N_CLASSES, 1)) for item in probed]
    aggregation = scored(crowd).aggregation
    on_gold = np.arange(len(probes)) < half
    for figure in (
        aggregation.annotator_accuracy,
        aggregation.annotator_chance,
        aggregation.annotator_skill_lower,
        aggregation.annotator_score,
    ):
        published = np.array([round_float(float(figure[p])) for p in probes])
        assert 0.35 < auc(published[on_gold], published[~on_gold]) < 0.65  # 100 or 500 a side
        exact = np.isin(published, (0.0, 1.0))  # what gave gold away before: exactly right or wrong
        assert abs(exact[on_gold].mean() - exact[~on_gold].mean()) < 0.1
    assert aggregation.annotator_score[probes].sum() == 0.0


@pytest.mark.parametrize(("n_items", "seed"), CASES)
def test_knowing_the_gold_answers_pays_no_more_than_labelling_those_items_right(n_items: int, seed: int) -> None:
    # The worst case, a leak of the epoch's gold before its slice is revealed: 20 accounts label the
    # gold items right and pad with random labels. Gold labels are judged like any other, so they
    # earn what a correct labeller of those items would, nothing for being gold.
    crowd = honest_crowd(n_items, seed)
    for part in np.array_split(crowd.gold_items, 20):
        padding = crowd.draw_items(part.size)
        crowd.add(
            "gold-known", np.r_[part, padding], np.r_[crowd.truth[part], crowd.rng.integers(0, N_CLASSES, part.size)]
        )
    result = scored(crowd)
    assert adversaries_share(crowd, result) < ADVERSARY_LIMIT
