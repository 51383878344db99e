"""Properties of any allocation: exact sum, minimums held, prices never exceeded, order-independence,
monotone shares, and no gain from splitting one score over several accounts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oracle.scoring.allocation import SCORE_UNITS_PER_POINT, AllocationPolicy, Pool, WeightedScore, allocate

account = st.integers(min_value=1, max_value=2**160 - 1).map(lambda k: "0x" + f"{k:040x}")
weighted = st.builds(WeightedScore, account, st.sampled_from(list(Pool)), st.integers(0, 10**15))
prices = st.one_of(st.none(), st.integers(0, 10**12))


@st.composite
def policies(draw: st.DrawFn) -> AllocationPolicy:
    return AllocationPolicy(draw(st.integers(0, 10_000)), draw(st.integers(0, 10**6)), draw(prices), draw(prices))


@settings(max_examples=150, deadline=None)
@given(
    budget=st.integers(0, 10**10),
    policy=policies(),
    scores=st.lists(weighted, max_size=25),
    carry_model=st.integers(0, 10**10),
    carry_label=st.integers(0, 10**10),
    data=st.data(),
)
def test_any_allocation_is_exact_and_within_limits(
    budget: int,
    policy: AllocationPolicy,
    scores: list[WeightedScore],
    carry_model: int,
    carry_label: int,
    data: st.DataObject,
) -> None:
    carried = {Pool.MODEL_PREDICTIONS: carry_model, Pool.LABELS: carry_label}
    result = allocate(budget, policy, scores, carried)
    paid = dict(result.amounts)
    assert sum(paid.values()) + result.carried_out_model_wei + result.carried_out_label_wei == budget + sum(
        carried.values()
    )
    assert result.unallocated_wei == result.carried_out_model_wei + result.carried_out_label_wei
    assert result.model_pool_wei + result.label_pool_wei == budget + sum(carried.values())
    assert 0 <= result.carried_out_model_wei <= result.model_pool_wei
    assert 0 <= result.carried_out_label_wei <= result.label_pool_wei
    assert all(amount > 0 for amount in paid.values())
    assert all(amount >= policy.min_payout_wei for amount in paid.values())
    if policy.model_price_wei is not None and policy.label_price_wei is not None:
        for who, amount in paid.items():
            owed = sum(
                (policy.model_price_wei if s.pool is Pool.MODEL_PREDICTIONS else policy.label_price_wei) * s.units
                for s in scores
                if s.account == who
            )
            assert amount * SCORE_UNITS_PER_POINT <= owed
    scored = {s.account for s in scores if s.units > 0}
    assert set(paid) <= scored
    assert [a.lower() for a in paid] == sorted(a.lower() for a in paid)
    shuffled = data.draw(st.permutations(scores))
    assert allocate(budget, policy, shuffled, carried) == result


@settings(max_examples=100, deadline=None)
@given(budget=st.integers(10**6, 10**12), units=st.lists(st.integers(1, 10**9), min_size=2, max_size=20, unique=True))
def test_a_higher_score_never_gets_less(budget: int, units: list[int]) -> None:
    scores = [WeightedScore("0x" + f"{i + 1:040x}", Pool.MODEL_PREDICTIONS, u) for i, u in enumerate(units)]
    paid = dict(allocate(budget, AllocationPolicy(10_000), scores).amounts)
    ranked = sorted(scores, key=lambda s: s.units)
    amounts = [paid.get(s.account, 0) for s in ranked]
    assert amounts == sorted(amounts)


@settings(max_examples=150, deadline=None)
@given(
    budget=st.integers(0, 10**12),
    price=st.integers(0, 10**12),
    minimum=st.integers(0, 10**4),
    others=st.lists(st.integers(1, 10**10), max_size=10),
    pieces=st.lists(st.integers(1, 10**10), min_size=1, max_size=8),
    carried=st.integers(0, 10**12),
)
def test_in_a_priced_pool_splitting_a_score_over_accounts_never_pays_more(
    budget: int, price: int, minimum: int, others: list[int], pieces: list[int], carried: int
) -> None:
    policy = AllocationPolicy(10_000, minimum, model_price_wei=price)
    rest = [WeightedScore("0x" + f"{i + 1:040x}", Pool.MODEL_PREDICTIONS, u) for i, u in enumerate(others)]
    one = WeightedScore("0x" + "f" * 40, Pool.MODEL_PREDICTIONS, sum(pieces))
    split = [WeightedScore("0x" + f"{0xE0 + i:040x}", Pool.MODEL_PREDICTIONS, u) for i, u in enumerate(pieces)]
    carry = {Pool.MODEL_PREDICTIONS: carried}
    whole = dict(allocate(budget, policy, [*rest, one], carry).amounts).get(one.account, 0)
    paid = dict(allocate(budget, policy, [*rest, *split], carry).amounts)
    assert sum(paid.get(s.account, 0) for s in split) <= whole
