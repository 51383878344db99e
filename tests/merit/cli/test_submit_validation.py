"""`merit submit` and `merit project register` check a file against the project's format before
anything is sent: a bad one is refused (exit 2) with its file, line and reason, the chain's
contribution count and the commit store unchanged; a good one is committed."""

import io
import json

import numpy as np
import pytest
from brownie import web3

from dao.artifacts import ArtifactStoreSettings, open_artifact_store
from merit.cli import checks
from merit.demo.story import anvil_account
from tests.helpers import register_project

pytestmark = pytest.mark.usefixtures("isolation")

PASSWORD = "correct horse battery staple"
BENCHMARK = b"id,pixels\np0,0.1\np1,0.2\np2,0.3\np3,0.4\n"
CLASSES = ("cat", "dog")


@pytest.fixture
def merit(deployment, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from merit.cli import app

    (tmp_path / "development.json").write_text(deployment.model_dump_json())
    for key, value in {
        "MERIT_RPC_URL": web3.provider.endpoint_uri,
        "MERIT_DEPLOYMENT": str(tmp_path / "development.json"),
        "MERIT_KEYSTORE_DIR": str(tmp_path / "keys"),
        "MERIT_KEYSTORE_PASSWORD": PASSWORD,
        "MERIT_ARTIFACTS_PATH": str(tmp_path / "artifacts"),
        "MERIT_API_URL": "http://127.0.0.1:9",  # no API: the benchmark comes from the artifact store
    }.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def run(*args, input=None, code=0):
        result = runner.invoke(app, [str(a) for a in args], input=input)
        assert result.exit_code == code, (args, result.output, result.exception)
        return result

    run.home = tmp_path
    run("accounts", "import", "carol", input="0x" + anvil_account(3).key.hex() + "\n")
    return run


@pytest.fixture
def project(merit, registry, treasury):
    cid = open_artifact_store(ArtifactStoreSettings(path=merit.home / "artifacts")).put(BENCHMARK)
    return register_project(registry, treasury, benchmark_cid=cid)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


GOOD_LABEL_PREDICTIONS = b"id,label\np3,dog\np0,cat\np1,cat\np2,dog\n"
BAD = {
    "wrong-header.csv": (
        "model_predictions",
        b"item,prediction\np0,cat\np1,cat\np2,dog\np3,dog\n",
        "line 1: the header must start with 'id,' (unreadable)",
    ),
    "predictions.json": (
        "model_predictions",
        json.dumps({"p0": "cat", "p1": "dog"}).encode(),
        "line 1: the header must start with 'id,' (unreadable)",
    ),
    "labels-wrong-columns.csv": (
        "labels",
        b"annotator,item,label\nann,p0,cat\n",
        "line 1: header must be 'item,label' (unreadable)",
    ),
    "unknown-id.csv": (
        "model_predictions",
        b"id,label\np0,cat\np1,cat\np2,dog\np9,dog\n",
        "line 5: 'p9' is not a public benchmark item (wrong_ids)",
    ),
    "extra-id.csv": (
        "model_predictions",
        b"id,label\np0,cat\np1,cat\np2,dog\np3,dog\nghost,cat\n",
        "line 6: 'ghost' is not a public benchmark item (wrong_ids)",
    ),
    "short.npy": ("model_predictions", npy(np.zeros(3, dtype=np.int64)), "3 rows for 4 public items (wrong_length)"),
    "probabilities-as-labels.csv": (
        "labels",
        GOOD_LABEL_PREDICTIONS,
        "line 1: header must be 'item,label' (unreadable)",
    ),
}


def _contribution_files(merit) -> list:
    keys = merit.home / "keys"
    return sorted(p for p in keys.rglob("*") if p.is_file() and not p.name.endswith("carol.json"))


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_file_is_refused_with_its_line_and_reason_and_nothing_is_sent(merit, project, registry, name):
    kind, data, reason = BAD[name]
    path = merit.home / name
    path.write_bytes(data)
    count, stored = registry.contributionCount(), _contribution_files(merit)
    refused = merit("submit", path, "--project", project, "--kind", kind, "--account", "carol", code=2)
    assert f"{path}: not valid {kind} for project {project}: {reason}" in " ".join(refused.output.split())
    assert "Traceback" not in refused.output
    assert registry.contributionCount() == count  # nothing on chain
    assert _contribution_files(merit) == stored  # no salt record, no copy of the file


def test_unknown_classes_are_refused_once_a_report_names_the_class_list(merit, project, registry, monkeypatch):
    monkeypatch.setattr(checks, "published_classes", lambda project_id: (CLASSES, ("t0", "t1")))
    cases = {
        "fox.csv": ("model_predictions", b"id,label\np0,cat\np1,fox\np2,dog\np3,dog\n", "line 3: 'fox' is not a class"),
        "index.npy": ("model_predictions", npy(np.array([0, 1, 2, 0])), "row 2: class index 2 outside 0..1"),
        "labels-fox.csv": ("labels", b"item,label\nt0,cat\nt1,fox\n", "line 3: unknown class 'fox' (unknown_class)"),
        "labels-item.csv": ("labels", b"item,label\nt0,cat\nt7,dog\n", "line 3: unknown item 't7' (unknown_item)"),
    }
    count = registry.contributionCount()
    for name, (kind, data, reason) in cases.items():
        (merit.home / name).write_bytes(data)
        refused = merit("submit", merit.home / name, "-p", project, "-k", kind, "-a", "carol", code=2)
        assert reason in " ".join(refused.output.split()), name
    assert registry.contributionCount() == count


def test_good_files_are_committed(merit, project, registry):
    count = registry.contributionCount()
    (merit.home / "preds.csv").write_bytes(GOOD_LABEL_PREDICTIONS)
    (merit.home / "preds.npy").write_bytes(npy(np.array([0, 1, 1, 0])))
    (merit.home / "labels.csv").write_bytes(b"item,label\nt0,cat\n")
    for name, kind in (
        ("preds.csv", "model_predictions"),
        ("preds.npy", "model_predictions"),
        ("labels.csv", "labels"),
    ):
        merit("submit", merit.home / name, "-p", project, "-k", kind, "-a", "carol", "--json")
    assert registry.contributionCount() == count + 3


def test_a_project_whose_benchmark_cannot_be_fetched_is_not_submitted_to(merit, registry, treasury):
    project_id = register_project(registry, treasury)  # its benchmark CID is in no store
    (merit.home / "preds.csv").write_bytes(GOOD_LABEL_PREDICTIONS)
    count = registry.contributionCount()
    refused = merit("submit", merit.home / "preds.csv", "-p", project_id, "-k", "labels", "-a", "carol", code=4)
    assert "cannot fetch project" in refused.output and registry.contributionCount() == count


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"bench.csv": b'{"ids": ["p0"]}'}, "bench.csv: not valid benchmark inputs: public items need a header"),
        ({"slice-0.csv": b"id,label\np0,cat\n"}, "slice-0.csv: not a valid answer slice: answers header must be"),
        (
            {"slice-1.csv": b"id,answer\np0,cat\nq7,dog\n"},
            "slice-1.csv: not a valid answer slice: line 3: 'q7' is not a public benchmark item (wrong_ids)",
        ),
    ],
)
def test_register_checks_the_benchmark_and_every_slice_before_anything_is_stored(merit, files, reason):
    home = merit.home
    inputs = {
        "bench.csv": BENCHMARK,
        "slice-0.csv": b"id,answer\np0,cat\np1,dog\n",
        "slice-1.csv": b"id,answer\np2,cat\n",
    }
    for name, data in {**inputs, **files}.items():
        (home / name).write_bytes(data)
    args = ["project", "register", "--name", "pets", "--task", "classification", "--metric", "accuracy"]
    args += ["--benchmark", home / "bench.csv", "--slice", home / "slice-0.csv", "--slice", home / "slice-1.csv"]
    args += ["--slices-out", home / "slices", "--account", "carol"]
    refused = merit(*args, code=2)
    assert reason in " ".join(refused.output.split())
    assert not (home / "slices").exists() and not (home / "artifacts").exists()


def test_register_refuses_a_metric_the_task_cannot_use(merit):
    home = merit.home
    (home / "bench.csv").write_bytes(BENCHMARK)
    (home / "slice.csv").write_bytes(b"id,answer\np0,cat\n")
    refused = merit(
        "project", "register", "--name", "pets", "--task", "classification", "--metric", "rmse",
        "--benchmark", home / "bench.csv", "--slice", home / "slice.csv", "--account", "carol", code=2,
    )  # fmt: skip
    assert "--metric rmse does not score a classification task" in refused.output
