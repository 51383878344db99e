"""The submitBySig relay: a contributor signs an EIP-712 Submission, the API's relayer sends it and
pays the gas.

Nothing is sent before the signature is checked (`dao.eip712.recover` over the exact typed data the
registry verifies), the nonce is the contributor's next one, the deadline has not passed, and a
static call of submitBySig succeeds. A replayed signature (relayed before, or its nonce used) and a
foreign one (another signer, chain or registry) are refused with 4xx.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_keys.exceptions import BadSignature
from eth_utils import keccak, to_bytes
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted

from api.deps import AppState
from api.schemas import SubmissionRelayRequest
from dao import eip712
from dao.abi import abi


class RelayRefused(Exception):
    """A submission the relay will not send; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Relayed:
    tx_hash: str
    contribution_id: int
    block_number: int


def _error_names() -> dict[str, str]:
    names = {}
    for entry in abi("ContributionRegistry"):
        if entry.get("type") == "error":
            signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
            names["0x" + keccak(text=signature)[:4].hex()] = entry["name"]
    return names


ERROR_NAMES = _error_names()


def _revert_name(exc: Exception) -> str:
    data = getattr(exc, "data", None) or (exc.args[1] if len(exc.args) > 1 else None)
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        return ERROR_NAMES.get(data[:10].lower(), data[:10])
    return str(exc.args[0]) if exc.args else type(exc).__name__


def check_signature(request: SubmissionRelayRequest, chain_id: int, registry: str) -> dict[str, Any]:
    """The typed data the registry will verify, after checking the contributor signed it."""
    typed = eip712.submission(
        chain_id,
        registry,
        contributor=request.contributor,
        project_id=request.project_id,
        kind=request.kind.code,
        cid=request.cid,
        nonce=request.nonce,
        deadline=request.deadline,
    )
    try:
        signer = eip712.recover(typed, to_bytes(hexstr=request.signature))
    except (ValueError, TypeError, BadSignature) as exc:
        raise RelayRefused(400, f"the signature cannot be decoded: {exc}") from None
    if signer != request.contributor:
        raise RelayRefused(
            403,
            f"the signature is not {request.contributor}'s over this submission on chain "
            f"{chain_id} and registry {registry} (it recovers to {signer})",
        )
    return typed


def relay_submission(state: AppState, request: SubmissionRelayRequest) -> Relayed:
    key = state.settings.relayer_private_key
    if key is None:
        raise RelayRefused(503, "this API has no relayer key (MERIT_API_RELAYER_PRIVATE_KEY); submit directly")
    deployment = state.deployment
    registry_address = deployment.address("registry")
    check_signature(request, deployment.chain_id, registry_address)
    if request.deadline < int(time.time()):
        raise RelayRefused(400, f"the signature's deadline {request.deadline} has passed")
    signature_id = request.signature.lower()
    registry = state.contracts.registry
    relayer = Account.from_key(key.get_secret_value())
    w3 = state.w3
    with state.relay_lock:  # one relayer nonce at a time
        if signature_id in state.relayed_signatures:
            raise RelayRefused(409, "this signature was relayed before (replay)")
        expected_nonce = registry.functions.nonces(request.contributor).call()
        if request.nonce < expected_nonce:
            raise RelayRefused(
                409, f"nonce {request.nonce} of {request.contributor} is used (replay); the next is {expected_nonce}"
            )
        if request.nonce > expected_nonce:
            raise RelayRefused(400, f"nonce {request.nonce} is ahead: {request.contributor}'s next is {expected_nonce}")
        call = registry.functions.submitBySig(
            request.contributor,
            request.project_id,
            request.kind.code,
            request.cid,
            request.nonce,
            request.deadline,
            to_bytes(hexstr=request.signature),
        )
        try:
            call.call({"from": relayer.address})
        except (ContractCustomError, ContractLogicError) as exc:
            raise RelayRefused(400, f"the registry would refuse this submission: {_revert_name(exc)}") from None
        tx = call.build_transaction(
            {
                "from": relayer.address,
                "gas": state.settings.relay_gas_limit,
                "nonce": w3.eth.get_transaction_count(relayer.address, "pending"),
                "chainId": deployment.chain_id,
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
        raise RelayRefused(502, f"the submission transaction {tx_hash.hex()} reverted")
    events = registry.events.ContributionSubmitted().process_receipt(receipt)
    return Relayed(
        tx_hash="0x" + bytes(tx_hash).hex().removeprefix("0x"),
        contribution_id=events[0]["args"]["contributionId"],
        block_number=receipt["blockNumber"],
    )
