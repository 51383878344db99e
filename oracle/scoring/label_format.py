"""The label formats (their single definition) and the label table the aggregators read.

Label file: UTF-8 CSV with a header line.
- ``annotator,item,label`` (the maintainers' command line reads this one), or
- ``item,label`` when the annotator is known from elsewhere (an epoch's label submission: the
  annotator is the submitting address).
Gold file (known answers): ``item,label``.

Row rules: a row with the wrong number of columns or an empty field, a label for an item the
project does not know, or a label outside the project's classes is rejected with its line number
and reason, and the rest of the file is kept. A second label by one annotator for one item counts
once (the first one is kept; later ones are reported as duplicates). Without a project class list,
the classes are the sorted set of labels seen (gold labels included).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from oracle.scoring.csv_columns import fast_csv_columns
from oracle.scoring.rejections import ArtifactRejected, RejectionReason


@dataclass(frozen=True)
class LabelBatch:
    """The well-formed rows of one label file, as columns (a million rows per epoch)."""

    source: str  # the artifact (or file) the rows came from
    lines: list[int]
    annotators: list[str]
    items: list[str]
    labels: list[str]


@dataclass(frozen=True)
class RowRejection:
    source: str
    line: int
    reason: RejectionReason
    detail: str


@dataclass(frozen=True)
class LabelTable:
    """Accepted labels as index arrays, one entry per (annotator, item)."""

    annotators: tuple[str, ...]  # in order of first appearance (submission order)
    items: tuple[str, ...]
    classes: tuple[str, ...]
    annotator_index: np.ndarray
    item_index: np.ndarray
    label_index: np.ndarray
    rejections: tuple[RowRejection, ...] = ()

    @property
    def n_labels(self) -> int:
        return int(self.label_index.size)

    def keep_annotators(self, keep: np.ndarray) -> LabelTable:
        """The same table restricted to the annotators where `keep` (a bool per annotator) is set.
        Indices stay the same, so results line up with the full table."""
        rows = keep[self.annotator_index]
        return LabelTable(
            self.annotators,
            self.items,
            self.classes,
            self.annotator_index[rows],
            self.item_index[rows],
            self.label_index[rows],
            self.rejections,
        )


def _csv_rows(data: bytes, source: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArtifactRejected(RejectionReason.UNREADABLE, f"{source} is not UTF-8 text: {error}") from None
    rows = [[cell.strip() for cell in line.split(",")] for line in text.splitlines()]
    while rows and rows[-1] == [""]:
        rows.pop()
    if not rows:
        raise ArtifactRejected(RejectionReason.EMPTY, f"{source} is empty")
    return rows


def _first_line_cells(data: bytes) -> list[str] | None:
    try:
        return [cell.strip() for cell in data.split(b"\n", 1)[0].decode("utf-8-sig").split(",")]
    except UnicodeDecodeError:
        return None


def read_label_rows(data: bytes, source: str, annotator: str | None = None) -> tuple[LabelBatch, list[RowRejection]]:
    """The rows of a label file; whole-file problems (encoding, header) raise ArtifactRejected."""
    header = ["item", "label"] if annotator is not None else ["annotator", "item", "label"]
    columns = fast_csv_columns(data, len(header)) if _first_line_cells(data) == header else None
    if columns is not None and all("" not in column for column in columns):
        lines = list(range(2, len(columns[0]) + 2))
        if annotator is not None:
            return LabelBatch(source, lines, [annotator] * len(lines), columns[0], columns[1]), []
        return LabelBatch(source, lines, columns[0], columns[1], columns[2]), []
    rows = _csv_rows(data, source)
    if rows[0] != header:
        raise ArtifactRejected(RejectionReason.UNREADABLE, f"{source} line 1: header must be '{','.join(header)}'")
    batch = LabelBatch(source, [], [], [], [])
    rejected: list[RowRejection] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header) or not all(row):
            rejected.append(
                RowRejection(source, line, RejectionReason.UNREADABLE, f"expected {len(header)} non-empty columns")
            )
            continue
        who, item, label = (annotator, row[0], row[1]) if annotator is not None else (row[0], row[1], row[2])
        batch.lines.append(line)
        batch.annotators.append(who)
        batch.items.append(item)
        batch.labels.append(label)
    return batch, rejected


def read_gold(data: bytes, source: str = "gold") -> tuple[dict[str, str], list[RowRejection]]:
    """Known answers ``item,label``; a repeated item is rejected after its first row."""
    rows = _csv_rows(data, source)
    if rows[0] != ["item", "label"]:
        raise ArtifactRejected(RejectionReason.UNREADABLE, f"{source} line 1: header must be 'item,label'")
    gold: dict[str, str] = {}
    rejected: list[RowRejection] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != 2 or not all(row):
            rejected.append(RowRejection(source, line, RejectionReason.UNREADABLE, "expected 2 non-empty columns"))
        elif row[0] in gold:
            rejected.append(RowRejection(source, line, RejectionReason.DUPLICATE_LABEL, f"item {row[0]!r} repeated"))
        else:
            gold[row[0]] = row[1]
    return gold, rejected


def _first_seen_index(values: list[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """Distinct values in order of first appearance, and each value's position among them."""
    distinct = tuple(dict.fromkeys(values))
    position = dict(zip(distinct, range(len(distinct))))
    return distinct, np.array([position[v] for v in values], dtype=np.int64)


def build_label_table(
    batches: Iterable[LabelBatch],
    known_items: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    gold: dict[str, str] | None = None,
    prior_rejections: Sequence[RowRejection] = (),
) -> LabelTable:
    """Index the rows (batches in submission order); reject unknown items and classes and count
    duplicates once. Annotators and items are numbered in order of first accepted appearance."""
    batch_list = list(batches)
    items = [item for batch in batch_list for item in batch.items]
    labels = [label for batch in batch_list for label in batch.labels]
    annotators = [who for batch in batch_list for who in batch.annotators]
    row_batch = np.repeat(np.arange(len(batch_list)), [len(batch.items) for batch in batch_list])
    row_line = [line for batch in batch_list for line in batch.lines]
    if classes is None:
        classes = sorted(set(labels) | set((gold or {}).values()))
    class_of = {name: i for i, name in enumerate(classes)}
    label_index = np.array([class_of.get(label, -1) for label in labels], dtype=np.int64)
    known_item = np.ones(len(items), dtype=bool)
    if known_items is not None:
        known = set(known_items)
        known_item = np.array([item in known for item in items], dtype=bool)
    valid = np.flatnonzero(known_item & (label_index >= 0))
    everything_valid = valid.size == len(items)
    annotator_names, annotator_index = _first_seen_index(
        annotators if everything_valid else [annotators[i] for i in valid]
    )
    item_names, item_index = _first_seen_index(items if everything_valid else [items[i] for i in valid])
    pair = annotator_index * max(len(item_names), 1) + item_index
    _, first_of_pair = np.unique(pair, return_index=True)
    kept = np.zeros(valid.size, dtype=bool)
    kept[first_of_pair] = True

    def rejection(row: int, reason: RejectionReason, detail: str) -> tuple[int, RowRejection]:
        return row, RowRejection(batch_list[row_batch[row]].source, row_line[row], reason, detail)

    found = [
        rejection(int(r), RejectionReason.UNKNOWN_ITEM, f"unknown item {items[r]!r}")
        for r in np.flatnonzero(~known_item)
    ]
    found += [
        rejection(int(r), RejectionReason.UNKNOWN_CLASS, f"unknown class {labels[r]!r}")
        for r in np.flatnonzero(known_item & (label_index < 0))
    ]
    found += [
        rejection(int(r), RejectionReason.DUPLICATE_LABEL, f"{annotators[r]} already labelled {items[r]!r}")
        for r in valid[~kept]
    ]
    return LabelTable(
        annotator_names,
        item_names,
        tuple(classes),
        annotator_index[kept],
        item_index[kept],
        label_index[valid][kept],
        tuple(prior_rejections) + tuple(r for _, r in sorted(found, key=lambda pair: pair[0])),
    )


def gold_arrays(table: LabelTable, gold: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Gold (item index, class index) pairs for the table's labelled items; others are irrelevant."""
    class_of = {name: i for i, name in enumerate(table.classes)}
    item_of = {name: i for i, name in enumerate(table.items)}
    pairs = [(item_of[item], class_of[label]) for item, label in gold.items() if item in item_of and label in class_of]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    items, labels = zip(*pairs)
    return np.array(items, dtype=np.int64), np.array(labels, dtype=np.int64)
