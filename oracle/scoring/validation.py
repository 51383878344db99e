"""A contribution checked before it is sent, by the code that scores it.

`merit submit`, the API's upload (with `project` and `kind`), the reveal relay and `merit project
register` call these functions; each one runs the parsers of `predictions.py` and
`label_format.py` (the formats' single definition) against what the project makes public, so a
file that passes here is not rejected as unreadable, of the wrong ids, length, dtype or class at
epoch close, and a file refused here would be rejected there (tests/oracle/scoring/test_validation.py
checks both on a set of good and bad files with `score_epoch`).

What the project makes public (`ProjectFormat`): its task and metric and its public benchmark
inputs (registered on chain by CID; a CSV with an `id` column). Its class list and its label items
are in the oracle's settings, not on chain: they are public once an epoch report names them
(`parameters.classes`, `inputs.label_items_cid`). Without them the class names are not checked
(the header, ids, shape, numbers and the metric's kind of prediction still are).

Three rules are stricter than scoring, because the epoch's hidden slice is unknown when a file is
sent: predictions must cover every public item (scoring needs only the slice's), must not hold rows
for ids outside the public items (scoring ignores them), and a label file must hold at least one
label; label files are refused for any bad row (scoring drops the row and keeps the rest).
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from dao.vocabulary import ContributionKind, Task
from oracle.scoring.label_format import build_label_table, read_label_rows
from oracle.scoring.metrics import Metric
from oracle.scoring.predictions import (
    DEFAULT_MAX_ARTIFACT_BYTES,
    NPY_MAGIC,
    Benchmark,
    check_kind_for_metric,
    parse_answers_csv,
    parse_predictions,
    read_public_item_ids,
    with_public_items,
)
from oracle.scoring.rejections import ArtifactRejected, RejectionReason
from oracle.scoring.slices import split_slice

__all__ = [
    "ArtifactRejected",
    "ProjectFormat",
    "check_answers",
    "check_contribution",
    "check_labels",
    "check_predictions",
    "project_format",
]


@dataclass(frozen=True)
class ProjectFormat:
    """What a project makes public about the files it takes."""

    task: Task
    metric: Metric | None
    item_ids: tuple[str, ...]  # the public benchmark inputs' ids, in file order
    classes: tuple[str, ...] = ()  # empty: the class list is not public
    label_items: tuple[str, ...] | None = None  # None: the items open for labels are not public
    max_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES

    @property
    def classes_known(self) -> bool:
        return bool(self.classes)


def project_format(
    task: Task | str,
    metric: Metric | str | None,
    benchmark_inputs: bytes,
    classes: Sequence[str] = (),
    label_items: Sequence[str] | None = None,
) -> ProjectFormat:
    """The format from the project's public facts; bad benchmark inputs raise ArtifactRejected."""
    chosen_task = task if isinstance(task, Task) else Task(task)
    chosen_metric: Metric | None = None
    if metric is not None:
        try:
            chosen_metric = Metric(metric)
        except ValueError:
            chosen_metric = None  # a metric the engine does not know: the kind of prediction is not checked
    ids = tuple(read_public_item_ids(benchmark_inputs))
    return ProjectFormat(
        chosen_task,
        chosen_metric,
        ids,
        tuple(classes),
        None if label_items is None else tuple(label_items),
    )


def _first_line(data: bytes) -> list[str]:
    return [cell.strip() for cell in data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").split(",")]


def _classes_seen(data: bytes, task: Task) -> tuple[str, ...]:
    """Without the project's class list: classes under which the file's own class names are valid,
    so the parser checks everything else (the names are checked once the list is public)."""
    if task is Task.REGRESSION:
        return ()
    if data.startswith(NPY_MAGIC):
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError):
            return ("0", "1")  # the parser names the problem
        if not isinstance(array, np.ndarray):
            return ("0", "1")
        if np.issubdtype(array.dtype, np.integer) and array.size:
            return tuple(str(i) for i in range(max(int(array.max()) + 1, 1)))
        if np.issubdtype(array.dtype, np.floating) and array.ndim == 2:
            return tuple(str(i) for i in range(array.shape[1]))
        return ("0", "1")
    header = _first_line(data)
    if header[1:] == ["label"]:
        try:
            lines = data.decode("utf-8-sig").splitlines()[1:]
        except UnicodeDecodeError:
            return ()
        labels = {line.split(",")[1].strip() for line in lines if line.count(",") == 1}
        return tuple(sorted(labels - {""}))
    return tuple(header[1:])


def _public_benchmark(fmt: ProjectFormat, classes: tuple[str, ...]) -> Benchmark:
    """Every public item as if it were scored (the slice is hidden: any public item may be in it)."""
    answers: np.ndarray = np.zeros(len(fmt.item_ids), dtype=np.float64 if fmt.task is Task.REGRESSION else np.int64)
    benchmark = Benchmark(fmt.task, fmt.item_ids, answers, classes)
    return with_public_items(benchmark, list(fmt.item_ids))


def _foreign_ids(data: bytes, known: tuple[str, ...]) -> None:
    """A CSV row for an id outside the public items is refused with its line."""
    public = set(known)
    try:
        lines = data.decode("utf-8-sig").splitlines()[1:]
    except UnicodeDecodeError:
        return  # the parser names the problem
    for line, text in enumerate(lines, start=2):
        item = text.split(",", 1)[0].strip()
        if text.strip() and item not in public:
            raise ArtifactRejected(RejectionReason.WRONG_IDS, f"line {line}: {item!r} is not a public benchmark item")


def check_predictions(data: bytes, fmt: ProjectFormat) -> None:
    """Raises ArtifactRejected (reason and detail, with the CSV line or .npy row) unless the
    predictions are valid for every possible slice of the project's public items."""
    if not data.startswith(NPY_MAGIC) and _first_line(data)[0] == "id" and len(data) <= fmt.max_bytes:
        _foreign_ids(data, fmt.item_ids)  # first: an id in place of a public one is named by its line
    classes = fmt.classes if fmt.classes_known else _classes_seen(data, fmt.task)
    predictions = parse_predictions(data, _public_benchmark(fmt, classes), fmt.max_bytes)
    if fmt.metric is not None:
        check_kind_for_metric(predictions, fmt.metric)


def check_labels(data: bytes, fmt: ProjectFormat) -> None:
    """Raises ArtifactRejected unless every row of the label file (``item,label``) would be kept."""
    if len(data) == 0:
        raise ArtifactRejected(RejectionReason.EMPTY, "the artifact is empty")
    if len(data) > fmt.max_bytes:
        raise ArtifactRejected(RejectionReason.TOO_LARGE, f"{len(data)} bytes, over the {fmt.max_bytes}-byte limit")
    batch, rejected = read_label_rows(data, "labels", annotator="submitter")
    if rejected:
        first = rejected[0]
        raise ArtifactRejected(first.reason, f"line {first.line}: {first.detail}")
    if not batch.items:
        raise ArtifactRejected(RejectionReason.EMPTY, "no labels after the header")
    table = build_label_table([batch], fmt.label_items, fmt.classes or None)
    if table.rejections:
        first = table.rejections[0]
        raise ArtifactRejected(first.reason, f"line {first.line}: {first.detail}")


def check_contribution(data: bytes, kind: ContributionKind | str, fmt: ProjectFormat) -> None:
    """`check_predictions` or `check_labels`, by the contribution's kind."""
    if ContributionKind(kind) is ContributionKind.LABELS:
        check_labels(data, fmt)
    else:
        check_predictions(data, fmt)


def check_answers(data: bytes, fmt: ProjectFormat, label_items: Collection[str] = ()) -> int:
    """A hidden answer slice (``id,answer``) as the oracle will read it: parsed with the project's
    task (and classes, when given), every id a public benchmark item or one of `label_items` (the
    items open for labels, whose rows are gold labels: the oracle splits them off, see
    oracle.scoring.slices). Returns its number of benchmark items."""
    benchmark = parse_answers_csv(data, fmt.task, fmt.classes or None)
    known = set(fmt.item_ids) | set(label_items)
    for index, item in enumerate(benchmark.item_ids):
        if item not in known:
            raise ArtifactRejected(
                RejectionReason.WRONG_IDS,
                f"line {index + 2}: {item!r} is not a public benchmark item"
                + (" nor a label item" if label_items else ""),
            )
    if label_items:
        answers, _gold = split_slice(data, set(label_items))
        if answers is None:
            return 0
        benchmark = parse_answers_csv(answers, fmt.task, fmt.classes or None)
    with_public_items(benchmark, list(fmt.item_ids))  # the engine's own check of the same rule
    return benchmark.n_items
