"""OpenMerit's shared vocabulary: one spelling of each concept for every layer.

The enums mirror IContributionRegistry's, member for member and in the same order, so a member's
position is its on-chain code (`tests/contracts/test_vocabulary.py` checks this against the
compiled contracts). Their values are what JSON, the API, reports and the CLI say.
"""

from __future__ import annotations

from enum import Enum
from typing import Self


class _OnChainEnum(str, Enum):
    @property
    def code(self) -> int:
        """The member's uint8 value in the contracts."""
        return list(type(self)).index(self)

    @classmethod
    def from_code(cls, code: int) -> Self:
        """The member with on-chain value `code`; ValueError for a value this version does not know."""
        members = list(cls)
        if not 0 <= code < len(members):
            raise ValueError(f"{code} is not a {cls.__name__} code (0..{len(members) - 1})")
        return members[code]

    @classmethod
    def names(cls) -> list[str]:
        return [member.value for member in cls]


class ContributionKind(_OnChainEnum):
    """What a contribution is (IContributionRegistry.Kind); the oracle scores each kind its own way."""

    MODEL_PREDICTIONS = "model_predictions"
    LABELS = "labels"


class Task(_OnChainEnum):
    """What a project's benchmark asks for (IContributionRegistry.Task)."""

    CLASSIFICATION = "classification"
    REGRESSION = "regression"
    LABELLING = "labelling"


class Phase(_OnChainEnum):
    """Where an epoch is on its project's clock (IContributionRegistry.Phase)."""

    NOT_STARTED = "not_started"
    COMMIT = "commit"
    REVEAL = "reveal"
    CLOSED = "closed"


class Status(_OnChainEnum):
    """Where a contribution is (IContributionRegistry.Status): committed, revealed, attested valid
    (accepted) or invalid (rejected: malformed or a copy), or forfeited (never revealed)."""

    NONE = "none"
    COMMITTED = "committed"
    REVEALED = "revealed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FORFEITED = "forfeited"


# abi.encode(uint256 index, address account, uint256 amount): RewardDistributor's leaf, in this order
# (dao.merkle.rewards builds the reward tree from it; here it is named without loading the encoder).
REWARD_LEAF_ENCODING: tuple[str, str, str] = ("uint256", "address", "uint256")
