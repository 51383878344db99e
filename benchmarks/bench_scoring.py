"""Scoring engine against named peers, measured in the same run:

- Dawid-Skene on 1,000,000 labels (100,000 items, 1,000 annotators, 2 and 5 classes, 20% spammers)
  against crowd-kit's `DawidSkene`: time ratio (target <= 0.5) and accuracy difference (<= 0.002);
- metrics on 10^7 predictions against scikit-learn: speed-ups for accuracy, macro-F1, log-loss
  (target >= 5x) and ROC-AUC with many tied scores (target >= 1.5x), with the values' difference;
- a whole epoch: 200 model submissions on 10^6 hidden answers plus 10^6 labels (target < 60 s);
- with MERIT_BASELINE_TREE set to another source tree of OpenMerit (a checkout of an earlier commit),
  the same epoch, its labels alone and Dawid-Skene scored by that tree and by this one, side by side:
  each tree runs in its own subprocess (PYTHONPATH set to it), baseline and this tree interleaved
  twice, best of 2 each, and the ratios printed (target: the epoch within 1.2x of the baseline).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def _timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_dawid_skene() -> None:
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    from oracle.scoring.label_format import LabelTable
    from oracle.scoring.labels import Aggregation, dawid_skene
    from oracle.scoring.simulation import simulate_large_labels

    for n_classes in (2, 5):
        table, truth = simulate_large_labels(
            seed=n_classes,
            n_items=100_000,
            n_annotators=1_000,
            n_labels=1_000_000,
            n_classes=n_classes,
            spammer_share=0.2,
        )

        def ours_run(table: LabelTable = table) -> Aggregation:
            return dawid_skene(table)

        ours_seconds, ours = _timed(ours_run, repeat=3)  # best of: the machine is shared
        frame = pd.DataFrame({"task": table.item_index, "worker": table.annotator_index, "label": table.label_index})

        def theirs_run(frame: pd.DataFrame = frame) -> pd.Series:
            return DawidSkene(n_iter=100).fit_predict(frame)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs_seconds, theirs = _timed(theirs_run, repeat=2)
        labelled = theirs.index.to_numpy()
        ours_accuracy = float((ours.labels[labelled] == truth[labelled]).mean())
        theirs_accuracy = float((theirs.to_numpy() == truth[labelled]).mean())
        print(
            f"dawid-skene k={n_classes}: openmerit {ours_seconds:.2f}s ({ours.iterations} iterations), "
            f"crowd-kit {theirs_seconds:.2f}s; time ratio {ours_seconds / theirs_seconds:.3f} (target <= 0.5); "
            f"accuracy {ours_accuracy:.4f} vs {theirs_accuracy:.4f}, "
            f"difference {ours_accuracy - theirs_accuracy:+.4f} (target |d| <= 0.002)",
            flush=True,
        )


def bench_metrics() -> None:
    import sklearn.metrics as skm

    from oracle.scoring import metrics as m

    n = 10**7
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    labels = np.where(rng.random(n) < 0.8, y, 1 - y)
    score = np.round(np.clip(0.5 + 0.4 * (y - 0.5) + rng.normal(0, 0.25, n), 0, 1), 3)  # 1,001 distinct: ties
    probabilities = np.stack([1 - score, score], axis=1)
    cases = [
        ("accuracy", 5.0, lambda: m.accuracy(y, labels), lambda: skm.accuracy_score(y, labels)),
        ("macro-F1", 5.0, lambda: m.macro_f1(y, labels), lambda: skm.f1_score(y, labels, average="macro")),
        ("log-loss", 5.0, lambda: m.log_loss(y, probabilities), lambda: skm.log_loss(y, probabilities)),
        ("ROC-AUC (ties)", 1.5, lambda: m.roc_auc(y, probabilities), lambda: skm.roc_auc_score(y, score)),
    ]
    for name, target, ours, theirs in cases:
        ours_seconds, ours_value = _timed(ours, repeat=3)
        theirs_seconds, theirs_value = _timed(theirs, repeat=3)
        print(
            f"metric {name} on 10^7: openmerit {ours_seconds:.3f}s, scikit-learn {theirs_seconds:.3f}s; "
            f"speed-up {theirs_seconds / ours_seconds:.1f}x (target >= {target}x); "
            f"|difference| {abs(ours_value - theirs_value):.1e}",
            flush=True,
        )


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _epoch() -> tuple[Any, Any, dict[str, bytes]]:
    """The benchmark epoch: (inputs, parameters, artifacts). It uses only fields every version of the
    report schema has, so an earlier tree (MERIT_BASELINE_TREE) scores the same epoch."""
    from eth_utils import to_checksum_address

    from dao.vocabulary import Task
    from oracle.scoring.metrics import Metric
    from oracle.scoring.report import EpochInputs, ScoringParameters, SubmissionRef
    from oracle.scoring.simulation import nested_skill_labels, simulate_large_labels

    n_items = 10**6
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, n_items)
    difficulty = rng.random(n_items)
    artifacts: dict[str, bytes] = {
        "answers": ("id,answer\n" + "".join(f"q{i},{t}\n" for i, t in enumerate(truth.tolist()))).encode(),
        "baseline": _npy(nested_skill_labels(truth, difficulty, 0.6, 0.02, 0)),
    }
    submissions: list[Any] = []

    def submit(kind: str, cid: str, data: bytes) -> None:
        artifacts[cid] = data
        order = len(submissions)
        submissions.append(
            SubmissionRef(order=order, contributor=to_checksum_address(f"0x{order + 1:040x}"), kind=kind, cid=cid)
        )

    skill = 0.6
    champion = artifacts["baseline"]
    for step in range(200):
        mix = step % 4
        if mix == 0:  # an honest improvement
            skill = min(skill + float(rng.uniform(0.002, 0.006)), 0.99)
            champion = _npy(nested_skill_labels(truth, difficulty, skill, 0.02, 100 + step))
            submit("model_predictions", f"m{step}", champion)
        elif mix == 1:  # an exact copy of the champion
            submit("model_predictions", f"m{step}", champion)
        elif mix == 2:  # a model that only refits the noise
            submit(
                "model_predictions", f"m{step}", _npy(nested_skill_labels(truth, difficulty, skill, 0.02, 9000 + step))
            )
        else:  # a weaker model
            submit(
                "model_predictions",
                f"m{step}",
                _npy(nested_skill_labels(truth, difficulty, skill - 0.05, 0.02, 5000 + step)),
            )
    table, _ = simulate_large_labels(7, 100_000, 1_000, 10**6, 3, 0.2)
    by_annotator = np.argsort(table.annotator_index, kind="stable")
    bounds = np.searchsorted(table.annotator_index[by_annotator], np.arange(len(table.annotators) + 1))
    for a in range(len(table.annotators)):
        rows = by_annotator[bounds[a] : bounds[a + 1]]
        text = "item,label\n" + "".join(
            f"i{i},{c}\n" for i, c in zip(table.item_index[rows].tolist(), table.label_index[rows].tolist())
        )
        submit("labels", f"l{a}", text.encode())
    inputs = EpochInputs(
        project="bench",
        epoch=1,
        chain_id=31337,
        budget_wei=10**24,
        answers_cid="answers",
        champion_cid="baseline",
        submissions=submissions,
    )
    parameters = ScoringParameters(
        task=Task.CLASSIFICATION, metric=Metric.ACCURACY, classes=["0", "1", "2"], margin=0.0005, bootstrap_seed=1
    )
    return inputs, parameters, artifacts


def bench_epoch() -> None:
    from oracle.scoring.epoch import score_epoch
    from oracle.scoring.report import canonical_json

    inputs, parameters, artifacts = _epoch()
    seconds, report = _timed(lambda: score_epoch(inputs, parameters, artifacts))
    accepted = sum(s.accepted for s in report.model_scores)
    print(
        f"epoch: 200 model submissions on 10^6 answers + 10^6 labels from 1,000 annotators scored in "
        f"{seconds:.1f}s (target < 60s); {accepted} models earned, {len(report.allocations)} allocations, "
        f"report {len(canonical_json(report)) // 1024} KiB",
        flush=True,
    )


def _wall_and_cpu(function: Callable[[], Any]) -> tuple[float, float, Any]:
    """Elapsed and CPU seconds of one call (CPU time leaves out the waits of a busy shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _measure_epoch() -> dict[str, Any]:
    import hashlib

    from oracle.scoring.epoch import score_epoch
    from oracle.scoring.report import canonical_json

    inputs, parameters, artifacts = _epoch()
    labels_only = inputs.model_copy(update={"submissions": [s for s in inputs.submissions if s.kind == "labels"]})
    figures: dict[str, Any] = {}
    figures["epoch"], figures["epoch cpu"], report = _wall_and_cpu(lambda: score_epoch(inputs, parameters, artifacts))
    figures["labels"], figures["labels cpu"], _ = _wall_and_cpu(lambda: score_epoch(labels_only, parameters, artifacts))
    figures["report_sha256"] = hashlib.sha256(canonical_json(report).encode()).hexdigest()
    return figures


def _measure_tree() -> dict[str, Any]:
    """Run inside a subprocess whose PYTHONPATH is the tree measured: the whole epoch, its label
    submissions alone, and Dawid-Skene on 10^6 labels (2 and 5 classes), one run each."""
    from oracle.scoring.labels import dawid_skene
    from oracle.scoring.simulation import simulate_large_labels

    figures = _measure_epoch()
    for n_classes in (2, 5):
        table, _ = simulate_large_labels(n_classes, 100_000, 1_000, 1_000_000, n_classes, 0.2)
        wall, cpu, _ = _wall_and_cpu(lambda table=table: dawid_skene(table))  # type: ignore[misc]
        figures[f"dawid-skene k={n_classes}"], figures[f"dawid-skene k={n_classes} cpu"] = wall, cpu
    return figures


def _tree_figures(tree: Path) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    script = Path(__file__).resolve()  # run as a file: its directory, not a tree, leads sys.path
    done = subprocess.run(
        [sys.executable, str(script), "--measure-tree"], env=environment, capture_output=True, text=True, check=True
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _tree_name(tree: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or str(tree)


def bench_side_by_side(baseline_tree: Path) -> None:
    """This tree against `baseline_tree` on the same epoch: subprocesses interleaved (baseline, this,
    baseline, this), the best of 2 each, so a busy moment of a shared machine hits both alike."""
    this_tree = Path(__file__).resolve().parents[1]
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "this": []}
    for _ in range(2):
        runs["baseline"].append(_tree_figures(baseline_tree))
        runs["this"].append(_tree_figures(this_tree))
    name = _tree_name(baseline_tree)
    measured = {
        "epoch": "epoch",
        "labels": "the epoch's label submissions alone",
        "dawid-skene k=2": "dawid-skene on 10^6 labels, 2 classes",
        "dawid-skene k=5": "dawid-skene on 10^6 labels, 5 classes",
    }
    for what, description in measured.items():
        ours = min(r[what] for r in runs["this"])
        theirs = min(r[what] for r in runs["baseline"])
        ours_cpu = min(r[f"{what} cpu"] for r in runs["this"])
        theirs_cpu = min(r[f"{what} cpu"] for r in runs["baseline"])
        every = ", ".join(f"{r[what]:.2f}" for r in runs["this"])
        every += " / " + ", ".join(f"{r[what]:.2f}" for r in runs["baseline"])
        print(
            f"{description}: this tree {ours:.2f}s, baseline ({name}) {theirs:.2f}s, ratio {ours / theirs:.3f}"
            + (" (target <= 1.2)" if what == "epoch" else "")
            + f"; CPU {ours_cpu:.2f}s / {theirs_cpu:.2f}s, ratio {ours_cpu / theirs_cpu:.3f}"
            + f"; every run, this tree / baseline: {every}",
            flush=True,
        )
    digests = sorted({r["report_sha256"] for r in runs["this"]})
    print(f"side by side: this tree's epoch report, sha256 of its canonical JSON: {', '.join(digests)}", flush=True)


def main() -> None:
    bench_metrics()
    bench_dawid_skene()
    bench_epoch()
    baseline_tree = os.environ.get("MERIT_BASELINE_TREE")
    if baseline_tree:
        bench_side_by_side(Path(baseline_tree).resolve())


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure-tree"]:
        print(json.dumps(_measure_tree()), flush=True)
    else:
        main()
