"""`merit tree build` and `merit tree proof`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dao.merkle import REWARD_LEAF_ENCODING, StandardMerkleTree
from merit.cli import app
from merit.cli.tree import CommandError, split_encoding

runner = CliRunner()
VALUES = [[str(i), "0x" + f"{i + 1:040x}", str((i + 1) * 10**18)] for i in range(5)]


@pytest.fixture
def values_file(tmp_path: Path) -> Path:
    path = tmp_path / "values.json"
    path.write_text(json.dumps(VALUES))
    return path


@pytest.fixture
def dump_file(tmp_path: Path, values_file: Path) -> Path:
    result = runner.invoke(app, ["tree", "build", str(values_file), "--encoding", "uint256,address,uint256"])
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "tree.json"
    path.write_text(result.stdout)
    return path


def test_build_prints_the_dump_of_the_same_tree(dump_file: Path) -> None:
    dump = json.loads(dump_file.read_text())
    assert dump == StandardMerkleTree.of(VALUES, REWARD_LEAF_ENCODING).dump()


def test_build_defaults_to_the_reward_leaf_and_takes_no_sort(values_file: Path) -> None:
    default = runner.invoke(app, ["tree", "build", str(values_file)])
    unsorted = runner.invoke(app, ["tree", "build", str(values_file), "--no-sort"])
    assert json.loads(default.stdout)["leafEncoding"] == list(REWARD_LEAF_ENCODING)
    assert json.loads(unsorted.stdout) == StandardMerkleTree.of(VALUES, REWARD_LEAF_ENCODING, sort_leaves=False).dump()


def test_build_with_tuple_and_array_types(tmp_path: Path) -> None:
    path = tmp_path / "values.json"
    path.write_text(json.dumps([[[1, "0x" + "01" * 20], ["0x01", "0x02"]], [[2, "0x" + "02" * 20], []]]))
    result = runner.invoke(app, ["tree", "build", str(path), "-e", "(uint256, address), bytes32[]"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["leafEncoding"] == ["(uint256, address)", "bytes32[]"]


def test_proof_json(dump_file: Path) -> None:
    result = runner.invoke(app, ["tree", "proof", str(dump_file), "3", "--json"])
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    tree = StandardMerkleTree.of(VALUES, REWARD_LEAF_ENCODING)
    assert printed == {
        "index": 3,
        "value": VALUES[3],
        "leaf": tree.leaf_hash(VALUES[3]),
        "proof": tree.get_proof(3),
        "root": tree.root,
    }
    assert StandardMerkleTree.verify(printed["root"], REWARD_LEAF_ENCODING, printed["value"], printed["proof"])


def test_proof_for_people_shows_root_leaf_and_proof(dump_file: Path) -> None:
    result = runner.invoke(app, ["tree", "proof", str(dump_file), "0"])
    tree = StandardMerkleTree.of(VALUES, REWARD_LEAF_ENCODING)
    assert result.exit_code == 0
    for line in [tree.root, tree.leaf_hash(VALUES[0]), *tree.get_proof(0)]:
        assert line in result.stdout


@pytest.mark.parametrize(
    ("content", "arguments", "message"),
    [
        (None, [], "does not exist"),
        ("{not json", [], "is not valid JSON"),
        ('{"a": 1}', [], "must hold a JSON array of arrays"),
        ('[[1, "0x12"]]', [], "values[0]: The number of types (3) does not match the number of values (2)."),
        ('[["0", "0x12", "1"], ["1", "nope", "2"]]', [], "values[1]: Expected a bytes-like value"),
        ("[]", [], "Expected non-zero number of leaves"),
        ('[["1"]]', ["-e", "uint7"], "uint7"),
        ('[["1"]]', ["-e", "uint256,(address"], "is not a comma-separated list"),
    ],
)
def test_build_errors_are_one_line(tmp_path: Path, content: str | None, arguments: list[str], message: str) -> None:
    path = tmp_path / "values.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["tree", "build", str(path), *arguments])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr


@pytest.mark.parametrize(
    ("change", "index", "message"),
    [
        (None, "5", "index 5 is out of range: the tree has 5 values (0..4)"),
        (lambda d: d.update(format="v0"), "0", "Unknown format 'v0'"),
        (lambda d: d["values"][2]["value"].__setitem__(2, "1"), "0", "Merkle tree does not contain the expected value"),
        (lambda d: d.update(tree="nope"), "0", "Expected a non-empty list of tree nodes under 'tree'"),
    ],
)
def test_proof_errors_are_one_line(dump_file: Path, change, index: str, message: str) -> None:
    if change is not None:
        dump = json.loads(dump_file.read_text())
        change(dump)
        dump_file.write_text(json.dumps(dump))
    result = runner.invoke(app, ["tree", "proof", str(dump_file), index])
    assert result.exit_code == 1
    assert result.stderr == f"error: {message}\n"


def test_split_encoding_keeps_tuples_whole() -> None:
    assert split_encoding("uint256, address ,uint256") == ["uint256", "address", "uint256"]
    assert split_encoding("(uint256,(bool,string)[]),bytes") == ["(uint256,(bool,string)[])", "bytes"]
    for bad in ["", "uint256,", "(uint256", "a,,b"]:
        with pytest.raises(CommandError):
            split_encoding(bad)


def test_build_prints_unicode_strings_as_ascii_json(tmp_path: Path) -> None:
    path = tmp_path / "values.json"
    path.write_text(json.dumps([["émoji 😀"], ["\udc00"]]))
    result = runner.invoke(app, ["tree", "build", str(path), "-e", "string"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.isascii()
    assert (
        StandardMerkleTree.load(json.loads(result.stdout)).root
        == StandardMerkleTree.of([["émoji 😀"], ["\udc00"]], ["string"]).root
    )
