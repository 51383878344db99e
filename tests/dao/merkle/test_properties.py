"""Properties of any tree: every proof and multiproof verifies, and a dump loads back the same tree."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dao.merkle import REWARD_LEAF_ENCODING, StandardMerkleTree

reward_value = st.tuples(
    st.integers(min_value=0, max_value=2**256 - 1),
    st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex()),
    st.integers(min_value=0, max_value=2**256 - 1),
).map(list)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(reward_value, min_size=1, max_size=40), sort_leaves=st.booleans(), data=st.data())
def test_proofs_multiproofs_and_dumps_hold_for_any_values(
    values: list[list[object]], sort_leaves: bool, data: st.DataObject
) -> None:
    tree = StandardMerkleTree.of(values, REWARD_LEAF_ENCODING, sort_leaves=sort_leaves)
    depth_limit = max(1, len(values) - 1).bit_length()
    for index, value in enumerate(values):
        proof = tree.get_proof(index)
        assert len(proof) <= depth_limit
        assert StandardMerkleTree.verify(tree.root, REWARD_LEAF_ENCODING, value, proof)
    subset = data.draw(st.lists(st.integers(0, len(values) - 1), unique=True))
    multiproof = tree.get_multi_proof(subset)
    assert len(multiproof.leaves) == len(subset)
    assert StandardMerkleTree.verify_multi_proof(tree.root, REWARD_LEAF_ENCODING, multiproof)
    loaded = StandardMerkleTree.load(json.loads(json.dumps(tree.dump())))
    assert loaded.root == tree.root
    assert [loaded.get_proof(i) for i in range(len(values))] == [tree.get_proof(i) for i in range(len(values))]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(reward_value, min_size=2, max_size=20, unique_by=lambda v: v[0]), data=st.data())
def test_a_proof_does_not_verify_another_leaf(values: list[list[object]], data: st.DataObject) -> None:
    tree = StandardMerkleTree.of(values, REWARD_LEAF_ENCODING)
    proven, other = data.draw(st.lists(st.integers(0, len(values) - 1), min_size=2, max_size=2, unique=True))
    assert not StandardMerkleTree.verify(tree.root, REWARD_LEAF_ENCODING, values[other], tree.get_proof(proven))
