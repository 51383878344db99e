"""The predictions and answers formats (their single definition) and their validation.

Answers (held by the oracle, committed on chain by hash): UTF-8 CSV with the header
``id,answer``; one row per scored item; ``answer`` is a class name (classification) or a number
(regression). The row order is the scored items' order. The class list is the project's (in its
order); when none is given it is the sorted set of answers. An epoch's answers are its hidden slice:
usually a subset of the project's public items.

Public items (optional, the project's public benchmark inputs): UTF-8 CSV whose header names an
``id`` column; its rows give the public item order. Every answers id must be one of them.

Predictions (a contributor's artifact), one of:

- CSV, UTF-8, a header line and one row per item, rows in any order, each id once; every answers
  id must be there (else `wrong_ids`, or `wrong_length` when there are fewer rows than answers),
  rows for other ids (the public items outside this epoch's slice) are checked but not scored:
  - ``id,label``: a class name per item (classification);
  - ``id,<class>,<class>,...``: one probability column per class, every class exactly once, in
    any order; each row within [0, 1] and summing to 1 (within 1e-6);
  - ``id,value``: a number per item (regression).
- NumPy ``.npy`` (recognised by its magic bytes; no pickled objects), rows in the public item
  order when the public items are given (one row per public item; only the answers' rows are
  scored), else in the answers' order:
  - 1-D integer array: class indices into the project's class list;
  - 2-D float array of shape (items, classes): probabilities in the class list's order;
  - 1-D float array: values (regression) or, for two classes, the probability of the second class.

Every number must be finite. An artifact over the size limit, empty, unreadable, of the wrong
length, ids or dtype is rejected alone with an `ArtifactRejected` naming the cause (and the CSV line).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from functools import cached_property
from typing import cast

import numpy as np

from dao.vocabulary import Task
from oracle.scoring.csv_columns import fast_csv_columns
from oracle.scoring.metrics import METRIC_INPUT, Metric, PredictionKind
from oracle.scoring.rejections import ArtifactRejected, RejectionReason

NPY_MAGIC = b"\x93NUMPY"
DEFAULT_MAX_ARTIFACT_BYTES = 512 * 1024 * 1024
PROBABILITY_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Benchmark:
    """The hidden answers of an epoch (its slice), aligned with their item order."""

    task: Task
    item_ids: tuple[str, ...]
    answers: np.ndarray  # class indices (int64) or values (float64)
    classes: tuple[str, ...] = ()
    # Position of each item in the public item order and the number of public items, when known
    # (then .npy rows follow the public order; see `with_public_items`).
    public_positions: np.ndarray | None = None
    n_public: int | None = None

    @cached_property
    def item_index(self) -> dict[str, int]:
        """Position of each item id (built on first use: files in item order never need it)."""
        return dict(zip(self.item_ids, range(len(self.item_ids))))

    @property
    def n_items(self) -> int:
        return len(self.item_ids)


@dataclass(frozen=True)
class Predictions:
    """Validated predictions aligned with the benchmark's item order."""

    kind: PredictionKind
    values: np.ndarray  # int64 class indices, (n, k) float64 probabilities, or float64 values


def _decode_csv(data: bytes, what: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArtifactRejected(RejectionReason.UNREADABLE, f"{what} is not UTF-8 text: {error}") from None
    rows = [line.split(",") for line in text.splitlines()]
    while rows and rows[-1] == [""]:
        rows.pop()
    return [[cell.strip() for cell in row] for row in rows]


def _parse_float(cell: str, line: int) -> float:
    try:
        return float(cell)
    except ValueError:
        raise ArtifactRejected(RejectionReason.WRONG_DTYPE, f"line {line}: {cell!r} is not a number") from None


def _answer_rows(data: bytes) -> tuple[list[str], list[str]]:
    """Line-by-line reading of the answers, naming the first bad line."""
    rows = _decode_csv(data, "answers")
    if len(rows) < 2:
        raise ArtifactRejected(RejectionReason.EMPTY, "answers have no rows")
    if rows[0] != ["id", "answer"]:
        raise ArtifactRejected(RejectionReason.UNREADABLE, "answers header must be 'id,answer'")
    item_ids: list[str] = []
    seen: set[str] = set()
    cells: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise ArtifactRejected(RejectionReason.UNREADABLE, f"line {line}: expected 2 columns, got {len(row)}")
        if row[0] in seen or not row[0]:
            raise ArtifactRejected(RejectionReason.WRONG_IDS, f"line {line}: id {row[0]!r} empty or repeated")
        seen.add(row[0])
        item_ids.append(row[0])
        cells.append(row[1])
    return item_ids, cells


def parse_answers_csv(data: bytes, task: Task, classes: tuple[str, ...] | None = None) -> Benchmark:
    """Parse the hidden answers (``id,answer``) into a benchmark."""
    columns = fast_csv_columns(data, 2) if data.startswith(b"id,answer\n") else None
    if columns is not None and "" not in columns[0] and len(set(columns[0])) == len(columns[0]):
        item_ids, cells = columns
    else:
        item_ids, cells = _answer_rows(data)
    if task is Task.REGRESSION:
        values = np.array([_parse_float(c, i + 2) for i, c in enumerate(cells)])
        if not np.isfinite(values).all():
            raise ArtifactRejected(RejectionReason.NON_FINITE, "answers hold NaN or infinity")
        return Benchmark(task, tuple(item_ids), values)
    class_list = tuple(classes) if classes else tuple(sorted(set(cells)))
    class_index = {name: i for i, name in enumerate(class_list)}
    if not set(cells) <= class_index.keys():
        unknown = next(i for i, c in enumerate(cells) if c not in class_index)
        raise ArtifactRejected(RejectionReason.UNKNOWN_CLASS, f"line {unknown + 2}: {cells[unknown]!r} is not a class")
    answers = np.array([class_index[c] for c in cells], dtype=np.int64)
    return Benchmark(task, tuple(item_ids), answers, class_list)


def read_public_item_ids(data: bytes) -> list[str]:
    """The ``id`` column of the public benchmark inputs (CSV), in file order."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArtifactRejected(RejectionReason.UNREADABLE, f"public items are not UTF-8 text: {error}") from None
    lines = text.splitlines()
    header = [cell.strip() for cell in lines[0].split(",")] if lines else []
    if "id" not in header:
        raise ArtifactRejected(RejectionReason.UNREADABLE, "public items need a header with an 'id' column")
    column = header.index("id")
    rows = [line.split(",") for line in lines[1:] if line.strip()]
    if any(len(row) <= column for row in rows):
        raise ArtifactRejected(RejectionReason.UNREADABLE, "a public items row has no id cell")
    ids = [row[column].strip() for row in rows]
    if not ids or "" in ids or len(set(ids)) != len(ids):
        raise ArtifactRejected(RejectionReason.WRONG_IDS, "public item ids must be present, non-empty and distinct")
    return ids


def with_public_items(benchmark: Benchmark, public_ids: list[str]) -> Benchmark:
    """The benchmark with the public item order attached (every answers id must be public)."""
    position = dict(zip(public_ids, range(len(public_ids))))
    positions = [position.get(item) for item in benchmark.item_ids]
    if None in positions:
        missing = benchmark.item_ids[positions.index(None)]
        raise ArtifactRejected(RejectionReason.WRONG_IDS, f"answers item {missing!r} is not a public item")
    return replace(benchmark, public_positions=np.array(positions, dtype=np.int64), n_public=len(public_ids))


def _predictions_from_npy(data: bytes, benchmark: Benchmark) -> Predictions:
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ArtifactRejected(RejectionReason.UNREADABLE, f"not a readable .npy array: {error}") from None
    if not isinstance(array, np.ndarray):
        raise ArtifactRejected(RejectionReason.UNREADABLE, "not a single .npy array")
    expected = benchmark.n_items if benchmark.n_public is None else benchmark.n_public
    what = "benchmark items" if benchmark.n_public is None else "public items"
    if array.ndim not in (1, 2) or array.shape[0] != expected:
        if array.ndim in (1, 2):
            raise ArtifactRejected(RejectionReason.WRONG_LENGTH, f"{array.shape[0]} rows for {expected} {what}")
        raise ArtifactRejected(RejectionReason.WRONG_SHAPE, f"array of shape {array.shape}")
    n_classes = len(benchmark.classes)
    is_integer = np.issubdtype(array.dtype, np.integer)
    is_float = np.issubdtype(array.dtype, np.floating)
    if not (is_integer or is_float):
        raise ArtifactRejected(RejectionReason.WRONG_DTYPE, f"dtype {array.dtype} is neither integer nor float")
    if benchmark.task is Task.REGRESSION:
        if array.ndim != 1:
            raise ArtifactRejected(RejectionReason.WRONG_SHAPE, "regression predictions must be 1-D")
        return Predictions(PredictionKind.VALUES, array.astype(np.float64, copy=False))
    if is_integer:
        if array.ndim != 1:
            raise ArtifactRejected(RejectionReason.WRONG_SHAPE, "integer class labels must be 1-D")
        bad = np.flatnonzero((array < 0) | (array >= n_classes))
        if bad.size:
            raise ArtifactRejected(
                RejectionReason.UNKNOWN_CLASS, f"row {bad[0]}: class index {array[bad[0]]} outside 0..{n_classes - 1}"
            )
        return Predictions(PredictionKind.LABELS, array.astype(np.int64, copy=False))
    if array.ndim == 1:
        if n_classes != 2:
            raise ArtifactRejected(
                RejectionReason.WRONG_SHAPE, f"1-D probabilities need 2 classes, the benchmark has {n_classes}"
            )
        positive = array.astype(np.float64, copy=False)
        return Predictions(PredictionKind.PROBABILITIES, np.stack([1.0 - positive, positive], axis=1))
    if array.shape[1] != n_classes:
        raise ArtifactRejected(
            RejectionReason.WRONG_SHAPE, f"{array.shape[1]} probability columns for {n_classes} classes"
        )
    return Predictions(PredictionKind.PROBABILITIES, array.astype(np.float64, copy=False))


def _csv_kind(header: list[str], benchmark: Benchmark) -> PredictionKind:
    """What a predictions CSV holds, from its header (line 1)."""
    if header[0] != "id" or len(header) < 2:
        raise ArtifactRejected(RejectionReason.UNREADABLE, "line 1: the header must start with 'id,'")
    columns = header[1:]
    if benchmark.task is Task.REGRESSION:
        if columns != ["value"]:
            raise ArtifactRejected(RejectionReason.UNREADABLE, "line 1: regression header must be 'id,value'")
        return PredictionKind.VALUES
    if columns == ["label"]:
        return PredictionKind.LABELS
    if sorted(columns) == sorted(benchmark.classes) and len(set(columns)) == len(columns):
        return PredictionKind.PROBABILITIES
    raise ArtifactRejected(
        RejectionReason.UNREADABLE, "line 1: header must be 'id,label' or 'id,' followed by every class name once"
    )


def _fast_csv_predictions(
    data: bytes, benchmark: Benchmark, kind: PredictionKind, header: list[str]
) -> Predictions | None:
    """Whole-column parsing for well-formed files: the same result as the line-by-line reader, or
    None whenever anything is off, so that reader reports it."""
    columns = fast_csv_columns(data, len(header))
    if columns is None or len(columns[0]) < benchmark.n_items:
        return None
    ids = columns[0]
    if ids == list(benchmark.item_ids):
        order = np.arange(benchmark.n_items)
    else:
        # Rows of ids outside the answers (the public items not in this slice) get position -1.
        lookup = benchmark.item_index.get
        order = np.array([lookup(item, -1) for item in ids], dtype=np.int64)
        scored = order[order >= 0]
        if scored.size != benchmark.n_items or np.bincount(scored, minlength=benchmark.n_items).max() > 1:
            return None
        if len(ids) > benchmark.n_items and len(set(ids)) != len(ids):
            return None
    if kind is PredictionKind.LABELS:
        class_of = {name: i for i, name in enumerate(benchmark.classes)}.get
        classes = [class_of(label) for label in columns[1]]
        if None in classes:
            return None
        labels = np.array(cast(list[int], classes), dtype=np.int64)  # no None left: checked just above
        values = np.empty(benchmark.n_items, dtype=np.int64)
        keep = order >= 0
        values[order[keep]] = labels[keep]
        return Predictions(kind, values)
    try:
        parsed = np.array([list(map(float, column)) for column in columns[1:]], dtype=np.float64).T
    except ValueError:
        return None
    return _place_numbers(kind, parsed, header[1:], benchmark, order)


def _place_numbers(
    kind: PredictionKind, parsed: np.ndarray, columns: list[str], benchmark: Benchmark, order: np.ndarray
) -> Predictions:
    """Checks numbers in file order (so errors name CSV lines), then puts rows in item order."""
    if kind is PredictionKind.PROBABILITIES:
        parsed = parsed[:, [columns.index(name) for name in benchmark.classes]]
    else:
        parsed = parsed[:, 0]
    _check_numbers(kind, parsed, first_line=2)
    keep = order >= 0
    values = np.empty((benchmark.n_items, *parsed.shape[1:]), dtype=parsed.dtype)
    values[order[keep]] = parsed[keep]
    return Predictions(kind, values)


def _predictions_from_csv(data: bytes, benchmark: Benchmark) -> Predictions:
    first_line = data.split(b"\n", 1)[0]
    try:
        header = [cell.strip() for cell in first_line.decode("utf-8-sig").split(",")]
        kind = _csv_kind(header, benchmark)
    except (UnicodeDecodeError, ArtifactRejected):
        pass  # the line-by-line reader below names the problem
    else:
        fast = _fast_csv_predictions(data, benchmark, kind, header)
        if fast is not None:
            return fast
    rows = _decode_csv(data, "predictions")
    if not rows or rows == [[""]]:
        raise ArtifactRejected(RejectionReason.EMPTY, "no header and no rows")
    header = rows[0]
    kind = _csv_kind(header, benchmark)
    body = rows[1:]
    if not body:
        raise ArtifactRejected(RejectionReason.EMPTY, "no rows after the header")
    if len(body) < benchmark.n_items:
        raise ArtifactRejected(
            RejectionReason.WRONG_LENGTH, f"{len(body)} rows for {benchmark.n_items} benchmark items"
        )
    width = len(header)
    order = np.empty(len(body), dtype=np.int64)
    seen: set[str] = set()
    cells: list[list[str]] = []
    for line, row in enumerate(body, start=2):
        if len(row) != width:
            raise ArtifactRejected(RejectionReason.UNREADABLE, f"line {line}: expected {width} columns, got {len(row)}")
        if not row[0]:
            raise ArtifactRejected(RejectionReason.WRONG_IDS, f"line {line}: empty item id")
        if row[0] in seen:
            raise ArtifactRejected(RejectionReason.WRONG_IDS, f"line {line}: item id {row[0]!r} repeated")
        seen.add(row[0])
        order[line - 2] = benchmark.item_index.get(row[0], -1)  # -1: not in the answers, not scored
        cells.append(row[1:])
    if np.count_nonzero(order >= 0) != benchmark.n_items:
        missing = next(item for item in benchmark.item_ids if item not in seen)
        raise ArtifactRejected(RejectionReason.WRONG_IDS, f"no prediction for item {missing!r}")
    if kind is PredictionKind.LABELS:
        class_index = {name: i for i, name in enumerate(benchmark.classes)}
        labels = np.empty(len(body), dtype=np.int64)
        for row_number, row in enumerate(cells):
            index = class_index.get(row[0])
            if index is None:
                raise ArtifactRejected(
                    RejectionReason.UNKNOWN_CLASS, f"line {row_number + 2}: {row[0]!r} is not a class"
                )
            labels[row_number] = index
        keep = order >= 0
        values = np.empty(benchmark.n_items, dtype=np.int64)
        values[order[keep]] = labels[keep]
        return Predictions(kind, values)
    parsed = np.array([[_parse_float(c, n + 2) for c in row] for n, row in enumerate(cells)], dtype=np.float64)
    return _place_numbers(kind, parsed, header[1:], benchmark, order)


def _check_numbers(kind: PredictionKind, values: np.ndarray, first_line: int | None = None) -> None:
    """Finite values; probabilities within [0, 1] and rows summing to 1. Problems name the CSV
    line (when `first_line`, the line of row 0, is given) or the .npy row."""

    def where(row: int) -> str:
        return f"line {row + first_line}" if first_line is not None else f"row {row}"

    if kind is PredictionKind.LABELS:
        return
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.flatnonzero(~finite.reshape(values.shape[0], -1).all(axis=1))[0])
        raise ArtifactRejected(RejectionReason.NON_FINITE, f"{where(row)} holds NaN or infinity")
    if kind is PredictionKind.PROBABILITIES:
        outside = (values < 0.0) | (values > 1.0)
        if outside.any():
            row = int(np.flatnonzero(outside.any(axis=1))[0])
            raise ArtifactRejected(RejectionReason.PROBABILITY_RANGE, f"{where(row)} has a probability outside [0, 1]")
        off = np.abs(values.sum(axis=1) - 1.0) > PROBABILITY_SUM_TOLERANCE
        if off.any():
            row = int(np.flatnonzero(off)[0])
            total = float(values[row].sum())
            raise ArtifactRejected(RejectionReason.PROBABILITY_SUM, f"{where(row)} sums to {total!r}, not 1")


def parse_predictions(data: bytes, benchmark: Benchmark, max_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES) -> Predictions:
    """Parse and validate a predictions artifact against the benchmark, or raise ArtifactRejected."""
    if len(data) == 0:
        raise ArtifactRejected(RejectionReason.EMPTY, "the artifact is empty")
    if len(data) > max_bytes:
        raise ArtifactRejected(RejectionReason.TOO_LARGE, f"{len(data)} bytes, over the {max_bytes}-byte limit")
    if data.startswith(NPY_MAGIC):
        predictions = _predictions_from_npy(data, benchmark)
        _check_numbers(predictions.kind, predictions.values)
        if benchmark.public_positions is not None:  # every row checked, the slice's rows scored
            predictions = Predictions(predictions.kind, predictions.values[benchmark.public_positions])
        return predictions
    return _predictions_from_csv(data, benchmark)


def check_kind_for_metric(predictions: Predictions, metric: Metric) -> None:
    """Reject predictions the metric cannot use (label metrics also take probabilities)."""
    needed = METRIC_INPUT[metric]
    usable = predictions.kind is needed or (
        needed is PredictionKind.LABELS and predictions.kind is PredictionKind.PROBABILITIES
    )
    if not usable:
        raise ArtifactRejected(
            RejectionReason.WRONG_KIND,
            f"{metric.value} needs {needed.value}, the artifact holds {predictions.kind.value}",
        )
