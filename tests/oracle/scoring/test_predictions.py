"""The predictions and answers formats, and a reason for every rejected artifact."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dao.vocabulary import Task
from oracle.scoring.metrics import Metric, PredictionKind
from oracle.scoring.predictions import (
    Benchmark,
    check_kind_for_metric,
    parse_answers_csv,
    parse_predictions,
)
from oracle.scoring.rejections import ArtifactRejected, RejectionReason

ANSWERS = b"id,answer\na,cat\nb,dog\nc,cat\n"


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.fixture
def benchmark() -> Benchmark:
    return parse_answers_csv(ANSWERS, Task.CLASSIFICATION)


def rejection(data: bytes, benchmark: Benchmark, **kwargs: int) -> ArtifactRejected:
    with pytest.raises(ArtifactRejected) as caught:
        parse_predictions(data, benchmark, **kwargs)
    return caught.value


def test_answers_define_items_and_sorted_classes(benchmark: Benchmark) -> None:
    assert benchmark.item_ids == ("a", "b", "c")
    assert benchmark.classes == ("cat", "dog")
    assert benchmark.answers.tolist() == [0, 1, 0]


def test_answers_follow_the_project_class_order() -> None:
    benchmark = parse_answers_csv(ANSWERS, Task.CLASSIFICATION, ("dog", "cat"))
    assert benchmark.answers.tolist() == [1, 0, 1]


def test_csv_labels_in_any_row_order(benchmark: Benchmark) -> None:
    predictions = parse_predictions(b"id,label\nc,dog\na,cat\nb,dog\n", benchmark)
    assert predictions.kind is PredictionKind.LABELS
    assert predictions.values.tolist() == [0, 1, 1]


def test_csv_probabilities_with_columns_in_any_order(benchmark: Benchmark) -> None:
    predictions = parse_predictions(b"id,dog,cat\na,0.25,0.75\nb,1,0\nc,0.5,0.5\n", benchmark)
    assert predictions.kind is PredictionKind.PROBABILITIES
    assert predictions.values.tolist() == [[0.75, 0.25], [0.0, 1.0], [0.5, 0.5]]


def test_npy_labels_probabilities_and_binary_column(benchmark: Benchmark) -> None:
    assert parse_predictions(npy(np.array([1, 0, 1])), benchmark).values.tolist() == [1, 0, 1]
    matrix = np.array([[0.2, 0.8], [0.6, 0.4], [1.0, 0.0]])
    assert parse_predictions(npy(matrix), benchmark).values.tolist() == matrix.tolist()
    column = parse_predictions(npy(np.array([0.8, 0.4, 0.0])), benchmark)
    assert np.allclose(column.values, matrix)


def test_regression_csv_and_npy() -> None:
    benchmark = parse_answers_csv(b"id,answer\nx,1.5\ny,-2\n", Task.REGRESSION)
    assert parse_predictions(b"id,value\ny,3\nx,4.5\n", benchmark).values.tolist() == [4.5, 3.0]
    assert parse_predictions(npy(np.array([1.0, 2.0])), benchmark).kind is PredictionKind.VALUES


@pytest.mark.parametrize(
    ("data", "reason", "where"),
    [
        (b"", RejectionReason.EMPTY, ""),
        (b"id,label\n", RejectionReason.EMPTY, ""),
        (b"id,label\na,cat\nb,dog\n", RejectionReason.WRONG_LENGTH, "2 rows"),
        (b"id,label\na,cat\nb,dog\nz,cat\n", RejectionReason.WRONG_IDS, "'c'"),
        (b"id,label\na,cat\nb,dog\na,cat\n", RejectionReason.WRONG_IDS, "line 4"),
        (b"id,label\na,cat\nb,bird\nc,cat\n", RejectionReason.UNKNOWN_CLASS, "line 3"),
        (b"id,label\na,cat\nb,dog,x\nc,cat\n", RejectionReason.UNREADABLE, "line 3"),
        (b"id,cat,dog\na,0.5,0.5\nb,nan,0.5\nc,1,0\n", RejectionReason.NON_FINITE, "line 3"),
        (b"id,cat,dog\na,0.5,0.5\nb,1.5,-0.5\nc,1,0\n", RejectionReason.PROBABILITY_RANGE, "line 3"),
        (b"id,cat,dog\na,0.5,0.5\nb,0.5,0.4\nc,1,0\n", RejectionReason.PROBABILITY_SUM, "line 3"),
        (b"id,cat,dog\na,0.5,0.5\nb,x,0.4\nc,1,0\n", RejectionReason.WRONG_DTYPE, "line 3"),
        (b"id,cat,bird\na,0.5,0.5\nb,0.5,0.5\nc,1,0\n", RejectionReason.UNREADABLE, "line 1"),
        (b"\xff\xfe", RejectionReason.UNREADABLE, "UTF-8"),
    ],
)
def test_csv_rejections_name_the_cause(benchmark: Benchmark, data: bytes, reason: RejectionReason, where: str) -> None:
    error = rejection(data, benchmark)
    assert error.reason is reason
    assert where in error.detail


@pytest.mark.parametrize(
    ("array", "reason"),
    [
        (np.array([0, 1]), RejectionReason.WRONG_LENGTH),
        (np.array([0, 1, 2]), RejectionReason.UNKNOWN_CLASS),
        (np.array([-1, 1, 0]), RejectionReason.UNKNOWN_CLASS),
        (np.array(["a", "b", "c"]), RejectionReason.WRONG_DTYPE),
        (np.array([True, False, True]), RejectionReason.WRONG_DTYPE),
        (np.array([[0.5, 0.5, 0.0]] * 3), RejectionReason.WRONG_SHAPE),
        (np.zeros((3, 2, 1)), RejectionReason.WRONG_SHAPE),
        (np.array([0.5, np.inf, 0.1]), RejectionReason.NON_FINITE),
        (np.array([[0.5, 0.5], [0.7, 0.7], [1.0, 0.0]]), RejectionReason.PROBABILITY_SUM),
    ],
)
def test_npy_rejections_name_the_cause(benchmark: Benchmark, array: np.ndarray, reason: RejectionReason) -> None:
    assert rejection(npy(array), benchmark).reason is reason


def test_truncated_npy_is_unreadable(benchmark: Benchmark) -> None:
    assert rejection(npy(np.array([0, 1, 0]))[:-3], benchmark).reason is RejectionReason.UNREADABLE


def test_pickled_objects_are_refused(benchmark: Benchmark) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}, 2, 3], dtype=object), allow_pickle=True)
    assert rejection(buffer.getvalue(), benchmark).reason is RejectionReason.UNREADABLE


def test_size_limit(benchmark: Benchmark) -> None:
    data = b"id,label\na,cat\nb,dog\nc,cat\n"
    assert rejection(data, benchmark, max_bytes=10).reason is RejectionReason.TOO_LARGE
    assert parse_predictions(data, benchmark, max_bytes=len(data)).kind is PredictionKind.LABELS


def test_metric_needs_the_right_kind(benchmark: Benchmark) -> None:
    labels = parse_predictions(b"id,label\na,cat\nb,dog\nc,cat\n", benchmark)
    check_kind_for_metric(labels, Metric.ACCURACY)
    with pytest.raises(ArtifactRejected) as caught:
        check_kind_for_metric(labels, Metric.ROC_AUC)
    assert caught.value.reason is RejectionReason.WRONG_KIND


def test_answers_errors() -> None:
    with pytest.raises(ArtifactRejected, match="header"):
        parse_answers_csv(b"item,answer\na,1\n", Task.REGRESSION)
    with pytest.raises(ArtifactRejected, match="line 3"):
        parse_answers_csv(b"id,answer\na,1\nb,x\n", Task.REGRESSION)
    with pytest.raises(ArtifactRejected, match="line 3"):
        parse_answers_csv(b"id,answer\na,1\na,2\n", Task.REGRESSION)
    with pytest.raises(ArtifactRejected, match="not a class"):
        parse_answers_csv(b"id,answer\na,cat\n", Task.CLASSIFICATION, ("dog",))


@pytest.mark.parametrize(
    "text",
    [
        "id,dog,cat\nc,0.5,0.5\na,0.25,0.75\nb,1,0\n",
        "id,label\nb,dog\nc,cat\na,cat\n",
    ],
)
def test_whole_column_and_line_by_line_reading_agree(benchmark: Benchmark, text: str) -> None:
    plain = parse_predictions(text.encode(), benchmark)  # read by whole columns
    for variant in (text.replace("\n", "\r\n"), text.replace(",", " , "), "\ufeff" + text, text.rstrip("\n")):
        other = parse_predictions(variant.encode(), benchmark)
        assert other.kind is plain.kind and np.array_equal(other.values, plain.values)


def test_a_misaligned_row_is_found_whatever_the_totals(benchmark: Benchmark) -> None:
    # one row short a cell and one with an extra: the cell count matches, the lines do not
    error = rejection(b"id,label\na\nb,dog,cat\nc,cat\n", benchmark)
    assert error.reason is RejectionReason.UNREADABLE and "line 2" in error.detail


# One fresh slice per epoch: the answers cover a subset of the public items.
PUBLIC = b"id,px0\nd,1\nc,2\nb,3\na,4\n"
SLICE = b"id,answer\nc,cat\na,dog\n"


def test_csv_rows_outside_the_slice_are_checked_but_not_scored() -> None:
    sliced = parse_answers_csv(SLICE, Task.CLASSIFICATION, ("cat", "dog"))
    for data in (b"id,label\nd,cat\nc,dog\nb,dog\na,cat\n", b"id,label\na,cat\nc,dog\n"):
        assert parse_predictions(data, sliced).values.tolist() == [1, 0]  # c, a
    probabilities = parse_predictions(b"id,cat,dog\nd,1,0\na,0.25,0.75\nc,0.5,0.5\n", sliced)
    assert probabilities.values.tolist() == [[0.5, 0.5], [0.25, 0.75]]
    assert rejection(b"id,label\nd,cat\nc,dog\nb,dog\n", sliced).reason is RejectionReason.WRONG_IDS
    assert rejection(b"id,label\nc,dog\n", sliced).reason is RejectionReason.WRONG_LENGTH
    assert rejection(b"id,label\nd,cat\nc,dog\nd,dog\na,cat\n", sliced).reason is RejectionReason.WRONG_IDS
    assert rejection(b"id,label\nd,bird\nc,dog\na,cat\n", sliced).reason is RejectionReason.UNKNOWN_CLASS
    assert rejection(b"id,cat,dog\nd,2,-1\nc,0.5,0.5\na,1,0\n", sliced).reason is RejectionReason.PROBABILITY_RANGE


def test_npy_rows_follow_the_public_item_order() -> None:
    from oracle.scoring.predictions import read_public_item_ids, with_public_items

    public = read_public_item_ids(PUBLIC)
    assert public == ["d", "c", "b", "a"]
    sliced = with_public_items(parse_answers_csv(SLICE, Task.CLASSIFICATION, ("cat", "dog")), public)
    assert parse_predictions(npy(np.array([0, 1, 0, 0])), sliced).values.tolist() == [1, 0]  # c, a
    assert rejection(npy(np.array([1, 0])), sliced).reason is RejectionReason.WRONG_LENGTH
    assert rejection(npy(np.array([0, 1, 0, 7])), sliced).reason is RejectionReason.UNKNOWN_CLASS
    with pytest.raises(ArtifactRejected):
        with_public_items(parse_answers_csv(b"id,answer\nzz,cat\n", Task.CLASSIFICATION), public)
