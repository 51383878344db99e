"""`merit predictions`: score a predictions file against an answers file offline, with the same
validation and metric code an epoch uses. Reads files only; the formats are defined in
`oracle.scoring.predictions`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from merit.cli.common import fail as _fail
from merit.cli.common import read_file as _read
from oracle.scoring.choices import Metric

app = typer.Typer(help="Model predictions: validate and score against answers.", no_args_is_help=True)

_out = Console(highlight=False, soft_wrap=True)
_errors = Console(stderr=True, highlight=False, soft_wrap=True)


@app.command("score")
def score_command(
    answers: Path = typer.Option(..., "--answers", help="CSV id,answer (the hidden answers)."),
    predictions: Path = typer.Option(..., "--predictions", help="Predictions: CSV or .npy (see the format)."),
    metric: Metric = typer.Option(..., "--metric", help="The metric to compute."),
    classes: str | None = typer.Option(
        None, "--classes", help="Comma-separated class list in the project's order [default: sorted answers]."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
) -> None:
    """Validate PREDICTIONS against ANSWERS and print the metric."""
    from dao.vocabulary import Task
    from oracle.scoring.metrics import METRIC_INPUT, MetricUndefined, PredictionKind, compute_metric
    from oracle.scoring.predictions import check_kind_for_metric, parse_answers_csv, parse_predictions
    from oracle.scoring.rejections import ArtifactRejected

    task = Task.REGRESSION if METRIC_INPUT[metric] is PredictionKind.VALUES else Task.CLASSIFICATION
    class_list = tuple(c.strip() for c in classes.split(",")) if classes else None
    try:
        benchmark = parse_answers_csv(_read(answers), task, class_list)
    except ArtifactRejected as error:
        _fail(f"{answers}: {error.detail}")
    try:
        parsed = parse_predictions(_read(predictions), benchmark)
        check_kind_for_metric(parsed, metric)
    except ArtifactRejected as error:
        _fail(f"{predictions}: {error.detail} ({error.reason.value})")
    try:
        value = compute_metric(metric, benchmark.answers, parsed.values)
    except MetricUndefined as error:
        _fail(f"{metric.value} is undefined here: {error}")
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "metric": metric.value,
                    "value": value,
                    "items": benchmark.n_items,
                    "kind": parsed.kind.value,
                    "classes": list(benchmark.classes),
                },
                sort_keys=True,
            )
        )
    else:
        _out.print(f"{metric.value}: {value:.6f} over {benchmark.n_items} items ({parsed.kind.value})")
