"""Exact integer split of an epoch budget (token base units) by score.

1. Two pools. Each pool's money is its share of the epoch budget (the model pool
   `model_share_bps` / 10,000 of it, rounded down; the label pool the rest) plus what the same pool
   carried over from the previous epoch.
2. A pool with a price (`model_price_wei`, `label_price_wei`: base units per point of score, i.e.
   per 1.0 of verified gain or of annotator score) pays each of its scorers price x score, exactly,
   when its money covers all of them; otherwise every scorer of the pool gets the same reduced price
   (money / total score), so the pool pays out exactly its money. A pool without a price shares all
   of its money in proportion to score (the earlier rule; splitting work over epochs inflates it).
3. A pool nobody scored in pays nothing: its money carries over to the same pool next epoch, never
   into the other pool.
4. Minimum payout, repeated until nothing changes: an account whose total over both pools is below
   `min_payout_wei` is dropped. What it would have had carries over in a priced pool, and in an
   unpriced pool goes to the pool's remaining scorers in proportion to score (or carries over when
   nobody remains).
5. Rounding, per pool: a priced pool rounds every amount down (an amount never exceeds price x
   score); an unpriced pool uses largest remainder, ties to the lower address (lowercase hex) and the
   carried rest losing ties. An account whose rounded total falls below the minimum is dropped.
   Whatever a pool does not pay, the dust of rounding included, is its carry-out, so the amounts
   plus the two carry-outs sum exactly to the budget plus the two carry-ins.

There is no per-contributor cap: accounts cost nothing, so a cap per account is bypassed by splitting
one contributor's work over several accounts and only holds back the one who does not split.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from dao.vocabulary import ContributionKind

SCORE_UNITS_PER_POINT = 10**9  # scores enter the split as integers: round(score x 1e9)
BASIS_POINTS = 10_000


Pool = ContributionKind  # each contribution kind has its own share of the budget
POOLS = (Pool.MODEL_PREDICTIONS, Pool.LABELS)


def score_units(score: float) -> int:
    """The integer weight of a score; non-positive scores weigh nothing."""
    return max(0, round(score * SCORE_UNITS_PER_POINT))


@dataclass(frozen=True)
class AllocationPolicy:
    model_share_bps: int
    min_payout_wei: int = 0
    model_price_wei: int | None = None  # per point of gain; None: the pool is shared by score
    label_price_wei: int | None = None  # per point of annotator score; None: the pool is shared by score

    def __post_init__(self) -> None:
        if not 0 <= self.model_share_bps <= BASIS_POINTS:
            raise ValueError(f"model_share_bps must be within 0..{BASIS_POINTS}, got {self.model_share_bps}")
        if self.min_payout_wei < 0:
            raise ValueError(f"min_payout_wei must not be negative, got {self.min_payout_wei}")
        for name in ("model_price_wei", "label_price_wei"):
            price = getattr(self, name)
            if price is not None and price < 0:
                raise ValueError(f"{name} must not be negative, got {price}")

    def price(self, pool: Pool) -> int | None:
        return self.model_price_wei if pool is Pool.MODEL_PREDICTIONS else self.label_price_wei


@dataclass(frozen=True)
class WeightedScore:
    account: str
    pool: Pool
    units: int


@dataclass(frozen=True)
class AllocationResult:
    model_pool_wei: int  # the pool's money: its share of the budget plus its carry-in
    label_pool_wei: int
    amounts: tuple[tuple[str, int], ...]  # (account, amount), by address, amounts > 0
    carried_out_model_wei: int = 0  # what the model pool did not pay, for the next epoch's model pool
    carried_out_label_wei: int = 0

    @property
    def unallocated_wei(self) -> int:
        """Everything not paid: both carry-outs."""
        return self.carried_out_model_wei + self.carried_out_label_wei


def pool_money(budget_wei: int, policy: AllocationPolicy, carried_in: Mapping[Pool, int]) -> dict[Pool, int]:
    model = budget_wei * policy.model_share_bps // BASIS_POINTS
    fresh = {Pool.MODEL_PREDICTIONS: model, Pool.LABELS: budget_wei - model}
    return {pool: fresh[pool] + carried_in.get(pool, 0) for pool in POOLS}


def _entitlements(money: int, price: int | None, units: dict[str, int]) -> dict[str, Fraction]:
    total = sum(units.values())
    if total == 0:
        return {}
    if price is not None and price * total <= money * SCORE_UNITS_PER_POINT:
        return {a: Fraction(price * u, SCORE_UNITS_PER_POINT) for a, u in units.items()}
    return {a: Fraction(money * u, total) for a, u in units.items()}  # shared, or a price the money cannot cover


def _drop_under_minimum(entitlement: dict[Pool, dict[str, Fraction]], policy: AllocationPolicy, minimum: int) -> None:
    while True:
        combined: dict[str, Fraction] = {}
        for pool_entitlement in entitlement.values():
            for account, value in pool_entitlement.items():
                combined[account] = combined.get(account, Fraction(0)) + value
        under = {a for a, value in combined.items() if value < minimum}
        if not under:
            return
        for pool, pool_entitlement in entitlement.items():
            freed = sum((pool_entitlement.pop(a) for a in under if a in pool_entitlement), Fraction(0))
            total = sum(pool_entitlement.values(), Fraction(0))
            if policy.price(pool) is None and freed and total:
                for account in pool_entitlement:
                    pool_entitlement[account] += freed * pool_entitlement[account] / total


def _round_pool(money: int, entitlement: dict[str, Fraction], largest_remainder: bool) -> dict[str, int]:
    floors = {account: math.floor(value) for account, value in entitlement.items()}
    if not largest_remainder:
        return floors
    rest = money - sum(entitlement.values(), Fraction(0))
    rest_floor = math.floor(rest)
    leftover = money - sum(floors.values()) - rest_floor
    ranking = sorted(
        [(-(entitlement[a] - floors[a]), 0, a.lower(), a) for a in entitlement] + [(-(rest - rest_floor), 1, "", "")]
    )
    for _, is_rest, _, account in ranking[:leftover]:
        if not is_rest:
            floors[account] += 1
    return floors


def allocate(
    budget_wei: int,
    policy: AllocationPolicy,
    scores: Sequence[WeightedScore],
    carried_in: Mapping[Pool, int] | None = None,
) -> AllocationResult:
    """Split `budget_wei` plus each pool's carry-in exactly among the scored accounts (see the module's rules)."""
    if budget_wei < 0:
        raise ValueError(f"budget_wei must not be negative, got {budget_wei}")
    carried_in = dict(carried_in or {})
    if any(amount < 0 for amount in carried_in.values()):
        raise ValueError("a carry-in must not be negative")
    weights: dict[Pool, dict[str, int]] = {pool: {} for pool in POOLS}
    for score in scores:
        if score.units < 0:
            raise ValueError(f"negative score units for {score.account}")
        if score.units:
            account_units = weights[score.pool]
            account_units[score.account] = account_units.get(score.account, 0) + score.units
    money = pool_money(budget_wei, policy, carried_in)
    entitlement = {pool: _entitlements(money[pool], policy.price(pool), weights[pool]) for pool in POOLS}
    _drop_under_minimum(entitlement, policy, policy.min_payout_wei)
    paid = {pool: _round_pool(money[pool], entitlement[pool], policy.price(pool) is None) for pool in POOLS}
    totals: dict[str, int] = {}
    for pool_paid in paid.values():
        for account, amount in pool_paid.items():
            totals[account] = totals.get(account, 0) + amount
    for account, total in totals.items():
        if total < policy.min_payout_wei:  # rounding took a combined amount under the minimum
            for pool_paid in paid.values():
                pool_paid.pop(account, None)
    carried = {pool: money[pool] - sum(paid[pool].values()) for pool in POOLS}
    amounts: dict[str, int] = {}
    for pool_paid in paid.values():
        for account, amount in pool_paid.items():
            amounts[account] = amounts.get(account, 0) + amount
    ordered = tuple(sorted(((a, v) for a, v in amounts.items() if v > 0), key=lambda pair: pair[0].lower()))
    return AllocationResult(
        money[Pool.MODEL_PREDICTIONS],
        money[Pool.LABELS],
        ordered,
        carried[Pool.MODEL_PREDICTIONS],
        carried[Pool.LABELS],
    )
