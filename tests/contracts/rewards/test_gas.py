"""Gas of the reward path, recorded in benchmarks/gas/rewards.json and held under ceilings."""

import json
import random

import pytest

from dao.merkle import RewardLeaf, reward_tree
from tests.helpers import REPO_ROOT, TOKEN, fund_epoch

GAS_FILE = REPO_ROOT / "benchmarks" / "gas" / "rewards.json"
LEAVES = 65_536
ZERO_ADDRESS = "0x" + "00" * 20
BENCHMARK_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
PREDICTIONS_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
REPORT_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"

# The claims are measured in the issue's conditions: a 65,536-leaf epoch (proof of 16), the
# recipient already holds tokens and has not delegated, the bitmap word already touched.
# The CID submitted is a 59-character base32 CIDv1.
CEILINGS = {
    "claim": 75_000,
    "claimMany (4 epochs)": 165_000,
    "submit (the registry's first)": 75_000,
    "submit": 60_000,
    "attestScores (per attestation, batch of 100)": 27_000,
}
# What the issue asked for where this design does not reach it (see README, "Gas").
ISSUE_TARGETS = {
    "claim": 62_000,
    "claimMany (4 epochs)": "2 x claim",
}


@pytest.fixture(scope="module")
def big_epochs(module_isolation, deployment, distributor, token, treasury, alice, chain):
    """Five epochs of 65,536 leaves; alice is at index 1 of each; index 0 is claimed first so
    that the bitmap word is already touched, as it is for every claim but the first of 256."""
    rng = random.Random(7)
    trees = []
    for epoch_id in range(1, 6):
        leaves = [RewardLeaf(i, "0x" + rng.randbytes(20).hex(), 1 + rng.randrange(10**18)) for i in range(LEAVES)]
        leaves[1] = RewardLeaf(1, alice.address, 100 * TOKEN)
        tree = reward_tree(leaves)
        total = sum(leaf.amount for leaf in leaves)
        fund_epoch(distributor, token, treasury, epoch_id, tree, total, chain)
        first = leaves[0]
        # values keep their input order, so value i is the leaf of bitmap index i
        distributor.claim(epoch_id, 0, first.account, first.amount, tree.get_proof(0), {"from": alice})
        trees.append(tree)
    return trees


def test_reward_path_gas_is_recorded_and_under_the_ceilings(
    big_epochs, distributor, registry, token, treasury, oracle, alice, bob, carol
):
    trees = big_epochs
    assert token.balanceOf(alice) > 0 and token.delegates(alice) == ZERO_ADDRESS
    proof = trees[0].get_proof(1)
    assert len(proof) == 16
    gas = {}
    gas["claim"] = distributor.claim(1, 1, alice, 100 * TOKEN, proof, {"from": bob}).gas_used
    many = distributor.claimMany(
        alice,
        [(epoch_id, 1, 100 * TOKEN, trees[epoch_id - 1].get_proof(1)) for epoch_id in (2, 3, 4, 5)],
        {"from": bob},
    )
    gas["claimMany (4 epochs)"] = many.gas_used
    assert len(many.events["Claimed"]) == 4
    assert token.balanceOf(alice) - 10_000_000 * TOKEN == 500 * TOKEN

    project_id = registry.registerProject(
        "digits", 0, "accuracy", BENCHMARK_CID, "0x" + "11" * 32, {"from": treasury}
    ).events["ProjectRegistered"]["projectId"]
    gas["submit (the registry's first)"] = registry.submit(project_id, 0, PREDICTIONS_CID, {"from": carol}).gas_used
    gas["submit"] = registry.submit(project_id, 0, PREDICTIONS_CID, {"from": carol}).gas_used
    for _ in range(98):
        registry.submit(project_id, 1, PREDICTIONS_CID, {"from": carol})
    attest = registry.attestScores(list(range(1, 101)), [10**18 + i for i in range(100)], REPORT_CID, {"from": oracle})
    assert len(attest.events["ScoreAttested"]) == 100
    gas["attestScores (per attestation, batch of 100)"] = attest.gas_used // 100

    GAS_FILE.parent.mkdir(parents=True, exist_ok=True)
    GAS_FILE.write_text(
        json.dumps(
            {
                name: {"gas": gas[name], "ceiling": CEILINGS[name], "issue_target": ISSUE_TARGETS.get(name)}
                for name in CEILINGS
            },
            indent=2,
        )
        + "\n"
    )
    over = {name: (gas[name], ceiling) for name, ceiling in CEILINGS.items() if gas[name] > ceiling}
    assert not over, f"over the gas ceiling (measured, ceiling): {over}"
