"""Helpers every test suite may use: ports, paths, token units, Brownie's revert messages, and the
treasury-funded epoch that many chain tests start from."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO_ROOT / "tests" / "contracts" / "deploy-test.json"
TOKEN = 10**18


def free_port() -> int:
    """A loopback TCP port nobody listens on now (for a server or chain a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def revert_message(error: str, *args: Any) -> str:
    """The message Brownie decodes a custom error into: ``Name: arg1, arg2`` (addresses in
    lower case, fixed-size bytes as Python's bytes repr)."""

    def show(value: Any) -> str:
        if isinstance(value, (bytes, bytearray)):
            return str(bytes(value))
        if hasattr(value, "address"):
            value = value.address
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            return value.lower()
        return str(value)

    return f"{error}: {', '.join(show(a) for a in args)}"


def fund_epoch(
    distributor,
    token,
    treasury,
    epoch_id,
    tree,
    total,
    chain,
    *,
    window=7 * 86400,
    report_cid="bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
):
    """Funds an epoch from the treasury as a passed proposal would: approve, then fundEpoch."""
    token.approve(distributor, total, {"from": treasury})
    return distributor.fundEpoch(epoch_id, tree.root, total, report_cid, chain.time() + window, {"from": treasury})
