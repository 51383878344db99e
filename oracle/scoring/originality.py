"""Originality: a copy of an earlier submission earns nothing; the earlier one keeps the credit.

- Exact copy: the same content hash (the artifact's CID) as an earlier submission or the champion.
- Near copy, against every earlier valid submission and the champion (earlier = commit order):
  - label predictions, judged on shared errors (the answers are known to the index): the new model
    differs from the earlier one on at most 1 - `shared_errors` (10%) of the items, repeats at least
    `shared_errors` (90%) of the earlier model's E errors with the same wrong label (less 3 binomial
    deviations, sqrt(E x 0.9 x 0.1), so that a copy of a model with 3 errors whose noise happened to
    fix one is still one),
    and where the two disagree the new one is right no more often than truth-blind noise would make
    it: at most e x d + 3 sqrt(d e (1 - e)) + 1 fixes among d disagreements, e being the earlier
    model's error rate (a random change of a label fixes an error with probability at most e).
    Raw agreement is not evidence: two honest models near the accuracy ceiling agree on 99.8% of
    the items yet share few errors, and one that fixes errors is an improvement, not a copy.
    Against an error-free earlier model: the same label on at least `label_agreement` of the items.
    Without answers (the index built without them), agreement of at least `label_agreement` (99.5%);
  - probabilities: mean total-variation distance between the rows at most `probability_distance`;
  - regression values: root-mean-square difference at most `value_distance` times the standard
    deviation of the earlier submission's values (or absolute, if those are constant).

Comparing each submission with every earlier one in full would cost submissions^2 x items, so a
seeded sample of m items screens the pairs first, and only pairs that pass are compared in full
(the verdict always comes from the full comparison). Each screen tests a mean of per-item values
bounded in [0, 1] against a multiple of the bound a near copy must meet in full, plus 32/m:
- labels with answers: at most 1 - shared_errors of the sampled items disagree (plus 32/m), at
  most e x d + 4 sqrt(d e (1 - e)) + 2 fixes among the d sampled disagreements, and at least
  shared_errors - 0.2 of the sampled errors repeated (less 4);
- labels without answers: the share of sampled items that disagree is at most 4 x (1 - label_agreement);
- probabilities: the sampled mean total-variation distance is at most 3 x probability_distance;
- values: the share of sampled items differing by over 10 x the allowed RMS is at most 3%
  (a near copy has at most 1% such items in full, by Markov's inequality on the squares).
By Chernoff's bound a near copy fails its screen with probability below 1e-20 for m = 4,096 (the
shared-error screen's fixes bound, 4 sigma of the sample, lets a copy through but for about 3e-5
per pair: models of one family that share most errors but fix more than noise must not all pay for
a full comparison).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oracle.scoring.metrics import PredictionKind
from oracle.scoring.predictions import Predictions
from oracle.scoring.rejections import RejectionReason

SCREEN_SLACK_ITEMS = 32
BIT_PLANE_CLASSES = 16  # label arrays of classes 0..15 are compared as packed bits, one plane per class


@dataclass(frozen=True)
class OriginalityThresholds:
    label_agreement: float = 0.995
    probability_distance: float = 0.01
    value_distance: float = 0.01
    shared_errors: float = 0.9


@dataclass(frozen=True)
class CopyFinding:
    reason: RejectionReason
    original: str  # key of the earlier submission that keeps the credit
    detail: str


def _comparable(predictions: Predictions) -> np.ndarray:
    return predictions.values


def _popcount(bits: np.ndarray) -> int:
    return int(np.bitwise_count(bits).sum(dtype=np.int64))


@dataclass(frozen=True)
class _PackedLabels:
    """Label predictions packed for the full shared-error comparison, one bit per item: where they
    are right and wrong, and (classes 0..BIT_PLANE_CLASSES - 1) where each class is given, so that
    comparing two arrays of 10^6 labels reads a few hundred kilobytes."""

    values: np.ndarray
    right: np.ndarray
    wrong: np.ndarray
    planes: tuple[np.ndarray, ...] | None  # planes[c]: the items labelled c (None: compare the values)

    @classmethod
    def of(cls, values: np.ndarray, truth: np.ndarray) -> _PackedLabels:
        is_right = values == truth
        planes = None
        if values.size and int(values.min()) >= 0 and int(values.max()) < BIT_PLANE_CLASSES:
            planes = tuple(np.packbits(values == c) for c in range(int(values.max()) + 1))
        return cls(values, np.packbits(is_right), np.packbits(~is_right), planes)

    def same(self, other: _PackedLabels) -> np.ndarray:
        """Packed: the items where the two arrays give the same label."""
        if self.planes is None or other.planes is None:
            return np.packbits(self.values == other.values)
        same = np.zeros_like(self.right)
        for mine, theirs in zip(self.planes, other.planes):
            same |= mine & theirs
        return same


def _closeness(kind: PredictionKind, new: np.ndarray, old: np.ndarray) -> float:
    """Agreement (labels) or distance (probabilities, values) between two aligned arrays."""
    if kind is PredictionKind.LABELS:
        return float(np.count_nonzero(new == old) / new.shape[0])
    if kind is PredictionKind.PROBABILITIES:
        return float(0.5 * np.abs(new - old).sum() / new.shape[0])
    difference = new - old
    return float(np.sqrt(np.dot(difference, difference) / new.shape[0]))


@dataclass
class _Entry:
    key: str
    kind: PredictionKind
    values: np.ndarray
    sample: np.ndarray
    scale: float  # for values: the tolerance's unit
    packed: _PackedLabels | None = None  # labels with answers (judged on shared errors)
    errors: int = 0  # labels with answers: how many errors
    error_rate: float = 0.0


def _noise_fixes(disagreements: int, error_rate: float, sigmas: float) -> float:
    """The most fixes truth-blind changes of `disagreements` labels make, at `sigmas` deviations."""
    spread = np.sqrt(disagreements * error_rate * (1.0 - error_rate))
    return disagreements * error_rate + sigmas * float(spread)


@dataclass
class OriginalityIndex:
    """The earlier submissions of a project, in order, for copy detection."""

    n_items: int
    seed: int
    thresholds: OriginalityThresholds = field(default_factory=OriginalityThresholds)
    screen_size: int = 4096
    truth: np.ndarray | None = None  # the answers: label copies are then judged on shared errors
    _hashes: dict[str, str] = field(default_factory=dict, init=False)
    _entries: list[_Entry] = field(default_factory=list, init=False)
    _sample: np.ndarray = field(init=False)
    _last_packed: tuple[Predictions, _PackedLabels] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.Generator(np.random.PCG64(self.seed))
        size = min(self.screen_size, self.n_items)
        self._sample = np.sort(rng.choice(self.n_items, size=size, replace=False))
        self._sample_truth = None if self.truth is None else self.truth[self._sample]

    def _threshold(self, entry: _Entry) -> float:
        if entry.kind is PredictionKind.PROBABILITIES:
            return self.thresholds.probability_distance
        return self.thresholds.value_distance * entry.scale

    def _is_close(self, entry: _Entry, closeness: float) -> bool:
        if entry.kind is PredictionKind.LABELS:
            return closeness >= self.thresholds.label_agreement
        return closeness <= self._threshold(entry)

    def _shared_error_screen(self, entry: _Entry, sample: np.ndarray) -> bool:
        truth = self._sample_truth
        assert truth is not None
        wrong = entry.sample != truth
        errors = int(np.count_nonzero(wrong))
        if errors == 0:
            return bool(
                np.count_nonzero(sample != entry.sample)
                <= 4 * (1 - self.thresholds.label_agreement) * sample.size + SCREEN_SLACK_ITEMS
            )
        differ = sample != entry.sample
        disagreements = int(np.count_nonzero(differ))
        if disagreements > (1 - self.thresholds.shared_errors) * sample.size + SCREEN_SLACK_ITEMS:
            return False
        fixes = int(np.count_nonzero(differ & (sample == truth)))
        if fixes > _noise_fixes(disagreements, entry.error_rate, 4.0) + 2:
            return False
        repeated = int(np.count_nonzero(wrong & (sample == entry.sample)))
        return repeated >= (self.thresholds.shared_errors - 0.2) * errors - 4

    def _packed(self, predictions: Predictions) -> _PackedLabels:
        """Label predictions packed against the answers (find_copy then add pack the same ones once)."""
        assert self.truth is not None
        if self._last_packed is not None and self._last_packed[0] is predictions:
            return self._last_packed[1]
        packed = _PackedLabels.of(_comparable(predictions), self.truth)
        self._last_packed = (predictions, packed)
        return packed

    def _shared_error_copy(self, entry: _Entry, new: _PackedLabels) -> tuple[bool, str]:
        assert entry.packed is not None
        n_items = new.values.shape[0]
        same = new.same(entry.packed)
        agreeing = _popcount(same)
        if entry.errors == 0:
            agreement = float(agreeing / n_items)
            return agreement >= self.thresholds.label_agreement, f"agreement {agreement:.6f} with {entry.key}"
        repeats = _popcount(same & entry.packed.wrong)
        repeated = repeats / entry.errors
        disagreements = n_items - agreeing
        # a fix: the new label differs from the earlier one and is right, i.e. an earlier error made right
        fixes = _popcount(new.right & entry.packed.wrong)
        noise = _noise_fixes(disagreements, entry.error_rate, 3.0) + 1  # one lucky fix is still noise
        detail = (
            f"repeats {repeated:.4f} of {entry.key}'s errors; fixes {fixes} of {disagreements} disagreements "
            f"(truth-blind noise: up to {noise:.1f})"
        )
        share = self.thresholds.shared_errors
        enough = repeats >= share * entry.errors - 3 * np.sqrt(entry.errors * share * (1 - share))
        close = disagreements <= (1 - share) * n_items
        return bool(enough and close and fixes <= noise), detail

    def _passes_screen(self, entry: _Entry, sample: np.ndarray) -> bool:
        slack = SCREEN_SLACK_ITEMS / sample.shape[0]
        if entry.packed is not None:
            return self._shared_error_screen(entry, sample)
        if entry.kind is PredictionKind.LABELS:
            disagreement = np.count_nonzero(sample != entry.sample) / sample.shape[0]
            return disagreement <= 4 * (1 - self.thresholds.label_agreement) + slack
        if entry.kind is PredictionKind.PROBABILITIES:
            distance = _closeness(entry.kind, sample, entry.sample)
            return distance <= 3 * self.thresholds.probability_distance + slack
        far = np.count_nonzero(np.abs(sample - entry.sample) > 10 * self._threshold(entry)) / sample.shape[0]
        return far <= 0.03 + slack

    def find_copy(self, content_hash: str, predictions: Predictions) -> CopyFinding | None:
        """The earliest submission this one copies, or None when it is original."""
        if content_hash in self._hashes:
            original = self._hashes[content_hash]
            return CopyFinding(RejectionReason.EXACT_COPY, original, f"same content as {original}")
        values = _comparable(predictions)
        sample = values[self._sample]
        for entry in self._entries:
            if entry.kind is not predictions.kind:
                continue
            if not self._passes_screen(entry, sample):
                continue
            if entry.packed is not None:
                is_copy, detail = self._shared_error_copy(entry, self._packed(predictions))
                if is_copy:
                    return CopyFinding(RejectionReason.NEAR_COPY, entry.key, detail)
                continue
            closeness = _closeness(entry.kind, values, entry.values)
            if self._is_close(entry, closeness):
                measure = "agreement" if entry.kind is PredictionKind.LABELS else "distance"
                return CopyFinding(RejectionReason.NEAR_COPY, entry.key, f"{measure} {closeness:.6f} with {entry.key}")
        return None

    def add(self, key: str, content_hash: str, predictions: Predictions) -> None:
        """Record a submission (valid, in submission order) that later ones must not copy."""
        self._hashes.setdefault(content_hash, key)
        values = _comparable(predictions)
        scale = 1.0
        if predictions.kind is PredictionKind.VALUES:
            spread = float(values.std())
            scale = spread if spread > 0 else 1.0
        entry = _Entry(key, predictions.kind, values, values[self._sample], scale)
        if predictions.kind is PredictionKind.LABELS and self.truth is not None:
            entry.packed = self._packed(predictions)
            entry.errors = _popcount(entry.packed.wrong)
            entry.error_rate = entry.errors / values.shape[0]
        self._entries.append(entry)
