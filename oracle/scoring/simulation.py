"""Seeded simulated populations with known truth, for the incentive tests and the benchmark.

Nothing here is used to score a real epoch: it makes label tables and model predictions whose
quality is known, so the scoring rules can be checked against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oracle.scoring.label_format import LabelTable


@dataclass(frozen=True)
class LabelPopulation:
    table: LabelTable
    truth: np.ndarray  # true class of each item
    accuracy: np.ndarray  # each annotator's true accuracy (nan for non-honest kinds)
    kind: tuple[str, ...]  # "honest", "random", "constant", "copy" per annotator


def simulate_labels(
    seed: int,
    n_items: int,
    n_classes: int,
    honest_accuracy: np.ndarray,
    n_random: int = 0,
    n_constant: int = 0,
    n_copies: int = 0,
    labels_per_annotator: int = 100,
    class_weights: np.ndarray | None = None,
) -> LabelPopulation:
    """Honest annotators (right with their accuracy, else a uniformly wrong class), random
    labellers, constant labellers (always the first class) and copies (each repeats an honest
    annotator's labels, the copier appearing after the original). Each annotator labels
    `labels_per_annotator` distinct items drawn uniformly."""
    rng = np.random.Generator(np.random.PCG64(seed))
    weights = np.full(n_classes, 1.0 / n_classes) if class_weights is None else class_weights
    truth = rng.choice(n_classes, size=n_items, p=weights)
    kinds = ["honest"] * len(honest_accuracy) + ["random"] * n_random + ["constant"] * n_constant
    n_base = len(kinds)
    per = min(labels_per_annotator, n_items)
    items = np.stack([rng.choice(n_items, size=per, replace=False) for _ in range(n_base)])
    labels = np.empty_like(items)
    for a, kind in enumerate(kinds):
        true_labels = truth[items[a]]
        if kind == "honest":
            wrong = (true_labels + rng.integers(1, n_classes, per)) % n_classes
            labels[a] = np.where(rng.random(per) < honest_accuracy[a], true_labels, wrong)
        elif kind == "random":
            labels[a] = rng.integers(0, n_classes, per)
        else:
            labels[a] = 0
    originals: np.ndarray | list[int] = rng.integers(0, len(honest_accuracy), n_copies) if len(honest_accuracy) else []
    items = np.concatenate([items, items[originals]]) if n_copies else items
    labels = np.concatenate([labels, labels[originals]]) if n_copies else labels
    kinds += ["copy"] * n_copies
    accuracy = np.full(len(kinds), np.nan)
    accuracy[: len(honest_accuracy)] = honest_accuracy
    n_annotators = len(kinds)
    table = LabelTable(
        annotators=tuple(f"annotator-{a:04d}" for a in range(n_annotators)),
        items=tuple(f"item-{i:06d}" for i in range(n_items)),
        classes=tuple(f"class-{c}" for c in range(n_classes)),
        annotator_index=np.repeat(np.arange(n_annotators), per),
        item_index=items.reshape(-1).astype(np.int64),
        label_index=labels.reshape(-1).astype(np.int64),
    )
    return LabelPopulation(table, truth, accuracy, tuple(kinds))


def simulate_large_labels(
    seed: int, n_items: int, n_annotators: int, n_labels: int, n_classes: int, spammer_share: float
) -> tuple[LabelTable, np.ndarray]:
    """A large crowd for the benchmark: distinct (annotator, item) pairs drawn uniformly, honest
    accuracies uniform in [0.6, 0.95], `spammer_share` of annotators answering at random."""
    rng = np.random.Generator(np.random.PCG64(seed))
    truth = rng.integers(0, n_classes, n_items)
    accuracy = rng.uniform(0.6, 0.95, n_annotators)
    spammer = rng.random(n_annotators) < spammer_share
    pairs = np.unique(rng.integers(0, n_items * n_annotators, int(n_labels * 1.05)))
    pairs = rng.permutation(pairs)[:n_labels]
    item, annotator = pairs // n_annotators, pairs % n_annotators
    right = rng.random(pairs.size) < accuracy[annotator]
    wrong = (truth[item] + rng.integers(1, n_classes, pairs.size)) % n_classes
    label = np.where(right, truth[item], wrong)
    label = np.where(spammer[annotator], rng.integers(0, n_classes, pairs.size), label)
    table = LabelTable(
        annotators=tuple(str(a) for a in range(n_annotators)),
        items=tuple(str(i) for i in range(n_items)),
        classes=tuple(str(c) for c in range(n_classes)),
        annotator_index=annotator.astype(np.int64),
        item_index=item.astype(np.int64),
        label_index=label.astype(np.int64),
    )
    return table, truth


def nested_skill_labels(
    truth: np.ndarray, difficulty: np.ndarray, skill: float, flip_rate: float, seed: int
) -> np.ndarray:
    """Binary predictions of a model of a given skill: right on every item easier than `skill`
    (so a more skilled model fixes a less skilled one's mistakes), then a `flip_rate` share of
    items flipped at random (the model's own idiosyncratic errors)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    predictions = np.where(difficulty < skill, truth, 1 - truth)
    flips = rng.random(truth.size) < flip_rate
    return np.where(flips, 1 - predictions, predictions).astype(np.int64)


def expected_accuracy(skill: float, flip_rate: float) -> float:
    """The accuracy of `nested_skill_labels` on the population (difficulty uniform on [0, 1])."""
    return skill * (1 - flip_rate) + (1 - skill) * flip_rate


@dataclass
class Crowd:
    """An epoch's annotators with known truth, built up attack by attack (for the adversarial tests).

    Honest annotators label distinct items drawn uniformly, right with their accuracy and otherwise
    a uniformly wrong class. Every annotator has a kind ("honest" or the attack's name) and a place
    in the commit order (its position in the list unless given)."""

    rng: np.random.Generator
    truth: np.ndarray
    n_classes: int
    gold_items: np.ndarray
    names: list[str]
    kinds: list[str]
    accuracy: list[float]
    items: list[np.ndarray]
    labels: list[np.ndarray]
    order: list[int]

    @classmethod
    def honest(
        cls, seed: int, n_items: int, n_classes: int, honest_accuracy: np.ndarray, labels_each: int, gold_share: float
    ) -> Crowd:
        rng = np.random.Generator(np.random.PCG64(seed))
        truth = rng.integers(0, n_classes, n_items)
        gold_items = np.sort(rng.choice(n_items, size=round(gold_share * n_items), replace=False))
        crowd = cls(rng, truth, n_classes, gold_items, [], [], [], [], [], [])
        for accuracy in honest_accuracy:
            crowd.add("honest", crowd.draw_items(labels_each), accuracy=float(accuracy))
        return crowd

    def draw_items(self, count: int) -> np.ndarray:
        return self.rng.choice(self.truth.size, size=min(count, self.truth.size), replace=False)

    def answer(self, items: np.ndarray, accuracy: float) -> np.ndarray:
        """Labels right with `accuracy`, otherwise a uniformly wrong class."""
        true = self.truth[items]
        wrong = (true + self.rng.integers(1, self.n_classes, items.size)) % self.n_classes
        return np.where(self.rng.random(items.size) < accuracy, true, wrong)

    def add_noise(self, labels: np.ndarray, share: float) -> np.ndarray:
        """`labels` with a `share` of them changed to another class at random."""
        change = self.rng.random(labels.size) < share
        other = (labels + self.rng.integers(1, self.n_classes, labels.size)) % self.n_classes
        return np.where(change, other, labels)

    def add(
        self,
        kind: str,
        items: np.ndarray,
        labels: np.ndarray | None = None,
        accuracy: float = np.nan,
        order: int | None = None,
    ) -> int:
        self.names.append(f"annotator-{len(self.names):05d}")
        self.kinds.append(kind)
        self.accuracy.append(accuracy)
        self.items.append(np.asarray(items, dtype=np.int64))
        self.labels.append(self.answer(items, accuracy) if labels is None else np.asarray(labels, dtype=np.int64))
        self.order.append(len(self.order) if order is None else order)
        return len(self.names) - 1

    def table(self) -> LabelTable:
        return LabelTable(
            annotators=tuple(self.names),
            items=tuple(f"item-{i:06d}" for i in range(self.truth.size)),
            classes=tuple(f"class-{c}" for c in range(self.n_classes)),
            annotator_index=np.repeat(np.arange(len(self.names)), [i.size for i in self.items]),
            item_index=np.concatenate(self.items),
            label_index=np.concatenate(self.labels),
        )

    def gold(self) -> tuple[np.ndarray, np.ndarray]:
        return self.gold_items, self.truth[self.gold_items]
