"""What a user reads about gas, without a chain: ETH amounts, where a chain's ETH comes from, the
one line for a sender without enough ETH (naming the keystore account), and what a built
transaction can cost."""

from __future__ import annotations

import pytest

from dao.gas import InsufficientGasError, format_eth, max_cost, where_gas_comes_from
from merit.cli.common import gas_message


@pytest.mark.parametrize(
    ("wei", "text"),
    [
        (0, "0"),
        (132_207 * 10**9, "0.000132207"),
        (10 * 10**18, "10"),
        (1_234_567_891 * 10**9, "1.23457"),
        (1, "0.000000000000000001"),
        (12_345_678 * 10**18, "12345678"),
    ],
)
def test_eth_amounts(wei, text):
    assert format_eth(wei) == text


def test_where_gas_comes_from_on_each_kind_of_chain():
    assert where_gas_comes_from(31337, "alice") == "on this local chain run `merit accounts fund alice`"
    assert where_gas_comes_from(1337, "alice").endswith("`merit accounts fund alice`")
    assert where_gas_comes_from(11155111, "alice").startswith(
        "on Sepolia get test ETH for it from a faucet, e.g. https"
    )
    assert where_gas_comes_from(84532, "alice").startswith(
        "on Base Sepolia get test ETH for it from a faucet, e.g. https"
    )
    assert "live network: send ETH to it" in where_gas_comes_from(1, "alice")


def test_max_cost_is_the_gas_limit_at_the_highest_fee_plus_value():
    assert max_cost({"gas": 100_000, "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9}) == 3 * 10**14
    assert max_cost({"gas": 21_000, "gasPrice": 10**9, "value": 5}) == 21_000 * 10**9 + 5


def test_the_gas_line_names_the_keystore_account(tmp_path, monkeypatch):
    from dao import keystore

    monkeypatch.setenv("MERIT_KEYSTORE_DIR", str(tmp_path))
    entry = keystore.create(tmp_path, "dora", "pw")
    line = gas_message(InsufficientGasError(entry.address, 0, 2 * 10**14, 31337))
    assert line.startswith(f"dora ({entry.address}) has 0 ETH and this transaction needs up to 0.0002 ETH for gas: ")
    assert "`merit accounts fund dora`" in line and "--relay" in line
    stranger = "0x" + "12" * 20
    testnet = gas_message(InsufficientGasError(stranger, 10**12, 2 * 10**14, 84532))
    assert testnet.startswith(f"{stranger} has 0.000001 ETH") and "Base Sepolia" in testnet and "faucet" in testnet
