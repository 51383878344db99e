"""A whole epoch: per-artifact rejections, champion moves, the canonical report and verify."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from dao.merkle import REWARD_LEAF_ENCODING, RewardLeaf, StandardMerkleTree, reward_tree
from dao.vocabulary import Task
from oracle.scoring.epoch import EMPTY_TREE_ROOT, EpochInputError, score_epoch
from oracle.scoring.metrics import Metric
from oracle.scoring.recompute import report_differences
from oracle.scoring.rejections import RejectionReason
from oracle.scoring.report import (
    EpochInputs,
    EpochReport,
    ScoringParameters,
    SubmissionRef,
    canonical_json,
    report_from_json,
)

N = 4000
LABEL_ITEMS = 100
BUDGET = 1000 * 10**18


def address(k: int) -> str:
    return "0x" + f"{k:040x}"


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def labels_with_accuracy(truth: np.ndarray, accuracy: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(truth.size) < accuracy, truth, 1 - truth)


@pytest.fixture(scope="module")
def epoch() -> tuple[EpochInputs, ScoringParameters, dict[str, bytes]]:
    truth = np.random.default_rng(0).integers(0, 2, N)
    artifacts = {
        "answers": ("id,answer\n" + "".join(f"q{i},{'ny'[t]}\n" for i, t in enumerate(truth))).encode(),
        "champion": npy(labels_with_accuracy(truth, 0.70, 1)),
        "better": npy(labels_with_accuracy(truth, 0.80, 2)),
        "broken": b"id,label\nq0,y\n",
        "no-gain": npy(labels_with_accuracy(truth, 0.72, 3)),
        "best": npy(labels_with_accuracy(truth, 0.90, 4)),
        "items": ("item\n" + "".join(f"t{i}\n" for i in range(LABEL_ITEMS))).encode(),
    }
    # Labels: a careless annotator (with one unknown item on line 6), an exact copy of them, and three
    # careful annotators whose labels show that the first two share their errors.
    label_truth = np.random.default_rng(5).integers(0, 2, LABEL_ITEMS)

    def label_file(accuracy: float, seed: int, ghost: bool = False) -> bytes:
        rows = [f"t{i},{'ny'[c]}" for i, c in enumerate(labels_with_accuracy(label_truth, accuracy, seed))]
        if ghost:
            rows.insert(4, "ghost,y")
        return ("item,label\n" + "\n".join(rows) + "\n").encode()

    artifacts["labels-1"] = label_file(0.7, 10, ghost=True)
    artifacts["labels-2"] = label_file(0.7, 10)
    for k in (3, 4, 5):
        artifacts[f"labels-{k}"] = label_file(0.9, 10 + k)
    artifacts["copy"] = artifacts["better"]
    plan = [
        ("better", "model_predictions"),
        ("broken", "model_predictions"),
        ("copy", "model_predictions"),
        ("no-gain", "model_predictions"),
        ("missing", "model_predictions"),
        ("best", "model_predictions"),
        ("labels-1", "labels"),
        ("labels-2", "labels"),
        ("labels-3", "labels"),
        ("labels-4", "labels"),
        ("labels-5", "labels"),
    ]
    submissions = [
        SubmissionRef(order=i, contributor=address(i + 1), kind=kind, cid=cid) for i, (cid, kind) in enumerate(plan)
    ]
    inputs = EpochInputs(
        project="demo",
        epoch=3,
        chain_id=31337,
        budget_wei=BUDGET,
        answers_cid="answers",
        champion_cid="champion",
        label_items_cid="items",
        submissions=submissions,
    )
    parameters = ScoringParameters(
        task=Task.CLASSIFICATION,
        metric=Metric.ACCURACY,
        classes=["n", "y"],
        bootstrap_seed=42,
        label_copy_min_overlap=4,
    )
    return inputs, parameters, artifacts


@pytest.fixture(scope="module")
def report(epoch) -> EpochReport:
    return score_epoch(*epoch)


def test_each_model_submission_gets_its_verdict(report: EpochReport) -> None:
    verdicts = {s.cid: (s.accepted, s.reason) for s in report.model_scores}
    assert verdicts == {
        "better": (True, None),
        "broken": (False, RejectionReason.WRONG_LENGTH),
        "copy": (False, RejectionReason.EXACT_COPY),
        "no-gain": (False, RejectionReason.NO_GAIN),
        "missing": (False, RejectionReason.UNAVAILABLE),
        "best": (True, None),
    }
    copy = next(s for s in report.model_scores if s.cid == "copy")
    assert copy.copy_of == "better"
    assert report.champion_before == "champion" and report.champion_after == "best"
    best = next(s for s in report.model_scores if s.cid == "best")
    assert best.gain == pytest.approx(best.metric_value - report.model_scores[0].metric_value)
    assert best.gain_lower > 0 and best.gain_lower < best.gain < best.gain_upper


def test_label_submissions_copies_and_row_rejections(report: EpochReport) -> None:
    first = report.label_submissions[0]
    assert first.accepted and first.rejected_rows[0].reason is RejectionReason.UNKNOWN_ITEM
    assert first.rejected_rows[0].first_line == 6
    copier = next(a for a in report.annotator_scores if a.annotator == address(8))
    assert copier.reason is RejectionReason.NEAR_COPY and copier.copy_of == address(7)
    assert copier.score_units == 0


def test_allocations_sum_to_the_budget_and_match_the_merkle_tree(report: EpochReport) -> None:
    total = sum(a.amount_wei for a in report.allocations) + report.unallocated_wei
    assert total == BUDGET
    assert report.model_pool_wei + report.label_pool_wei == BUDGET
    assert [a.index for a in report.allocations] == list(range(len(report.allocations)))
    tree = reward_tree([RewardLeaf(a.index, a.account, a.amount_wei) for a in report.allocations])
    assert tree.root == report.merkle_root
    leaf = [str(report.allocations[0].index), report.allocations[0].account, str(report.allocations[0].amount_wei)]
    assert StandardMerkleTree.verify(report.merkle_root, REWARD_LEAF_ENCODING, leaf, tree.get_proof(0))


def test_canonical_json_is_sorted_compact_and_round_trips(report: EpochReport) -> None:
    text = canonical_json(report)
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert data["schema_version"] == "openmerit.epoch-report/2"
    assert isinstance(data["allocations"][0]["amount_wei"], str)
    assert canonical_json(report_from_json(text)) == text


def test_scoring_is_deterministic(epoch, report: EpochReport) -> None:
    assert canonical_json(score_epoch(*epoch)) == canonical_json(report)


def test_an_honest_report_verifies(epoch, report: EpochReport) -> None:
    assert report_differences(report, epoch[2]) == []


def test_verify_finds_a_changed_amount_score_and_root(epoch, report: EpochReport) -> None:
    data = json.loads(canonical_json(report))
    data["allocations"][0]["amount_wei"] = str(int(data["allocations"][0]["amount_wei"]) + 1)
    data["model_scores"][0]["gain"] = 0.5
    data["merkle_root"] = "0x" + "11" * 32
    differences = report_differences(report_from_json(json.dumps(data)), epoch[2])
    paths = {d.path for d in differences}
    assert paths == {"allocations[0].amount_wei", "model_scores[0].gain", "merkle_root"}


def test_verify_reports_a_changed_artifact(epoch, report: EpochReport) -> None:
    artifacts = dict(epoch[2])
    artifacts["no-gain"] = artifacts["best"][:-2] + b"\x01\x01"
    assert any(d.path.startswith("model_scores[3]") for d in report_differences(report, artifacts))


def test_missing_epoch_inputs_stop_the_epoch_with_a_clear_error(epoch) -> None:
    inputs, parameters, artifacts = epoch
    without_answers = {k: v for k, v in artifacts.items() if k != "answers"}
    with pytest.raises(EpochInputError, match="answers"):
        score_epoch(inputs, parameters, without_answers)
    report = score_epoch(inputs, parameters, artifacts)
    assert report_differences(report, without_answers)[0].path == "inputs"


def test_an_epoch_without_scorers_allocates_nothing() -> None:
    inputs = EpochInputs(project="p", epoch=0, chain_id=1, budget_wei=10)
    report = score_epoch(inputs, ScoringParameters(task=Task.CLASSIFICATION, metric=Metric.ACCURACY), {})
    assert report.allocations == [] and report.unallocated_wei == 10 and report.merkle_root == EMPTY_TREE_ROOT


def test_a_metric_undefined_on_the_answers_stops_the_epoch() -> None:
    artifacts = {
        "answers": b"id,answer\na,x\nb,x\n",
        "champion": b"id,x,y\na,0.5,0.5\nb,0.4,0.6\n",
        "sub": b"id,x,y\na,0.6,0.4\nb,0.4,0.6\n",
    }
    inputs = EpochInputs(
        project="p",
        epoch=0,
        chain_id=1,
        budget_wei=10,
        answers_cid="answers",
        champion_cid="champion",
        submissions=[SubmissionRef(order=0, contributor=address(1), kind="model_predictions", cid="sub")],
    )
    parameters = ScoringParameters(task=Task.CLASSIFICATION, metric=Metric.ROC_AUC, classes=["x", "y"])
    with pytest.raises(EpochInputError, match="undefined"):
        score_epoch(inputs, parameters, artifacts)


def _one_metric_epoch(metric: Metric, task: Task, answers: str, predictions: dict[str, bytes], classes: list[str]):
    artifacts = {"answers": answers.encode(), **predictions}
    submissions = [
        SubmissionRef(order=i, contributor=address(i + 1), kind="model_predictions", cid=cid)
        for i, cid in enumerate(c for c in predictions if c != "champion")
    ]
    inputs = EpochInputs(
        project="p",
        epoch=0,
        chain_id=1,
        budget_wei=BUDGET,
        answers_cid="answers",
        champion_cid="champion",
        submissions=submissions,
    )
    parameters = ScoringParameters(task=task, metric=metric, classes=classes, bootstrap_seed=5)
    report = score_epoch(inputs, parameters, artifacts)
    assert report_differences(report, artifacts) == []
    return {s.cid: s for s in report.model_scores}


def test_a_regression_epoch_counts_a_lower_rmse_as_gain() -> None:
    rng = np.random.default_rng(11)
    y = rng.normal(size=N)
    answers = "id,answer\n" + "".join(f"r{i},{v!r}\n" for i, v in enumerate(y.tolist()))
    scores = _one_metric_epoch(
        Metric.RMSE,
        Task.REGRESSION,
        answers,
        {
            "champion": npy(y + rng.normal(0, 1.0, N)),
            "better": npy(y + rng.normal(0, 0.7, N)),
            "worse": npy(y + rng.normal(0, 1.5, N)),
        },
        [],
    )
    assert scores["better"].accepted and scores["better"].gain > 0.2
    assert scores["worse"].reason is RejectionReason.NO_GAIN and scores["worse"].gain < 0


def test_a_roc_auc_epoch_scores_probabilities() -> None:
    rng = np.random.default_rng(12)
    y = rng.integers(0, 2, N)
    answers = "id,answer\n" + "".join(f"r{i},{'ab'[t]}\n" for i, t in enumerate(y.tolist()))

    def scores_with_noise(noise: float) -> bytes:
        return npy(np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, noise, N), 0, 1))

    scores = _one_metric_epoch(
        Metric.ROC_AUC,
        Task.CLASSIFICATION,
        answers,
        {
            "champion": scores_with_noise(0.4),
            "sharper": scores_with_noise(0.2),
            "labels": npy(y),
        },
        ["a", "b"],
    )
    assert scores["sharper"].accepted and scores["sharper"].gain_lower > 0
    assert scores["labels"].reason is RejectionReason.WRONG_KIND


def test_label_submissions_need_the_project_class_list() -> None:
    inputs = EpochInputs(
        project="p",
        epoch=0,
        chain_id=1,
        budget_wei=10,
        submissions=[SubmissionRef(order=0, contributor=address(1), kind="labels", cid="l")],
    )
    parameters = ScoringParameters(task=Task.CLASSIFICATION, metric=Metric.ACCURACY)
    with pytest.raises(EpochInputError, match="class list"):
        score_epoch(inputs, parameters, {"l": b"item,label\na,x\n"})


def test_reports_without_a_slice_still_parse(report: EpochReport) -> None:
    data = json.loads(canonical_json(report))
    for key in ("slice_index", "slice_commitment", "items_cid"):
        del data["inputs"][key]
    for key in ("model_challengers", "model_test_confidence"):
        del data[key]
    old = report_from_json(json.dumps(data))
    assert old.inputs.slice_index is None and old.model_challengers is None


def test_models_are_scored_on_the_slice_with_a_contributor_limit() -> None:
    rng = np.random.default_rng(5)
    public = [f"p{i}" for i in range(3000)]
    truth = rng.integers(0, 2, 3000)
    in_slice = np.sort(rng.choice(3000, 1000, replace=False))
    artifacts = {
        "items": ("id,x\n" + "".join(f"{p},0\n" for p in public)).encode(),
        "answers": ("id,answer\n" + "".join(f"{public[i]},{'ny'[truth[i]]}\n" for i in in_slice)).encode(),
        "champion": npy(labels_with_accuracy(truth, 0.70, 1)),
    }
    # better on the slice only: a model cannot be paid for items outside it
    good = labels_with_accuracy(truth, 0.70, 1)
    good[in_slice] = labels_with_accuracy(truth[in_slice], 0.9, 2)
    artifacts["good"] = npy(good)
    artifacts["good-csv"] = ("id,label\n" + "".join(f"{p},{'ny'[v]}\n" for p, v in zip(public, good))).encode()
    outside = labels_with_accuracy(truth, 0.70, 1)
    outside[np.setdiff1d(np.arange(3000), in_slice)] = truth[np.setdiff1d(np.arange(3000), in_slice)]
    artifacts["outside"] = npy(outside)
    artifacts["second"] = npy(labels_with_accuracy(truth, 0.95, 3))
    plan = [("outside", 1), ("good", 2), ("second", 2)]
    inputs = EpochInputs(
        project="demo",
        epoch=4,
        chain_id=31337,
        budget_wei=BUDGET,
        answers_cid="answers",
        champion_cid="champion",
        items_cid="items",
        slice_index=3,
        slice_commitment="0x" + "ab" * 32,
        submissions=[
            SubmissionRef(order=i, contributor=address(who), kind="model_predictions", cid=cid)
            for i, (cid, who) in enumerate(plan)
        ],
    )
    parameters = ScoringParameters(
        task=Task.CLASSIFICATION, metric=Metric.ACCURACY, classes=["n", "y"], max_models_per_contributor=1
    )
    report = score_epoch(inputs, parameters, artifacts)
    outside_score, good_score, second_score = report.model_scores
    # perfect outside the slice, the champion on it: on what is scored, a copy of the champion
    assert outside_score.reason is RejectionReason.NEAR_COPY and outside_score.copy_of == "champion"
    assert good_score.became_champion and good_score.gain > 0.15
    assert second_score.reason is RejectionReason.OVER_CONTRIBUTOR_LIMIT
    assert report.model_challengers == 1 and report.model_test_confidence == pytest.approx(0.95)
    assert report.inputs.slice_commitment == "0x" + "ab" * 32
    text = canonical_json(report)
    assert not any(f'"{public[i]}' in text for i in in_slice)  # no hidden item, let alone its answer
    # a CSV over every public item scores the same as the .npy in public order
    csv_inputs = inputs.model_copy(
        update={
            "submissions": [SubmissionRef(order=0, contributor=address(2), kind="model_predictions", cid="good-csv")]
        }
    )
    assert score_epoch(csv_inputs, parameters, artifacts).model_scores[0].gain == good_score.gain
