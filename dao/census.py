"""The census of a deployment, read from the chain rather than from its manifest: who holds every
role of every contract (rebuilt from RoleGranted/RoleRevoked events and checked against
hasRole), who owns each vesting wallet, and how the votes that can exist are spread against the
quorum. Pure of printing: the deploy script refuses to finish on its blocking findings and
`merit status --audit` shows it.

The manifest is used only to find the contracts and the deployer; every fact checked comes from
the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast

from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract

from dao.abi import abi
from dao.deployments import Deployment

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ACCESS_CONTROLLED = ("timelock", "token", "registry", "distributor")
KNOWN_ROLES = ("PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE", "MINTER_ROLE", "ORACLE_ROLE", "GUARDIAN_ROLE")
ROLE_NAMES = {b"\x00" * 32: "DEFAULT_ADMIN_ROLE", **{keccak(text=name): name for name in KNOWN_ROLES}}
VESTING_PREFIX = "vesting-"
LOG_SPAN = 50_000
"""Blocks per eth_getLogs request: public RPC endpoints refuse unbounded ranges."""

Area = Literal["roles", "votes"]


@dataclass(frozen=True)
class RoleHolding:
    contract: str
    role: str
    account: str
    holder: str
    """What the account is to this deployment: a contract key, "deployer", "anyone" or the address."""


@dataclass(frozen=True)
class VestingWallet:
    key: str
    address: str
    beneficiary: str
    balance: int
    start: int
    cliff: int
    end: int


@dataclass(frozen=True)
class VotingPower:
    account: str
    holder: str
    balance: int
    votes: int
    potential: int
    """Votes it has plus its own balance when it has not delegated it: what it can vote with."""


@dataclass(frozen=True)
class Finding:
    area: Area
    message: str
    waived: bool = False
    """Vote findings are waived when the deployment's config carries a safety_waiver; role
    findings never are."""


@dataclass(frozen=True)
class Census:
    network: str
    chain_id: int
    block: int
    deployer: str
    roles: tuple[RoleHolding, ...]
    vesting: tuple[VestingWallet, ...]
    total_supply: int
    locked: int
    votable: int
    quorum: int
    proposal_threshold: int
    powers: tuple[VotingPower, ...]
    """Every account that can vote, largest first."""
    findings: tuple[Finding, ...]
    safety_waiver: str | None = None

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.waived)

    @property
    def ok(self) -> bool:
        """Nothing is off, waived or not: what an audit asks."""
        return not self.findings


@dataclass
class _Names:
    by_address: dict[str, str] = field(default_factory=dict)

    def __call__(self, account: str) -> str:
        return self.by_address.get(to_checksum_address(account), to_checksum_address(account))


def _logs(event: Any, start: int, end: int) -> list[Any]:
    found: list[Any] = []
    for low in range(start, end + 1, LOG_SPAN):
        found += event.get_logs(from_block=low, to_block=min(end, low + LOG_SPAN - 1))
    return found


def _bind(w3: Web3, deployment: Deployment, key: str) -> Contract:
    record = deployment.contracts[key]
    return w3.eth.contract(address=cast(ChecksumAddress, record.address), abi=abi(record.artifact))


def _roles(w3: Web3, deployment: Deployment, names: _Names, end: int) -> tuple[list[RoleHolding], list[Finding]]:
    """Replays every RoleGranted/RoleRevoked in order, then checks each result with hasRole."""
    holdings: list[RoleHolding] = []
    findings: list[Finding] = []
    for key in ACCESS_CONTROLLED:
        if key not in deployment.contracts:
            findings.append(Finding("roles", f"the manifest names no {key}"))
            continue
        contract = _bind(w3, deployment, key)
        start = deployment.contracts[key].block_number
        events = _logs(contract.events.RoleGranted, start, end) + _logs(contract.events.RoleRevoked, start, end)
        events.sort(key=lambda e: (e["blockNumber"], e["logIndex"]))
        held: dict[tuple[bytes, str], bool] = {}
        for event in events:
            pair = (bytes(event["args"]["role"]), to_checksum_address(event["args"]["account"]))
            held[pair] = event["event"] == "RoleGranted"
        for (role, account), holds in sorted(held.items()):
            role_name = ROLE_NAMES.get(role, "0x" + role.hex())
            on_chain = contract.functions.hasRole(role, account).call(block_identifier=end)
            if on_chain != holds:
                findings.append(
                    Finding(
                        "roles", f"{key}.{role_name} of {names(account)}: events say {holds}, hasRole says {on_chain}"
                    )
                )
            if on_chain:
                holdings.append(RoleHolding(key, role_name, account, names(account)))
    return holdings, findings


def _role_findings(holdings: list[RoleHolding], deployment: Deployment) -> list[Finding]:
    findings = []
    by_role: dict[tuple[str, str], set[str]] = {}
    for h in holdings:
        by_role.setdefault((h.contract, h.role), set()).add(h.holder)
        if h.account == deployment.deployer:
            findings.append(Finding("roles", f"the deployer {h.account} still holds {h.contract}.{h.role}"))
    must_be = {(key, "DEFAULT_ADMIN_ROLE"): {"timelock"} for key in ACCESS_CONTROLLED}
    must_be[("timelock", "PROPOSER_ROLE")] = {"governor"}
    for (contract, role), expected in must_be.items():
        actual = by_role.get((contract, role), set())
        if actual != expected:
            findings.append(
                Finding(
                    "roles",
                    f"{contract}.{role} is held by {sorted(actual) or 'nobody'}, "
                    f"not only by the {' and '.join(sorted(expected))}",
                )
            )
    # minting outside a vote would dilute every holder: only the timelock may
    minters = by_role.get(("token", "MINTER_ROLE"), set()) - {"timelock"}
    if minters:
        findings.append(Finding("roles", f"token.MINTER_ROLE is held outside the timelock by {sorted(minters)}"))
    return findings


def _vesting(w3: Web3, deployment: Deployment, token: Contract, names: _Names, end: int) -> list[VestingWallet]:
    wallets = []
    for key in sorted(k for k in deployment.contracts if k.startswith(VESTING_PREFIX)):
        wallet = _bind(w3, deployment, key)
        call: dict[str, Any] = {"block_identifier": end}
        wallets.append(
            VestingWallet(
                key=key,
                address=wallet.address,
                beneficiary=wallet.functions.owner().call(**call),
                balance=token.functions.balanceOf(wallet.address).call(**call),
                start=wallet.functions.start().call(**call),
                cliff=wallet.functions.cliff().call(**call),
                end=wallet.functions.end().call(**call),
            )
        )
    return wallets


def take_census(w3: Web3, deployment: Deployment, *, block: int | None = None) -> Census:
    """The deployment's state at `block` (default: the latest), with every finding."""
    end = w3.eth.block_number if block is None else block
    call: dict[str, Any] = {"block_identifier": end}
    names = _Names({r.address: key for key, r in deployment.contracts.items()})
    names.by_address[ZERO_ADDRESS] = "anyone"
    names.by_address.setdefault(deployment.deployer, "deployer")

    holdings, findings = _roles(w3, deployment, names, end)
    findings += _role_findings(holdings, deployment)

    token = _bind(w3, deployment, "token")
    governor = _bind(w3, deployment, "governor")
    timelock = _bind(w3, deployment, "timelock")
    if governor.functions.token().call(**call) != token.address:
        findings.append(Finding("roles", "the governor counts the votes of another token"))
    if governor.functions.timelock().call(**call) != timelock.address:
        findings.append(Finding("roles", "the governor executes through another timelock"))
    wallets = _vesting(w3, deployment, token, names, end)

    # Every account that ever received tokens; the deployment's own contracts (treasury,
    # distributor, vesting wallets) cannot delegate, so their tokens are locked unless they did.
    transfers = _logs(token.events.Transfer, deployment.contracts["token"].block_number, end)
    accounts = {to_checksum_address(t["args"]["to"]) for t in transfers} - {ZERO_ADDRESS}
    own = {r.address for r in deployment.contracts.values()}
    balances = {a: token.functions.balanceOf(a).call(**call) for a in accounts}
    delegates = {a: token.functions.delegates(a).call(**call) for a in accounts}
    candidates = accounts | {d for d in delegates.values() if d != ZERO_ADDRESS}
    powers = []
    for account in candidates:
        votes = token.functions.getVotes(account).call(**call)
        undelegated = balances.get(account, 0) if delegates.get(account) == ZERO_ADDRESS and account not in own else 0
        if votes + undelegated:
            powers.append(VotingPower(account, names(account), balances.get(account, 0), votes, votes + undelegated))
    powers.sort(key=lambda p: (-p.potential, p.account))
    locked = sum(b for a, b in balances.items() if a in own and delegates[a] == ZERO_ADDRESS)
    total_supply = token.functions.totalSupply().call(**call)
    votable = sum(p.potential for p in powers)
    # what a proposal made now needs: the supply at its snapshot times the current numerator
    quorum = (
        total_supply
        * governor.functions.quorumNumerator().call(**call)
        // governor.functions.quorumDenominator().call(**call)
    )
    threshold = governor.functions.proposalThreshold().call(**call)

    waived = deployment.config.get("safety_waiver") is not None
    largest = powers[0] if powers else None
    vote_problems = []
    if largest is not None and largest.potential >= quorum:
        vote_problems.append(f"{largest.holder} can vote {largest.potential}, at or above quorum {quorum}, alone")
    if largest is not None and 2 * largest.potential > votable:
        vote_problems.append(f"{largest.holder} holds a majority of the {votable} votes that can exist")
    if votable - (largest.potential if largest else 0) < quorum:
        vote_problems.append(
            f"quorum {quorum} is not reachable without the largest holder ({votable} votes can exist in all)"
        )
    deployer_power = next((p.potential for p in powers if p.account == deployment.deployer), 0)
    if deployer_power:
        vote_problems.append(f"the deployer {deployment.deployer} can vote {deployer_power}")
    if votable < threshold:
        vote_problems.append(f"the {votable} votes that can exist are under the proposal threshold {threshold}")
    findings += [Finding("votes", message, waived=waived) for message in vote_problems]

    return Census(
        network=deployment.network,
        chain_id=w3.eth.chain_id,
        block=end,
        deployer=deployment.deployer,
        roles=tuple(holdings),
        vesting=tuple(wallets),
        total_supply=total_supply,
        locked=locked,
        votable=votable,
        quorum=quorum,
        proposal_threshold=threshold,
        powers=tuple(powers),
        findings=tuple(findings),
        safety_waiver=deployment.config.get("safety_waiver"),
    )
