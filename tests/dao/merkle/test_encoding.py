"""Leaf encoding: the direct word path is byte-identical to eth-abi, and inputs parse as in JS."""

from __future__ import annotations

import random

import eth_abi
import pytest

from dao.merkle import (
    REWARD_LEAF_ENCODING,
    InvalidArgumentError,
    LeafEncodingError,
    abi_encode,
)
from dao.merkle.encoding import leaf_encoder, normalize, parse_type


def random_word_value(rng: random.Random, type_string: str) -> object:
    abi_type = parse_type(type_string)
    if abi_type.kind == "uint":
        return rng.choice([0, 1, 2**abi_type.size - 1, rng.randrange(2**abi_type.size)])
    if abi_type.kind == "int":
        half = 2 ** (abi_type.size - 1)
        return rng.choice([-half, half - 1, -1, 0, rng.randrange(-half, half)])
    if abi_type.kind == "address":
        return "0x" + rng.randbytes(rng.randrange(0, 21)).hex()
    if abi_type.kind == "bool":
        return rng.choice([True, False, "true", "false"])
    if abi_type.kind == "fixed_bytes":
        return rng.randbytes(rng.randrange(0, abi_type.size + 1))
    return rng.randbytes(24)


WORD_TYPES = (
    ["address", "bool", "function", "uint", "int"]
    + [f"uint{8 * k}" for k in range(1, 33)]
    + [f"int{8 * k}" for k in range(1, 33)]
    + [f"bytes{k}" for k in range(1, 33)]
)


def test_word_path_is_byte_identical_to_eth_abi() -> None:
    rng = random.Random(2024)
    for _ in range(3000):
        types = [rng.choice(WORD_TYPES) for _ in range(rng.randrange(1, 6))]
        values = [random_word_value(rng, t) for t in types]
        parsed = [parse_type(t) for t in types]
        expected = eth_abi.encode([p.canonical for p in parsed], [normalize(p, v) for p, v in zip(parsed, values)])
        assert abi_encode(types, values) == expected, (types, values)


def test_reward_leaf_is_solidity_abi_encode() -> None:
    account = "0x" + "5b" * 20
    encoded = abi_encode(REWARD_LEAF_ENCODING, ["7", account, "0xde0b6b3a7640000"])
    assert encoded == eth_abi.encode(["uint256", "address", "uint256"], [7, account, 10**18])
    assert len(encoded) == 96


@pytest.mark.parametrize(
    ("type_string", "value", "expected_word"),
    [
        ("uint256", " 42 ", 42),
        ("uint256", "", 0),
        ("uint256", "+7", 7),
        ("uint256", "0X1f", 31),
        ("uint256", "0o17", 15),
        ("uint256", "0b101", 5),
        ("uint256", "007", 7),
        ("uint256", 12.0, 12),
        ("int8", "-128", 2**256 - 128),
        ("address", "0x", 0),
        ("address", "0x1", 1),
        ("address", b"\x01\x02", 0x0102),
        ("bool", "true", 1),
        ("bytes2", "0x123", 0x0123 << (30 * 8)),
        ("bytes32", "0x", 0),
    ],
)
def test_values_parse_as_the_js_encoder_does(type_string: str, value: object, expected_word: int) -> None:
    assert abi_encode([type_string], [value]) == expected_word.to_bytes(32, "big")


@pytest.mark.parametrize(
    ("type_string", "canonical"),
    [
        ("uint", "uint256"),
        ("int", "int256"),
        ("uint08", "uint8"),
        ("bytes07", "bytes7"),
        ("(uint, address)[2][]", "(uint256,address)[2][]"),
        ("string[][3]", "string[][3]"),
    ],
)
def test_type_strings_canonicalise_for_eth_abi(type_string: str, canonical: str) -> None:
    assert parse_type(type_string).canonical == canonical


@pytest.mark.parametrize(
    ("types", "values", "message"),
    [
        (["uint8"], [256], 'Number "256" is out of range for type "uint8"'),
        (["int8"], [-129], "out of range"),
        (["uint256"], [True], "Invalid number"),
        (["uint256"], ["1_000"], "Invalid number"),
        (["uint256"], ["-0x10"], "Invalid number"),
        (["uint256"], ["9" * 5000], "Invalid number"),
        (["address"], ["0x" + "ab " * 13 + "a"], "bytes-like"),
        (["uint256"], [float("nan")], "Invalid number"),
        (["address"], ["0x" + "00" * 21], "at most 20 bytes"),
        (["address"], [1234], "bytes-like"),
        (["bytes"], ["plain text"], "bytes-like"),
        (["bytes1"], ["0x0102"], "at most 1 bytes"),
        (["bool"], [1], "Invalid boolean"),
        (["function"], ["0x" + "11" * 23], "24 bytes long"),
        (["function"], [{"address": "0x11"}], "Invalid Solidity function object"),
        (["string"], [b"bytes"], "Expected a string"),
        (["uint256[]"], ["123"], "Expected an array"),
        (["(uint256,bool)"], [[1]], "number of types (2) does not match the number of values (1)"),
        (["uint256[0]"], [[]], "Zero-length array"),
        (["tuple"], [[]], "not supported"),
        (["uint256"], [], "number of types (1) does not match the number of values (0)"),
    ],
)
def test_bad_values_and_types_raise_named_errors(types: list[str], values: list[object], message: str) -> None:
    with pytest.raises(LeafEncodingError) as raised:
        abi_encode(types, values)
    assert message in str(raised.value)


def test_leaf_must_be_a_list_and_encoding_a_list_of_strings() -> None:
    with pytest.raises(LeafEncodingError, match="Leaf value must be an array"):
        abi_encode(["uint256"], 5)  # type: ignore[arg-type]
    with pytest.raises(LeafEncodingError, match="list of ABI type strings"):
        leaf_encoder("uint256")
    with pytest.raises(LeafEncodingError, match="list of ABI type strings"):
        leaf_encoder([["uint256"]])  # type: ignore[list-item]


def test_encoding_errors_are_invalid_argument_and_value_errors() -> None:
    assert issubclass(LeafEncodingError, InvalidArgumentError)
    assert issubclass(LeafEncodingError, ValueError)


def test_lone_surrogates_encode_as_replacement_character() -> None:
    assert abi_encode(["string"], ["a\udc00"]) == eth_abi.encode(["string"], ["a\ufffd"])
