"""Run-time chain access for the oracle, the API, the indexer and the CLI: web3.py against any
JSON-RPC endpoint, the deployment manifest, and the ABIs of dao.abi. (Brownie is for compiling,
deploying and testing; nothing here imports it.)"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import requests
from eth_typing import ChecksumAddress
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import RPCEndpoint, RPCResponse

from dao.abi import abi
from dao.deployments import Deployment, load_deployment
from dao.epochs import EpochClock, ScheduleConfig

DEFAULT_RPC_URL = "http://127.0.0.1:8545"

log = logging.getLogger("dao.chain")


class ChainMismatchError(RuntimeError):
    """The endpoint's chain is not the one the deployment manifest was made on."""


class RpcUnavailableError(ConnectionError):
    """The node kept failing for longer than the retry window."""


class TransactionFailedError(RuntimeError):
    """A sent transaction was mined and failed (status 0); the message says why when the chain can."""


def _retryable_response(response: RPCResponse) -> bool:
    error = response.get("error") if isinstance(response, dict) else None
    if not error:
        return False
    message = str(error.get("message", "")).lower() if isinstance(error, dict) else str(error).lower()
    code = error.get("code") if isinstance(error, dict) else None
    return code in (-32005, 429) or "rate limit" in message or "too many requests" in message


# What a node answers when it already holds a transaction (or its nonce is spent).
ALREADY_SENT = ("already known", "already imported", "nonce too low", "known transaction")


class RetryingHTTPProvider(HTTPProvider):
    """An HTTP provider that retries connection errors, timeouts, HTTP 429/5xx and rate-limit
    answers with exponential backoff (and jitter) for up to `retry_seconds`.

    Re-sending `eth_sendRawTransaction` is safe: the same signed bytes have the same hash, and when
    a retry hears "already known" or "nonce too low" the earlier attempt reached the node, so the
    hash is returned and the caller follows it to a receipt.
    """

    def __init__(
        self,
        endpoint_uri: str,
        *,
        timeout: float = 30.0,
        retry_seconds: float = 120.0,
        backoff_seconds: float = 0.25,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        super().__init__(endpoint_uri, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
        self.retry_seconds = retry_seconds
        self.backoff_seconds, self.max_backoff_seconds = backoff_seconds, max_backoff_seconds

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        deadline = time.monotonic() + self.retry_seconds
        attempt = 0
        while True:
            try:
                response = super().make_request(method, params)
                if not _retryable_response(response):
                    if attempt and method == "eth_sendRawTransaction" and "error" in response:
                        message = str(response["error"].get("message", "")).lower()
                        if any(text in message for text in ALREADY_SENT):
                            return {
                                "jsonrpc": "2.0",
                                "id": response.get("id"),
                                "result": "0x" + keccak(HexBytes(params[0])).hex(),
                            }
                    return response
                fault: str = f"rate limited: {response['error']}"
            except (requests.ConnectionError, requests.Timeout) as error:
                fault = f"{type(error).__name__}"
            except requests.HTTPError as error:
                status = error.response.status_code if error.response is not None else None
                if status is not None and status != 429 and status < 500:
                    raise
                fault = f"HTTP {status}"
            attempt += 1
            pause = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** min(attempt - 1, 16))
            pause *= 0.5 + random.random()  # jitter: many clients must not retry in step
            if time.monotonic() + pause > deadline:
                raise RpcUnavailableError(
                    f"{method} failed {attempt} times over {self.retry_seconds:g} s ({fault}) at {self.endpoint_uri}"
                )
            log.warning(
                "rpc fault, retrying",
                extra={"rpc_method": method, "fault": fault, "attempt": attempt, "pause_seconds": round(pause, 3)},
            )
            time.sleep(pause)


def connect(
    rpc_url: str = DEFAULT_RPC_URL,
    *,
    timeout: float = 30.0,
    retry_seconds: float | None = None,
    backoff_seconds: float = 0.25,
    max_backoff_seconds: float = 5.0,
) -> Web3:
    """A web3 client with an explicit request timeout (a node that hangs never hangs us forever).

    With `retry_seconds` set, every request survives RPC faults (connection errors, timeouts, HTTP
    429/5xx, rate limits) for that long and then raises RpcUnavailableError (the oracle's loop);
    without it, a fault raises web3's own error at once (a command that should answer now)."""
    if retry_seconds is None:
        return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    return Web3(
        RetryingHTTPProvider(
            rpc_url,
            timeout=timeout,
            retry_seconds=retry_seconds,
            backoff_seconds=backoff_seconds,
            max_backoff_seconds=max_backoff_seconds,
        )
    )


@dataclass(frozen=True)
class OpenMeritContracts:
    deployment: Deployment
    token: Contract
    governor: Contract
    timelock: Contract
    registry: Contract
    distributor: Contract


def load_contracts(w3: Web3, deployment: Deployment | Path | str) -> OpenMeritContracts:
    """The deployment's contracts bound to `w3`; refuses a manifest from another chain."""
    if not isinstance(deployment, Deployment):
        deployment = load_deployment(Path(deployment))
    chain_id = w3.eth.chain_id
    if chain_id != deployment.chain_id:
        raise ChainMismatchError(
            f"the {deployment.network} deployment is on chain id {deployment.chain_id}, "
            f"but the node answers chain id {chain_id}"
        )

    def bind(key: str) -> Contract:
        record = deployment.contracts[key]
        address = cast(ChecksumAddress, record.address)  # the manifest's addresses are checksummed on load
        return w3.eth.contract(address=address, abi=abi(record.artifact))

    bound = OpenMeritContracts(
        deployment=deployment,
        token=bind("token"),
        governor=bind("governor"),
        timelock=bind("timelock"),
        registry=bind("registry"),
        distributor=bind("distributor"),
    )
    _last_bound[0] = bound
    return bound


# The deployment load_contracts bound last, so that explain_revert can read the times a revert
# sentence gives (voting opens, a timelock delay ends) without every caller passing it.
_last_bound: list[OpenMeritContracts | None] = [None]


def read_struct(call: ContractFunction) -> dict[str, Any]:
    """A view call's result by field name: the fields of a returned struct, or the named outputs
    (``registry.functions.project(1)`` gives ``{"registered": ..., "task": ..., ...}``), so no
    caller depends on the order of a struct's fields."""
    outputs = call.abi["outputs"]
    result = call.call()
    if len(outputs) == 1 and outputs[0]["type"] == "tuple":
        return dict(zip((c["name"] for c in outputs[0]["components"]), result, strict=True))
    if len(outputs) == 1:
        result = (result,)
    names = [o["name"] for o in outputs]
    if not all(names):
        raise ValueError(f"{call.fn_name} has unnamed outputs; name them in the contract")
    return dict(zip(names, result, strict=True))


def project_clock(registry: Contract, project_id: int) -> EpochClock:
    """A project's epoch clock, from the registry's schedule configurations."""
    configs = registry.functions.schedules(project_id).call()
    names = [c["name"] for c in registry.functions.schedules(project_id).abi["outputs"][0]["components"]]
    return EpochClock(ScheduleConfig.from_chain(dict(zip(names, config, strict=True))) for config in configs)


def _error_selectors() -> dict[bytes, dict]:
    from eth_utils import function_signature_to_4byte_selector

    from dao.abi import CONTRACTS

    selectors: dict[bytes, dict] = {}
    for contract in CONTRACTS:
        for entry in abi(contract):
            if entry.get("type") == "error":
                signature = f"{entry['name']}({','.join(_abi_type(i) for i in entry['inputs'])})"
                selectors[function_signature_to_4byte_selector(signature)] = entry
    return selectors


def _abi_type(item: dict) -> str:
    if item["type"].startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + item["type"][5:]
    return item["type"]


def decode_custom_error(data: bytes | str) -> tuple[str, dict[str, Any]] | None:
    """A custom error's name and arguments by name, from the contracts' ABIs; None for data no
    ABI knows."""
    from eth_abi import decode
    from eth_utils import to_bytes

    raw = to_bytes(hexstr=data) if isinstance(data, str) else bytes(data)
    entry = _error_selectors().get(raw[:4])
    if entry is None:
        return None
    values = decode([_abi_type(i) for i in entry["inputs"]], raw[4:])
    return entry["name"], {item["name"] or f"_{n}": v for n, (item, v) in enumerate(zip(entry["inputs"], values))}


def decode_error(data: bytes | str) -> str:
    """A custom error's revert data as ``Name(arg=value, ...)``, from the contracts' ABIs."""
    from eth_abi import decode
    from eth_utils import to_bytes

    raw = to_bytes(hexstr=data) if isinstance(data, str) else bytes(data)
    entry = _error_selectors().get(raw[:4])
    if entry is None:
        return f"unknown error 0x{raw.hex()}"
    values = decode([_abi_type(i) for i in entry["inputs"]], raw[4:])
    shown = []
    for item, value in zip(entry["inputs"], values):
        if isinstance(value, bytes):
            value = "0x" + value.hex()
        shown.append(f"{item['name'] or '_'}={value}")
    return f"{entry['name']}({', '.join(shown)})"


def decode_revert(exc: Exception) -> str:
    """What a web3 revert exception says, with custom errors decoded by name."""
    data = getattr(exc, "data", None)
    if isinstance(data, (bytes, str)) and len(data) >= 10:
        try:
            return decode_error(data)
        except Exception:
            pass
    return getattr(exc, "message", None) or str(exc)


def explain_revert(exc: Exception, contracts: OpenMeritContracts | None = None) -> tuple[str, int]:
    """A revert as a sentence that says what to do (dao.reverts) and its exit code (1, or 3 for
    something named that does not exist). Times are read from `contracts`' chain, by default the
    deployment this process bound last (load_contracts)."""
    from dao.reverts import EXIT_FAILED, Chain, explain

    data = getattr(exc, "data", None)
    decoded = None
    if isinstance(data, (bytes, str)) and len(data) >= 10:
        try:
            decoded = decode_custom_error(data)
        except Exception:  # data that is not a well-formed error: say what the node said
            decoded = None
    if decoded is None:
        return decode_revert(exc), EXIT_FAILED
    contracts = contracts or _last_bound[0]
    now = None
    if contracts is not None:
        try:
            now = int(contracts.token.w3.eth.get_block("latest")["timestamp"])
        except Exception:  # the node went away: the sentence gives dates without "in N s"
            now = None
    return explain(*decoded, Chain(now=now, contracts=contracts))


def send_transaction(w3: Web3, account, call, *, value: int = 0, timeout: float = 120.0):
    """Simulates `call` (a bound contract function) from `account` with eth_call, then signs,
    sends and waits for the receipt. A call that would revert raises before anything is sent, and
    so does a sender that cannot pay the gas (dao.gas.InsufficientGasError); a mined transaction
    that failed raises too. `account` is an eth_account LocalAccount."""
    from dao.gas import check_can_pay

    params = {"from": account.address, "value": value}
    call.call(params)  # raises ContractCustomError / ContractLogicError on a revert
    # The estimate is made on the pending block: a vote checkpoint written in a block with a new
    # timestamp costs more than the update of one the estimate saw, so a margin keeps such
    # transactions (token transfers, delegations) from running out of gas.
    gas = int(call.estimate_gas(params) * 1.25) + 10_000
    tx = call.build_transaction(
        {**params, "gas": gas, "nonce": w3.eth.get_transaction_count(account.address, "pending")}
    )
    check_can_pay(w3, tx)  # before signing: a new account hears where gas comes from, not the node's refusal
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
    if receipt["status"] != 1:
        why = ""
        try:  # the same call on the state it met (the block before), for the revert's reason
            call.call({**params, "gas": receipt["gasUsed"] + 100_000}, block_identifier=receipt["blockNumber"] - 1)
        except Exception as error:  # any revert is the reason we are looking for
            why = f": {explain_revert(error)[0]}"
        raise TransactionFailedError(f"{call.fn_name} transaction {tx_hash.hex()} failed on chain (status 0){why}")
    return receipt
