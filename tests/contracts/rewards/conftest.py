"""Fixtures of the RewardDistributor suites: three epochs' trees, and the three funded."""

import pytest

from tests.contracts.rewards.epochs import epoch_tree
from tests.helpers import TOKEN, fund_epoch


@pytest.fixture(scope="module")
def guardian_role(distributor):
    return distributor.GUARDIAN_ROLE()


@pytest.fixture(scope="module")
def first(alice, bob, carol):
    """Epoch 1: four leaves, index 300 in the bitmap's second word."""
    return epoch_tree(
        1, [(0, alice, 100 * TOKEN), (1, bob, 200 * TOKEN), (2, carol, 300 * TOKEN), (300, alice, 400 * TOKEN)]
    )


@pytest.fixture(scope="module")
def second(alice, bob):
    return epoch_tree(2, [(0, bob, 5 * TOKEN), (1, alice, 7 * TOKEN)])


@pytest.fixture(scope="module")
def third(alice, carol):
    return epoch_tree(3, [(0, carol, 11 * TOKEN), (1, alice, 13 * TOKEN), (2, carol, 17 * TOKEN)])


@pytest.fixture
def funded(deployment, distributor, token, treasury, first, second, third, chain):
    """Epochs 1, 2 and 3 funded with their trees' totals, open for a week."""
    for epoch in (first, second, third):
        fund_epoch(distributor, token, treasury, epoch.epoch_id, epoch.tree, epoch.total, chain)
    return first, second, third
