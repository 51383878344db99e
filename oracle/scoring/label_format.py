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
from typing import NamedTuple

import numpy as np

from oracle.scoring.rejections import ArtifactRejected, RejectionReason


class LabelRow(NamedTuple):
    """One label as read (a named tuple: a million of them are made per epoch)."""

    source: str  # the artifact (or file) the row came from
    line: int
    annotator: str
    item: str
    label: str


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


def read_label_rows(
    data: bytes, source: str, annotator: str | None = None
) -> tuple[list[LabelRow], list[RowRejection]]:
    """Rows of a label file; whole-file problems (encoding, header) raise ArtifactRejected."""
    rows = _csv_rows(data, source)
    header = ["item", "label"] if annotator is not None else ["annotator", "item", "label"]
    if rows[0] != header:
        raise ArtifactRejected(RejectionReason.UNREADABLE, f"{source} line 1: header must be '{','.join(header)}'")
    accepted: list[LabelRow] = []
    rejected: list[RowRejection] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header) or not all(row):
            rejected.append(
                RowRejection(source, line, RejectionReason.UNREADABLE, f"expected {len(header)} non-empty columns")
            )
            continue
        who, item, label = (annotator, row[0], row[1]) if annotator is not None else (row[0], row[1], row[2])
        accepted.append(LabelRow(source, line, who, item, label))
    return accepted, rejected


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


def build_label_table(
    rows: Iterable[LabelRow],
    known_items: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    gold: dict[str, str] | None = None,
    prior_rejections: Sequence[RowRejection] = (),
) -> LabelTable:
    """Index the accepted rows; reject unknown items and classes and count duplicates once."""
    row_list = list(rows)
    known = set(known_items) if known_items is not None else None
    if classes is None:
        seen_labels = {row.label for row in row_list} | set((gold or {}).values())
        classes = sorted(seen_labels)
    class_of = {name: i for i, name in enumerate(classes)}
    annotator_of: dict[str, int] = {}
    item_of: dict[str, int] = {}
    seen_pairs: set[tuple[int, int]] = set()
    rejections = list(prior_rejections)
    annotator_index, item_index, label_index = [], [], []
    for row in row_list:
        if known is not None and row.item not in known:
            rejections.append(RowRejection(row.source, row.line, RejectionReason.UNKNOWN_ITEM, f"unknown item {row.item!r}"))
            continue
        label = class_of.get(row.label)
        if label is None:
            rejections.append(RowRejection(row.source, row.line, RejectionReason.UNKNOWN_CLASS, f"unknown class {row.label!r}"))
            continue
        who = annotator_of.setdefault(row.annotator, len(annotator_of))
        item = item_of.setdefault(row.item, len(item_of))
        if (who, item) in seen_pairs:
            rejections.append(
                RowRejection(row.source, row.line, RejectionReason.DUPLICATE_LABEL, f"{row.annotator} already labelled {row.item!r}")
            )
            continue
        seen_pairs.add((who, item))
        annotator_index.append(who)
        item_index.append(item)
        label_index.append(label)
    return LabelTable(
        tuple(annotator_of),
        tuple(item_of),
        tuple(classes),
        np.array(annotator_index, dtype=np.int64),
        np.array(item_index, dtype=np.int64),
        np.array(label_index, dtype=np.int64),
        tuple(rejections),
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
