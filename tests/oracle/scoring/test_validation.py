"""Validation before sending agrees with scoring at epoch close: on a set of good and bad files,
a file passes `oracle.scoring.validation` exactly when `score_epoch` (its slice every public item)
reads it without a rejection, and a refusal names the reason (and the line) scoring gives."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from dao.vocabulary import ContributionKind, Task
from oracle.scoring.epoch import score_epoch
from oracle.scoring.metrics import Metric
from oracle.scoring.rejections import ArtifactRejected, RejectionReason
from oracle.scoring.report import EpochInputs, ScoringParameters, SubmissionRef
from oracle.scoring.validation import (
    check_answers,
    check_contribution,
    project_format,
)

N = 30
CLASSES = ("cat", "dog", "eel")
IDS = [f"p{i}" for i in range(N)]
LABEL_ITEMS = [f"t{i}" for i in range(40)]
TRUTH = np.random.default_rng(0).integers(0, 3, N)
BENCHMARK = ("id,pixels\n" + "".join(f"{i},0.{k}\n" for k, i in enumerate(IDS))).encode()
ITEMS = ("item\n" + "".join(f"{i}\n" for i in LABEL_ITEMS)).encode()
ANSWERS = ("id,answer\n" + "".join(f"{i},{CLASSES[t]}\n" for i, t in zip(IDS, TRUTH))).encode()
CONTRIBUTOR = "0x" + "ab" * 20
FORMAT_REASONS = {
    RejectionReason.EMPTY,
    RejectionReason.TOO_LARGE,
    RejectionReason.UNREADABLE,
    RejectionReason.WRONG_DTYPE,
    RejectionReason.WRONG_SHAPE,
    RejectionReason.WRONG_LENGTH,
    RejectionReason.WRONG_IDS,
    RejectionReason.UNKNOWN_CLASS,
    RejectionReason.NON_FINITE,
    RejectionReason.PROBABILITY_RANGE,
    RejectionReason.PROBABILITY_SUM,
    RejectionReason.WRONG_KIND,
    RejectionReason.UNKNOWN_ITEM,
    RejectionReason.DUPLICATE_LABEL,
}


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def csv(header: str, rows: list[str]) -> bytes:
    return (header + "\n" + "".join(row + "\n" for row in rows)).encode()


def label_rows(ids: list[str] = IDS) -> list[str]:
    rng = np.random.default_rng(1)
    return [f"{i},{CLASSES[c]}" for i, c in zip(ids, rng.integers(0, 3, len(ids)))]


def probability_rows() -> list[str]:
    rows = np.random.default_rng(2).dirichlet(np.ones(3), N)
    return [f"{i}," + ",".join(repr(float(p)) for p in row) for i, row in zip(IDS, rows)]


GOOD_PREDICTIONS = {
    "labels csv": csv("id,label", label_rows()),
    "labels csv, rows shuffled": csv("id,label", label_rows()[::-1]),
    "labels csv, CRLF and padding": csv("id, label", [r.replace(",", " , ") for r in label_rows()]).replace(
        b"\n", b"\r\n"
    ),
    "probabilities csv, columns in any order": csv("id,eel,cat,dog", probability_rows()),
    "class indices npy": npy(np.random.default_rng(3).integers(0, 3, N)),
    "probabilities npy": npy(np.random.default_rng(4).dirichlet(np.ones(3), N)),
}
BAD_PREDICTIONS = {
    "wrong header": csv("item,prediction", label_rows()),
    "JSON sent as predictions": json.dumps({"predictions": dict.fromkeys(IDS, "cat")}).encode(),
    "unknown class": csv("id,label", label_rows()[:4] + ["p4,fox"] + label_rows()[5:]),
    "a missing item": csv("id,label", label_rows()[:-1]),
    "a repeated id": csv("id,label", label_rows() + ["p3,cat"]),
    "an id in place of another": csv("id,label", label_rows()[:-1] + ["zz,cat"]),
    "three columns on a row": csv("id,label", label_rows()[:2] + ["p2,cat,dog"] + label_rows()[3:]),
    "probabilities not summing to 1": csv("id,cat,dog,eel", ["p0,0.5,0.5,0.5"] + probability_rows()[1:]),
    "probability header missing a class": csv("id,cat,dog", [r.rsplit(",", 1)[0] for r in probability_rows()]),
    "a NaN": csv("id,cat,dog,eel", probability_rows()[:3] + ["p3,nan,0.5,0.5"] + probability_rows()[4:]),
    "empty": b"",
    "not UTF-8": b"id,label\n\xff\xfe,cat\n",
    ".npy of wrong length": npy(np.zeros(N - 1, dtype=np.int64)),
    ".npy class index out of range": npy(np.full(N, 3, dtype=np.int64)),
    ".npy probabilities for 2 classes": npy(np.full((N, 2), 0.5)),
    ".npy of strings": npy(np.array(["cat"] * N)),
    ".npy 3-D": npy(np.zeros((N, 3, 1))),
}


def model_epoch(data: bytes, metric: Metric = Metric.ACCURACY) -> tuple[bool, RejectionReason | None]:
    """Scoring's verdict on a predictions file, its slice every public item."""
    artifacts = {"answers": ANSWERS, "champion": npy(np.zeros(N, dtype=np.int64)), "public": BENCHMARK}
    if metric is not Metric.ACCURACY:
        artifacts["champion"] = npy(np.full((N, 3), 1 / 3))
    artifacts["candidate"] = data
    inputs = EpochInputs(
        project="p",
        epoch=0,
        chain_id=1,
        budget_wei=10**18,
        answers_cid="answers",
        champion_cid="champion",
        items_cid="public",
        submissions=[SubmissionRef(order=0, contributor=CONTRIBUTOR, kind="model_predictions", cid="candidate")],
    )
    parameters = ScoringParameters(task=Task.CLASSIFICATION, metric=metric, classes=list(CLASSES))
    score = score_epoch(inputs, parameters, artifacts).model_scores[0]
    readable = score.reason not in FORMAT_REASONS
    return readable, None if readable else score.reason


def label_epoch(data: bytes) -> tuple[bool, RejectionReason | None]:
    """Scoring's verdict on a label file: kept whole, or the first reason it loses rows or itself."""
    artifacts = {"items": ITEMS, "candidate": data}
    inputs = EpochInputs(
        project="p",
        epoch=0,
        chain_id=1,
        budget_wei=10**18,
        label_items_cid="items",
        submissions=[SubmissionRef(order=0, contributor=CONTRIBUTOR, kind="labels", cid="candidate")],
    )
    parameters = ScoringParameters(
        task=Task.CLASSIFICATION, metric=Metric.ACCURACY, classes=list(CLASSES), label_method="mv"
    )
    scored = score_epoch(inputs, parameters, artifacts).label_submissions[0]
    if not scored.accepted:
        return False, scored.reason
    if scored.rejected_rows:
        return False, min(scored.rejected_rows, key=lambda r: r.first_line).reason
    return True, None


def validation(data: bytes, kind: ContributionKind, classes: tuple[str, ...] = CLASSES, **extra):
    fmt = project_format(
        Task.CLASSIFICATION, extra.get("metric", Metric.ACCURACY), BENCHMARK, classes, extra.get("label_items")
    )
    try:
        check_contribution(data, kind, fmt)
    except ArtifactRejected as error:
        return False, error.reason, error.detail
    return True, None, None


@pytest.mark.parametrize("name", [*GOOD_PREDICTIONS, *BAD_PREDICTIONS])
def test_predictions_pass_validation_exactly_when_scoring_reads_them(name):
    data = {**GOOD_PREDICTIONS, **BAD_PREDICTIONS}[name]
    passed, reason, detail = validation(data, ContributionKind.MODEL_PREDICTIONS)
    assert (passed, reason) == model_epoch(data), detail
    assert passed is (name in GOOD_PREDICTIONS)


@pytest.mark.parametrize(
    ("name", "line"),
    [("wrong header", 1), ("JSON sent as predictions", 1), ("unknown class", 6), ("three columns on a row", 4)],
)
def test_a_refusal_names_the_line(name, line):
    _, _, detail = validation(BAD_PREDICTIONS[name], ContributionKind.MODEL_PREDICTIONS)
    assert detail.startswith(f"line {line}:")


def test_the_metric_needs_its_kind_of_prediction():
    labels = GOOD_PREDICTIONS["labels csv"]
    passed, reason, detail = validation(labels, ContributionKind.MODEL_PREDICTIONS, metric=Metric.LOG_LOSS)
    assert (passed, reason) == model_epoch(labels, Metric.LOG_LOSS) == (False, RejectionReason.WRONG_KIND)
    assert "log_loss needs probabilities" in detail


def test_without_the_class_list_everything_but_the_class_names_is_checked():
    for data in GOOD_PREDICTIONS.values():
        assert validation(data, ContributionKind.MODEL_PREDICTIONS, classes=())[0]
    assert validation(BAD_PREDICTIONS["unknown class"], ContributionKind.MODEL_PREDICTIONS, classes=())[0]
    for name in ("wrong header", "JSON sent as predictions", "a missing item", ".npy of wrong length", "a NaN"):
        assert not validation(BAD_PREDICTIONS[name], ContributionKind.MODEL_PREDICTIONS, classes=())[0], name


def test_stricter_than_scoring_where_the_hidden_slice_is_unknown():
    # rows for ids outside the public items: scoring skips them, validation refuses them by line
    extra = csv("id,label", label_rows() + ["ghost,cat"])
    assert model_epoch(extra) == (True, None)
    assert validation(extra, ContributionKind.MODEL_PREDICTIONS) == (
        False,
        RejectionReason.WRONG_IDS,
        f"line {N + 2}: 'ghost' is not a public benchmark item",
    )


GOOD_LABELS = {
    "item,label": csv("item,label", [f"t{k},{CLASSES[k % 3]}" for k in range(20)]),
    "padded, CRLF": csv("item , label", [f"t{k} , {CLASSES[k % 3]}" for k in range(20)]).replace(b"\n", b"\r\n"),
}
BAD_LABELS = {
    "labels with wrong columns (the maintainers' annotator,item,label)": csv(
        "annotator,item,label", [f"ann,t{k},cat" for k in range(5)]
    ),
    "predictions sent as labels": GOOD_PREDICTIONS["labels csv"],
    "a row with three columns": csv("item,label", ["t0,cat", "t1,dog,extra", "t2,eel"]),
    "an empty label": csv("item,label", ["t0,cat", "t1,", "t2,eel"]),
    "unknown item": csv("item,label", ["t0,cat", "t1,dog", "nope,eel"]),
    "unknown class": csv("item,label", ["t0,cat", "t1,fox"]),
    "a repeated item": csv("item,label", ["t0,cat", "t1,dog", "t0,eel"]),
    "JSON": b'{"t0": "cat"}',
    "not UTF-8": b"item,label\nt0,\xff\n",
}


@pytest.mark.parametrize("name", [*GOOD_LABELS, *BAD_LABELS])
def test_labels_pass_validation_exactly_when_scoring_keeps_every_row(name):
    data = {**GOOD_LABELS, **BAD_LABELS}[name]
    passed, reason, detail = validation(data, ContributionKind.LABELS, label_items=LABEL_ITEMS)
    assert (passed, reason) == label_epoch(data), detail
    assert passed is (name in GOOD_LABELS)


def test_a_label_refusal_names_the_line():
    assert validation(BAD_LABELS["unknown item"], ContributionKind.LABELS, label_items=LABEL_ITEMS)[2] == (
        "line 4: unknown item 'nope'"
    )
    assert validation(BAD_LABELS["a row with three columns"], ContributionKind.LABELS)[2].startswith("line 3:")
    wrong = validation(BAD_LABELS["labels with wrong columns (the maintainers' annotator,item,label)"], "labels")
    assert wrong[1:] == (RejectionReason.UNREADABLE, "labels line 1: header must be 'item,label'")


def test_answers_slices_parse_and_hold_public_items_only():
    fmt = project_format(Task.CLASSIFICATION, Metric.ACCURACY, BENCHMARK)
    assert check_answers(ANSWERS, fmt) == N
    with pytest.raises(ArtifactRejected, match="line 3: 'zz' is not a public benchmark item"):
        check_answers(b"id,answer\np0,cat\nzz,dog\n", fmt)
    with pytest.raises(ArtifactRejected, match="answers header must be 'id,answer'"):
        check_answers(b"id,label\np0,cat\n", fmt)
    regression = project_format(Task.REGRESSION, Metric.RMSE, BENCHMARK)
    with pytest.raises(ArtifactRejected, match="line 2: 'cat' is not a number"):
        check_answers(b"id,answer\np0,cat\n", regression)


def test_bad_benchmark_inputs_are_refused():
    with pytest.raises(ArtifactRejected, match="'id' column"):
        project_format(Task.CLASSIFICATION, Metric.ACCURACY, b'{"items": []}')
    with pytest.raises(ArtifactRejected, match="distinct"):
        project_format(Task.CLASSIFICATION, Metric.ACCURACY, b"id,x\na,1\na,2\n")
