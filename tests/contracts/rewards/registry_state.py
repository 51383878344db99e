"""What the registry suites share: a snapshot of everything a registry call could change, to assert
that a refused call changed nothing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def registry_state(registry, token, holders: Iterable[Any] = (), projects: Iterable[int] = (1,)) -> dict[str, Any]:
    """Contributions (every one assigned), bonds held and paid out, nonces, projects' clocks and slices."""
    holders = list(holders)
    projects = [p for p in projects if p <= registry.projectCount()]
    count = registry.contributionCount()
    return {
        "contributions": count,
        "statuses": [tuple(registry.contribution(i)) for i in range(1, count + 1)],
        "attestations": [tuple(registry.attestation(i)) for i in range(1, count + 1)],
        "balances": {str(h): token.balanceOf(h) for h in [registry, registry.treasury(), *holders]},
        "nonces": {str(h): registry.nonces(h) for h in holders},
        "projects": {p: (tuple(registry.project(p)), [tuple(c) for c in registry.schedules(p)]) for p in projects},
    }
