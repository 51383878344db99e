"""The Python tree against `@openzeppelin/merkle-tree` itself: same roots, proofs, multiproofs, dumps."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dao.merkle import REWARD_LEAF_ENCODING, MultiProof, StandardMerkleTree
from tests.dao.merkle.merkle_reference import canonical_json, run_one, run_reference

REWARD = list(REWARD_LEAF_ENCODING)


def reward_values(count: int, seed: int) -> list[list[Any]]:
    """Random reward leaves, written in every form both libraries accept for these types."""
    rng = random.Random(seed)
    values = []
    for index in range(count):
        account = "0x" + rng.randbytes(20).hex()
        amount = rng.randrange(0, 2**128)
        form = rng.randrange(4)
        if form == 0:
            values.append([index, account, str(amount)])  # small ints travel as JSON numbers
        elif form == 1:
            values.append([str(index), account.upper().replace("0X", "0x"), hex(amount)])
        elif form == 2:
            values.append([hex(index), "0X" + account[2:], str(amount)])
        else:
            values.append([str(index), account, rng.randrange(0, 2**53)])
    return values


def assert_same_tree(python_tree: StandardMerkleTree, reference: dict[str, Any]) -> None:
    assert "error" not in reference, reference.get("error")
    assert python_tree.root == reference["root"]
    assert canonical_json(python_tree.dump()) == canonical_json(reference["dump"])
    for index, proof in reference["proofs"].items():
        assert python_tree.get_proof(int(index)) == proof, f"proof of value {index}"


@pytest.mark.parametrize("size", [1, 2, 3, 1000])
def test_random_reward_trees_match_js(size: int) -> None:
    values = reward_values(size, seed=size)
    multiproofs = [[0], list(range(size)), sorted(random.Random(7).sample(range(size), min(size, 5)))]
    reference = run_one(
        {
            "op": "build",
            "values": values,
            "encoding": REWARD,
            "proofs": "all",
            "multiproofs": multiproofs,
            "render": True,
        }
    )
    tree = StandardMerkleTree.of(values, REWARD)
    assert_same_tree(tree, reference)
    assert len(reference["proofs"]) == size
    for indices, expected in zip(multiproofs, reference["multiproofs"]):
        assert tree.get_multi_proof(indices).to_json() == expected
    assert tree.render() == reference["render"]


def test_65536_leaves_match_js_on_root_dump_and_sampled_proofs() -> None:
    size = 65_536
    values = [[str(i), "0x" + random.Random(i).randbytes(20).hex(), str(i * 10**15 + 1)] for i in range(size)]
    sample = sorted({0, size - 1, *random.Random(1).sample(range(size), 62)})
    multiproof = sample[:6]
    reference = run_one(
        {"op": "build", "values": values, "encoding": REWARD, "proofs": sample, "multiproofs": [multiproof]},
        cache=True,
    )
    tree = StandardMerkleTree.of(values, REWARD)
    assert_same_tree(tree, reference)
    assert len(reference["proofs"]) == len(sample) == 64
    assert all(len(proof) == 16 for proof in reference["proofs"].values())
    assert tree.get_multi_proof(multiproof).to_json() == reference["multiproofs"][0]


def test_js_loads_python_dump_and_accepts_python_proofs() -> None:
    values = reward_values(1000, seed=11)
    tree = StandardMerkleTree.of(values, REWARD)
    picked = [0, 1, 500, 999]
    multiproof = tree.get_multi_proof([3, 70, 900])
    result = run_one(
        {
            "op": "load",
            "dump": tree.dump(),
            "proofs": picked,
            "verify": [{"leaf": values[i], "proof": tree.get_proof(i)} for i in picked]
            + [{"leaf": values[1], "proof": tree.get_proof(0)}],
            "verifyMulti": [multiproof.to_json()],
        }
    )
    assert "error" not in result, result.get("error")
    assert result["root"] == tree.root
    assert result["proofs"] == {str(i): tree.get_proof(i) for i in picked}
    assert result["verified"] == [True, True, True, True, False]
    assert result["verifiedMulti"] == [True]
    assert result["entries"] == [[i, v] for i, v in tree.entries()]


def test_python_loads_js_dump() -> None:
    values = reward_values(1000, seed=12)
    reference = run_one({"op": "build", "values": values, "encoding": REWARD, "proofs": [0, 999]})
    loaded = StandardMerkleTree.load(reference["dump"])
    assert loaded.root == reference["root"]
    assert loaded.get_proof(0) == reference["proofs"]["0"]
    assert loaded.get_proof(999) == reference["proofs"]["999"]
    assert canonical_json(loaded.dump()) == canonical_json(reference["dump"])
    assert [v for _, v in loaded.entries()] == values


def test_unsorted_leaves_match_js() -> None:
    values = reward_values(37, seed=5)
    reference = run_one({"op": "build", "values": values, "encoding": REWARD, "sortLeaves": False, "proofs": "all"})
    assert_same_tree(StandardMerkleTree.of(values, REWARD, sort_leaves=False), reference)


def test_duplicate_values_resolve_like_js() -> None:
    # Equal leaves: a proof by value points at the last copy, in both libraries.
    values = [["1", "0x" + "11" * 20, "5"], ["2", "0x" + "22" * 20, "6"], ["1", "0x" + "11" * 20, "5"]]
    reference = run_one({"op": "build", "values": values, "encoding": REWARD, "proofs": "all", "proofsOf": [values[0]]})
    tree = StandardMerkleTree.of(values, REWARD)
    assert_same_tree(tree, reference)
    assert tree.get_proof(values[0]) == reference["proofsOf"][0]


ENCODING_CASES: dict[str, tuple[list[str], list[list[Any]]]] = {
    "address": (["address"], [["0x" + "ab" * 20], ["0x1"], ["0x"], ["0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"]]),
    "uint256": (
        ["uint256"],
        [
            [0],
            ["115792089237316195423570985008687907853269984665640564039457584007913129639935"],
            ["0xff"],
            [" 42 "],
            [""],
            ["+7"],
            ["0o17"],
            ["0b101"],
            [12.0],
        ],
    ),
    "int": (["int8", "int256", "int"], [[-128, "-1", "0x7f"], [127, str(-(2**200)), "-5"], [0, "0", 1]]),
    "small uints": (["uint8", "uint"], [[255, 1], ["0x00", "0"]]),
    "bytes32": (["bytes32"], [["0x" + "cd" * 32], ["0x12"], ["0x123"]]),
    "fixed bytes": (["bytes1", "bytes7", "bytes31"], [["0x01", "0x0102030405", "0x" + "ee" * 31]]),
    "string": (["string"], [[""], ["hello"], ["émoji ✓ 😀"], ["0x1234"], ["\udc00 lone surrogate"], ["a" * 100]]),
    "bool": (["bool"], [[True], [False], ["true"], ["false"]]),
    "bytes": (["bytes"], [["0x"], ["0x00"], ["0x" + "5a" * 33], ["0xabc"]]),
    "function": (["function"], [["0x" + "12" * 24], [{"address": "0x" + "34" * 20, "selector": "0xa9059cbb"}]]),
    "dynamic array": (["uint256[]"], [[[]], [[1, "2", "0x3"]], [list(range(40))]]),
    "fixed array": (["address[2]"], [[["0x" + "01" * 20, "0x" + "02" * 20]]]),
    "nested arrays": (["uint256[][]", "string[2]"], [[[[1], [], [2, 3]], ["a", "bc"]], [[], ["", ""]]]),
    "tuple": (["(uint256,address)"], [[[1, "0x" + "01" * 20]], [["2", "0x" + "02" * 20]]]),
    "tuple array": (["(uint256, string)[]", "bool"], [[[[1, "x"], [2, "yz"]], True], [[], False]]),
    "mixed": (["string", "bytes32[2]", "address", "int16"], [["s", ["0x01", "0x02"], "0x" + "03" * 20, -300]]),
}


@pytest.mark.parametrize("case", sorted(ENCODING_CASES))
def test_encodings_match_js(case: str) -> None:
    encoding, values = ENCODING_CASES[case]
    reference = run_one(
        {
            "op": "build",
            "values": values,
            "encoding": encoding,
            "proofs": "all",
            "leafHashes": values,
            "multiproofs": [list(range(len(values)))],
        }
    )
    tree = StandardMerkleTree.of(values, encoding)
    assert_same_tree(tree, reference)
    assert [tree.leaf_hash(v) for v in values] == reference["leafHashes"]
    assert tree.get_multi_proof(list(range(len(values)))).to_json() == reference["multiproofs"][0]
    assert StandardMerkleTree.load(reference["dump"]).root == reference["root"]


def test_static_verify_agrees_with_js() -> None:
    values = reward_values(20, seed=3)
    tree = StandardMerkleTree.of(values, REWARD)
    proof = tree.get_proof(4)
    multiproof = tree.get_multi_proof([2, 4, 9])
    tampered = MultiProof(multiproof.leaves[::-1], multiproof.proof, multiproof.proof_flags)
    checks = [
        (values[4], proof),
        (values[5], proof),
        (values[4], proof[:-1]),
        (values[4], [proof[1], proof[0], *proof[2:]]),
    ]
    results = run_reference(
        [{"op": "verify", "root": tree.root, "encoding": REWARD, "leaf": leaf, "proof": p} for leaf, p in checks]
        + [
            {"op": "verifyMulti", "root": tree.root, "encoding": REWARD, "multiproof": m.to_json()}
            for m in (multiproof, tampered)
        ]
    )
    python = [StandardMerkleTree.verify(tree.root, REWARD, leaf, p) for leaf, p in checks]
    python += [StandardMerkleTree.verify_multi_proof(tree.root, REWARD, m) for m in (multiproof, tampered)]
    assert [r["ok"] for r in results] == python == [True, False, False, False, True, False]


def test_js_loads_dumps_of_python_native_values() -> None:
    # Python ints beyond 2**53, bytes and tuples are dumped as JSON that the JS library reads back
    # to the same leaves (big ints as decimal strings, bytes as hex, tuples as arrays).
    encoding = ["uint256", "address", "bytes", "(bool,int128)", "uint8[]"]
    values = [
        [2**255 + 7, bytes.fromhex("ab" * 20), b"\x00\x01\x02", (True, -(2**100)), (1, 2, 3)],
        [0, "0x" + "cd" * 20, b"", (False, 2**60), ()],
        [2**53, bytearray(b"\x11" * 20), bytes(range(40)), [True, 0], [255]],
    ]
    tree = StandardMerkleTree.of(values, encoding)
    result = run_one(
        {
            "op": "load",
            "dump": tree.dump(),
            "proofs": [0, 1, 2],
            "verify": [{"leaf": tree.at(i), "proof": tree.get_proof(i)} for i in range(3)],
        }
    )
    assert "error" not in result, result.get("error")
    assert result["root"] == tree.root
    assert result["proofs"] == {str(i): tree.get_proof(i) for i in range(3)}
    assert result["verified"] == [True, True, True]
