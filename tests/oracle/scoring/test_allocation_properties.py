"""Properties of any allocation: exact sum, caps and minimums held, order-independence, monotone shares."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oracle.scoring.allocation import AllocationPolicy, Pool, WeightedScore, allocate

account = st.integers(min_value=1, max_value=2**160 - 1).map(lambda k: "0x" + f"{k:040x}")
weighted = st.builds(WeightedScore, account, st.sampled_from(list(Pool)), st.integers(0, 10**15))


@st.composite
def policies(draw: st.DrawFn) -> AllocationPolicy:
    minimum = draw(st.integers(0, 10**6))
    cap = draw(st.one_of(st.none(), st.integers(max(1, minimum), 10**9)))
    return AllocationPolicy(draw(st.integers(0, 10_000)), cap, minimum)


@settings(max_examples=150, deadline=None)
@given(budget=st.integers(0, 10**10), policy=policies(), scores=st.lists(weighted, max_size=25), data=st.data())
def test_any_allocation_is_exact_and_within_limits(
    budget: int, policy: AllocationPolicy, scores: list[WeightedScore], data: st.DataObject
) -> None:
    result = allocate(budget, policy, scores)
    paid = dict(result.amounts)
    assert sum(paid.values()) + result.unallocated_wei == budget
    assert result.model_pool_wei + result.label_pool_wei == budget
    assert all(amount > 0 for amount in paid.values())
    assert all(amount >= policy.min_payout_wei for amount in paid.values())
    if policy.cap_wei is not None:
        assert all(amount <= policy.cap_wei for amount in paid.values())
    scored = {s.account for s in scores if s.units > 0}
    assert set(paid) <= scored
    assert [a.lower() for a in paid] == sorted(a.lower() for a in paid)
    shuffled = data.draw(st.permutations(scores))
    assert allocate(budget, policy, shuffled) == result


@settings(max_examples=100, deadline=None)
@given(budget=st.integers(10**6, 10**12), units=st.lists(st.integers(1, 10**9), min_size=2, max_size=20, unique=True))
def test_a_higher_score_never_gets_less(budget: int, units: list[int]) -> None:
    scores = [WeightedScore("0x" + f"{i + 1:040x}", Pool.MODEL_PREDICTIONS, u) for i, u in enumerate(units)]
    paid = dict(allocate(budget, AllocationPolicy(10_000), scores).amounts)
    ranked = sorted(scores, key=lambda s: s.units)
    amounts = [paid.get(s.account, 0) for s in ranked]
    assert amounts == sorted(amounts)
