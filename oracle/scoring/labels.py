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

from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from oracle.scoring.choices import AggregationMethod
from oracle.scoring.label_format import LabelTable


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
    annotator_skill_lower: np.ndarray  # lower confidence bound of accuracy - chance (shrunk for few labels)
    annotator_score: np.ndarray  # label_counts * max(0, skill_lower)
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


DEFAULT_SKILL_CONFIDENCE = 0.95  # one-sided level of the skill lower bound annotators are paid on
SKILL_PRIOR_LABELS = 10.0  # pseudo-labels of prior variance added to each annotator's own
SKILL_PRIOR_VARIANCE = 0.25  # the variance of a label's skill (right - chance) assumed before seeing any


def _annotator_scores(
    table: LabelTable, label_posteriors: np.ndarray, skill_confidence: float
) -> tuple[np.ndarray, ...]:
    """Counts, accuracy, chance, skill lower bound and score per annotator from each label's
    leave-one-out posterior.

    A label's skill is the posterior that it is right minus what the annotator's own label
    frequencies would get blind (their mean over the annotator's labels is accuracy - chance). The
    pay rests on a one-sided lower confidence bound of the mean: its variance is the labels' own,
    shrunk towards SKILL_PRIOR_VARIANCE by SKILL_PRIOR_LABELS pseudo-labels, so a handful of lucky
    labels cannot look certain and earns nothing in expectation.
    """
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
    skill = accuracy - chance
    label_skill = right - np.einsum("lc,lc->l", label_posteriors, label_frequency[who])
    spread = np.bincount(who, weights=(label_skill - skill[who]) ** 2, minlength=n_annotators)
    variance = (spread + SKILL_PRIOR_LABELS * SKILL_PRIOR_VARIANCE) / (counts + SKILL_PRIOR_LABELS)
    z = NormalDist().inv_cdf(skill_confidence)
    skill_lower = np.where(counts > 0, skill - z * np.sqrt(variance / safe_counts), 0.0)
    score = counts * np.maximum(skill_lower, 0.0)
    return counts, accuracy, chance, skill_lower, score


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
    skill_confidence: float,
) -> Aggregation:
    counts, accuracy, chance, skill_lower, score = _annotator_scores(table, label_posteriors, skill_confidence)
    return Aggregation(
        method,
        posteriors,
        np.argmax(posteriors, axis=1),
        priors,
        confusion,
        counts,
        accuracy,
        chance,
        skill_lower,
        score,
        iterations,
        converged,
    )


def majority_vote(
    table: LabelTable,
    gold_items: np.ndarray | None = None,
    gold_classes: np.ndarray | None = None,
    skill_confidence: float = DEFAULT_SKILL_CONFIDENCE,
) -> Aggregation:
    """Posteriors are the vote shares (uniform for an unlabelled item); gold items are fixed, but a
    label on a gold item is judged like any other, by the item's other votes."""
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
    return _result(
        AggregationMethod.MAJORITY_VOTE,
        table,
        posteriors,
        label_posteriors,
        _mean_posterior(posteriors),
        None,
        0,
        True,
        skill_confidence,
    )


def dawid_skene(
    table: LabelTable,
    gold_items: np.ndarray | None = None,
    gold_classes: np.ndarray | None = None,
    tolerance: float = 1e-7,
    max_iterations: int = 100,
    smoothing: float = 0.01,
    skill_confidence: float = DEFAULT_SKILL_CONFIDENCE,
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
            skill_confidence,
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
    # Gold items are judged the same way (the known answer only anchors the confusion matrices), so
    # no published figure differs between a label on a gold item and one elsewhere.
    label_posteriors = without_own.T
    return _result(
        AggregationMethod.DAWID_SKENE,
        table,
        posteriors,
        label_posteriors,
        priors,
        confusion,
        iterations,
        converged,
        skill_confidence,
    )


def aggregate(
    table: LabelTable,
    method: AggregationMethod,
    gold_items: np.ndarray | None = None,
    gold_classes: np.ndarray | None = None,
    skill_confidence: float = DEFAULT_SKILL_CONFIDENCE,
) -> Aggregation:
    if method is AggregationMethod.MAJORITY_VOTE:
        return majority_vote(table, gold_items, gold_classes, skill_confidence)
    return dawid_skene(table, gold_items, gold_classes, skill_confidence=skill_confidence)


PAIRS_PER_CHUNK = 4_000_000  # bounds memory when many annotators label the same items
DENSE_PAIR_TABLE = 16_000_000  # up to this many annotator pairs, count them in a dense table
PAIR_ROWS_PER_STEP = 1 << 22  # pair rows x classes^2 held at once while computing expected shared errors
MAX_MERGE_ROUNDS = 4  # detection, merging and aggregation repeat until nothing new is found
BLOC_ITEM_SHARE = 0.5  # a bloc pair shares at least this share of the smaller one's items
BLOC_OVER_CHANCE = 2.0  # ... and this many times the items two random draws of their sizes would share


@dataclass(frozen=True)
class DependenceThresholds:
    """When two annotators' labels are dependent (see find_dependent_annotators)."""

    min_overlap: int = 20  # shared items before a pair is tested at all
    min_shared_errors: float = 5.0  # shared errors (in expectation over the reference) a pair must reach
    min_shared_gold_errors: float = 3.0  # or shared wrong answers on gold items
    excess: float = 2.0  # shared errors must be at least this many times what independence predicts
    false_alarm: float = 1e-3  # chance of flagging any independent pair of the epoch (Bonferroni over pairs)


def _label_evidence(table: LabelTable, posteriors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Confusion matrices (annotator, true, observed) fitted to `posteriors` with one pseudo-label per
    row, their logs, and each item's log evidence (log prior + the log-likelihood of its labels)."""
    n_items, n_classes = posteriors.shape
    n_annotators = len(table.annotators)
    slot = table.annotator_index * n_classes + table.label_index
    by_class = np.ascontiguousarray(posteriors.T)
    counts = np.stack(
        [
            np.bincount(slot, weights=by_class[c][table.item_index], minlength=n_annotators * n_classes)
            for c in range(n_classes)
        ],
        axis=1,
    ).reshape(n_annotators, n_classes, n_classes)  # (annotator, observed, true)
    counts += 1.0 / n_classes
    confusion = (counts / counts.sum(axis=1, keepdims=True)).transpose(0, 2, 1)  # (annotator, true, observed)
    log_confusion = np.log(confusion)
    slot_by_class = np.ascontiguousarray(log_confusion.transpose(0, 2, 1).reshape(-1, n_classes).T)
    priors = posteriors.sum(axis=0) + 1.0
    evidence = np.stack(
        [np.bincount(table.item_index, weights=slot_by_class[c][slot], minlength=n_items) for c in range(n_classes)],
        axis=1,
    ) + np.log(priors / priors.sum())
    return confusion, log_confusion, evidence, slot_by_class


def _pair_rows(sizes: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (earlier, later) pair of rows within each group of rows sorted by annotator."""
    offsets = np.cumsum(sizes) - sizes
    position = np.arange(int(sizes.sum())) - np.repeat(offsets, sizes)
    rows = np.repeat(starts, sizes) + position
    later_in_group = np.repeat(sizes, sizes) - position - 1
    n_pairs = int(later_in_group.sum())
    first = np.repeat(rows, later_in_group)
    pair_starts = np.cumsum(later_in_group) - later_in_group
    second = first + 1 + (np.arange(n_pairs) - np.repeat(pair_starts, later_in_group))
    return first, second


def _shared_errors(
    first: np.ndarray,
    second: np.ndarray,
    sorted_labels: tuple[np.ndarray, np.ndarray, np.ndarray],
    model: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    gold: np.ndarray,
    bloc_reference: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, ...]:
    """Per pair row: the observed shared error, and what independence predicts (mean, variance).

    The reference is the item's posterior without the pair's own two labels (the known answer on a
    gold item). Observed: the two labels agree, weighted by how much the reference disagrees with
    their label (its top probability minus their label's: 0 where the reference has no opinion, 1
    against a known answer). Predicted: the same quantity if both labelled independently through
    their confusion matrices; and given the first's actual label, the same weight times the chance
    that the second gives that label (and the other way round). Given one side's label, the truth
    is the reference updated by that label (Bayes), not the reference alone: where the reference is
    weak (few other labels, or noisy ones), a careful annotator's label outweighs it, and a second
    careful annotator giving the same label is what independence predicts, not a shared error.
    Conditioning on one side's actual errors is what makes a copy of a careful annotator (few
    errors, nearly all repeated) stand out; the unconditional prediction is what exposes a bloc
    whose members look accurate everywhere but on gold. Each prediction comes with its variance
    under independence, for the tail bound (see _bennett_log_tail).

    `bloc_reference`: (sorted row positions, their log evidence) for the rows whose reference leaves
    out a whole bloc's labels rather than the pair's own (see find_dependent_annotators).

    Returns observed, then (mean, variance) unconditional, given the first, given the second."""
    items, who, labels = sorted_labels
    confusion, _, evidence, _ = model
    n_classes = evidence.shape[1]
    # rows (annotator, observed label) -> the chance of that label from each true class
    by_slot = np.ascontiguousarray(confusion.transpose(0, 2, 1).reshape(-1, n_classes))
    log_by_slot = np.log(by_slot)
    out = [np.empty(first.size) for _ in range(7)]
    step = max(1, PAIR_ROWS_PER_STEP // n_classes**2)
    for begin in range(0, first.size, step):
        f, g = first[begin : begin + step], second[begin : begin + step]
        item, a, b, label_a, label_b = items[f], who[f], who[g], labels[f], labels[g]
        log_q = evidence[item] - log_by_slot.take(a * n_classes + label_a, axis=0)
        log_q -= log_by_slot.take(b * n_classes + label_b, axis=0)
        if bloc_reference is not None:
            positions, log_evidence = bloc_reference
            low, high = np.searchsorted(positions, (begin, begin + f.size))
            log_q[positions[low:high] - begin] = log_evidence[low:high]
        log_q -= log_q.max(axis=1, keepdims=True)
        q = np.exp(log_q)
        q /= q.sum(axis=1, keepdims=True)
        known = gold[item] >= 0
        q[known] = 0.0
        q[known, gold[item[known]]] = 1.0
        rows = np.arange(f.size)
        top = q.max(axis=1)
        disagreement = top[:, None] - q  # the weight of a shared label x: how much the reference disagrees
        weight_a, weight_b = disagreement[rows, label_a], disagreement[rows, label_b]
        span = slice(begin, begin + f.size)
        out[0][span] = np.where(label_a == label_b, weight_a, 0.0)
        # unconditional: both label through their confusion matrices from the reference's truth
        both = np.einsum("rt,rtx->rx", q, confusion[a] * confusion[b])  # both give x
        mean = (both * disagreement).sum(axis=1)
        out[1][span] = mean
        out[2][span] = (both * disagreement**2).sum(axis=1) - mean**2
        # given one side's label: the truth updated by it, and the other side repeating it
        for column, seen, weight, labeller, other in ((3, label_a, weight_a, a, b), (5, label_b, weight_b, b, a)):
            updated = q * by_slot.take(labeller * n_classes + seen, axis=0)
            repeat = (updated * by_slot.take(other * n_classes + seen, axis=0)).sum(axis=1) / updated.sum(axis=1)
            out[column][span] = weight * repeat
            out[column + 1][span] = weight**2 * repeat * (1.0 - repeat)
    return tuple(out)


def _bennett_log_tail(observed: np.ndarray, expected: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """log of Bennett's bound on P(X >= observed) for X a sum of independent terms in [0, 1] with
    mean `expected` and variance `variance` (0 where observed <= expected): -v h((observed - mean) / v)
    with h(u) = (1 + u) log(1 + u) - u. With the variance at its largest, the mean, this is the
    Poisson-Chernoff bound; near-certain terms (both careful sides agreeing where the reference is
    wrong) add to the mean but hardly to the variance, so they no longer hide a copy's errors."""
    variance = np.maximum(np.minimum(variance, expected), 1e-12)
    excess = np.maximum(observed - expected, 0.0) / variance
    return -variance * ((1.0 + excess) * np.log1p(excess) - excess)


def _blocs(n_annotators: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the pairs (a, b): each annotator's component, named by its lowest member."""
    root = np.arange(n_annotators)
    while True:
        low = np.minimum(root[a], root[b])
        joined = root.copy()
        np.minimum.at(joined, a, low)
        np.minimum.at(joined, b, low)
        joined = joined[joined]
        if np.array_equal(joined, root):
            return root
        root = joined


def _bloc_references(
    table: LabelTable,
    model: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    sorted_labels: tuple[np.ndarray, np.ndarray, np.ndarray],
    tested_pairs: np.ndarray,
    tested_overlap: np.ndarray,
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None] | None:
    """Blocs of three or more annotators who labelled mostly the same items, and for a pair inside
    one the reference that leaves the whole bloc out (None when there is no such bloc).

    To outvote others on an item a ring must label it, so a ring is a group of annotators labelling
    the same items; with the pair's own two labels left out, the rest of the ring still makes the
    reference and hides the ring's shared errors (except on gold). A bloc pair shares at least
    BLOC_ITEM_SHARE of the smaller one's items and BLOC_OVER_CHANCE times what two random draws of
    their sizes would share (so no crowd where everyone labels most items forms one); blocs are the
    connected groups of such pairs. Which annotators form a bloc depends on who labelled what, never
    on the labels, so it does not bias the test. On an item also labelled outside the bloc, a bloc
    pair's reference is the item's posterior from the labels outside the bloc (the known answer on
    a gold item); on an item the bloc alone labelled, the pair's own two labels are left out as for
    any pair (the bloc has nobody there to outvote)."""
    items, who, labels = sorted_labels
    _, _, evidence, _ = model
    n_annotators, (n_items, n_classes) = len(table.annotators), evidence.shape
    counts = np.bincount(table.annotator_index, minlength=n_annotators)
    a, b = tested_pairs // n_annotators, tested_pairs % n_annotators
    chance = counts[a] * counts[b] / max(n_items, 1)
    close = (tested_overlap >= BLOC_ITEM_SHARE * np.minimum(counts[a], counts[b])) & (
        tested_overlap >= BLOC_OVER_CHANCE * chance
    )
    if not close.any():
        return None
    bloc = _blocs(n_annotators, a[close], b[close])
    bloc_size = np.bincount(bloc, minlength=n_annotators)
    in_bloc = bloc_size[bloc] >= 3
    if not in_bloc.any():
        return None
    # each (bloc, item): the bloc's labels there, and their summed log-likelihood under each class
    log_by_slot = np.log(model[0].transpose(0, 2, 1).reshape(-1, n_classes))
    member = in_bloc[who]
    key = bloc[who[member]] * n_items + items[member]
    bloc_items, inverse = np.unique(key, return_inverse=True)
    bloc_labels = np.bincount(inverse, minlength=bloc_items.size)
    log_likelihood = log_by_slot[who[member] * n_classes + labels[member]]
    bloc_log_likelihood = np.stack(
        [np.bincount(inverse, weights=log_likelihood[:, c], minlength=bloc_items.size) for c in range(n_classes)],
        axis=1,
    )
    labels_on_item = np.bincount(table.item_index, minlength=n_items)

    def reference(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        x, y, item = who[first], who[second], items[first]
        inside = np.flatnonzero((bloc[x] == bloc[y]) & in_bloc[x])
        where = np.searchsorted(bloc_items, bloc[x[inside]] * n_items + item[inside])
        outside = bloc_labels[where] < labels_on_item[item[inside]]
        rows, where = inside[outside], where[outside]
        if rows.size == 0:
            return None
        return rows, evidence[item[rows]] - bloc_log_likelihood[where]

    return reference


def find_dependent_annotators(
    table: LabelTable,
    posteriors: np.ndarray,
    gold_items: np.ndarray | None = None,
    gold_classes: np.ndarray | None = None,
    order: np.ndarray | None = None,
    thresholds: DependenceThresholds = DependenceThresholds(),
) -> dict[int, int]:
    """Annotators whose errors depend on another's: {member: the earliest member of its group}.

    Copy and collusion show in shared *errors*, not in raw agreement (two good annotators agree on
    almost everything). For each pair sharing at least `min_overlap` items, on each shared item the
    reference is the item's posterior from every label but the pair's own (the known answer on gold
    items); the pair's shared errors are the items where both give the same label, weighted by how
    much the reference disagrees with it (its top probability minus the label's), and independence
    predicts how many there would be from each one's confusion matrix (fitted to `posteriors`). A
    pair is dependent when its shared errors reach `min_shared_errors`, are `excess` times the
    prediction, and Bennett's bound on that many under independence (from the prediction's mean and
    variance) is below `false_alarm` over the number of pairs tested (and the four tests: all shared
    items or the shared gold items alone, the prediction unconditional or given either side's own
    labels, the truth then updated by that label; see _shared_errors). A few
    percent of noise added to a copy removes only a few percent of the shared errors. Dependent
    pairs join into groups; each group's earliest member by `order` (commit order; table order by
    default) is its source, so whoever came first keeps the credit. A pair inside a bloc (three or
    more annotators who labelled mostly the same items, see _bloc_references) is judged against the
    labels outside the bloc where there are any, so the rest of a ring does not make its reference.
    """
    n_annotators = len(table.annotators)
    if table.n_labels == 0:
        return {}
    order = np.arange(n_annotators) if order is None else order
    n_items = len(table.items)
    gold = np.full(n_items, -1, dtype=np.int64)
    if gold_items is not None and gold_classes is not None:
        gold[gold_items] = gold_classes
    model = _label_evidence(table, posteriors)
    sort = np.lexsort((table.annotator_index, table.item_index))
    items, who, labels = table.item_index[sort], table.annotator_index[sort], table.label_index[sort]
    starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]])
    sizes = np.diff(np.r_[starts, items.size])
    pairs_per_item = sizes * (sizes - 1) // 2
    if pairs_per_item.sum() == 0:
        return {}
    chunk_of_item = np.cumsum(pairs_per_item) // PAIRS_PER_CHUNK
    chunks = [(chunk_of_item == chunk) & (pairs_per_item > 0) for chunk in np.unique(chunk_of_item[pairs_per_item > 0])]

    def pair_rows(chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        first, second = _pair_rows(sizes[chosen], starts[chosen])
        return first, second, who[first] * n_annotators + who[second]  # sorted within an item: first is lower

    # Only pairs sharing `min_overlap` items are tested, and in a large epoch most pairs share a few
    # items: count every pair's shared items first, then compute the shared-error statistics on the
    # rows of the tested pairs alone (in the same order, so their sums are the same).
    if n_annotators * n_annotators <= DENSE_PAIR_TABLE:
        pair_overlap = np.zeros(n_annotators * n_annotators, dtype=np.int64)
        for chosen in chunks:
            pair_overlap += np.bincount(pair_rows(chosen)[2], minlength=n_annotators * n_annotators)
        tested_table = pair_overlap >= thresholds.min_overlap
        tested_pairs = np.flatnonzero(tested_table)
        tested_overlap = pair_overlap[tested_pairs]

        def is_tested(key: np.ndarray) -> np.ndarray:
            return tested_table[key]

    else:
        counted = [np.unique(pair_rows(chosen)[2], return_counts=True) for chosen in chunks]
        all_keys, inverse = np.unique(np.concatenate([k for k, _ in counted]), return_inverse=True)
        totals = np.bincount(inverse, weights=np.concatenate([c for _, c in counted]))
        tested_pairs = all_keys[totals >= thresholds.min_overlap]
        tested_overlap = totals[totals >= thresholds.min_overlap]

        def is_tested(key: np.ndarray) -> np.ndarray:
            return np.isin(key, tested_pairs)

    if tested_pairs.size == 0:
        return {}
    bloc_of_row = _bloc_references(table, model, (items, who, labels), tested_pairs, tested_overlap)
    parts = []
    for chosen in chunks:
        first, second, key = pair_rows(chosen)
        keep = is_tested(key)
        if not keep.any():
            continue
        first, second, key = first[keep], second[keep], key[keep]
        reference = None if bloc_of_row is None else bloc_of_row(first, second)
        observed, *predictions = _shared_errors(first, second, (items, who, labels), model, gold, reference)
        on_gold = (gold[items[first]] >= 0).astype(np.float64)
        row_sums = (np.ones(first.size), on_gold, observed, *predictions, observed * on_gold)
        row_sums += tuple(p * on_gold for p in predictions)
        keys, inverse = np.unique(key, return_inverse=True)
        parts.append((keys, *(np.bincount(inverse, weights=w) for w in row_sums)))
    keys, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    sums = [np.bincount(inverse, weights=np.concatenate([p[k] for p in parts])) for k in range(1, len(parts[0]))]
    overlap, gold_overlap = sums[0], sums[1]
    # (shared errors, predictions as (mean, variance)) over all shared items and over shared gold
    # items alone; the prediction unconditional, or given either side's labels (both must be beaten)
    everywhere, on_gold_only = sums[2:9], sums[9:16]
    tested = overlap >= thresholds.min_overlap
    gold_tested = tested & (gold_overlap >= thresholds.min_shared_gold_errors)
    tests = [
        (found, alternatives, where, least)
        for (found, *predicted), where, least in (
            (everywhere, tested, thresholds.min_shared_errors),
            (on_gold_only, gold_tested, thresholds.min_shared_gold_errors),
        )
        for alternatives in ([predicted[0:2]], [predicted[2:4], predicted[4:6]])
    ]

    dependent = np.zeros(keys.size, dtype=bool)
    for found, alternatives, where, least in tests:
        # Bonferroni over the pairs of the family and the four tests
        log_level = np.log(thresholds.false_alarm / (len(tests) * max(int(where.sum()), 1)))
        passed = where & (found >= least)
        for mean, variance in alternatives:
            passed &= (found >= thresholds.excess * mean) & (_bennett_log_tail(found, mean, variance) <= log_level)
        dependent |= passed
    # Union-find over the dependent pairs; a group's root is its earliest member by order.
    root = np.arange(n_annotators)

    def find(a: int) -> int:
        while root[a] != a:
            root[a] = root[root[a]]
            a = int(root[a])
        return a

    for a, b in zip((keys[dependent] // n_annotators).tolist(), (keys[dependent] % n_annotators).tolist()):
        ra, rb = find(a), find(b)
        if ra != rb:
            early, late = (ra, rb) if (order[ra], ra) < (order[rb], rb) else (rb, ra)
            root[late] = early
    return {a: find(a) for a in range(n_annotators) if find(a) != a}


def merge_sources(table: LabelTable, source_of: dict[int, int], order: np.ndarray | None = None) -> LabelTable:
    """The table with each group of dependent annotators as one source: every label moves to the
    group's source, and an item labelled by several members keeps the earliest member's label."""
    if not source_of:
        return table
    order = np.arange(len(table.annotators)) if order is None else order
    source = np.arange(len(table.annotators))
    source[list(source_of)] = list(source_of.values())
    who = source[table.annotator_index]
    sort = np.lexsort((order[table.annotator_index], table.item_index, who))
    key = who[sort] * max(len(table.items), 1) + table.item_index[sort]
    first = sort[np.r_[True, key[1:] != key[:-1]]]
    first.sort()
    return LabelTable(
        table.annotators,
        table.items,
        table.classes,
        who[first],
        table.item_index[first],
        table.label_index[first],
        table.rejections,
    )


@dataclass(frozen=True)
class LabelScores:
    aggregation: Aggregation  # over the merged table: each group's score sits at its source
    source_of: dict[int, int]  # dependent annotator -> its group's source (the earliest by order)
    rounds: int


def score_labels(
    table: LabelTable,
    method: AggregationMethod,
    gold_items: np.ndarray | None = None,
    gold_classes: np.ndarray | None = None,
    order: np.ndarray | None = None,
    skill_confidence: float = DEFAULT_SKILL_CONFIDENCE,
    thresholds: DependenceThresholds = DependenceThresholds(),
) -> LabelScores:
    """Aggregate, find dependent annotators against the aggregate, merge each group into one source,
    and repeat until nothing new is found: a ring that outvotes honest annotators hides its shared
    errors behind its own consensus (except on gold items, and against the labels outside it when
    it labels the same items, see _bloc_references), and once part of it is merged the rest shows.
    Each source counts once in the aggregation and is paid once, at its earliest member.
    Dependence is always judged against Dawid-Skene's posteriors, whatever `method` aggregates."""
    source_of: dict[int, int] = {}
    current = table
    for rounds in range(1, MAX_MERGE_ROUNDS + 1):
        aggregation = aggregate(current, method, gold_items, gold_classes, skill_confidence)
        reference = (
            aggregation if method is AggregationMethod.DAWID_SKENE else dawid_skene(current, gold_items, gold_classes)
        )
        found = find_dependent_annotators(current, reference.posteriors, gold_items, gold_classes, order, thresholds)
        if not found:
            return LabelScores(aggregation, source_of, rounds)
        source_of = {member: found.get(source, source) for member, source in source_of.items()} | found
        current = merge_sources(table, source_of, order)
    return LabelScores(aggregate(current, method, gold_items, gold_classes, skill_confidence), source_of, rounds)


def find_copied_annotators(
    table: LabelTable,
    gold_items: np.ndarray | None = None,
    gold_classes: np.ndarray | None = None,
    order: np.ndarray | None = None,
    thresholds: DependenceThresholds = DependenceThresholds(),
) -> dict[int, int]:
    """Dependent annotators against Dawid-Skene's posteriors (one round): {copier: original}.
    (Vote shares are no posteriors: fitted to them, confusion matrices look too noisy.)"""
    posteriors = dawid_skene(table, gold_items, gold_classes).posteriors
    return find_dependent_annotators(table, posteriors, gold_items, gold_classes, order, thresholds)
