"""The oracle's chain access: an RPC client that retries faults, events read at finality, and
transactions sent defensively (simulated first, journaled before broadcast, followed to a receipt,
replaced at a higher fee when stuck, never duplicated).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Literal

import requests
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import BlockNotFound, ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import RPCEndpoint, RPCResponse

from oracle.state import Journal, TxStatus, TxView

log = logging.getLogger("oracle.chain")

KIND_NAMES = {0: "model", 1: "labels"}  # IContributionRegistry.Kind -> report ContributionKind


class RpcUnavailableError(ConnectionError):
    """The node kept failing for longer than the retry window."""


class TxSimulationError(RuntimeError):
    """eth_call says the transaction would revert; nothing was sent."""


class TxRevertedError(RuntimeError):
    """A transaction was mined and reverted."""


def _retryable_response(response: RPCResponse) -> bool:
    error = response.get("error") if isinstance(response, dict) else None
    if not error:
        return False
    message = str(error.get("message", "")).lower() if isinstance(error, dict) else str(error).lower()
    code = error.get("code") if isinstance(error, dict) else None
    return code in (-32005, 429) or "rate limit" in message or "too many requests" in message


_ALREADY_SENT = ("already known", "already imported", "nonce too low", "known transaction")


class RetryingHTTPProvider(Web3.HTTPProvider):
    """An HTTP provider that retries connection errors, timeouts, HTTP 429/5xx and rate-limit
    answers with exponential backoff (and jitter) for up to `retry_seconds`.

    Re-sending `eth_sendRawTransaction` is safe: the same signed bytes have the same hash, and when
    a retry hears "already known" or "nonce too low" the earlier attempt reached the node, so the
    hash is returned and the caller follows it to a receipt.
    """

    def __init__(self, endpoint_uri: str, *, timeout: float = 30.0, retry_seconds: float = 120.0,
                 backoff_seconds: float = 0.25, max_backoff_seconds: float = 5.0) -> None:
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
                        if any(text in message for text in _ALREADY_SENT):
                            return {"jsonrpc": "2.0", "id": response.get("id"),
                                    "result": "0x" + keccak(HexBytes(params[0])).hex()}
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
                raise RpcUnavailableError(f"{method} failed {attempt} times over {self.retry_seconds:g} s "
                                          f"({fault}) at {self.endpoint_uri}")
            log.warning("rpc fault, retrying", extra={"rpc_method": method, "fault": fault, "attempt": attempt,
                                                     "pause_seconds": round(pause, 3)})
            time.sleep(pause)


def connect(rpc_url: str, *, timeout: float = 30.0, retry_seconds: float = 120.0, backoff_seconds: float = 0.25,
            max_backoff_seconds: float = 5.0) -> Web3:
    """A web3 client whose every request survives RPC faults for up to `retry_seconds`."""
    return Web3(RetryingHTTPProvider(rpc_url, timeout=timeout, retry_seconds=retry_seconds,
                                     backoff_seconds=backoff_seconds, max_backoff_seconds=max_backoff_seconds))


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """One ContributionSubmitted event."""

    contribution_id: int
    project_id: int
    contributor: str
    kind: str  # "model" or "labels"; "unknown:<n>" for a kind this oracle does not know
    cid: str
    block_number: int
    tx_hash: str
    log_index: int

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def safe_head(w3: Web3, finality: Literal["confirmations", "finalized"], confirmations: int) -> int:
    """The newest block treated as final: `confirmations` below the head, or the `finalized` tag."""
    if finality == "finalized":
        return int(w3.eth.get_block("finalized")["number"])
    return int(w3.eth.block_number) - confirmations


def block_hash(w3: Web3, number: int) -> str:
    return "0x" + bytes(w3.eth.get_block(number)["hash"]).hex()


def canonical(w3: Web3, number: int, expected_hash: str | None) -> bool:
    """Whether block `number` is still the one with `expected_hash` (False once it is gone)."""
    try:
        return block_hash(w3, number) == expected_hash
    except BlockNotFound:
        return False


def read_submissions(registry: Contract, project_id: int, from_block: int, to_block: int) -> list[Submission]:
    """The project's ContributionSubmitted events in [from_block, to_block], in contribution order."""
    logs = registry.events.ContributionSubmitted().get_logs(
        from_block=from_block, to_block=to_block, argument_filters={"projectId": project_id})
    found = [
        Submission(
            contribution_id=int(entry["args"]["contributionId"]),
            project_id=int(entry["args"]["projectId"]),
            contributor=to_checksum_address(entry["args"]["contributor"]),
            kind=KIND_NAMES.get(int(entry["args"]["kind"]), f"unknown:{int(entry['args']['kind'])}"),
            cid=str(entry["args"]["cid"]),
            block_number=int(entry["blockNumber"]),
            tx_hash="0x" + bytes(entry["transactionHash"]).hex(),
            log_index=int(entry["logIndex"]),
        )
        for entry in logs
    ]
    return sorted(found, key=lambda s: s.contribution_id)


# -- sending ---------------------------------------------------------------------------------


def _hex(value: bytes | str) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


class TxSender:
    """Sends the oracle's transactions one at a time, each journaled before broadcast.

    `send` first follows any unfinished transaction the journal holds for the same purpose (a
    crash left it), then asks `already_done()` (the chain's own answer), then simulates with
    eth_call, and only then signs, journals and broadcasts. A transaction not mined within
    `stuck_seconds` is re-signed with the same nonce and higher fees; whichever version is mined
    settles it, so a stuck transaction is replaced, never duplicated.
    """

    def __init__(self, w3: Web3, account: LocalAccount, journal: Journal, chain_id: int, *,
                 stuck_seconds: float = 90.0, fee_bump_percent: int = 25, max_fee_wei: int = 500 * 10**9,
                 poll_seconds: float = 0.25, wait_seconds: float = 900.0) -> None:
        self.w3, self.account, self.journal, self.chain_id = w3, account, journal, chain_id
        self.stuck_seconds, self.fee_bump_percent, self.max_fee_wei = stuck_seconds, fee_bump_percent, max_fee_wei
        self.poll_seconds, self.wait_seconds = poll_seconds, wait_seconds

    @property
    def address(self) -> str:
        return self.account.address

    def send(self, epoch: int, purpose: str, call: ContractFunction, *,
             already_done: Callable[[], bool]) -> TxView | None:
        """Makes the chain hold this call's effect; returns the mined transaction, or None when the
        chain already had it. Raises TxSimulationError (nothing sent) or TxRevertedError."""
        for unfinished in self.journal.transactions(self.chain_id, epoch, status=TxStatus.PENDING):
            if unfinished.purpose == purpose:
                mined = self.follow(unfinished)
                if mined is not None:
                    return mined
        for _ in range(3):
            if already_done():
                return None
            try:
                call.call({"from": self.address})
            except ContractLogicError as error:
                raise TxSimulationError(f"{purpose}: eth_call says it would revert: {error}") from None
            params = self._params(call)
            raw, tx_hash = self._sign(params)
            tx = self.journal.record_tx(self.chain_id, epoch, purpose=purpose, sender=self.address,
                                        nonce=params["nonce"], tx_hash=tx_hash, raw_tx=raw, params=params)
            log.info("transaction signed", extra={"epoch": epoch, "purpose": purpose, "nonce": params["nonce"],
                                                  "tx_hash": tx_hash})
            mined = self.follow(tx)  # broadcasts it
            if mined is not None:
                return mined
            # another transaction from this key took the nonce: look at the chain again
        raise RuntimeError(f"{purpose}: the nonce was taken three times by transactions this oracle did not "
                           f"send; is another process using the key {self.address}?")

    def follow(self, tx: TxView) -> TxView | None:
        """Waits for one of the transaction's versions to be mined (rebroadcasting, replacing when
        stuck). None when its nonce was used by a transaction the journal does not know."""
        self._broadcast(tx.raw_tx)  # after a crash or a node restart the node may not hold it
        started = time.monotonic()
        while True:
            mined = self._settle_if_mined(tx)
            if mined is not None:
                return mined
            if self.w3.eth.get_transaction_count(tx.sender, "latest") > tx.nonce:
                # the nonce is spent: by one of our versions mined since the look above, or by a
                # transaction this journal does not know (the caller re-checks the chain then)
                mined = self._settle_if_mined(tx)
                if mined is not None:
                    return mined
                self.journal.settle_tx(tx.id, TxStatus.SUPERSEDED)
                log.warning("transaction superseded", extra={"purpose": tx.purpose, "nonce": tx.nonce})
                return None
            if (datetime.now(timezone.utc) - tx.broadcast_at).total_seconds() > self.stuck_seconds:
                tx = self._replace(tx)
            if time.monotonic() - started > self.wait_seconds:
                raise TimeoutError(f"{tx.purpose}: not mined after {self.wait_seconds:.0f} s (nonce {tx.nonce})")
            time.sleep(self.poll_seconds)

    def _settle_if_mined(self, tx: TxView) -> TxView | None:
        """The transaction settled in the journal when one of its versions has a receipt."""
        for tx_hash in tx.hashes:
            try:
                receipt = self.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                continue
            if receipt is None or receipt.get("blockNumber") is None:
                continue
            status = TxStatus.MINED if receipt["status"] == 1 else TxStatus.REVERTED
            tx = self.journal.settle_tx(tx.id, status, mined_hash=tx_hash, block_number=int(receipt["blockNumber"]),
                                        block_hash=_hex(receipt["blockHash"]))
            log.info("transaction mined", extra={"purpose": tx.purpose, "tx_hash": tx_hash,
                                                 "status": status.value, "block": tx.block_number})
            if status is TxStatus.REVERTED:
                raise TxRevertedError(f"{tx.purpose}: transaction {tx_hash} reverted")
            return tx
        return None

    # -- internals ---------------------------------------------------------------------------

    def _params(self, call: ContractFunction) -> dict[str, Any]:
        nonce = self.w3.eth.get_transaction_count(self.address, "pending")
        gas = int(call.estimate_gas({"from": self.address}) * 1.25) + 10_000
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        priority = min(int(self.w3.eth.max_priority_fee), self.max_fee_wei)
        max_fee = min(2 * base_fee + priority, self.max_fee_wei)
        data = call._encode_transaction_data()
        return {"chainId": self.chain_id, "nonce": nonce, "to": call.address, "value": 0, "data": data,
                "gas": gas, "maxFeePerGas": max(max_fee, priority), "maxPriorityFeePerGas": priority, "type": 2}

    def _sign(self, params: dict[str, Any]) -> tuple[str, str]:
        signed = self.account.sign_transaction(params)
        return _hex(signed.raw_transaction), _hex(signed.hash)

    def _broadcast(self, raw: str) -> None:
        try:
            self.w3.eth.send_raw_transaction(raw)
        except Web3RPCError as error:
            message = str(error).lower()
            if not any(text in message for text in (*_ALREADY_SENT, "underpriced")):
                raise
            # the node holds it, or holds a version of it, or its nonce is spent: follow() decides

    def _replace(self, tx: TxView) -> TxView:
        params = dict(tx.params)
        bump = 100 + self.fee_bump_percent
        priority = max(params["maxPriorityFeePerGas"] * bump // 100, params["maxPriorityFeePerGas"] + 1)
        max_fee = max(params["maxFeePerGas"] * bump // 100, priority)
        if max_fee > self.max_fee_wei:
            log.warning("transaction stuck at the fee ceiling", extra={"purpose": tx.purpose, "nonce": tx.nonce})
            return self.journal.add_replacement(tx.id, tx_hash=tx.hashes[-1], raw_tx=tx.raw_tx, params=tx.params)
        params.update(maxPriorityFeePerGas=priority, maxFeePerGas=max_fee)
        raw, tx_hash = self._sign(params)
        tx = self.journal.add_replacement(tx.id, tx_hash=tx_hash, raw_tx=raw, params=params)
        log.warning("transaction replaced at a higher fee", extra={
            "purpose": tx.purpose, "nonce": tx.nonce, "tx_hash": tx_hash, "max_fee_per_gas": max_fee})
        self._broadcast(raw)
        return tx


def simulate(call: ContractFunction, sender: str) -> str | None:
    """Dry mode's check: None when eth_call succeeds, else why it would revert."""
    try:
        call.call({"from": sender})
    except ContractLogicError as error:
        return str(error)
    return None
