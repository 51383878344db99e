"""Exact integer allocation: sums, ties by address, prices, carry-over and minimum payouts."""

from __future__ import annotations

import random

import pytest

from oracle.scoring.allocation import (
    SCORE_UNITS_PER_POINT,
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
        # an unpriced pool pays all of its money when anyone scored in it, and carries it all over otherwise
        for pool, money, carried in (
            (Pool.MODEL_PREDICTIONS, result.model_pool_wei, result.carried_out_model_wei),
            (Pool.LABELS, result.label_pool_wei, result.carried_out_label_wei),
        ):
            assert carried == (0 if any(s.units for s in scores if s.pool is pool) else money)


def test_largest_remainder_ties_go_to_the_lower_address() -> None:
    scores = [WeightedScore(addr, Pool.MODEL_PREDICTIONS, 1) for addr in (C, A, B)]
    result = allocate(10, AllocationPolicy(model_share_bps=10_000), scores)
    assert amounts(result) == {A: 4, B: 3, C: 3}
    assert [account for account, _ in result.amounts] == [A, B, C]


def test_an_empty_pool_carries_over_instead_of_flowing_into_the_other() -> None:
    # (was: an empty pool passed its money to the other pool, so one annotator took the whole budget)
    result = allocate(1000, AllocationPolicy(model_share_bps=5000), [WeightedScore(A, Pool.LABELS, 1)])
    assert amounts(result) == {A: 500}
    assert (result.carried_out_model_wei, result.carried_out_label_wei) == (500, 0)
    nobody = allocate(1000, AllocationPolicy(model_share_bps=5000), [WeightedScore(A, Pool.LABELS, 0)])
    assert nobody.amounts == () and nobody.unallocated_wei == 1000
    assert (nobody.carried_out_model_wei, nobody.carried_out_label_wei) == (500, 500)


def test_a_carry_in_joins_its_own_pool() -> None:
    carried = {Pool.MODEL_PREDICTIONS: 300, Pool.LABELS: 0}
    scores = [WeightedScore(A, Pool.MODEL_PREDICTIONS, 1), WeightedScore(B, Pool.LABELS, 1)]
    result = allocate(1000, AllocationPolicy(model_share_bps=5000), scores, carried)
    assert (result.model_pool_wei, result.label_pool_wei) == (800, 500)
    assert amounts(result) == {A: 800, B: 500} and result.unallocated_wei == 0


def test_a_priced_pool_pays_price_times_score_and_carries_the_rest() -> None:
    point = SCORE_UNITS_PER_POINT
    scores = [
        WeightedScore(A, Pool.MODEL_PREDICTIONS, point // 100),  # a gain of 0.01
        WeightedScore(B, Pool.MODEL_PREDICTIONS, point // 50),  # 0.02
        WeightedScore(C, Pool.LABELS, 30 * point),  # an annotator score of 30
    ]
    policy = AllocationPolicy(5000, model_price_wei=10_000, label_price_wei=7)
    result = allocate(1000, policy, scores)
    assert amounts(result) == {A: 100, B: 200, C: 210}
    assert (result.carried_out_model_wei, result.carried_out_label_wei) == (200, 290)
    again = allocate(1000, policy, scores, {Pool.MODEL_PREDICTIONS: 200, Pool.LABELS: 290})
    assert amounts(again) == amounts(result)  # the same work is worth the same, whatever is carried in
    assert (again.carried_out_model_wei, again.carried_out_label_wei) == (400, 580)


def test_a_priced_pool_its_money_cannot_cover_pays_everyone_the_same_lower_price() -> None:
    point = SCORE_UNITS_PER_POINT
    scores = [
        WeightedScore(A, Pool.MODEL_PREDICTIONS, point // 10),
        WeightedScore(B, Pool.MODEL_PREDICTIONS, point // 5),
    ]
    result = allocate(1000, AllocationPolicy(10_000, model_price_wei=10_000), scores)  # asks 1000 + 2000
    assert amounts(result) == {A: 333, B: 666} and result.carried_out_model_wei == 1


def test_a_priced_pool_never_pays_above_price_times_score() -> None:
    scores = [WeightedScore(address, Pool.MODEL_PREDICTIONS, 1) for address in (A, B, C)]
    result = allocate(10, AllocationPolicy(10_000, model_price_wei=SCORE_UNITS_PER_POINT // 2 + 1), scores)
    assert amounts(result) == {}  # each is owed 0.5 + 1e-9 base units: rounded down, carried
    assert result.carried_out_model_wei == 10


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


def test_a_minimum_payout_in_a_priced_pool_carries_the_dust_over() -> None:
    point = SCORE_UNITS_PER_POINT
    scores = [WeightedScore(A, Pool.MODEL_PREDICTIONS, point), WeightedScore(B, Pool.MODEL_PREDICTIONS, point // 100)]
    result = allocate(1000, AllocationPolicy(10_000, min_payout_wei=50, model_price_wei=500), scores)
    assert amounts(result) == {A: 500} and result.carried_out_model_wei == 500


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
    with pytest.raises(ValueError, match="model_price_wei"):
        AllocationPolicy(5000, model_price_wei=-1)
    with pytest.raises(ValueError, match="carry-in"):
        allocate(10, AllocationPolicy(5000), [], {Pool.LABELS: -1})
    with pytest.raises(ValueError, match="negative"):
        allocate(10, AllocationPolicy(5000), [WeightedScore(A, Pool.MODEL_PREDICTIONS, -1)])
    with pytest.raises(ValueError, match="budget"):
        allocate(-1, AllocationPolicy(5000), [])


def test_score_units_are_integers_and_ignore_non_positive_scores() -> None:
    assert score_units(0.0123) == 12_300_000
    assert score_units(-0.5) == 0
