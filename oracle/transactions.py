"""The oracle's transactions, sent defensively: simulated first, journaled before broadcast,
followed to a receipt, replaced at a higher fee when stuck, never duplicated."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from dao.chain import ALREADY_SENT
from oracle.state import Journal, TxStatus, TxView

log = logging.getLogger("oracle.transactions")


class TxSimulationError(RuntimeError):
    """eth_call says the transaction would revert; nothing was sent."""


class TxRevertedError(RuntimeError):
    """A transaction was mined and reverted."""


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

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        journal: Journal,
        chain_id: int,
        *,
        stuck_seconds: float = 90.0,
        fee_bump_percent: int = 25,
        max_fee_wei: int = 500 * 10**9,
        poll_seconds: float = 0.25,
        wait_seconds: float = 900.0,
    ) -> None:
        self.w3, self.account, self.journal, self.chain_id = w3, account, journal, chain_id
        self.stuck_seconds, self.fee_bump_percent, self.max_fee_wei = stuck_seconds, fee_bump_percent, max_fee_wei
        self.poll_seconds, self.wait_seconds = poll_seconds, wait_seconds

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    def send(
        self, epoch: int, purpose: str, call: ContractFunction, *, already_done: Callable[[], bool]
    ) -> TxView | None:
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
            tx = self.journal.record_tx(
                self.chain_id,
                epoch,
                purpose=purpose,
                sender=self.address,
                nonce=params["nonce"],
                tx_hash=tx_hash,
                raw_tx=raw,
                params=params,
            )
            log.info(
                "transaction signed",
                extra={"epoch": epoch, "purpose": purpose, "nonce": params["nonce"], "tx_hash": tx_hash},
            )
            mined = self.follow(tx)  # broadcasts it
            if mined is not None:
                return mined
            # another transaction from this key took the nonce: look at the chain again
        raise RuntimeError(
            f"{purpose}: the nonce was taken three times by transactions this oracle did not "
            f"send; is another process using the key {self.address}?"
        )

    def follow(self, tx: TxView) -> TxView | None:
        """Waits for one of the transaction's versions to be mined (rebroadcasting, replacing when
        stuck). None when its nonce was used by a transaction the journal does not know."""
        self._broadcast(tx.raw_tx)  # after a crash or a node restart the node may not hold it
        started = time.monotonic()
        while True:
            mined = self._settle_if_mined(tx)
            if mined is not None:
                return mined
            sender = cast(ChecksumAddress, tx.sender)  # journaled from `self.address`, checksummed
            if self.w3.eth.get_transaction_count(sender, "latest") > tx.nonce:
                # the nonce is spent: by one of our versions mined since the look above, or by a
                # transaction this journal does not know (the caller re-checks the chain then)
                mined = self._settle_if_mined(tx)
                if mined is not None:
                    return mined
                self.journal.settle_tx(tx.id, TxStatus.SUPERSEDED)
                log.warning("transaction superseded", extra={"purpose": tx.purpose, "nonce": tx.nonce})
                return None
            if (datetime.now(UTC) - tx.broadcast_at).total_seconds() > self.stuck_seconds:
                tx = self._replace(tx)
            if time.monotonic() - started > self.wait_seconds:
                raise TimeoutError(f"{tx.purpose}: not mined after {self.wait_seconds:.0f} s (nonce {tx.nonce})")
            time.sleep(self.poll_seconds)

    def _settle_if_mined(self, tx: TxView) -> TxView | None:
        """The transaction settled in the journal when one of its versions has a receipt."""
        for tx_hash in tx.hashes:
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
            except TransactionNotFound:
                continue
            if receipt is None or receipt.get("blockNumber") is None:
                continue
            status = TxStatus.MINED if receipt["status"] == 1 else TxStatus.REVERTED
            tx = self.journal.settle_tx(
                tx.id,
                status,
                mined_hash=tx_hash,
                block_number=int(receipt["blockNumber"]),
                block_hash=_hex(receipt["blockHash"]),
            )
            log.info(
                "transaction mined",
                extra={"purpose": tx.purpose, "tx_hash": tx_hash, "status": status.value, "block": tx.block_number},
            )
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
        return {
            "chainId": self.chain_id,
            "nonce": nonce,
            "to": call.address,
            "value": 0,
            "data": data,
            "gas": gas,
            "maxFeePerGas": max(max_fee, priority),
            "maxPriorityFeePerGas": priority,
            "type": 2,
        }

    def _sign(self, params: dict[str, Any]) -> tuple[str, str]:
        signed = self.account.sign_transaction(params)
        return _hex(signed.raw_transaction), _hex(signed.hash)

    def _broadcast(self, raw: str) -> None:
        try:
            self.w3.eth.send_raw_transaction(HexStr(raw))
        except Web3RPCError as error:
            message = str(error).lower()
            if not any(text in message for text in (*ALREADY_SENT, "underpriced")):
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
        log.warning(
            "transaction replaced at a higher fee",
            extra={"purpose": tx.purpose, "nonce": tx.nonce, "tx_hash": tx_hash, "max_fee_per_gas": max_fee},
        )
        self._broadcast(raw)
        return tx


def simulate(call: ContractFunction, sender: str) -> str | None:
    """Dry mode's check: None when eth_call succeeds, else why it would revert."""
    try:
        call.call({"from": sender})
    except ContractLogicError as error:
        return str(error)
    return None
