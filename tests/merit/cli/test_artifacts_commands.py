"""`merit artifacts`: the commands the issue names, their JSON output, and one-line errors."""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dao.artifacts.embedded import EmbeddedStore
from dao.artifacts.store import compute_artifact_cid
from dao.artifacts.unixfs import CHUNK_SIZE
from merit.cli import app

runner = CliRunner()


def merit(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["artifacts", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "predictions.csv"
    path.write_bytes(random.Random(3).randbytes(2 * CHUNK_SIZE + 10))
    return path


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


def test_add_prints_the_cid_and_stores(sample: Path, store_dir: Path) -> None:
    code, out, _ = merit("add", str(sample), "--store", str(store_dir))
    assert code == 0
    cid = out.strip()
    assert cid == compute_artifact_cid(sample.read_bytes())
    assert EmbeddedStore(store_dir).get(cid) == sample.read_bytes()


def test_cid_computes_without_storing(sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = merit("cid", str(sample), "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload == {
        "cid": compute_artifact_cid(sample.read_bytes()),
        "file": str(sample),
        "size": sample.stat().st_size,
    }
    assert not (tmp_path / ".cache").exists()


def test_get_writes_the_file(sample: Path, store_dir: Path, tmp_path: Path) -> None:
    cid = merit("add", str(sample), "--store", str(store_dir))[1].strip()
    target = tmp_path / "out.bin"
    code, out, _ = merit("get", cid, "-o", str(target), "--store", str(store_dir), "--json")
    assert code == 0
    assert json.loads(out)["size"] == sample.stat().st_size
    assert target.read_bytes() == sample.read_bytes()


def test_export_and_import_move_an_artifact(sample: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    cid = merit("add", str(sample), "--store", str(first))[1].strip()
    car = tmp_path / "artifact.car"
    assert merit("export", cid, "-o", str(car), "--store", str(first))[0] == 0
    code, out, _ = merit("import", str(car), "--store", str(second), "--json")
    assert code == 0
    assert json.loads(out)["roots"] == [cid]
    assert EmbeddedStore(second).get(cid) == sample.read_bytes()
    assert EmbeddedStore(second).is_pinned(cid)


def test_stat_pin_unpin(sample: Path, store_dir: Path) -> None:
    cid = merit("add", str(sample), "--no-pin", "--store", str(store_dir))[1].strip()
    code, out, _ = merit("stat", cid, "--store", str(store_dir), "--json")
    assert code == 0
    info = json.loads(out)
    assert (info["size"], info["pinned"], info["complete"]) == (sample.stat().st_size, False, True)
    assert merit("pin", cid, "--store", str(store_dir))[0] == 0
    assert EmbeddedStore(store_dir).is_pinned(cid)
    assert merit("unpin", cid, "--store", str(store_dir))[0] == 0
    code, _, err = merit("unpin", cid, "--store", str(store_dir))
    assert code == 1 and "is not pinned" in err


def test_a_bad_cid_is_one_line_on_stderr(store_dir: Path, tmp_path: Path) -> None:
    code, out, err = merit("get", "not-a-cid", "-o", str(tmp_path / "x"), "--store", str(store_dir))
    assert code == 2
    assert out == ""
    assert err.startswith("error: not a CID: 'not-a-cid'")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = merit("add", str(tmp_path / "absent.csv"), "--store", str(tmp_path / "store"))
    assert code == 3
    assert err.strip() == f"error: no such file: {tmp_path / 'absent.csv'}"


def test_an_absent_artifact_leaves_no_output_file(store_dir: Path, tmp_path: Path) -> None:
    absent = "bafkreigks6arfsq3xxfpvqrrwonchxcnu6do76auprhhfomao6c273sixq"
    code, _, err = merit("get", absent, "-o", str(tmp_path / "out"), "--store", str(store_dir))
    assert code == 3 and f"{absent} is not in the store" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["store"]


def test_a_corrupt_block_leaves_no_output_file(sample: Path, store_dir: Path, tmp_path: Path) -> None:
    cid = merit("add", str(sample), "--store", str(store_dir))[1].strip()
    leaf = sorted((store_dir / "blocks").rglob("bafkrei*"))[-1]
    leaf.write_bytes(b"\x00" + leaf.read_bytes()[1:])
    target = tmp_path / "out.bin"
    code, _, err = merit("get", cid, "-o", str(target), "--store", str(store_dir))
    assert code == 1 and "corrupted" in err
    assert not target.exists()
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".out.bin")] == []


def test_a_truncated_car_is_refused_and_stores_nothing(sample: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    cid = merit("add", str(sample), "--store", str(first))[1].strip()
    car = tmp_path / "artifact.car"
    merit("export", cid, "-o", str(car), "--store", str(first))
    car.write_bytes(car.read_bytes()[:-1000])
    code, _, err = merit("import", str(car), "--store", str(second))
    assert code == 2 and "CAR is truncated" in err
    assert [path for path in (second / "blocks").rglob("*") if path.is_file()] == []


def test_the_store_folder_comes_from_the_environment(
    sample: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MERIT_ARTIFACTS_PATH", str(store_dir))
    cid = merit("add", str(sample))[1].strip()
    assert EmbeddedStore(store_dir).has(cid)


def test_get_to_stdout(store_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "small.txt"
    source.write_bytes(b"to stdout")
    cid = merit("add", str(source), "--store", str(store_dir))[1].strip()
    code, out, _ = merit("get", cid, "-o", "-", "--store", str(store_dir))
    assert (code, out) == (0, "to stdout")


def test_gc_removes_unpinned_blocks(sample: Path, store_dir: Path) -> None:
    cid = merit("add", str(sample), "--no-pin", "--store", str(store_dir))[1].strip()
    code, out, _ = merit("gc", "--grace-seconds", "0", "--store", str(store_dir), "--json")
    assert code == 0
    assert json.loads(out)["removed_blocks"] == 4  # 3 leaves and the root
    assert not EmbeddedStore(store_dir).has(cid)


def test_gc_refuses_a_negative_grace(store_dir: Path) -> None:
    code, _, err = merit("gc", "--grace-seconds", "-1", "--store", str(store_dir))
    assert code != 0 and "grace-seconds" in err


def test_an_unreachable_node_is_one_line(sample: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        unused_port = probe.getsockname()[1]
    code, _, err = merit("add", str(sample), "--kubo", f"http://127.0.0.1:{unused_port}")
    assert code == 4
    assert err.strip() == f"error: the IPFS node at http://127.0.0.1:{unused_port} cannot be reached (ConnectionError)"


def test_a_bad_node_address_is_one_line(sample: Path) -> None:
    code, _, err = merit("add", str(sample), "--kubo", "ftp://example:21")
    assert code == 2
    assert err.startswith("error: cannot open the artifact store: a Kubo RPC address is http(s)://HOST:PORT")
