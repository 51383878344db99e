"""Gas of the reward path, recorded in benchmarks/gas/rewards.json and held under ceilings."""

import json
import random

import pytest

from dao.merkle import RewardLeaf, reward_tree
from dao.proposals import epoch_key
from dao.vocabulary import Phase
from tests.helpers import (
    CID,
    REPO_ROOT,
    TOKEN,
    Sealed,
    advance_to,
    advance_to_phase,
    fund_epoch,
    register_project,
)

GAS_FILE = REPO_ROOT / "benchmarks" / "gas" / "rewards.json"
LEAVES = 65_536
ZERO_ADDRESS = "0x" + "00" * 20
REPORT_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"

# The claims are measured in the issue's conditions: a 65,536-leaf epoch (proof of 16), the
# recipient already holds tokens and has not delegated, the bitmap word already touched; no worse
# than before epochs were keyed per project (73,990 and 162,750).
# A commit is measured with no bond and not the registry's first (the steady state), the registry's
# very first (its contribution counter goes from zero), and with a bond (a token transfer in). The
# CID revealed is a 59-character base32 CIDv1.
CEILINGS = {
    "claim": 73_990,
    "claimMany (4 epochs)": 162_750,
    "commit": 60_000,
    "commit (the registry's first)": 77_000,
    "commit (with a bond, the registry holding none yet)": 99_000,
    "commit (with a bond)": 83_000,
    "reveal (59-character CID)": 65_000,
    "attestScores (per attestation, batch of 100)": 34_000,
}
# What the issues asked for where this design does not reach it (see README, "Gas").
ISSUE_TARGETS = {
    "claim": 62_000,
    "claimMany (4 epochs)": "2 x claim",
    "commit": 60_000,
    "reveal (59-character CID)": 65_000,
}
BATCH = 100


@pytest.fixture(scope="module")
def big_epochs(module_isolation, deployment, registry, distributor, token, treasury, alice, chain):
    """Epochs 1 to 5 of project 1, of 65,536 leaves each; alice is at index 1 of each; index 0 is
    claimed first so that the bitmap word is already touched, as it is for every claim but the
    first of 256."""
    project_id = register_project(registry, treasury, commit_window=60, reveal_window=60)
    advance_to(registry.epochEnd(project_id, 5))
    rng = random.Random(7)
    trees = []
    for epoch in range(1, 6):
        leaves = [RewardLeaf(i, "0x" + rng.randbytes(20).hex(), 1 + rng.randrange(10**18)) for i in range(LEAVES)]
        leaves[1] = RewardLeaf(1, alice.address, 100 * TOKEN)
        tree = reward_tree(leaves)
        total = sum(leaf.amount for leaf in leaves)
        fund_epoch(distributor, token, treasury, project_id, epoch, tree, total, chain)
        first = leaves[0]
        # values keep their input order, so value i is the leaf of bitmap index i
        key = epoch_key(project_id, epoch)
        distributor.claim(key, 0, first.account, first.amount, tree.get_proof(0), {"from": alice})
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
    gas["claim"] = distributor.claim(epoch_key(1, 1), 1, alice, 100 * TOKEN, proof, {"from": bob}).gas_used
    many = distributor.claimMany(
        alice,
        [(epoch_key(1, epoch), 1, 100 * TOKEN, trees[epoch - 1].get_proof(1)) for epoch in (2, 3, 4, 5)],
        {"from": bob},
    )
    gas["claimMany (4 epochs)"] = many.gas_used
    assert len(many.events["Claimed"]) == 4
    assert token.balanceOf(alice) - 10_000_000 * TOKEN == 500 * TOKEN

    free = register_project(registry, treasury, start_in=60, open_now=False)
    bonded = register_project(registry, treasury, start_in=60, bond=TOKEN)
    sealed = [Sealed(carol.address, free, 0, kind=i % 2, cid=CID, salt=i.to_bytes(32, "big")) for i in range(BATCH)]
    committed = [registry.commit(free, s.commitment, {"from": carol}) for s in sealed]
    gas["commit (the registry's first)"] = committed[0].gas_used
    gas["commit"] = committed[1].gas_used
    # each contributor approves exactly the bond: the allowance is spent to zero
    for name, contributor in (
        ("commit (with a bond, the registry holding none yet)", alice),
        ("commit (with a bond)", bob),
    ):
        token.approve(registry, TOKEN, {"from": contributor})
        with_bond = Sealed(contributor.address, bonded, 0, cid=CID)
        gas[name] = registry.commit(bonded, with_bond.commitment, {"from": contributor}).gas_used
    assert registry.contributionCount() == BATCH + 2 and token.balanceOf(registry) == 2 * TOKEN

    advance_to_phase(registry, free, 0, Phase.REVEAL)
    revealed = [registry.reveal(*s.reveal_args(i + 1), {"from": carol}) for i, s in enumerate(sealed)]
    assert len(CID) == 59 and revealed[0].events["Revealed"]["cid"] == CID
    gas["reveal (59-character CID)"] = revealed[1].gas_used

    advance_to_phase(registry, free, 0, Phase.CLOSED)
    ids = list(range(1, BATCH + 1))
    attest = registry.attestScores(ids, [10**18 + i for i in ids], [True] * BATCH, REPORT_CID, {"from": oracle})
    assert len(attest.events["ScoreAttested"]) == BATCH
    gas["attestScores (per attestation, batch of 100)"] = attest.gas_used // BATCH

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
