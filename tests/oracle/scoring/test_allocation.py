"""Exact integer allocation: sums, ties by address, caps and minimum payouts."""

from __future__ import annotations

import random

import pytest

from oracle.scoring.allocation import (
    AllocationPolicy,
    Pool,
    WeightedScore,
    allocate,
    score_units,
)

A = "0x" + "a" * 40
B = "0x" + "b" * 40
C = "0x" + "c" * 40
D = "0x" + "d" * 40


def amounts(result) -> dict[str, int]:
    return dict(result.amounts)


def test_pools_split_by_basis_points_and_scores() -> None:
    scores = [
        WeightedScore(A, Pool.MODEL_PREDICTIONS, 3),
        WeightedScore(B, Pool.MODEL_PREDICTIONS, 1),
        WeightedScore(C, Pool.LABELS, 5),
    ]
    result = allocate(1000, AllocationPolicy(model_share_bps=6000), scores)
    assert (result.model_pool_wei, result.label_pool_wei) == (600, 400)
    assert amounts(result) == {A: 450, B: 150, C: 400}
    assert result.unallocated_wei == 0


def test_amounts_always_sum_to_the_budget() -> None:
    rng = random.Random(4)
    for _ in range(200):
        budget = rng.randrange(0, 10**24)
        scores = [
            WeightedScore("0x" + f"{rng.randrange(16**40):040x}", rng.choice(list(Pool)), rng.randrange(0, 10**12))
            for _ in range(rng.randrange(1, 30))
        ]
        result = allocate(budget, AllocationPolicy(rng.randrange(0, 10_001)), scores)
        assert sum(amounts(result).values()) + result.unallocated_wei == budget
        assert result.unallocated_wei == 0 or not any(s.units for s in scores)


def test_largest_remainder_ties_go_to_the_lower_address() -> None:
    scores = [WeightedScore(addr, Pool.MODEL_PREDICTIONS, 1) for addr in (C, A, B)]
    result = allocate(10, AllocationPolicy(model_share_bps=10_000), scores)
    assert amounts(result) == {A: 4, B: 3, C: 3}
    assert [account for account, _ in result.amounts] == [A, B, C]


def test_empty_pool_passes_to_the_other_and_nobody_leaves_it_unallocated() -> None:
    result = allocate(1000, AllocationPolicy(model_share_bps=5000), [WeightedScore(A, Pool.LABELS, 1)])
    assert amounts(result) == {A: 1000}
    nobody = allocate(1000, AllocationPolicy(model_share_bps=5000), [WeightedScore(A, Pool.LABELS, 0)])
    assert nobody.amounts == () and nobody.unallocated_wei == 1000


def test_cap_sends_the_excess_to_the_others() -> None:
    scores = [
        WeightedScore(A, Pool.MODEL_PREDICTIONS, 8),
        WeightedScore(B, Pool.MODEL_PREDICTIONS, 1),
        WeightedScore(C, Pool.MODEL_PREDICTIONS, 1),
    ]
    result = allocate(1000, AllocationPolicy(10_000, cap_wei=500), scores)
    assert amounts(result) == {A: 500, B: 250, C: 250}


def test_cap_for_everyone_leaves_the_rest_unallocated() -> None:
    scores = [WeightedScore(A, Pool.MODEL_PREDICTIONS, 1), WeightedScore(B, Pool.MODEL_PREDICTIONS, 1)]
    result = allocate(1000, AllocationPolicy(10_000, cap_wei=300), scores)
    assert amounts(result) == {A: 300, B: 300} and result.unallocated_wei == 400


def test_minimum_payout_drops_dust_and_shares_it_out() -> None:
    scores = [
        WeightedScore(A, Pool.MODEL_PREDICTIONS, 90),
        WeightedScore(B, Pool.MODEL_PREDICTIONS, 9),
        WeightedScore(C, Pool.MODEL_PREDICTIONS, 1),
    ]
    result = allocate(1000, AllocationPolicy(10_000, min_payout_wei=50), scores)
    assert C not in amounts(result)
    assert sum(amounts(result).values()) == 1000
    assert amounts(result)[B] >= 50


def test_a_contributor_in_both_pools_gets_one_combined_amount() -> None:
    scores = [
        WeightedScore(A, Pool.MODEL_PREDICTIONS, 1),
        WeightedScore(A, Pool.LABELS, 1),
        WeightedScore(B, Pool.LABELS, 1),
    ]
    assert amounts(allocate(1000, AllocationPolicy(5000), scores)) == {A: 750, B: 250}


def test_invalid_policies_and_scores_are_refused() -> None:
    with pytest.raises(ValueError, match="model_share_bps"):
        AllocationPolicy(10_001)
    with pytest.raises(ValueError, match="cap_wei"):
        AllocationPolicy(5000, cap_wei=10, min_payout_wei=20)
    with pytest.raises(ValueError, match="negative"):
        allocate(10, AllocationPolicy(5000), [WeightedScore(A, Pool.MODEL_PREDICTIONS, -1)])
    with pytest.raises(ValueError, match="budget"):
        allocate(-1, AllocationPolicy(5000), [])


def test_score_units_are_integers_and_ignore_non_positive_scores() -> None:
    assert score_units(0.0123) == 12_300_000
    assert score_units(-0.5) == 0
