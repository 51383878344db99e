"""Bad input fails on both sides: the JS library and the Python tree reject the same things."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from dao.merkle import (
    REWARD_LEAF_ENCODING,
    InvalidArgumentError,
    InvariantError,
    LeafEncodingError,
    StandardMerkleTree,
)
from tests.dao.merkle.merkle_reference import run_reference

REWARD = list(REWARD_LEAF_ENCODING)
ALICE, BOB, CAROL = "0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20
GOOD = [["0", ALICE, "100"], ["1", BOB, "200"], ["2", CAROL, "300"]]
GOOD_DUMP = StandardMerkleTree.of(GOOD, REWARD).dump()

# The JS library's error names, and the Python class that stands for each.
JS_ERROR_CLASSES = {
    "InvalidArgumentError": InvalidArgumentError,
    "InvariantError": InvariantError,
    "ParserError": LeafEncodingError,
}


def dump_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    dump = copy.deepcopy(GOOD_DUMP)
    change(dump)
    return dump


def flip_node(dump: dict[str, Any], index: int) -> None:
    node = dump["tree"][index]
    dump["tree"][index] = node[:-1] + ("0" if node[-1] != "0" else "1")


def build(values: list[Any], encoding: list[str] = REWARD, **extra: Any) -> tuple[dict[str, Any], Callable[[], Any]]:
    request = {"op": "build", "values": values, "encoding": encoding, **extra}

    def python() -> Any:
        tree = StandardMerkleTree.of(values, encoding)
        for index in extra.get("proofs", []):
            tree.get_proof(index)
        for value in extra.get("proofsOf", []):
            tree.get_proof(value)
        for indices in extra.get("multiproofs", []):
            tree.get_multi_proof(indices)

    return request, python


def load(dump: dict[str, Any]) -> tuple[dict[str, Any], Callable[[], Any]]:
    return {"op": "load", "dump": dump}, lambda: StandardMerkleTree.load(dump)


CASES: dict[str, tuple[tuple[dict[str, Any], Callable[[], Any]], str]] = {
    "too few values": (build([["0", ALICE]]), "number of types (3) does not match the number of values (2)"),
    "too many values": (build([["0", ALICE, "1", "2"]]), "number of types (3) does not match the number of values (4)"),
    "address too long": (build([["0", "0x" + "ab" * 21, "1"]]), "at most 20 bytes"),
    "address not hex": (build([["0", "0xzz", "1"]]), "bytes-like"),
    "address without 0x": (build([["0", "ab" * 20, "1"]]), "bytes-like"),
    "amount above uint256": (build([["0", ALICE, str(2**256)]]), "out of range"),
    "negative amount": (build([["0", ALICE, "-1"]]), "out of range"),
    "amount not a number": (build([["0", ALICE, "12abc"]]), "Invalid number"),
    "fractional amount": (build([["0", ALICE, 1.5]]), "Invalid number"),
    "bool as number": (build([[1]], ["bool"]), "Invalid boolean"),
    "string as number": (build([[5]], ["string"]), "Expected a string"),
    "fixed array wrong length": (build([[[1, 2, 3]]], ["uint256[2]"]), "Expected a length of 2"),
    "unknown type": (build([["1"]], ["uint7"]), "multiple of 8"),
    "bytes33": (build([["0x01"]], ["bytes33"]), "between 1 and 32"),
    "not a type": (build([["1"]], ["uint256 "]), "not supported"),
    "no values": (build([]), "Expected non-zero number of leaves"),
    "index out of bounds": (build(GOOD, proofs=[3]), "Index out of bounds"),
    "leaf not in tree": (build(GOOD, proofsOf=[["3", ALICE, "100"]]), "Leaf is not in tree"),
    "duplicated multiproof index": (build(GOOD, multiproofs=[[1, 1]]), "Cannot prove duplicated index"),
    "unknown dump format": (load(dump_with(lambda d: d.update(format="standard-v2"))), "Unknown format 'standard-v2'"),
    "dump without encoding": (load(dump_with(lambda d: d.pop("leafEncoding"))), "Expected leaf encoding"),
    "dump with a changed leaf": (
        load(dump_with(lambda d: flip_node(d, 4))),
        "Merkle tree does not contain the expected value",
    ),
    "dump with a changed root": (load(dump_with(lambda d: flip_node(d, 0))), "Merkle tree is invalid"),
    "dump with a changed value": (
        load(dump_with(lambda d: d["values"][1]["value"].__setitem__(2, "201"))),
        "Merkle tree does not contain the expected value",
    ),
}


@pytest.fixture(scope="module")
def js_results() -> dict[str, dict[str, Any]]:
    names = sorted(CASES)
    results = run_reference([CASES[name][0][0] for name in names])
    return dict(zip(names, results))


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_fails_in_js_and_python_alike(name: str, js_results: dict[str, dict[str, Any]]) -> None:
    (_, python), fragment = CASES[name]
    js_error = js_results[name].get("error")
    assert js_error is not None, f"the JS library accepted: {name}"
    expected_class = JS_ERROR_CLASSES[js_error["name"]]
    with pytest.raises(expected_class) as raised:
        python()
    assert fragment in str(raised.value)
    if expected_class is not LeafEncodingError:
        # Outside the ABI layer the messages are the JS library's own words.
        assert str(raised.value) == js_error["message"]
