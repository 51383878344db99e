"""OpenMerit's one CID normalization: every CID that crosses a boundary (API, oracle, CLI, chain,
contract tests) is parsed and validated with py-cid and written as a base32 CIDv1 string.

CIDv0 (`Qm...`) becomes the CIDv1 of the same dag-pb multihash, and any multibase becomes base32,
so two spellings of one CID always compare equal as strings.

Inside the artifact store CIDs travel as their binary form (`bytes`: version, codec, multihash).
The store only makes CIDs of two kinds (sha2-256 over raw or dag-pb blocks), so the hot path
builds those by prefixing the digest, and encodes base32 with the standard library; the tests
check both against py-cid.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import cid as py_cid
import multihash as py_multihash
from pydantic import AfterValidator

from dao.artifacts.errors import CorruptBlockError, InvalidCidError, UnsupportedCidError

# Multicodec codes (https://github.com/multiformats/multicodec, table.csv).
RAW_CODEC = 0x55
DAG_PB_CODEC = 0x70
SHA2_256_CODE = 0x12
SHA2_512_CODE = 0x13

CODEC_NAMES: dict[int, str] = {RAW_CODEC: "raw", DAG_PB_CODEC: "dag-pb"}
_CODEC_BY_NAME: dict[str, int] = {name: code for code, name in CODEC_NAMES.items()}

# Multihash functions the store can verify a block against.
_HASHERS: dict[int, Callable[[bytes | memoryview], bytes]] = {
    SHA2_256_CODE: lambda data: hashlib.sha256(data).digest(),
    SHA2_512_CODE: lambda data: hashlib.sha512(data).digest(),
}
_HASH_NAMES: dict[int, str] = {SHA2_256_CODE: "sha2-256", SHA2_512_CODE: "sha2-512"}

# Binary CIDv1 prefixes (version 1, codec, sha2-256, 32-byte digest) of what the importer makes.
RAW_SHA256_PREFIX = bytes([0x01, RAW_CODEC, SHA2_256_CODE, 0x20])
DAG_PB_SHA256_PREFIX = bytes([0x01, DAG_PB_CODEC, SHA2_256_CODE, 0x20])


@dataclass(frozen=True, slots=True)
class CidParts:
    """The fields of a binary CIDv1 that the store acts on."""

    codec: int
    hash_code: int
    digest: bytes


def normalize_cid(value: str) -> str:
    """Parses any CID spelling (CIDv0, CIDv1 in any multibase) and returns it as base32 CIDv1.

    Raises InvalidCidError, naming the input, when it is not a CID.
    """
    return cid_to_str(parse_cid(value))


# A CID field of a pydantic model (API bodies, report schema): any spelling in, base32 CIDv1 kept.
# An invalid value fails validation with the InvalidCidError message.
CidStr = Annotated[str, AfterValidator(normalize_cid)]


def is_cid(value: str) -> bool:
    """True when `value` parses as a CID (any version, any multibase)."""
    try:
        parse_cid(value)
    except InvalidCidError:
        return False
    return True


def parse_cid(value: str) -> bytes:
    """Parses and validates a CID string with py-cid; returns the binary CIDv1."""
    if not isinstance(value, str):
        raise InvalidCidError(f"a CID must be a string, got {type(value).__name__}")
    text = value.strip()
    # py-cid would quietly take the CID out of an /ipfs/ path or URL; a CID field holds a CID only.
    if not text or text != value or text.startswith("/") or "://" in text or "/ipfs/" in text:
        raise InvalidCidError(f"not a CID: {value!r}")
    try:
        parsed = py_cid.make_cid(text)
        if parsed.version == 0:
            parsed = parsed.to_v1()
        binary = bytes(parsed.buffer)
    except Exception as exc:  # py-cid raises ValueError, multibase errors and others
        raise InvalidCidError(f"not a CID: {value!r} ({exc})") from None
    return binary


def cid_from_binary(data: bytes) -> bytes:
    """Validates a binary CID (a CIDv0 multihash or a CIDv1) read from a CAR file or a dag-pb link,
    and returns it as binary CIDv1."""
    data = bytes(data)
    try:
        if len(data) == 34 and data[0] == SHA2_256_CODE and data[1] == 0x20:
            parsed = py_cid.make_cid(0, "dag-pb", data).to_v1()
        elif data[:1] == b"\x01":
            parsed = py_cid.from_bytes_strict(data)
        else:
            raise ValueError("neither a CIDv0 multihash nor a CIDv1")
        binary = bytes(parsed.buffer)
    except Exception as exc:  # py-cid raises ValueError and others
        raise InvalidCidError(f"not a binary CID: {data[:40].hex()} ({exc})") from None
    return binary


def link_cid(data: bytes) -> bytes:
    """A dag-pb link's hash as binary CIDv1 (links may hold CIDv0 multihashes)."""
    if len(data) == 36 and data.startswith((RAW_SHA256_PREFIX, DAG_PB_SHA256_PREFIX)):
        return data
    return cid_from_binary(data)


def cid_to_str(binary_cid: bytes) -> str:
    """Base32 (lower case, unpadded, multibase prefix `b`) text of a binary CIDv1."""
    return "b" + base64.b32encode(binary_cid).decode("ascii").lower().rstrip("=")


def cid_parts(binary_cid: bytes) -> CidParts:
    """Splits a binary CIDv1 into codec, multihash function and digest."""
    if binary_cid.startswith(RAW_SHA256_PREFIX) and len(binary_cid) == 36:
        return CidParts(RAW_CODEC, SHA2_256_CODE, binary_cid[4:])
    if binary_cid.startswith(DAG_PB_SHA256_PREFIX) and len(binary_cid) == 36:
        return CidParts(DAG_PB_CODEC, SHA2_256_CODE, binary_cid[4:])
    try:
        parsed = py_cid.make_cid(bytes(binary_cid))
        decoded = py_multihash.decode(parsed.multihash)
        codec = _CODEC_BY_NAME.get(parsed.codec)
    except Exception as exc:
        raise InvalidCidError(f"not a binary CID: {bytes(binary_cid)[:40].hex()} ({exc})") from None
    if codec is None:
        raise UnsupportedCidError(
            f"{cid_to_str(binary_cid)}: codec {parsed.codec} is not one the artifact store reads (raw, dag-pb)"
        )
    return CidParts(codec, int(decoded.code), bytes(decoded.digest))


def raw_cid(data: bytes | memoryview) -> bytes:
    """Binary CIDv1 of a raw block (sha2-256)."""
    return RAW_SHA256_PREFIX + hashlib.sha256(data).digest()


def dag_pb_cid(data: bytes | memoryview) -> bytes:
    """Binary CIDv1 of a dag-pb block (sha2-256)."""
    return DAG_PB_SHA256_PREFIX + hashlib.sha256(data).digest()


def check_supported(binary_cid: bytes) -> CidParts:
    """The parts of a CID whose blocks the store can verify; UnsupportedCidError otherwise."""
    parts = cid_parts(binary_cid)
    if parts.hash_code not in _HASHERS:
        raise UnsupportedCidError(
            f"{cid_to_str(binary_cid)}: multihash function 0x{parts.hash_code:x} cannot be "
            f"verified here (supported: {', '.join(_HASH_NAMES.values())})"
        )
    return parts


def block_matches(binary_cid: bytes, data: bytes | memoryview) -> bool:
    """True when `data` hashes to the digest that `binary_cid` names."""
    parts = check_supported(binary_cid)
    return _HASHERS[parts.hash_code](data) == parts.digest


def verify_block(binary_cid: bytes, data: bytes | memoryview, where: str = "") -> None:
    """Raises CorruptBlockError when `data` is not the block that `binary_cid` names."""
    if not block_matches(binary_cid, data):
        suffix = f" ({where})" if where else ""
        raise CorruptBlockError(
            cid_to_str(binary_cid),
            f"block {cid_to_str(binary_cid)} does not match its hash{suffix}: it is corrupted",
        )
