"""The demo's open AI project and its simulated community, built from scikit-learn's digits data
(shipped inside the package: nothing is downloaded).

Pure: everything is computed from a seed and returned as bytes in OpenMerit's formats
(oracle/scoring/predictions.py, oracle/scoring/label_format.py); the story writes and submits them.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dao.vocabulary import ContributionKind

SEED = 2026
CLASSES = [str(d) for d in range(10)]


@dataclass(frozen=True)
class Contribution:
    name: str  # who, in the demo's story
    kind: ContributionKind
    artifact: bytes
    intent: str  # what the story expects of it (shown in the final table)


@dataclass(frozen=True)
class DemoProject:
    name: str
    benchmark_inputs: bytes  # public: the test images, id + 64 pixel columns
    hidden_slice: bytes  # hidden until revealed: id,answer for the test images and a few label images (gold)
    baseline: bytes  # the champion entering the first epoch
    label_items: bytes  # public: images open for labelling (item)
    contributions: list[Contribution]


def _csv(header: list[str], rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for row in rows:
        out.write(",".join(str(v) for v in row) + "\n")
    return out.getvalue().encode()


def _predictions(ids: list[str], labels: np.ndarray) -> bytes:
    return _csv(["id", "label"], [[i, CLASSES[int(y)]] for i, y in zip(ids, labels)])


def build(seed: int = SEED) -> DemoProject:
    with warnings.catch_warnings():
        # NearestCentroid notes that some pixels never vary within a class: true of digits, harmless
        warnings.simplefilter("ignore", UserWarning)
        return _build(seed)


def _build(seed: int) -> DemoProject:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import NearestCentroid
    from sklearn.svm import SVC

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=600, random_state=seed, stratify=digits.target
    )
    test_ids = [f"t{i:04d}" for i in range(len(y_test))]
    rng = np.random.default_rng(seed)

    benchmark_inputs = _csv(
        ["id", *[f"px{j}" for j in range(64)]], [[i, *map(int, row)] for i, row in zip(test_ids, x_test)]
    )
    answer_rows = [[i, CLASSES[int(y)]] for i, y in zip(test_ids, y_test)]

    def fit(model, n: int | None = None) -> np.ndarray:
        take = slice(None) if n is None else slice(0, n)
        return model.fit(x_train[take], y_train[take]).predict(x_test)

    baseline = _predictions(test_ids, fit(NearestCentroid(), 40))
    logistic = _predictions(test_ids, fit(LogisticRegression(max_iter=2000)))
    svc = _predictions(test_ids, fit(SVC(gamma=0.001, C=10.0)))
    weak = _predictions(test_ids, fit(NearestCentroid(), 60))
    malformed = _predictions(test_ids[:-25], fit(LogisticRegression(max_iter=500), 300)[:-25])

    # Labelling: 300 training images; the oracle knows 40 of them (gold).
    label_ids = [f"l{i:04d}" for i in range(300)]
    truth = y_train[:300]
    gold_rows = [[label_ids[i], CLASSES[int(truth[i])]] for i in range(0, 300, 300 // 40)][:40]

    def annotator(accuracy: float) -> bytes:
        labels = truth.copy()
        wrong = rng.random(len(labels)) > accuracy
        labels[wrong] = (labels[wrong] + rng.integers(1, 10, wrong.sum())) % 10
        return _csv(["item", "label"], [[i, CLASSES[int(y)]] for i, y in zip(label_ids, labels)])

    spam = _csv(["item", "label"], [[i, CLASSES[int(y)]] for i, y in zip(label_ids, rng.integers(0, 10, 300))])

    contributions = [
        Contribution("ada", ContributionKind.MODEL_PREDICTIONS, logistic, "beats the baseline"),
        Contribution("grace", ContributionKind.MODEL_PREDICTIONS, svc, "beats ada's model"),
        Contribution("copycat", ContributionKind.MODEL_PREDICTIONS, logistic, "ada's file, committed after her"),
        Contribution("linus", ContributionKind.MODEL_PREDICTIONS, weak, "no better than the champion"),
        Contribution("mallory", ContributionKind.MODEL_PREDICTIONS, malformed, "malformed: 25 rows short"),
        Contribution("ann", ContributionKind.LABELS, annotator(0.95), "reliable annotator (labels 95% right)"),
        Contribution("ben", ContributionKind.LABELS, annotator(0.85), "reliable annotator (labels 85% right)"),
        Contribution("cleo", ContributionKind.LABELS, annotator(0.70), "noisier annotator (labels 70% right)"),
        Contribution("spammer", ContributionKind.LABELS, spam, "random labels"),
    ]
    return DemoProject(
        name="digits: handwritten digit recognition",
        benchmark_inputs=benchmark_inputs,
        hidden_slice=_csv(["id", "answer"], answer_rows + gold_rows),
        baseline=baseline,
        label_items=_csv(["item"], [[i] for i in label_ids]),
        contributions=contributions,
    )
