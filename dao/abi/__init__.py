"""The contracts' ABIs: the one definition of every function and event format that the oracle,
the API, the indexer and the CLI use at run time (they talk to the chain through web3.py, not
Brownie, and need no compiled build).

The JSON files beside this module are exported from Brownie's build by
``python -m dao.abi`` (after ``brownie compile``); a test fails whenever they differ from
what the contracts compile to, so they cannot go stale unnoticed.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CONTRACTS = (
    "MeritToken",
    "MeritGovernor",
    "MeritTimelock",
    "MeritVesting",
    "ContributionRegistry",
    "RewardDistributor",
)
ABI_DIR = Path(__file__).parent


@cache
def abi(contract: str) -> list[dict[str, Any]]:
    """The ABI of one of CONTRACTS."""
    if contract not in CONTRACTS:
        raise KeyError(f"no ABI for {contract!r}; known: {', '.join(CONTRACTS)}")
    return json.loads((ABI_DIR / f"{contract}.json").read_text())


def event_abi(contract: str, event: str) -> dict[str, Any]:
    """One event's ABI entry."""
    for entry in abi(contract):
        if entry.get("type") == "event" and entry.get("name") == event:
            return entry
    raise KeyError(f"{contract} has no event {event!r}")


def export(build_contracts: Path, destination: Path = ABI_DIR) -> list[Path]:
    """Writes each contract's ABI from a Brownie build folder (build/contracts)."""
    written = []
    for contract in CONTRACTS:
        artifact = json.loads((build_contracts / f"{contract}.json").read_text())
        path = destination / f"{contract}.json"
        path.write_text(json.dumps(artifact["abi"], indent=1, sort_keys=True) + "\n")
        written.append(path)
    return written
