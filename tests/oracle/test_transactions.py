"""Transactions: a stuck transaction is replaced at a higher fee with the same nonce (never a
second transaction), a call that would revert is refused by simulation before anything is signed,
and a chain that already holds the effect gets nothing."""

from __future__ import annotations

import threading

import pytest

from dao.chain import connect, load_contracts
from oracle.settings import load_settings
from oracle.state import Journal, TxStatus
from oracle.transactions import TxSender, TxSimulationError
from tests.oracle.helpers import ORACLE_KEY

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test


@pytest.fixture
def sender_parts(world, web3, tmp_path):
    settings = load_settings(world.config_file)
    w3 = connect(web3.provider.endpoint_uri, retry_seconds=10)
    contracts = load_contracts(w3, settings.deployment)
    journal = Journal(f"sqlite:///{tmp_path / 'tx.db'}")
    account = w3.eth.account.from_key(ORACLE_KEY)
    yield w3, contracts, journal, account
    journal.close()


def test_a_stuck_transaction_is_replaced_not_duplicated(sender_parts, web3, outsider):
    w3, contracts, journal, account = sender_parts
    sender = TxSender(w3, account, journal, w3.eth.chain_id, stuck_seconds=0.4, poll_seconds=0.05)
    approve = contracts.token.functions.approve(outsider.address, 12345)
    allowance = contracts.token.functions.allowance(account.address, outsider.address)
    nonce_before = w3.eth.get_transaction_count(account.address)
    first_priority_fee = w3.eth.max_priority_fee
    web3.provider.make_request("evm_setAutomine", [False])
    miner = threading.Timer(1.5, lambda: web3.provider.make_request("evm_mine", []))
    try:
        miner.start()
        mined = sender.send(0, "approve", approve, already_done=lambda: allowance.call() == 12345)
    finally:
        miner.cancel()
        web3.provider.make_request("evm_setAutomine", [True])
    assert mined is not None and mined.status is TxStatus.MINED
    assert len(mined.hashes) >= 2, "the transaction was never replaced"
    assert mined.mined_hash == mined.hashes[-1]
    block = w3.eth.get_block(mined.block_number)
    ours = [t for t in block["transactions"] if w3.eth.get_transaction(t)["from"] == account.address]
    assert len(ours) == 1
    assert w3.eth.get_transaction_count(account.address) == nonce_before + 1
    assert w3.eth.get_transaction(mined.mined_hash)["maxPriorityFeePerGas"] > first_priority_fee
    assert allowance.call() == 12345
    # sending it again finds the chain already has it
    assert sender.send(0, "approve", approve, already_done=lambda: allowance.call() == 12345) is None
    assert len(journal.transactions(w3.eth.chain_id)) == 1


def test_a_call_that_would_revert_is_refused_before_signing(sender_parts):
    w3, contracts, journal, account = sender_parts
    sender = TxSender(w3, account, journal, w3.eth.chain_id)
    nonce = w3.eth.get_transaction_count(account.address)
    fund = contracts.distributor.functions.fundEpoch(1, 9, b"\x01" * 32, 1, "bafy", 2**40)  # only the timelock may
    with pytest.raises(TxSimulationError, match="fundEpoch|AccessControlUnauthorizedAccount|revert"):
        sender.send(0, "fund", fund, already_done=lambda: False)
    assert journal.transactions(w3.eth.chain_id) == []
    assert w3.eth.get_transaction_count(account.address) == nonce


def test_a_journaled_transaction_whose_nonce_was_taken_is_superseded_then_sent_anew(sender_parts, outsider):
    w3, contracts, journal, account = sender_parts
    sender = TxSender(w3, account, journal, w3.eth.chain_id, poll_seconds=0.05)
    approve = contracts.token.functions.approve(outsider.address, 777)
    allowance = contracts.token.functions.allowance(account.address, outsider.address)
    nonce = w3.eth.get_transaction_count(account.address)
    # a crash left this journaled and never broadcast; meanwhile the key spent its nonce elsewhere
    params = {
        "chainId": w3.eth.chain_id,
        "nonce": nonce,
        "to": approve.address,
        "value": 0,
        "gas": 100_000,
        "data": approve._encode_transaction_data(),
        "maxFeePerGas": 10**9,
        "maxPriorityFeePerGas": 10**9,
        "type": 2,
    }
    lost = account.sign_transaction(params)
    journal.record_tx(
        w3.eth.chain_id,
        0,
        purpose="approve",
        sender=account.address,
        nonce=nonce,
        tx_hash="0x" + lost.hash.hex(),
        raw_tx="0x" + lost.raw_transaction.hex(),
        params=params,
    )
    other = account.sign_transaction({**params, "to": outsider.address, "data": b"", "gas": 21_000})
    w3.eth.send_raw_transaction(other.raw_transaction)
    mined = sender.send(0, "approve", approve, already_done=lambda: allowance.call() == 777)
    assert mined is not None and mined.nonce == nonce + 1
    assert [t.status for t in journal.transactions(w3.eth.chain_id)] == [TxStatus.SUPERSEDED, TxStatus.MINED]
    assert allowance.call() == 777
