"""The relay: a contributor signs an EIP-712 Commit or Reveal, the API's relayer sends commitBySig
or revealBySig and pays the gas (the bond is still the contributor's); and claims, which the
relayer sends as claimMany for an account (see `relay_claims`).

Nothing is sent before the signature is checked (`dao.eip712.recover` over the exact typed data the
registry verifies), the deadline has not passed, the nonce is the contributor's next one, and a
static call succeeds. A replayed signature (relayed before, or its nonce used) and a foreign one
(another signer, chain or registry, or a field changed after signing) are refused with 4xx. The
relay writes nothing to the database: the indexer records what the chain says.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_keys.exceptions import BadSignature
from eth_utils import to_bytes
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted
from web3.logs import DISCARD

from api.deps import AppState
from api.schemas import ClaimRelayRequest, CommitRelayRequest, RevealRelayRequest
from dao import eip712
from dao.chain import decode_revert
from dao.gas import InsufficientGasError, check_can_pay, format_eth


class RelayRefused(Exception):
    """A commit, reveal or claim the relay will not send; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


@dataclass(frozen=True)
class Relayed:
    tx_hash: str
    contribution_id: int
    project_id: int
    epoch: int
    block_number: int


def _check_signer(typed: dict[str, Any], signature: str, contributor: str, what: str, chain_id: int, registry: str):
    try:
        signer = eip712.recover(typed, to_bytes(hexstr=signature))
    except (ValueError, TypeError, BadSignature) as exc:
        raise RelayRefused(400, f"the signature cannot be decoded: {exc}") from None
    if signer != contributor:
        raise RelayRefused(
            403,
            f"the signature is not {contributor}'s over this {what} on chain {chain_id} and registry {registry} "
            f"(it recovers to {signer})",
        )


def check_commit_signature(request: CommitRelayRequest, chain_id: int, registry: str) -> dict[str, Any]:
    """The Commit typed data the registry will verify, after checking the contributor signed it."""
    typed = eip712.commit(
        chain_id,
        registry,
        contributor=request.contributor,
        project_id=request.project_id,
        commitment=bytes.fromhex(request.commitment[2:]),
        nonce=request.nonce,
        deadline=request.deadline,
    )
    _check_signer(typed, request.signature, request.contributor, "commit", chain_id, registry)
    return typed


def check_reveal_signature(request: RevealRelayRequest, chain_id: int, registry: str) -> dict[str, Any]:
    """The Reveal typed data the registry will verify, after checking the contributor signed it.
    (The project and epoch are not signed: the commitment binds them, and the static call checks it.)"""
    typed = eip712.reveal(
        chain_id,
        registry,
        contributor=request.contributor,
        contribution_id=request.contribution_id,
        kind=request.kind.code,
        cid=request.cid,
        salt=bytes.fromhex(request.salt[2:]),
        nonce=request.nonce,
        deadline=request.deadline,
    )
    _check_signer(typed, request.signature, request.contributor, "reveal", chain_id, registry)
    return typed


def _send(
    state: AppState,
    *,
    contributor: str,
    nonce: int,
    deadline: int,
    signature: str,
    what: str,
    build: Callable[[Contract], ContractFunction],
) -> dict[str, Any]:
    """Checks the deadline, the replay and the nonce, simulates, sends; returns the receipt."""
    key = state.settings.relayer_private_key
    if key is None:
        raise RelayRefused(503, "this API has no relayer key (MERIT_API_RELAYER_PRIVATE_KEY); send it directly")
    if deadline < int(time.time()):
        raise RelayRefused(400, f"the signature's deadline {deadline} has passed")
    signature_id = signature.lower()
    registry = state.contracts.registry
    relayer = Account.from_key(key.get_secret_value())
    w3 = state.w3
    with state.relay_lock:  # one relayer nonce at a time
        if signature_id in state.relayed_signatures:
            raise RelayRefused(409, "this signature was relayed before (replay)")
        expected_nonce = registry.functions.nonces(contributor).call()
        if nonce < expected_nonce:
            raise RelayRefused(409, f"nonce {nonce} of {contributor} is used (replay); the next is {expected_nonce}")
        if nonce > expected_nonce:
            raise RelayRefused(400, f"nonce {nonce} is ahead: {contributor}'s next is {expected_nonce}")
        call = build(registry)
        try:
            call.call({"from": relayer.address})
        except (ContractCustomError, ContractLogicError) as exc:
            raise RelayRefused(400, f"the registry would refuse this {what}: {decode_revert(exc)}") from None
        tx = call.build_transaction(
            {
                "from": relayer.address,
                "gas": state.settings.relay_gas_limit,
                "nonce": w3.eth.get_transaction_count(relayer.address, "pending"),
                "chainId": state.deployment.chain_id,
            }
        )
        signed = relayer.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        state.relayed_signatures.add(signature_id)
    try:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    except TimeExhausted:
        raise RelayRefused(504, f"sent as {tx_hash.hex()} but not mined within 60 s") from None
    if receipt["status"] != 1:
        raise RelayRefused(502, f"the {what} transaction {tx_hash.hex()} reverted")
    return dict(receipt)


def _tx_hash(receipt: dict[str, Any]) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex().removeprefix("0x")


def relay_commit(state: AppState, request: CommitRelayRequest) -> Relayed:
    if state.settings.relayer_private_key is None:
        raise RelayRefused(503, "this API has no relayer key (MERIT_API_RELAYER_PRIVATE_KEY); send it directly")
    deployment = state.deployment
    check_commit_signature(request, deployment.chain_id, deployment.address("registry"))
    receipt = _send(
        state,
        contributor=request.contributor,
        nonce=request.nonce,
        deadline=request.deadline,
        signature=request.signature,
        what="commit",
        build=lambda registry: registry.functions.commitBySig(
            request.contributor,
            request.project_id,
            bytes.fromhex(request.commitment[2:]),
            request.nonce,
            request.deadline,
            to_bytes(hexstr=request.signature),
        ),
    )
    (event,) = state.contracts.registry.events.Committed().process_receipt(
        receipt, errors=DISCARD
    )  # the bond's Transfer too
    return Relayed(
        tx_hash=_tx_hash(receipt),
        contribution_id=event["args"]["contributionId"],
        project_id=event["args"]["projectId"],
        epoch=event["args"]["epoch"],
        block_number=receipt["blockNumber"],
    )


def _check_revealed_artifact(state: AppState, request: RevealRelayRequest) -> None:
    """A reveal names its artifact: when this API's store holds it (and the project's benchmark
    inputs), it is checked against the project's format and a file the oracle would reject is not
    revealed (422). A relayed commit carries only a commitment, so nothing can be checked there."""
    from api.validation import CannotCheck, load_format
    from dao.artifacts.errors import ArtifactError
    from oracle.scoring.rejections import ArtifactRejected
    from oracle.scoring.validation import check_contribution

    try:
        if not state.store.has(request.cid):
            return
        data = state.store.get(request.cid)
        with state.sessions() as session:
            fmt = load_format(session, state.store, request.project_id)
    except (ArtifactError, CannotCheck):
        return  # not checkable here: the oracle decides at epoch close
    try:
        check_contribution(data, request.kind, fmt)
    except ArtifactRejected as error:
        raise RelayRefused(
            422,
            f"artifact {request.cid} is not valid {request.kind.value} for project {request.project_id}: "
            f"{error.detail} ({error.reason.value}); not revealed",
        ) from None


def relay_reveal(state: AppState, request: RevealRelayRequest) -> Relayed:
    if state.settings.relayer_private_key is None:
        raise RelayRefused(503, "this API has no relayer key (MERIT_API_RELAYER_PRIVATE_KEY); send it directly")
    deployment = state.deployment
    check_reveal_signature(request, deployment.chain_id, deployment.address("registry"))
    _check_revealed_artifact(state, request)
    receipt = _send(
        state,
        contributor=request.contributor,
        nonce=request.nonce,
        deadline=request.deadline,
        signature=request.signature,
        what="reveal",
        build=lambda registry: registry.functions.revealBySig(
            request.contributor,
            request.contribution_id,
            request.project_id,
            request.epoch,
            request.kind.code,
            request.cid,
            bytes.fromhex(request.salt[2:]),
            request.nonce,
            request.deadline,
            to_bytes(hexstr=request.signature),
        ),
    )
    (event,) = state.contracts.registry.events.Revealed().process_receipt(receipt, errors=DISCARD)
    return Relayed(
        tx_hash=_tx_hash(receipt),
        contribution_id=event["args"]["contributionId"],
        project_id=event["args"]["projectId"],
        epoch=event["args"]["epoch"],
        block_number=receipt["blockNumber"],
    )


# ------------------------------------------------------------------------------------------ claims
#
# The distributor pays each claim to the account in its leaf whoever sends it, so a relayed claim
# needs no signature: the worst anyone can do with this endpoint is pay an account what it is owed.
# What it must not become is a gas faucet: nothing is sent that a static call says would revert
# (claimed already, a bad proof, an unknown, swept or closed epoch), each allocation can be paid
# once, a request carries at most MAX_RELAY_CLAIMS claims, and the transactions sent are
# rate-limited per account and per client (settings.relay_claims_per_account / _per_client) on top
# of the write limit every request counts against. Only transactions sent count, so nobody can
# use up another account's allowance with refused requests.


@dataclass(frozen=True)
class RelayedClaims:
    tx_hash: str
    account: str
    amount: int
    claims: list[tuple[int, int, int]]  # (epoch key, index, amount) of each Claimed event
    block_number: int


def relay_claims(state: AppState, request: ClaimRelayRequest, client: str) -> RelayedClaims:
    """Sends claimMany(account, claims) from the relayer after a static call shows it would pay."""
    key = state.settings.relayer_private_key
    if key is None:
        raise RelayRefused(503, "this API has no relayer key (MERIT_API_RELAYER_PRIVATE_KEY); claim directly")
    relayer = Account.from_key(key.get_secret_value())
    w3 = state.w3
    distributor = state.contracts.distributor
    account = request.account
    call = distributor.functions.claimMany(
        account,
        [(int(c.epoch_key), c.index, int(c.amount), [bytes.fromhex(p[2:]) for p in c.proof]) for c in request.claims],
    )
    with state.relay_lock:  # one relayer nonce at a time; the limits are read and counted under it
        limits = state.claim_limits
        which, wait = limits.wait(account, client)
        if wait > 0:
            who = f"account {account}" if which == "account" else f"client {client}"
            raise RelayRefused(
                429,
                f"too many relayed claims for {who}; retry in {wait:.0f} s",
                headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            )
        try:
            call.call({"from": relayer.address})
        except (ContractCustomError, ContractLogicError) as exc:
            reason = decode_revert(exc)
            status = 409 if reason.startswith("DistributorAlreadyClaimed") else 400
            raise RelayRefused(status, f"the distributor would refuse this claim: {reason}") from None
        gas = int(call.estimate_gas({"from": relayer.address}) * 1.25) + 10_000
        tx = call.build_transaction(
            {
                "from": relayer.address,
                "gas": gas,
                "nonce": w3.eth.get_transaction_count(relayer.address, "pending"),
                "chainId": state.deployment.chain_id,
            }
        )
        try:
            check_can_pay(w3, tx)
        except InsufficientGasError as exc:
            raise RelayRefused(
                503,
                f"the relayer {relayer.address} has {format_eth(exc.balance)} ETH, too little for this claim's gas "
                f"(up to {format_eth(exc.needed)} ETH); claim directly or try later",
            ) from None
        signed = relayer.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        limits.count(account, client)
    try:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    except TimeExhausted:
        raise RelayRefused(504, f"sent as {tx_hash.hex()} but not mined within 60 s") from None
    if receipt["status"] != 1:
        raise RelayRefused(502, f"the claim transaction {tx_hash.hex()} reverted")
    events = distributor.events.Claimed().process_receipt(receipt, errors=DISCARD)  # the Transfer too
    paid = [(int(e["args"]["epochKey"]), int(e["args"]["index"]), int(e["args"]["amount"])) for e in events]
    return RelayedClaims(
        tx_hash=_tx_hash(dict(receipt)),
        account=account,
        amount=sum(amount for _, _, amount in paid),
        claims=paid,
        block_number=int(receipt["blockNumber"]),
    )
