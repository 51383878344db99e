"""Fixtures of the RewardDistributor suites: project 1 on a fast clock, three of its epochs'
trees, and the three funded."""

import pytest

from tests.contracts.rewards.epochs import epoch_tree
from tests.helpers import TOKEN, advance_to, fund_epoch, register_project

CLOCK_WINDOW = 60  # seconds, each of the commit and the reveal window of the distributor suites' project
CLOSED_EPOCHS = 10  # epochs 0..9 of project 1 have closed once `clock` ran


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
def clock(registry, treasury):
    """Project 1, on a clock of two-minute epochs, with epochs 0 to 9 closed: they may be funded."""
    project_id = register_project(registry, treasury, commit_window=CLOCK_WINDOW, reveal_window=CLOCK_WINDOW)
    assert project_id == 1
    advance_to(registry.epochEnd(project_id, CLOSED_EPOCHS - 1))
    return project_id


@pytest.fixture
def funded(clock, distributor, token, treasury, first, second, third, chain):
    """Epochs 1, 2 and 3 of project 1 funded with their trees' totals, open for a week."""
    for epoch in (first, second, third):
        fund_epoch(distributor, token, treasury, epoch.project_id, epoch.epoch, epoch.tree, epoch.total, chain)
    return first, second, third
