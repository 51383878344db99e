"""ABI encoding of leaf values, accepting exactly the inputs the JS library's encoder accepts.

`@openzeppelin/merkle-tree` hashes a leaf as keccak256(keccak256(abi.encode(values))) with
`@metamask/abi-utils` doing the encoding. That encoder is lenient in specific ways, and a
dump written by one side must load on the other, so this module mirrors those rules:

- integers (`uintN`, `intN`, `uint`, `int`): Python ints, integral floats (JSON numbers), or
  strings as JavaScript's `BigInt()` reads them: decimal with an optional sign, or `0x` / `0o` /
  `0b` literals, surrounding whitespace ignored, the empty string is 0;
- `address`: a `0x` hex string or bytes of at most 20 bytes, left-padded (no checksum check);
- `bytesN`: a `0x` hex string or bytes of at most N bytes, right-padded; odd-length hex gets a
  leading zero nibble (`0x123` is `0x0123`); `bytes` likewise with any length;
- `bool`: `True` / `False` or the strings `"true"` / `"false"`;
- `string`: a str, encoded as UTF-8 (lone surrogates become U+FFFD, as TextEncoder does);
- `function`: 24 bytes (hex or bytes) or a mapping with `address` and `selector` hex strings;
- arrays `T[]`, `T[k]` and tuples `(T1,T2,...)`, nested freely, values as lists or tuples.

Values are normalised to what eth-abi takes and encoded with eth-abi. Leaves made only of
one-word static types (the common case, e.g. `uint256,address,uint256`) skip eth-abi: their
encoding is the concatenation of 32-byte words, built directly, and the tests hold it
byte-identical to eth-abi's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import eth_abi

from dao.merkle.errors import LeafEncodingError

# Kinds whose ABI encoding is one static 32-byte word.
_WORD_KINDS = frozenset({"uint", "int", "address", "bool", "fixed_bytes", "function"})

_NUMBER_TYPE = re.compile(r"u?int([0-9]*)")
_FIXED_BYTES_TYPE = re.compile(r"bytes([0-9]{1,2})")
_ARRAY_TYPE = re.compile(r"(.*)\[([0-9]*?)\]", re.DOTALL)
_STRICT_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
# What JavaScript's StringToBigInt accepts once whitespace is trimmed.
_BIGINT_LITERAL = re.compile(r"[+-]?[0-9]+|0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")
# StrWhiteSpaceChar in ECMAScript: WhiteSpace and LineTerminator.
_JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_WORD_ZERO = bytes(32)
_ADDRESS_PAD = bytes(12)


@dataclass(frozen=True)
class AbiType:
    """One parsed ABI type: `kind`, the type string eth-abi reads, and its parts."""

    kind: str  # uint, int, address, bool, fixed_bytes, function, bytes, string, array, tuple
    canonical: str
    size: int = 0  # bits for integers, bytes for bytesN, element count for T[k] (0 for T[])
    elements: tuple[AbiType, ...] = ()

    @property
    def is_word(self) -> bool:
        return self.kind in _WORD_KINDS


def _split_tuple(body: str) -> list[str]:
    """Top-level comma split of a tuple's inside, as abi-utils does (elements trimmed)."""
    elements: list[str] = []
    current: list[str] = []
    depth = 0
    for char in body:
        if char == "," and depth == 0:
            elements.append("".join(current).strip())
            current = []
            continue
        current.append(char)
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
    tail = "".join(current).strip()
    if tail:
        elements.append(tail)
    return elements


@lru_cache(maxsize=512)
def parse_type(type_string: str) -> AbiType:
    """Parse one ABI type string as abi-utils does; raises LeafEncodingError for unknown types."""
    if not isinstance(type_string, str):
        raise LeafEncodingError(f"ABI type must be a string, got {type_string!r}")
    if type_string in ("address", "bool", "bytes", "string", "function"):
        return AbiType(type_string, type_string)
    array = _ARRAY_TYPE.fullmatch(type_string)
    if array and array.group(1):
        inner = parse_type(array.group(1))
        length = int(array.group(2)) if array.group(2) else 0
        if array.group(2) and length == 0:
            raise LeafEncodingError(f'Zero-length array types are not supported: "{type_string}"')
        suffix = f"[{length}]" if length else "[]"
        return AbiType("array", inner.canonical + suffix, length, (inner,))
    if type_string.startswith("(") and type_string.endswith(")") and len(type_string) > 2:
        elements = tuple(parse_type(e) for e in _split_tuple(type_string[1:-1]))
        canonical = "(" + ",".join(e.canonical for e in elements) + ")"
        return AbiType("tuple", canonical, len(elements), elements)
    number = _NUMBER_TYPE.fullmatch(type_string)
    if number:
        bits = int(number.group(1)) if number.group(1) else 256
        if not 8 <= bits <= 256 or bits % 8:
            raise LeafEncodingError(
                f'Invalid number length. Expected a multiple of 8 between 8 and 256, but received "{type_string}".'
            )
        kind = "uint" if type_string.startswith("u") else "int"
        return AbiType(kind, f"{kind}{bits}", bits)
    fixed = _FIXED_BYTES_TYPE.fullmatch(type_string)
    if fixed:
        length = int(fixed.group(1))
        if not 1 <= length <= 32:
            raise LeafEncodingError(
                f'Invalid byte length. Expected a number between 1 and 32, but received "{type_string}".'
            )
        return AbiType("fixed_bytes", f"bytes{length}", length)
    raise LeafEncodingError(f'The type "{type_string}" is not supported.')


def _to_int(value: Any) -> int:
    """A number-like value as JavaScript's BigInt() reads it."""
    kind = type(value)
    if kind is int:
        return value
    if kind is str:
        text = value.strip(_JS_WHITESPACE)
        if text == "":
            return 0
        if _BIGINT_LITERAL.fullmatch(text):
            try:
                return int(text, 0) if text[:1] == "0" and len(text) > 1 and text[1] in "xXoObB" else int(text, 10)
            except ValueError:  # beyond Python's int-from-string digit limit: far out of any range
                pass
    elif (kind is float and value.is_integer()) or (isinstance(value, int) and not isinstance(value, bool)):
        return int(value)
    raise LeafEncodingError(f'Invalid number. Expected a valid number value, but received "{value}".')


def _to_bytes(value: Any) -> bytes:
    """A bytes-like value as abi-utils' createBytes reads it: 0x-hex string or bytes."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        if value in ("0x", "0X"):
            return b""
        if _STRICT_HEX.fullmatch(value):
            digits = value[2:]
            return bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)
    raise LeafEncodingError(f'Expected a bytes-like value (0x-prefixed hex or bytes), got "{value}".')


def _to_function(value: Any) -> bytes:
    if isinstance(value, Mapping):
        if set(value) != {"address", "selector"} or not all(
            isinstance(value[k], str) and _STRICT_HEX.fullmatch(value[k]) for k in ("address", "selector")
        ):
            raise LeafEncodingError(f"Invalid Solidity function object: {dict(value)!r}")
        raw = _to_bytes(value["address"]) + _to_bytes(value["selector"])
        if len(raw) > 24:
            raise LeafEncodingError(f"Expected a value of length 24, but received a value of length {len(raw)}.")
        return raw.ljust(24, b"\0")
    raw = _to_bytes(value)
    if len(raw) != 24:
        raise LeafEncodingError(
            f"Invalid Solidity function. Expected function to be 24 bytes long, but received {len(raw)} bytes."
        )
    return raw


def _checked_int(abi_type: AbiType, value: Any) -> int:
    number = _to_int(value)
    if abi_type.kind == "uint":
        if number < 0 or number >> abi_type.size:
            raise LeafEncodingError(f'Number "{number}" is out of range for type "{abi_type.canonical}".')
    else:
        limit = 1 << (abi_type.size - 1)
        if not -limit <= number < limit:
            raise LeafEncodingError(f'Number "{number}" is out of range for type "{abi_type.canonical}".')
    return number


def _bounded_bytes(value: Any, limit: int, what: str) -> bytes:
    raw = _to_bytes(value)
    if len(raw) > limit:
        raise LeafEncodingError(f"Invalid {what} value. Expected at most {limit} bytes, but received {len(raw)} bytes.")
    return raw


def _to_bool(value: Any) -> bool:
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    raise LeafEncodingError(
        f'Invalid boolean value. Expected a boolean literal, or the string "true" or "false", but received "{value}".'
    )


def _word(abi_type: AbiType, value: Any) -> bytes:
    """The 32-byte ABI word of a one-word static type."""
    kind = abi_type.kind
    if kind == "uint":
        return _checked_int(abi_type, value).to_bytes(32, "big")
    if kind == "address":
        return _bounded_bytes(value, 20, "address").rjust(32, b"\0")
    if kind == "int":
        return (_checked_int(abi_type, value) & ((1 << 256) - 1)).to_bytes(32, "big")
    if kind == "bool":
        return _WORD_ZERO[:31] + (b"\1" if _to_bool(value) else b"\0")
    if kind == "fixed_bytes":
        return _bounded_bytes(value, abi_type.size, abi_type.canonical).ljust(32, b"\0")
    return _to_function(value).ljust(32, b"\0")


def _word_encoder(abi_type: AbiType) -> Callable[[Any], bytes]:
    """`_word` for one type, with the common inputs (ints, decimal strings, 0x addresses) first."""
    if abi_type.kind == "uint":
        bits = abi_type.size

        def uint_word(value: Any) -> bytes:
            if type(value) is str and value.isascii() and value.isdigit() and len(value) < 100:
                number = int(value)
            elif type(value) is int:
                number = value
            else:
                number = _to_int(value)
            if number < 0 or number >> bits:
                raise LeafEncodingError(f'Number "{number}" is out of range for type "{abi_type.canonical}".')
            return number.to_bytes(32, "big")

        return uint_word
    if abi_type.kind == "address":

        def address_word(value: Any) -> bytes:
            if type(value) is str and len(value) == 42 and value[0] == "0" and value[1] in "xX":
                try:
                    raw = bytes.fromhex(value[2:])
                except ValueError:
                    raw = b""
                # fromhex skips whitespace, so a 20-byte result means 40 hex digits exactly
                if len(raw) == 20:
                    return _ADDRESS_PAD + raw
            return _word(abi_type, value)

        return address_word
    return lambda value: _word(abi_type, value)


def _sequence(value: Any, what: str) -> Sequence[Any]:
    if isinstance(value, (list, tuple)):
        return value
    raise LeafEncodingError(f"Expected an array for {what}, got {value!r}")


def normalize(abi_type: AbiType, value: Any) -> Any:
    """`value` as eth-abi takes it for `abi_type`, after abi-utils' parsing rules."""
    kind = abi_type.kind
    if kind in ("uint", "int"):
        return _checked_int(abi_type, value)
    if kind == "address":
        return _bounded_bytes(value, 20, "address").rjust(20, b"\0")
    if kind == "bool":
        return _to_bool(value)
    if kind == "fixed_bytes":
        return _bounded_bytes(value, abi_type.size, abi_type.canonical)
    if kind == "function":
        return _to_function(value)
    if kind == "bytes":
        return _to_bytes(value)
    if kind == "string":
        if not isinstance(value, str):
            raise LeafEncodingError(f"Expected a string, got {value!r}")
        return _LONE_SURROGATE.sub("\ufffd", value)
    items = _sequence(value, abi_type.canonical)
    if kind == "array":
        inner = abi_type.elements[0]
        if abi_type.size and len(items) != abi_type.size:
            raise LeafEncodingError(
                f"Array length does not match type length. Expected a length of {abi_type.size}, "
                f"but received {len(items)}."
            )
        return [normalize(inner, item) for item in items]
    if len(items) != len(abi_type.elements):
        raise LeafEncodingError(
            f"The number of types ({len(abi_type.elements)}) does not match the number of values ({len(items)})."
        )
    return tuple(normalize(t, v) for t, v in zip(abi_type.elements, items))


LeafEncoder = Callable[[Sequence[Any]], bytes]


@lru_cache(maxsize=128)
def _compile(types: tuple[str, ...]) -> LeafEncoder:
    parsed = tuple(parse_type(t) for t in types)
    count = len(parsed)

    def check_count(values: Any) -> Sequence[Any]:
        if not isinstance(values, (list, tuple)):
            raise LeafEncodingError(f"Leaf value must be an array of {count} values, got {values!r}")
        if len(values) != count:
            raise LeafEncodingError(
                f"The number of types ({count}) does not match the number of values ({len(values)})."
            )
        return values

    if all(t.is_word for t in parsed):
        # Static one-word types: the encoding is the words side by side.
        word_encoders = [_word_encoder(t) for t in parsed]

        def encode_words(values: Sequence[Any]) -> bytes:
            check_count(values)
            return b"".join([encode(v) for encode, v in zip(word_encoders, values)])

        return encode_words

    canonical = [t.canonical for t in parsed]

    def encode_with_eth_abi(values: Sequence[Any]) -> bytes:
        check_count(values)
        normalized = [normalize(t, v) for t, v in zip(parsed, values)]
        return eth_abi.encode(canonical, normalized)

    return encode_with_eth_abi


def leaf_encoder(leaf_encoding: Sequence[str]) -> LeafEncoder:
    """A function that ABI-encodes one leaf (a list of values) for these types."""
    if (
        isinstance(leaf_encoding, str)
        or not isinstance(leaf_encoding, Sequence)
        or not all(isinstance(t, str) for t in leaf_encoding)
    ):
        raise LeafEncodingError(f"Leaf encoding must be a list of ABI type strings, got {leaf_encoding!r}")
    return _compile(tuple(leaf_encoding))


def abi_encode(leaf_encoding: Sequence[str], values: Sequence[Any]) -> bytes:
    """abi.encode(values) for these types, accepting what the JS library's encoder accepts."""
    return leaf_encoder(leaf_encoding)(values)
