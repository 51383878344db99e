"""StandardMerkleTree, function by function, without the JS library (see test_merkle_js for that)."""

from __future__ import annotations

import copy
import json

import eth_abi
import pytest
from eth_utils import keccak

from dao.merkle import (
    REWARD_LEAF_ENCODING,
    InvalidArgumentError,
    InvariantError,
    MultiProof,
    StandardMerkleTree,
    standard_leaf_hash,
    standard_node_hash,
)
from dao.merkle.core import (
    get_multi_proof,
    make_merkle_tree,
    process_multi_proof,
    to_node,
)

ENC = list(REWARD_LEAF_ENCODING)
ACCOUNTS = ["0x" + f"{i:02x}" * 20 for i in range(1, 9)]
VALUES = [[str(i), ACCOUNTS[i], str(1000 * (i + 1))] for i in range(8)]


def leaf(value: list[str]) -> bytes:
    return keccak(keccak(eth_abi.encode(ENC, [int(value[0]), value[1], int(value[2])])))


@pytest.fixture
def tree() -> StandardMerkleTree:
    return StandardMerkleTree.of(VALUES, ENC)


def test_single_leaf_tree_is_its_leaf_with_empty_proof() -> None:
    single = StandardMerkleTree.of(VALUES[:1], ENC)
    assert single.root == "0x" + leaf(VALUES[0]).hex()
    assert single.get_proof(0) == []
    assert single.verify(0, [])


def test_two_leaf_root_is_the_sorted_pair_hash() -> None:
    a, b = leaf(VALUES[0]), leaf(VALUES[1])
    expected = keccak(min(a, b) + max(a, b))
    assert StandardMerkleTree.of(VALUES[:2], ENC).root == "0x" + expected.hex()
    assert standard_node_hash(a, b) == standard_node_hash(b, a) == expected


def test_leaf_hash_is_double_keccak_of_abi_encode(tree: StandardMerkleTree) -> None:
    assert tree.leaf_hash(VALUES[3]) == "0x" + leaf(VALUES[3]).hex() == standard_leaf_hash(ENC, VALUES[3])


def test_every_proof_verifies_and_hashes_up_to_the_root(tree: StandardMerkleTree) -> None:
    for index, value in enumerate(VALUES):
        proof = tree.get_proof(index)
        assert len(proof) == 3
        node = leaf(value)
        for sibling in proof:
            node = keccak(min(node, bytes.fromhex(sibling[2:])) + max(node, bytes.fromhex(sibling[2:])))
        assert "0x" + node.hex() == tree.root
        assert tree.verify(index, proof) and tree.verify(value, proof)
        assert StandardMerkleTree.verify(tree.root, ENC, value, proof)


def test_proof_by_value_equals_proof_by_index(tree: StandardMerkleTree) -> None:
    assert tree.get_proof(VALUES[5]) == tree.get_proof(5)
    assert tree.get_proof(["5", ACCOUNTS[5].upper().replace("0X", "0x"), 6000]) == tree.get_proof(5)


@pytest.mark.parametrize("change", ["amount", "account", "index", "proof order", "short proof"])
def test_wrong_leaf_or_proof_does_not_verify(tree: StandardMerkleTree, change: str) -> None:
    value, proof = list(VALUES[2]), tree.get_proof(2)
    if change == "amount":
        value[2] = "3001"
    elif change == "account":
        value[1] = ACCOUNTS[3]
    elif change == "index":
        value[0] = "3"
    elif change == "proof order":
        proof = [proof[1], proof[0], proof[2]]
    else:
        proof = proof[:-1]
    assert not tree.verify(value, proof)
    assert not StandardMerkleTree.verify(tree.root, ENC, value, proof)


def test_malformed_proof_node_is_an_error(tree: StandardMerkleTree) -> None:
    with pytest.raises(InvalidArgumentError, match="32 bytes"):
        tree.verify(0, ["0x1234"])
    with pytest.raises(InvalidArgumentError, match="32 bytes"):
        StandardMerkleTree.verify(tree.root, ENC, VALUES[0], [42])


@pytest.mark.parametrize("bad", [-1, 8, 100])
def test_index_out_of_bounds(tree: StandardMerkleTree, bad: int) -> None:
    with pytest.raises(InvalidArgumentError, match="Index out of bounds"):
        tree.get_proof(bad)
    with pytest.raises(InvalidArgumentError, match="Index out of bounds"):
        tree.verify(bad, [])


def test_unknown_value_is_not_in_tree(tree: StandardMerkleTree) -> None:
    with pytest.raises(InvalidArgumentError, match="Leaf is not in tree"):
        tree.get_proof(["9", ACCOUNTS[0], "1"])


def test_multiproof_verifies_and_matches_core(tree: StandardMerkleTree) -> None:
    multiproof = tree.get_multi_proof([1, VALUES[6], 3])
    assert sorted(multiproof.leaves) == sorted([VALUES[1], VALUES[6], VALUES[3]])
    assert len(multiproof.proof) + len(multiproof.leaves) == len(multiproof.proof_flags) + 1
    assert tree.verify_multi_proof(multiproof)
    assert StandardMerkleTree.verify_multi_proof(tree.root, ENC, multiproof.to_json())
    reordered = MultiProof(multiproof.leaves[::-1], multiproof.proof, multiproof.proof_flags)
    assert not tree.verify_multi_proof(reordered)


def test_multiproof_of_nothing_is_the_root(tree: StandardMerkleTree) -> None:
    empty = tree.get_multi_proof([])
    assert empty.to_json() == {"leaves": [], "proof": [tree.root], "proofFlags": []}
    assert tree.verify_multi_proof(empty)


def test_malformed_multiproofs_are_rejected(tree: StandardMerkleTree) -> None:
    multiproof = tree.get_multi_proof([0, 1])
    with pytest.raises(InvalidArgumentError, match="not compatible"):
        process_multi_proof([], multiproof.proof, multiproof.proof_flags)
    with pytest.raises(InvalidArgumentError, match="Invalid multiproof format"):
        process_multi_proof([b"\0" * 32] * 3, [], [False, False])
    with pytest.raises(InvalidArgumentError, match="Cannot prove duplicated index"):
        get_multi_proof(make_merkle_tree([b"\1" * 32, b"\2" * 32]), [1, 1])
    with pytest.raises(InvalidArgumentError, match="Index is not a leaf"):
        get_multi_proof(make_merkle_tree([b"\1" * 32, b"\2" * 32]), [0])
    with pytest.raises(InvalidArgumentError, match="proofFlags"):
        MultiProof.from_json({"leaves": [], "proof": []})


def test_dump_load_round_trip(tree: StandardMerkleTree) -> None:
    dump = tree.dump()
    assert list(dump) == ["format", "leafEncoding", "tree", "values"]
    assert dump["format"] == "standard-v1" and dump["leafEncoding"] == ENC
    assert len(dump["tree"]) == 15
    loaded = StandardMerkleTree.load(json.loads(json.dumps(dump)))
    assert loaded.root == tree.root
    assert [loaded.get_proof(i) for i in range(8)] == [tree.get_proof(i) for i in range(8)]
    assert loaded.dump() == dump


def test_dump_is_json_safe_for_javascript() -> None:
    # Ints beyond 2**53 would lose digits in JSON.parse: they are written as decimal strings.
    # Bytes are written as hex. Both encode to the same leaf, so the root is unchanged.
    values = [[1, b"\x11" * 20, 2**200], [2**53 - 1, "0x" + "22" * 20, 5]]
    built = StandardMerkleTree.of(values, ENC)
    dumped = built.dump()
    assert dumped["values"][0]["value"] == [1, "0x" + "11" * 20, str(2**200)]
    assert dumped["values"][1]["value"] == [2**53 - 1, "0x" + "22" * 20, 5]
    assert StandardMerkleTree.load(json.loads(json.dumps(dumped))).root == built.root


def test_values_are_frozen_at_build(tree: StandardMerkleTree) -> None:
    values = copy.deepcopy(VALUES)
    built = StandardMerkleTree.of(values, ENC)
    values[0][2] = "999999"
    assert built.at(0) == VALUES[0]
    assert built.verify(0, built.get_proof(0))
    built.validate()


def test_entries_at_and_length(tree: StandardMerkleTree) -> None:
    assert list(tree.entries()) == list(enumerate(VALUES))
    assert tree.at(7) == VALUES[7] and tree.at(8) is None
    assert tree.length == len(tree) == 8
    assert tree.leaf_encoding == ENC


def test_unsorted_leaves_keep_input_order() -> None:
    unsorted = StandardMerkleTree.of(VALUES, ENC, sort_leaves=False)
    indices = [entry["treeIndex"] for entry in unsorted.dump()["values"]]
    assert indices == list(range(14, 6, -1))
    assert unsorted.root != StandardMerkleTree.of(VALUES, ENC).root


def test_render_draws_every_node() -> None:
    rendered = StandardMerkleTree.of(VALUES[:2], ENC).render().splitlines()
    assert rendered[0].startswith("0) 0x") and rendered[1].startswith("├─ 1) 0x")
    assert rendered[2].startswith("└─ 2) 0x") and len(rendered) == 3


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda d: d.update(format="v2"), InvalidArgumentError, "Unknown format 'v2'"),
        (lambda d: d.pop("format"), InvalidArgumentError, "Unknown format 'None'"),
        (lambda d: d.update(leafEncoding=None), InvalidArgumentError, "Expected leaf encoding"),
        (lambda d: d.update(leafEncoding="uint256"), InvalidArgumentError, "list of ABI type strings"),
        (
            lambda d: d["values"][5]["value"].__setitem__(1, "0xnope"),
            InvalidArgumentError,
            "values[5]: Expected a bytes-like",
        ),
        (lambda d: d.update(tree=[]), InvalidArgumentError, "non-empty list of tree nodes"),
        (lambda d: d.pop("values"), InvalidArgumentError, "list of values"),
        (lambda d: d["tree"].__setitem__(3, "0x12"), InvalidArgumentError, "32 bytes"),
        (lambda d: d["values"].__setitem__(0, {"value": VALUES[0]}), InvalidArgumentError, "'treeIndex'"),
        (lambda d: d["values"][0].update(treeIndex="7"), InvalidArgumentError, "must be an integer"),
        (lambda d: d["values"][0].update(treeIndex=2), InvalidArgumentError, "Index is not a leaf"),
        (lambda d: d["values"][0].update(treeIndex=99), InvalidArgumentError, "Index is not a leaf"),
        (lambda d: d["values"][0]["value"].__setitem__(1, ACCOUNTS[7]), InvariantError, "expected value"),
        (lambda d: d["tree"].__setitem__(1, "0x" + "00" * 32), InvariantError, "Merkle tree is invalid"),
        (lambda d: d["leafEncoding"].__setitem__(0, "string"), InvariantError, "expected value"),
    ],
)
def test_load_rejects_bad_dumps(tree: StandardMerkleTree, mutate, error: type, message: str) -> None:
    dump = copy.deepcopy(tree.dump())
    mutate(dump)
    with pytest.raises(error) as raised:
        StandardMerkleTree.load(dump)
    assert message in str(raised.value)


def test_load_rejects_non_object() -> None:
    with pytest.raises(InvalidArgumentError, match="JSON object"):
        StandardMerkleTree.load([])  # type: ignore[arg-type]


def test_of_rejects_non_list_values() -> None:
    with pytest.raises(InvalidArgumentError, match="list of leaf values"):
        StandardMerkleTree.of("abc", ENC)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="Expected non-zero number of leaves"):
        StandardMerkleTree.of([], ENC)


@pytest.mark.parametrize(
    "node", ["0x" + "ab" * 31 + " a", "0x" + "ab " * 21 + "a", "0X" + "ab" * 32, "ab" * 33, b"\0" * 31]
)
def test_proof_nodes_must_be_exactly_32_bytes_of_hex(node: object) -> None:
    with pytest.raises(InvalidArgumentError, match="32 bytes"):
        to_node(node)


def test_numpy_integers_work_as_indices_and_values(tree: StandardMerkleTree) -> None:
    numpy = pytest.importorskip("numpy")
    assert tree.get_proof(numpy.int64(3)) == tree.get_proof(3)
    assert tree.verify(numpy.int32(3), tree.get_proof(3))
    built = StandardMerkleTree.of([[numpy.int64(5), ACCOUNTS[0], numpy.uint64(7)]], ENC)
    assert built.dump()["values"][0]["value"] == [5, ACCOUNTS[0], 7]
    assert json.loads(json.dumps(built.dump())) == built.dump()
    assert built.root == StandardMerkleTree.of([[5, ACCOUNTS[0], 7]], ENC).root
