"""Gas: whether an account can pay for a transaction before it is signed, where a chain's ETH comes
from, and funding an account on a local development chain.

A node refuses a transaction whose sender holds less than ``gas * maxFeePerGas + value`` wei;
`check_can_pay` makes the same comparison before anything is signed, so that a new account with
no ETH hears why in one line (InsufficientGasError) instead of from the node.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from web3 import Web3
from web3.types import Wei

LOCAL_CHAIN_IDS = frozenset({31337, 1337})  # anvil and hardhat; ganache
WEI_PER_ETH = 10**18

# Testnet ETH is free from faucets (they change; each of these pages also lists others).
FAUCETS = {
    11155111: ("Sepolia", "https://cloud.google.com/application/web3/faucet/ethereum/sepolia"),
    84532: ("Base Sepolia", "https://portal.cdp.coinbase.com/products/faucet"),
}


def is_local(chain_id: int) -> bool:
    return chain_id in LOCAL_CHAIN_IDS


def format_eth(wei: int) -> str:
    """Wei as ETH with at most 6 significant digits and no exponent: 0, 0.00033, 10, 1.23457."""
    if wei == 0:
        return "0"
    amount = Decimal(wei) / WEI_PER_ETH
    digits = max(0, 6 - 1 - amount.adjusted())  # decimals that keep 6 significant digits
    text = f"{amount:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def where_gas_comes_from(chain_id: int, account: str) -> str:
    """Where `account` (a name or an address) gets ETH for gas on chain `chain_id`, as one clause."""
    if is_local(chain_id):
        return f"on this local chain run `merit accounts fund {account}`"
    if chain_id in FAUCETS:
        network, faucet = FAUCETS[chain_id]
        return f"on {network} get test ETH for it from a faucet, e.g. {faucet}"
    return f"chain {chain_id} is a live network: send ETH to it from a wallet or an exchange"


class InsufficientGasError(Exception):
    """The sender cannot pay the gas (and value) of a transaction; nothing was signed or sent."""

    def __init__(self, address: str, balance: int, needed: int, chain_id: int) -> None:
        self.address, self.balance, self.needed, self.chain_id = address, balance, needed, chain_id
        super().__init__(
            f"{address} has {format_eth(balance)} ETH and this transaction needs up to {format_eth(needed)} ETH "
            f"for gas: {where_gas_comes_from(chain_id, address)}"
        )


def max_cost(tx: Any) -> int:
    """The most a built transaction can cost its sender: its gas limit at its highest fee, plus value."""
    fee = tx.get("maxFeePerGas", tx.get("gasPrice"))
    return int(tx["gas"]) * int(fee or 0) + int(tx.get("value", 0))


def check_can_pay(w3: Web3, tx: Any) -> None:
    """Raises InsufficientGasError when `tx`'s sender holds less than the node will ask of it."""
    needed = max_cost(tx)
    balance = w3.eth.get_balance(tx["from"])
    if balance < needed:
        raise InsufficientGasError(str(tx["from"]), int(balance), needed, int(w3.eth.chain_id))


class NotLocalChainError(Exception):
    """Funding is for local development chains only."""


def fund(w3: Web3, address: str, wei: int) -> str:
    """Adds `wei` to `address`'s balance on a local chain; returns how (the RPC method used).

    anvil_setBalance (or hardhat_setBalance) first: no transaction, so nobody's nonce moves under a
    running demo or oracle; else a transfer from the node's first unlocked account that can pay it."""
    chain_id = int(w3.eth.chain_id)
    if not is_local(chain_id):
        raise NotLocalChainError(
            f"accounts can be funded only on a local chain (chain id {', '.join(map(str, sorted(LOCAL_CHAIN_IDS)))}), "
            f"not chain {chain_id}: {where_gas_comes_from(chain_id, address)}"
        )
    target = Web3.to_checksum_address(address)
    balance = int(w3.eth.get_balance(target))
    for method in ("anvil_setBalance", "hardhat_setBalance"):
        response = w3.provider.make_request(method, [target, hex(balance + wei)])  # type: ignore[arg-type]
        if "error" not in response:
            return method
    for source in w3.eth.accounts:
        if int(w3.eth.get_balance(source)) > wei + WEI_PER_ETH // 100:
            tx_hash = w3.eth.send_transaction({"from": source, "to": target, "value": Wei(wei)})
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
            if receipt["status"] != 1:
                raise RuntimeError(f"the transfer from {source} failed on chain")
            return f"eth_sendTransaction from {source}"
    raise NotLocalChainError(f"chain {chain_id} has no unlocked account that can pay {format_eth(wei)} ETH")
