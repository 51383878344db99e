"""`merit labels aggregate` and `merit predictions score`: files in, JSON out, bad rows by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sklearn.metrics as skm
from typer.testing import CliRunner

from merit.cli import app

runner = CliRunner()

LABELS = """annotator,item,label
ann1,a,x
ann2,a,x
ann3,a,y
ann1,b,y
ann2,b,y
ann1,b,x
ann2,c
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_labels_majority_vote_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["labels", "aggregate", write(tmp_path, "l.csv", LABELS), "--method", "mv", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    items = {row["item"]: row for row in data["items"]}
    assert items["a"]["label"] == "x" and items["a"]["posterior"] == pytest.approx(2 / 3)
    assert items["b"]["posteriors"] == {"x": 0.0, "y": 1.0}
    assert [(r["line"], r["reason"]) for r in data["rejected_rows"]] == [(7, "duplicate_label"), (8, "unreadable")]
    assert {row["annotator"] for row in data["annotators"]} == {"ann1", "ann2", "ann3"}


def test_labels_dawid_skene_with_gold(tmp_path: Path) -> None:
    labels = write(tmp_path, "l.csv", LABELS)
    gold = write(tmp_path, "g.csv", "item,label\na,y\n")
    result = runner.invoke(app, ["labels", "aggregate", labels, "--gold", gold, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "ds"
    items = {row["item"]: row for row in data["items"]}
    assert items["a"]["label"] == "y" and items["a"]["posterior"] == 1.0
    annotators = {row["annotator"]: row for row in data["annotators"]}
    assert annotators["ann3"]["accuracy"] > annotators["ann1"]["accuracy"]


def test_labels_human_output_and_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["labels", "aggregate", write(tmp_path, "l.csv", LABELS)])
    assert result.exit_code == 0 and "Annotators" in result.stdout
    assert "line 8" in result.stderr
    missing = runner.invoke(app, ["labels", "aggregate", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1 and missing.stderr.strip() == f"error: no such file: {tmp_path / 'none.csv'}"
    bad_header = runner.invoke(app, ["labels", "aggregate", write(tmp_path, "h.csv", "who,what\n")])
    assert bad_header.exit_code == 1 and "header" in bad_header.stderr and "Traceback" not in bad_header.output


ANSWERS = "id,answer\na,x\nb,y\nc,x\nd,y\n"


def test_predictions_score_json_matches_sklearn(tmp_path: Path) -> None:
    answers = write(tmp_path, "a.csv", ANSWERS)
    predictions = write(tmp_path, "p.csv", "id,y,x\nd,0.7,0.3\na,0.2,0.8\nc,0.6,0.4\nb,0.4,0.6\n")
    for metric, expected in [
        ("roc_auc", skm.roc_auc_score([0, 1, 0, 1], [0.2, 0.4, 0.6, 0.7])),
        ("log_loss", skm.log_loss([0, 1, 0, 1], [[0.8, 0.2], [0.6, 0.4], [0.4, 0.6], [0.3, 0.7]])),
        ("accuracy", 0.5),
    ]:
        result = runner.invoke(
            app,
            ["predictions", "score", "--answers", answers, "--predictions", predictions, "--metric", metric, "--json"],
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["value"] == pytest.approx(expected, abs=1e-12) and data["items"] == 4


def test_predictions_score_names_the_bad_line(tmp_path: Path) -> None:
    answers = write(tmp_path, "a.csv", ANSWERS)
    bad = write(tmp_path, "p.csv", "id,x,y\nd,0.3,0.7\na,0.8,0.2\nc,0.9,0.4\nb,0.4,0.6\n")
    result = runner.invoke(
        app, ["predictions", "score", "--answers", answers, "--predictions", bad, "--metric", "log_loss"]
    )
    assert result.exit_code == 1
    assert "line 4" in result.stderr and "probability_rows_not_summing_to_one" in result.stderr
    labels = write(tmp_path, "l.csv", "id,label\na,x\nb,y\nc,x\nd,y\n")
    wrong_kind = runner.invoke(
        app, ["predictions", "score", "--answers", answers, "--predictions", labels, "--metric", "roc_auc"]
    )
    assert wrong_kind.exit_code == 1 and "needs probabilities" in wrong_kind.stderr


def test_predictions_score_regression(tmp_path: Path) -> None:
    answers = write(tmp_path, "a.csv", "id,answer\na,1\nb,2\nc,4\n")
    predictions = write(tmp_path, "p.csv", "id,value\nc,3\nb,2\na,2\n")
    result = runner.invoke(
        app, ["predictions", "score", "--answers", answers, "--predictions", predictions, "--metric", "r2", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["value"] == pytest.approx(skm.r2_score([1, 2, 4], [2, 2, 3]))
