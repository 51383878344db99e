"""Run-time chain access for the oracle, the API, the indexer and the CLI: web3.py against any
JSON-RPC endpoint, the deployment manifest, and the ABIs of dao.abi. (Brownie is for compiling,
deploying and testing; nothing here imports it.)"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from web3 import Web3
from web3.contract import Contract

from dao.abi import abi
from dao.deployments import Deployment, load_deployment

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


class ChainMismatchError(RuntimeError):
    """The endpoint's chain is not the one the deployment manifest was made on."""


def connect(rpc_url: str = DEFAULT_RPC_URL, *, timeout: float = 30.0) -> Web3:
    """A web3 client with an explicit request timeout (a node that hangs never hangs us forever)."""
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))


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
            f"but the node answers chain id {chain_id}")

    def bind(key: str) -> Contract:
        record = deployment.contracts[key]
        return w3.eth.contract(address=record.address, abi=abi(record.artifact))

    return OpenMeritContracts(
        deployment=deployment,
        token=bind("token"),
        governor=bind("governor"),
        timelock=bind("timelock"),
        registry=bind("registry"),
        distributor=bind("distributor"),
    )


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
        except Exception:  # noqa: BLE001 - fall back to web3's own message
            pass
    return getattr(exc, "message", None) or str(exc)


def send_transaction(w3: Web3, account, call, *, value: int = 0, timeout: float = 120.0):
    """Simulates `call` (a bound contract function) from `account` with eth_call, then signs,
    sends and waits for the receipt. A call that would revert raises before anything is sent;
    a mined transaction that failed raises too. `account` is an eth_account LocalAccount."""
    params = {"from": account.address, "value": value}
    call.call(params)  # raises ContractCustomError / ContractLogicError on a revert
    tx = call.build_transaction({**params, "nonce": w3.eth.get_transaction_count(account.address, "pending")})
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction {tx_hash.hex()} failed on chain (status 0)")
    return receipt
