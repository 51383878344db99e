"""`merit labels`: aggregate a label file offline (majority vote or Dawid-Skene) and see each item's
label and posterior and each annotator's estimated accuracy and score, exactly as an epoch would.

Reads files only; the formats are defined in `oracle.scoring.label_format`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from merit.cli.common import fail as _fail
from merit.cli.common import read_file as _read
from oracle.scoring.choices import AggregationMethod

if TYPE_CHECKING:  # the scoring engine (numpy) loads with the command, not with `merit --help`
    from oracle.scoring.label_format import RowRejection
    from oracle.scoring.labels import Aggregation

app = typer.Typer(help="Label aggregation: majority vote or Dawid-Skene, with annotator scores.", no_args_is_help=True)

_out = Console(highlight=False, soft_wrap=True)
_errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _summary(
    items: tuple[str, ...],
    classes: tuple[str, ...],
    annotators: tuple[str, ...],
    result: Aggregation,
    copies: dict[int, int],
    rejections: list[RowRejection],
) -> dict[str, Any]:
    item_rows = [
        {
            "item": item,
            "label": classes[int(result.labels[i])],
            "posterior": float(result.posteriors[i, result.labels[i]]),
            "posteriors": {name: float(p) for name, p in zip(classes, result.posteriors[i])},
        }
        for i, item in enumerate(items)
    ]
    annotator_rows = []
    for a, name in enumerate(annotators):
        copied = a in copies
        annotator_rows.append(
            {
                "annotator": name,
                "labels": int(result.label_counts[a]) if not copied else None,
                "accuracy": None if copied else float(result.annotator_accuracy[a]),
                "chance": None if copied else float(result.annotator_chance[a]),
                "score": 0.0 if copied else float(result.annotator_score[a]),
                "copy_of": annotators[copies[a]] if copied else None,
            }
        )
    return {
        "method": result.method.value,
        "classes": list(classes),
        "iterations": result.iterations,
        "converged": result.converged,
        "items": item_rows,
        "annotators": annotator_rows,
        "rejected_rows": [
            {"file": r.source, "line": r.line, "reason": r.reason.value, "detail": r.detail} for r in rejections
        ],
    }


def _print(summary: dict[str, Any]) -> None:
    for rejection in summary["rejected_rows"]:
        _errors.print(
            f"{rejection['file']} line {rejection['line']}: {rejection['detail']} ({rejection['reason']})", markup=False
        )
    items = Table(title=f"Items ({summary['method']}, {summary['iterations']} iterations)")
    for column in ("item", "label", "posterior"):
        items.add_column(column)
    for row in summary["items"]:
        items.add_row(row["item"], row["label"], f"{row['posterior']:.4f}")
    annotators = Table(title="Annotators")
    for column in ("annotator", "labels", "accuracy", "chance", "score", "copy of"):
        annotators.add_column(column)
    for row in summary["annotators"]:
        if row["copy_of"] is not None:
            annotators.add_row(row["annotator"], "-", "-", "-", "0", row["copy_of"])
        else:
            annotators.add_row(
                row["annotator"],
                str(row["labels"]),
                f"{row['accuracy']:.4f}",
                f"{row['chance']:.4f}",
                f"{row['score']:.3f}",
                "",
            )
    _out.print(items)
    _out.print(annotators)


@app.command("aggregate")
def aggregate_command(
    labels_file: Path = typer.Argument(..., help="CSV with the header annotator,item,label."),
    gold: Path | None = typer.Option(None, "--gold", help="CSV item,label of known answers."),
    method: AggregationMethod = typer.Option(AggregationMethod.DAWID_SKENE, "--method", help="mv or ds."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
) -> None:
    """Aggregate LABELS_FILE: each item's label and posterior, each annotator's accuracy and score."""
    import numpy as np

    from oracle.scoring.label_format import build_label_table, gold_arrays, read_gold, read_label_rows
    from oracle.scoring.labels import aggregate, find_copied_annotators
    from oracle.scoring.rejections import ArtifactRejected

    try:
        batch, rejected = read_label_rows(_read(labels_file), str(labels_file))
        gold_labels: dict[str, str] = {}
        if gold is not None:
            gold_labels, gold_rejected = read_gold(_read(gold), str(gold))
            rejected += gold_rejected
    except ArtifactRejected as error:
        _fail(error.detail)
    table = build_label_table([batch], gold=gold_labels, prior_rejections=rejected)
    if table.n_labels == 0:
        _fail(f"{labels_file} has no usable labels")
    copies = find_copied_annotators(table)
    keep = np.ones(len(table.annotators), dtype=bool)
    keep[list(copies)] = False
    gold_items, gold_classes = gold_arrays(table, gold_labels)
    result = aggregate(table.keep_annotators(keep), method, gold_items, gold_classes)
    rejections = sorted(table.rejections, key=lambda r: (r.source, r.line))
    summary = _summary(table.items, table.classes, table.annotators, result, copies, rejections)
    if as_json:
        typer.echo(json.dumps(summary, sort_keys=True))
    else:
        _print(summary)
