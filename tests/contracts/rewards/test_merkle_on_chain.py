"""Across the boundary: trees built by dao.merkle (the one definition of the leaf format) of 1, 2,
3, 1,000 and 65,536 leaves are funded as epochs; sampled proofs are accepted by the contract
and pay exactly their leaf; the same leaf with a wrong amount, account, index or epoch is rejected."""

import random
from dataclasses import dataclass

import brownie
import pytest

from dao.merkle import RewardLeaf, StandardMerkleTree, reward_tree
from dao.proposals import epoch_key
from tests.helpers import TOKEN, advance_to, fund_epoch, register_project, revert_message

SIZES = (1, 2, 3, 1_000, 65_536)
SAMPLES_PER_TREE = 6


@dataclass(frozen=True)
class BuiltEpoch:
    epoch_id: int  # the distributor's key
    leaves: list[RewardLeaf]
    tree: StandardMerkleTree

    def sample(self, rng: random.Random) -> list[RewardLeaf]:
        """The first and last leaves and a few between (all of a small tree)."""
        if len(self.leaves) <= SAMPLES_PER_TREE:
            return list(self.leaves)
        middle = rng.sample(self.leaves[1:-1], SAMPLES_PER_TREE - 2)
        return [self.leaves[0], *middle, self.leaves[-1]]


def random_leaves(rng: random.Random, size: int, holder: str, sparse: bool) -> list[RewardLeaf]:
    """`size` leaves with random accounts and amounts; `holder` owns the middle one. Sparse
    indices are spread over 2^40 so that claims land in many bitmap words."""
    indices = sorted(rng.sample(range(2**40), size)) if sparse else list(range(size))
    leaves = [RewardLeaf(i, "0x" + rng.randbytes(20).hex(), 1 + rng.randrange(10 * TOKEN)) for i in indices]
    middle = leaves[size // 2]
    leaves[size // 2] = RewardLeaf(middle.index, holder, middle.amount)
    return leaves


@pytest.fixture(scope="module")
def built(deployment, registry, distributor, token, treasury, carol, chain):
    """One epoch of a project per size (epoch = its position + 1), funded with its tree's total;
    carol holds the middle leaf of each."""
    project_id = register_project(registry, treasury, commit_window=60, reveal_window=60)
    advance_to(registry.epochEnd(project_id, len(SIZES)))
    rng = random.Random(20261126)
    epochs = []
    for epoch, size in enumerate(SIZES, start=1):
        leaves = random_leaves(rng, size, carol.address, sparse=size == 1_000)
        tree = reward_tree(leaves)
        fund_epoch(distributor, token, treasury, project_id, epoch, tree, sum(leaf.amount for leaf in leaves), chain)
        epochs.append(BuiltEpoch(epoch_key(project_id, epoch), leaves, tree))
    return epochs


def args(epoch: BuiltEpoch, leaf: RewardLeaf) -> tuple:
    return epoch.epoch_id, leaf.index, leaf.account, leaf.amount, epoch.tree.get_proof(leaf.value())


@pytest.mark.parametrize("size", SIZES)
def test_sampled_proofs_are_accepted_and_pay_their_leaf(built, distributor, token, bob, size):
    epoch = built[SIZES.index(size)]
    expected_depth = max(0, (len(epoch.leaves) - 1).bit_length())
    for leaf in epoch.sample(random.Random(size)):
        before = token.balanceOf(leaf.account)
        epoch_id, index, account, amount, proof = args(epoch, leaf)
        assert len(proof) in (expected_depth - 1, expected_depth)
        tx = distributor.claim(epoch_id, index, account, amount, proof, {"from": bob})
        assert dict(tx.events["Claimed"]) == {
            "epochKey": epoch_id,
            "index": index,
            "account": account,
            "amount": amount,
        }
        assert token.balanceOf(leaf.account) == before + leaf.amount
        assert distributor.isClaimed(epoch_id, index)


@pytest.mark.parametrize("size", SIZES)
def test_wrong_amount_account_index_or_epoch_is_rejected(built, distributor, token, bob, size):
    epoch = built[SIZES.index(size)]
    other_epoch = built[(SIZES.index(size) + 1) % len(SIZES)]
    rng = random.Random(size)
    leaf = rng.choice(epoch.leaves)
    epoch_id, index, account, amount, proof = args(epoch, leaf)
    other_account = "0x" + rng.randbytes(20).hex()
    wrong = {
        "amount + 1": (epoch_id, index, account, amount + 1),
        "amount - 1": (epoch_id, index, account, amount - 1),
        "account": (epoch_id, index, other_account, amount),
        "index + 1": (epoch_id, index + 1, account, amount),
        "epoch": (other_epoch.epoch_id, index, account, amount),
    }
    held = token.balanceOf(distributor)
    for name, (e, i, a, m) in wrong.items():
        with brownie.reverts(revert_message("DistributorInvalidProof", e, i)):
            distributor.claim(e, i, a, m, proof, {"from": bob})
        assert not distributor.isClaimed(e, i), name
    assert token.balanceOf(distributor) == held
    # the true leaf still pays
    distributor.claim(epoch_id, index, account, amount, proof, {"from": bob})
    assert distributor.isClaimed(epoch_id, index)


def test_claim_many_across_every_size(built, distributor, token, carol, bob):
    middles = [epoch.leaves[len(epoch.leaves) // 2] for epoch in built]
    assert all(leaf.account == carol.address for leaf in middles)
    before = token.balanceOf(carol)
    claims = [
        (epoch.epoch_id, leaf.index, leaf.amount, epoch.tree.get_proof(leaf.value()))
        for epoch, leaf in zip(built, middles)
    ]
    tx = distributor.claimMany(carol, claims, {"from": bob})
    assert len(tx.events["Claimed"]) == len(SIZES)
    assert token.balanceOf(carol) == before + sum(leaf.amount for leaf in middles)


def test_a_tree_loaded_from_its_dump_gives_proofs_the_contract_accepts(built, distributor, token, bob):
    epoch = built[SIZES.index(1_000)]
    loaded = StandardMerkleTree.load(epoch.tree.dump())
    assert loaded.root == epoch.tree.root
    leaf = epoch.leaves[-2]
    before = token.balanceOf(leaf.account)
    distributor.claim(
        epoch.epoch_id, leaf.index, leaf.account, leaf.amount, loaded.get_proof(leaf.value()), {"from": bob}
    )
    assert token.balanceOf(leaf.account) == before + leaf.amount


def test_the_epochs_hold_the_trees_roots_and_totals(built, distributor, token):
    for epoch in built:
        root, total, claimed, _, swept = distributor.epoch(epoch.epoch_id)
        assert (root, total, claimed, swept) == (epoch.tree.root, sum(leaf.amount for leaf in epoch.leaves), 0, False)
    assert token.balanceOf(distributor) == sum(sum(leaf.amount for leaf in e.leaves) for e in built)
