"""Exact integer split of an epoch budget (token base units) by score.

1. The budget splits into a model pool (`model_share_bps` / 10,000, rounded down) and a label pool
   (the rest). A pool nobody scored in passes its amount to the other pool; if neither has a
   scorer, the whole budget stays unallocated.
2. Each account's entitlement is the sum, over pools, of pool x its score / the pool's total score,
   as an exact rational.
3. Cap and minimum payout, repeated until nothing changes: an entitlement above the cap is cut to
   the cap, and an entitlement below the minimum payout is dropped; what is cut or dropped goes back
   to be shared by the remaining uncapped accounts in proportion to their entitlements (it stays
   unallocated when nobody can take it).
4. Largest remainder: every entitlement is rounded down, and the units left over go one each to
   the largest fractional parts, ties broken by address (lowercase hex, ascending), so the amounts
   plus the unallocated remainder sum exactly to the budget. A capped entitlement is a whole
   number, so rounding never lifts an amount above the cap or below the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from dao.vocabulary import ContributionKind

SCORE_UNITS_PER_POINT = 10**9  # scores enter the split as integers: round(score x 1e9)
BASIS_POINTS = 10_000


Pool = ContributionKind  # each contribution kind has its own share of the budget


def score_units(score: float) -> int:
    """The integer weight of a score; non-positive scores weigh nothing."""
    return max(0, round(score * SCORE_UNITS_PER_POINT))


@dataclass(frozen=True)
class AllocationPolicy:
    model_share_bps: int
    cap_wei: int | None = None
    min_payout_wei: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.model_share_bps <= BASIS_POINTS:
            raise ValueError(f"model_share_bps must be within 0..{BASIS_POINTS}, got {self.model_share_bps}")
        if self.min_payout_wei < 0:
            raise ValueError(f"min_payout_wei must not be negative, got {self.min_payout_wei}")
        if self.cap_wei is not None and self.cap_wei < max(1, self.min_payout_wei):
            raise ValueError(f"cap_wei ({self.cap_wei}) must be positive and at least min_payout_wei")


@dataclass(frozen=True)
class WeightedScore:
    account: str
    pool: Pool
    units: int


@dataclass(frozen=True)
class AllocationResult:
    model_pool_wei: int
    label_pool_wei: int
    amounts: tuple[tuple[str, int], ...]  # (account, amount), by address, amounts > 0
    unallocated_wei: int


def _pool_budgets(budget_wei: int, policy: AllocationPolicy, totals: dict[Pool, int]) -> dict[Pool, int]:
    model = budget_wei * policy.model_share_bps // BASIS_POINTS
    budgets = {Pool.MODEL_PREDICTIONS: model, Pool.LABELS: budget_wei - model}
    for pool, other in ((Pool.MODEL_PREDICTIONS, Pool.LABELS), (Pool.LABELS, Pool.MODEL_PREDICTIONS)):
        if totals[pool] == 0 and totals[other] > 0:
            budgets[other] += budgets[pool]
            budgets[pool] = 0
    return budgets


def _share_out(entitlement: dict[str, Fraction], amount: Fraction, takers: list[str]) -> Fraction:
    """Share `amount` among `takers` by entitlement; returns what nobody could take."""
    total = sum((entitlement[a] for a in takers), Fraction(0))
    if amount == 0:
        return Fraction(0)
    if total == 0:
        return amount
    for account in takers:
        entitlement[account] += amount * entitlement[account] / total
    return Fraction(0)


def _apply_cap_and_minimum(entitlement: dict[str, Fraction], policy: AllocationPolicy) -> Fraction:
    unallocated = Fraction(0)
    capped: set[str] = set()
    while True:
        uncapped = [a for a in entitlement if a not in capped]
        if policy.cap_wei is not None:
            over = [a for a in uncapped if entitlement[a] > policy.cap_wei]
            if over:
                excess = sum((entitlement[a] - policy.cap_wei for a in over), Fraction(0))
                for account in over:
                    entitlement[account] = Fraction(policy.cap_wei)
                    capped.add(account)
                unallocated += _share_out(entitlement, excess, [a for a in uncapped if a not in capped])
                continue
        under = [a for a in entitlement if entitlement[a] < policy.min_payout_wei]
        if under:
            freed = sum((entitlement.pop(a) for a in under), Fraction(0))
            unallocated += _share_out(entitlement, freed, [a for a in entitlement if a not in capped])
            continue
        return unallocated


def allocate(budget_wei: int, policy: AllocationPolicy, scores: Sequence[WeightedScore]) -> AllocationResult:
    """Split `budget_wei` exactly among the scored accounts (see the module's rules)."""
    if budget_wei < 0:
        raise ValueError(f"budget_wei must not be negative, got {budget_wei}")
    weights: dict[Pool, dict[str, int]] = {Pool.MODEL_PREDICTIONS: {}, Pool.LABELS: {}}
    for score in scores:
        if score.units < 0:
            raise ValueError(f"negative score units for {score.account}")
        if score.units:
            account_units = weights[score.pool]
            account_units[score.account] = account_units.get(score.account, 0) + score.units
    totals = {pool: sum(w.values()) for pool, w in weights.items()}
    budgets = _pool_budgets(budget_wei, policy, totals)
    entitlement: dict[str, Fraction] = {}
    unallocated = Fraction(0)
    for pool, pool_weights in weights.items():
        if totals[pool] == 0:
            unallocated += budgets[pool]
            continue
        for account, units in pool_weights.items():
            entitlement[account] = entitlement.get(account, Fraction(0)) + Fraction(budgets[pool] * units, totals[pool])
    unallocated += _apply_cap_and_minimum(entitlement, policy)
    # Largest remainder over the accounts and the unallocated remainder (which loses ties).
    floors = {account: math.floor(value) for account, value in entitlement.items()}
    unallocated_floor = math.floor(unallocated)
    leftover = budget_wei - sum(floors.values()) - unallocated_floor
    ranking = sorted(
        [(-(entitlement[a] - floors[a]), 0, a.lower(), a) for a in entitlement]
        + [(-(unallocated - unallocated_floor), 1, "", "")],
    )
    for _, is_remainder, _, account in ranking[:leftover]:
        if is_remainder:
            unallocated_floor += 1
        else:
            floors[account] += 1
    amounts = tuple(sorted(((a, v) for a, v in floors.items() if v > 0), key=lambda pair: pair[0].lower()))
    return AllocationResult(budgets[Pool.MODEL_PREDICTIONS], budgets[Pool.LABELS], amounts, unallocated_floor)
