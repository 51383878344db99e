"""Helpers every test suite may use: ports, paths, token units, Brownie's revert messages, the
treasury-funded epoch that many chain tests start from, and a project's life on its epoch clock
(register it, move the chain to a phase, commit and reveal)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dao.commitments import contribution_commitment
from dao.slices import SliceSet
from dao.vocabulary import ContributionKind, Phase

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO_ROOT / "tests" / "contracts" / "deploy-test.json"
TOKEN = 10**18
HOUR = 3600
BENCHMARK_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"  # 59 characters, a base32 CIDv1
SLICE_CID = "bafkreie7q3iidccmpvszul7kudcvvuavuo7u6gzlbobczuk5nqk3b4akba"


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
    project_id,
    epoch,
    tree,
    total,
    chain,
    *,
    window=7 * 86400,
    report_cid="bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
):
    """Funds a project's (closed) epoch from the treasury as a passed proposal would: approve, then
    fundEpoch."""
    token.approve(distributor, total, {"from": treasury})
    deadline = latest_timestamp() + window
    return distributor.fundEpoch(project_id, epoch, tree.root, total, report_cid, deadline, {"from": treasury})


# ------------------------------------------------------------------------------ the epoch clock


def latest_timestamp() -> int:
    """The timestamp of the chain's latest block (the node's clock, not the wall's)."""
    from brownie import web3

    return int(web3.eth.get_block("latest").timestamp)


def set_next_timestamp(timestamp: int) -> None:
    """The next block (the next transaction's) is stamped exactly `timestamp`."""
    from brownie import web3

    web3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def advance_to(timestamp: int) -> None:
    """Mines a block at `timestamp` at the latest (a block later, if the chain is already there):
    the next transaction lands at or after it. Through Brownie's chain.sleep, so that
    chain.time() and the snapshots fn_isolation reverts to keep following the node's clock."""
    from brownie import chain

    gap = timestamp - latest_timestamp()
    if gap > 0:
        chain.sleep(gap)
    chain.mine()


def advance_to_phase(registry, project_id: int, epoch: int, phase: Phase) -> None:
    """The chain moves to the start of `epoch`'s commit window, reveal window, or its close."""
    commit_start, reveal_start, end = registry.epochWindows(project_id, epoch)
    target = {Phase.COMMIT: commit_start, Phase.REVEAL: reveal_start, Phase.CLOSED: end}[phase]
    assert latest_timestamp() < target, f"the chain is past the {phase.value} of epoch {epoch} already"
    advance_to(target)


def current_epoch(registry, project_id: int) -> int:
    epoch, _ = registry.epochAt(project_id, latest_timestamp())
    return int(epoch)


def hidden_slices(count: int = 3, *, label: bytes = b"answers") -> SliceSet:
    """A project's hidden slices, deterministic so that module-scoped data stays the same."""
    datas = [label + b" slice %d" % i for i in range(count)]
    salts = [bytes([0x5A, i + 1]) * 16 for i in range(count)]
    return SliceSet.build(datas, salts)


def project_params(
    *,
    start: int,
    slices: SliceSet,
    name: str = "digits",
    task: int = 0,
    commit_window: int = HOUR,
    reveal_window: int = HOUR,
    bond: int = 0,
    benchmark_cid: str = BENCHMARK_CID,
) -> tuple:
    """IContributionRegistry.ProjectParams as a tuple, in its field order."""
    return (
        name,
        task,
        "accuracy",
        benchmark_cid,
        start,
        commit_window,
        reveal_window,
        bond,
        "0x" + slices.root.hex(),
        len(slices),
    )


def register_project(
    registry,
    treasury,
    *,
    slices: SliceSet | None = None,
    start_in: int = 60,
    open_now: bool = True,
    **params: Any,
) -> int:
    """Registers a project (as governance, `treasury` being the impersonated timelock) whose first
    epoch starts `start_in` seconds after the latest block; with `open_now`, the chain then moves to
    that start, so epoch 0's commit window is open. Returns the project id."""
    start = latest_timestamp() + start_in
    tx = registry.registerProject(
        project_params(start=start, slices=slices or hidden_slices(), **params), {"from": treasury}
    )
    if open_now:
        advance_to(start)
    return int(tx.return_value)


@dataclass(frozen=True)
class Sealed:
    """A contribution as its contributor prepares it off chain: what the commit hides."""

    contributor: str
    project_id: int
    epoch: int
    kind: int = ContributionKind.MODEL_PREDICTIONS.code
    cid: str = CID
    salt: bytes = bytes([0x5A]) * 32

    @property
    def commitment(self) -> bytes:
        return contribution_commitment(
            contributor=self.contributor,
            project_id=self.project_id,
            epoch=self.epoch,
            kind=ContributionKind.from_code(self.kind),  # type: ignore[arg-type]
            cid=self.cid,
            salt=self.salt,
        )

    def reveal_args(self, contribution_id: int) -> tuple:
        """The arguments of registry.reveal for this contribution committed as `contribution_id`."""
        return contribution_id, self.project_id, self.epoch, self.kind, self.cid, self.salt


def seal(registry, account, project_id: int, **fields: Any) -> Sealed:
    """What `account` would commit to `project_id` now (in the epoch the clock shows)."""
    return Sealed(getattr(account, "address", account), project_id, current_epoch(registry, project_id), **fields)


def commit(registry, account, project_id: int, **fields: Any) -> tuple[int, Sealed]:
    """`account` commits a contribution in the open commit window: (contribution id, what it hides)."""
    sealed = seal(registry, account, project_id, **fields)
    tx = registry.commit(project_id, sealed.commitment, {"from": account})
    return int(tx.return_value), sealed
