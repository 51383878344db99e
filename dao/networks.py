"""The live networks OpenMerit deploys to, as Brownie network entries.

Brownie keeps network entries in its own data folder; `ensure_brownie_network` adds or
updates an entry whose host is the environment variable named here, expanded by Brownie when it
connects, so no RPC URL (they often hold an API key) is ever written to a file."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class LiveNetwork:
    name: str
    chain_id: int
    rpc_env: str
    explorer: str


TESTNETS = {
    "sepolia": LiveNetwork("sepolia", 11155111, "SEPOLIA_RPC_URL", "https://sepolia.etherscan.io"),
    "base-sepolia": LiveNetwork("base-sepolia", 84532, "BASE_SEPOLIA_RPC_URL", "https://sepolia.basescan.org"),
}


def brownie_network_ids(network_config: Path | None = None) -> set[str]:
    path = network_config or Path.home() / ".brownie" / "network-config.yaml"
    if not path.is_file():
        return set()
    data = yaml.safe_load(path.read_text()) or {}
    ids = {n["id"] for n in data.get("development", [])}
    for group in data.get("live", []):
        ids.update(n["id"] for n in group.get("networks", []))
    return ids


def ensure_brownie_network(
    network: LiveNetwork | str, brownie: str = "brownie", *, host: str | None = None, chain_id: int | None = None
) -> None:
    """Adds (or points at `host`) the Brownie entry of a live network."""
    net = TESTNETS[network] if isinstance(network, str) else network
    settings = [f"host={host or '$' + net.rpc_env}", f"chainid={chain_id or net.chain_id}", f"explorer={net.explorer}"]
    verb = ["modify", net.name] if net.name in brownie_network_ids() else ["add", "OpenMerit", net.name]
    subprocess.run([brownie, "networks", *verb, *settings], check=True, capture_output=True, text=True)
