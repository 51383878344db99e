"""Label aggregation (majority vote, Dawid-Skene EM), annotator scores and copied annotators.

Dawid-Skene: each item's true class has prior p, and each annotator a has a confusion matrix
pi_a[true, observed]. EM starts from the majority-vote posteriors, then alternates an M-step
(priors and confusion counts from the posteriors, smoothed by a small pseudo-count so that items
with one label, annotators with one label and classes nobody used stay finite) and an E-step
(posterior of every item from the prior and its labels' log-likelihoods), until the mean
log-likelihood per label moves less than `tolerance`. Gold items have their posterior fixed to
the known class at every step, so they anchor the confusion matrices.

Annotator score: over the annotator's labels, the mean posterior probability that the label is
right, minus the chance level, floored at zero, times the number of labels. The chance level is
the agreement a labeller with the same label frequencies but blind to the item would reach
(sum over classes of the annotator's frequency of the class times the mean posterior of that class
over the annotator's items): random and constant labellers score about zero, adversarial ones zero.
The posterior that judges a label leaves that label out (it comes from the item's other labels and
the prior, or is the known answer on a gold item): a label nobody else can confirm earns about
nothing, an annotator cannot vouch for themselves, and a random labeller's expected score is zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from oracle.scoring.label_format import LabelTable


class AggregationMethod(str, Enum):
    MAJORITY_VOTE = "mv"
    DAWID_SKENE = "ds"


@dataclass(frozen=True)
class Aggregation:
    method: AggregationMethod
    posteriors: np.ndarray  # (items, classes)
    labels: np.ndarray  # (items,) argmax of the posteriors, first class on ties
    priors: np.ndarray  # (classes,)
    confusion: np.ndarray | None  # (annotators, true, observed) for Dawid-Skene
    label_counts: np.ndarray  # (annotators,)
    annotator_accuracy: np.ndarray  # mean posterior that the annotator's label is right
    annotator_chance: np.ndarray
    annotator_score: np.ndarray  # label_counts * max(0, accuracy - chance)
    iterations: int
    converged: bool


def _fix_gold(posteriors: np.ndarray, gold_items: np.ndarray, gold_classes: np.ndarray) -> None:
    if gold_items.size:
        posteriors[gold_items] = 0.0
        posteriors[gold_items, gold_classes] = 1.0


def _vote_posteriors(table: LabelTable, n_items: int, n_classes: int) -> np.ndarray:
    votes = np.bincount(table.item_index * n_classes + table.label_index, minlength=n_items * n_classes)
    votes = votes.reshape(n_items, n_classes).astype(np.float64)
    totals = votes.sum(axis=1, keepdims=True)
    uniform = np.full(n_classes, 1.0 / n_classes)
    return np.divide(votes, totals, out=np.tile(uniform, (n_items, 1)), where=totals > 0)


def _annotator_scores(table: LabelTable, label_posteriors: np.ndarray) -> tuple[np.ndarray, ...]:
    """Counts, accuracy, chance and score per annotator from each label's leave-one-out posterior."""
    n_annotators, n_classes = len(table.annotators), label_posteriors.shape[1]
    who = table.annotator_index
    counts = np.bincount(who, minlength=n_annotators).astype(np.float64)
    safe_counts = np.maximum(counts, 1.0)
    right = label_posteriors[np.arange(table.n_labels), table.label_index]
    accuracy = np.bincount(who, weights=right, minlength=n_annotators) / safe_counts
    label_counts = np.bincount(who * n_classes + table.label_index, minlength=n_annotators * n_classes)
    label_frequency = label_counts.reshape(n_annotators, n_classes) / safe_counts[:, None]
    mean_posterior = (
        np.stack(
            [np.bincount(who, weights=label_posteriors[:, c], minlength=n_annotators) for c in range(n_classes)],
            axis=1,
        )
        / safe_counts[:, None]
    )
    chance = (label_frequency * mean_posterior).sum(axis=1)
    score = counts * np.maximum(accuracy - chance, 0.0)
    return counts, accuracy, chance, score


def _gold_mask(n_items: int, gold_items: np.ndarray) -> np.ndarray:
    mask = np.zeros(n_items, dtype=bool)
    mask[gold_items] = True
    return mask


def _mean_posterior(posteriors: np.ndarray) -> np.ndarray:
    if posteriors.shape[0] == 0:
        return np.full(posteriors.shape[1], 1.0 / posteriors.shape[1])
    return posteriors.mean(axis=0)


def _result(
    method: AggregationMethod,
    table: LabelTable,
    posteriors: np.ndarray,
    label_posteriors: np.ndarray,
    priors: np.ndarray,
    confusion: np.ndarray | None,
    iterations: int,
    converged: bool,
) -> Aggregation:
    counts, accuracy, chance, score = _annotator_scores(table, label_posteriors)
    return Aggregation(
        method,
        posteriors,
        np.argmax(posteriors, axis=1),
        priors,
        confusion,
        counts,
        accuracy,
        chance,
        score,
        iterations,
        converged,
    )


def majority_vote(
    table: LabelTable, gold_items: np.ndarray | None = None, gold_classes: np.ndarray | None = None
) -> Aggregation:
    """Posteriors are the vote shares (uniform for an unlabelled item); gold items are fixed."""
    n_items, n_classes = len(table.items), len(table.classes)
    gold_items = np.zeros(0, dtype=np.int64) if gold_items is None else gold_items
    gold_classes = np.zeros(0, dtype=np.int64) if gold_classes is None else gold_classes
    posteriors = _vote_posteriors(table, n_items, n_classes)
    _fix_gold(posteriors, gold_items, gold_classes)
    # Leave-one-out: each label is judged by the other votes on its item (uniform when none).
    votes = np.bincount(table.item_index * n_classes + table.label_index, minlength=n_items * n_classes)
    other_votes = votes.reshape(n_items, n_classes)[table.item_index].astype(np.float64)
    other_votes[np.arange(table.n_labels), table.label_index] -= 1.0
    totals = other_votes.sum(axis=1, keepdims=True)
    label_posteriors = np.divide(other_votes, totals, out=np.full(other_votes.shape, 1.0 / n_classes), where=totals > 0)
    on_gold = _gold_mask(n_items, gold_items)[table.item_index]
    label_posteriors[on_gold] = posteriors[table.item_index[on_gold]]
    return _result(
        AggregationMethod.MAJORITY_VOTE, table, posteriors, label_posteriors, _mean_posterior(posteriors), None, 0, True
    )


def dawid_skene(
    table: LabelTable,
    gold_items: np.ndarray | None = None,
    gold_classes: np.ndarray | None = None,
    tolerance: float = 1e-7,
    max_iterations: int = 100,
    smoothing: float = 0.01,
) -> Aggregation:
    """Dawid-Skene EM over the table's labels, gold items fixed at every step."""
    n_items, n_classes, n_annotators = len(table.items), len(table.classes), len(table.annotators)
    gold_items = np.zeros(0, dtype=np.int64) if gold_items is None else gold_items
    gold_classes = np.zeros(0, dtype=np.int64) if gold_classes is None else gold_classes
    posteriors = _vote_posteriors(table, n_items, n_classes)
    _fix_gold(posteriors, gold_items, gold_classes)
    if table.n_labels == 0:
        return _result(
            AggregationMethod.DAWID_SKENE,
            table,
            posteriors,
            np.zeros((0, n_classes)),
            _mean_posterior(posteriors),
            None,
            0,
            True,
        )
    # (annotator, observed label) of each label, the row of the confusion counts it adds to
    # Class-major arrays and labels sorted by item keep every gather and sum close to sequential.
    order = np.argsort(table.item_index)
    item_sorted = table.item_index[order]
    # (annotator, observed label) of each label: the row of the confusion counts it adds to
    slot_sorted = (table.annotator_index * n_classes + table.label_index)[order]
    n_slots = n_annotators * n_classes
    previous_likelihood = -np.inf
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - the count is reported after the loop
        # M-step: counts[a, observed, true] = sum of the posteriors of true over a's labels
        by_class = np.ascontiguousarray(posteriors.T)
        counts = (
            np.stack(
                [
                    np.bincount(slot_sorted, weights=by_class[c][item_sorted], minlength=n_slots)
                    for c in range(n_classes)
                ],
                axis=1,
            ).reshape(n_annotators, n_classes, n_classes)
            + smoothing
        )
        log_confusion = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
        priors = posteriors.sum(axis=0) + smoothing
        priors /= priors.sum()
        # E-step: log posterior of each item = log prior + its labels' log-likelihoods
        slot_log_likelihood = log_confusion.reshape(n_slots, n_classes)
        slot_by_class = np.ascontiguousarray(slot_log_likelihood.T)
        log_posterior = np.stack(
            [
                np.bincount(item_sorted, weights=slot_by_class[c][slot_sorted], minlength=n_items)
                for c in range(n_classes)
            ],
            axis=1,
        ) + np.log(priors)
        top = log_posterior.max(axis=1, keepdims=True)
        unnormalised = np.exp(log_posterior - top)
        totals = unnormalised.sum(axis=1, keepdims=True)
        posteriors = unnormalised / totals
        _fix_gold(posteriors, gold_items, gold_classes)
        likelihood = float((np.log(totals) + top).sum()) / table.n_labels
        if abs(likelihood - previous_likelihood) < tolerance:
            converged = True
            break
        previous_likelihood = likelihood
    confusion = np.exp(log_confusion).transpose(0, 2, 1)  # (annotator, true, observed)
    # Leave-one-out: each label is judged by the item's posterior without that label's own evidence
    # (the item's other labels and the prior), so an annotator cannot vouch for their own label.
    observed_slot = table.annotator_index * n_classes + table.label_index
    posterior_by_class = np.ascontiguousarray(log_posterior.T)
    without_own = np.stack(
        [posterior_by_class[c][table.item_index] - slot_by_class[c][observed_slot] for c in range(n_classes)]
    )
    without_own -= without_own.max(axis=0)
    np.exp(without_own, out=without_own)
    without_own /= without_own.sum(axis=0)
    label_posteriors = without_own.T
    on_gold = _gold_mask(n_items, gold_items)[table.item_index]
    label_posteriors[on_gold] = posteriors[table.item_index[on_gold]]
    return _result(
        AggregationMethod.DAWID_SKENE, table, posteriors, label_posteriors, priors, confusion, iterations, converged
    )


def aggregate(
    table: LabelTable,
    method: AggregationMethod,
    gold_items: np.ndarray | None = None,
    gold_classes: np.ndarray | None = None,
) -> Aggregation:
    if method is AggregationMethod.MAJORITY_VOTE:
        return majority_vote(table, gold_items, gold_classes)
    return dawid_skene(table, gold_items, gold_classes)


PAIRS_PER_CHUNK = 4_000_000  # bounds memory when many annotators label the same items
DENSE_PAIR_TABLE = 16_000_000  # up to this many annotator pairs, count them in a dense table


def _pair_counts(
    who: np.ndarray, labels: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n_annotators: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pair keys, shared items, agreeing items) over items whose labels are sorted by annotator."""
    offsets = np.cumsum(sizes) - sizes
    position = np.arange(int(sizes.sum())) - np.repeat(offsets, sizes)
    rows = np.repeat(starts, sizes) + position
    later_in_group = np.repeat(sizes, sizes) - position - 1
    n_pairs = int(later_in_group.sum())
    first = np.repeat(rows, later_in_group)
    pair_starts = np.cumsum(later_in_group) - later_in_group
    second = first + 1 + (np.arange(n_pairs) - np.repeat(pair_starts, later_in_group))
    pair_key = who[first] * n_annotators + who[second]  # sorted within an item: the first is earlier
    same = (labels[first] == labels[second]).astype(np.float64)
    if n_annotators * n_annotators <= DENSE_PAIR_TABLE:
        size = n_annotators * n_annotators
        overlap = np.bincount(pair_key, minlength=size).astype(np.float64)
        keys = np.flatnonzero(overlap)
        return keys, overlap[keys], np.bincount(pair_key, weights=same, minlength=size)[keys]
    keys, inverse = np.unique(pair_key, return_inverse=True)
    return keys, np.bincount(inverse).astype(np.float64), np.bincount(inverse, weights=same)


def find_copied_annotators(
    table: LabelTable, agreement: float = 0.995, min_overlap: int = 20, min_coverage: float = 0.5
) -> dict[int, int]:
    """Annotators whose labels copy an earlier annotator's: {copier: original}.

    A later annotator (in first-appearance order) copies an earlier one when they share at least
    `min_overlap` items, those cover at least `min_coverage` of the later one's labels, and the labels
    agree on at least `agreement` of them. Pairs are enumerated per item in numpy, a bounded number
    of pairs at a time.
    """
    if table.n_labels == 0:
        return {}
    n_annotators = len(table.annotators)
    order = np.lexsort((table.annotator_index, table.item_index))
    items = table.item_index[order]
    who = table.annotator_index[order]
    labels = table.label_index[order]
    starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]])
    sizes = np.diff(np.r_[starts, items.size])
    pairs_per_item = sizes * (sizes - 1) // 2
    if pairs_per_item.sum() == 0:
        return {}
    chunk_of_item = np.cumsum(pairs_per_item) // PAIRS_PER_CHUNK
    parts = []
    for chunk in np.unique(chunk_of_item[pairs_per_item > 0]):
        chosen = (chunk_of_item == chunk) & (pairs_per_item > 0)
        parts.append(_pair_counts(who, labels, starts[chosen], sizes[chosen], n_annotators))
    keys, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    overlap = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]))
    agreeing = np.bincount(inverse, weights=np.concatenate([p[2] for p in parts]))
    label_counts = np.bincount(table.annotator_index, minlength=n_annotators)
    earlier, later = keys // n_annotators, keys % n_annotators
    copies = (
        (overlap >= min_overlap) & (agreeing >= agreement * overlap) & (overlap >= min_coverage * label_counts[later])
    )
    copied: dict[int, int] = {}
    for original, copier in sorted(zip(earlier[copies].tolist(), later[copies].tolist())):
        copied.setdefault(copier, original)
    return copied
