"""The one CID normalization: every spelling of a CID becomes the same base32 CIDv1 string, and
anything that is not a CID is refused with a message naming it."""

from __future__ import annotations

import hashlib

import cid as py_cid
import pytest
from pydantic import BaseModel, ValidationError

from dao.artifacts.cid import (
    CidStr,
    block_matches,
    cid_from_binary,
    cid_parts,
    cid_to_str,
    dag_pb_cid,
    is_cid,
    normalize_cid,
    parse_cid,
    raw_cid,
    verify_block,
)
from dao.artifacts.errors import CorruptBlockError, InvalidCidError, UnsupportedCidError

EMPTY_RAW = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"  # sha2-256 of b""
# The same dag-pb multihash as CIDv0 and as CIDv1 (the empty UnixFS directory).
DIRECTORY_V0 = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
DIRECTORY_V1 = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"


def test_base32_cidv1_is_unchanged() -> None:
    assert normalize_cid(EMPTY_RAW) == EMPTY_RAW


def test_cidv0_becomes_the_cidv1_of_the_same_multihash() -> None:
    assert normalize_cid(DIRECTORY_V0) == DIRECTORY_V1


@pytest.mark.parametrize("encoding", ["base58btc", "base16", "base32upper", "base64", "base36"])
def test_other_multibases_become_base32(encoding: str) -> None:
    spelled = py_cid.make_cid(EMPTY_RAW).encode(encoding).decode()
    assert spelled != EMPTY_RAW
    assert normalize_cid(spelled) == EMPTY_RAW


@pytest.mark.parametrize(
    "value",
    [
        "",
        "hello world",
        "Qm",
        EMPTY_RAW[:-1],  # digest one character short
        EMPTY_RAW + "aa",  # trailing bytes
        " " + EMPTY_RAW,
        "/ipfs/" + EMPTY_RAW,  # a path is not a CID
        "https://ipfs.io/ipfs/" + EMPTY_RAW,
    ],
)
def test_non_cids_are_refused_with_the_value_named(value: str) -> None:
    with pytest.raises(InvalidCidError) as raised:
        normalize_cid(value)
    assert repr(value) in str(raised.value)
    assert not is_cid(value)


def test_non_string_is_refused() -> None:
    with pytest.raises(InvalidCidError, match="must be a string"):
        normalize_cid(b"bafy")  # type: ignore[arg-type]


def test_fast_encoders_agree_with_py_cid() -> None:
    data = b"OpenMerit"
    digest = hashlib.sha256(data).digest()
    for binary, codec in ((raw_cid(data), "raw"), (dag_pb_cid(data), "dag-pb")):
        expected = py_cid.make_cid(1, codec, bytes([0x12, 0x20]) + digest)
        assert binary == bytes(expected.buffer)
        assert cid_to_str(binary) == expected.encode("base32").decode()
        assert parse_cid(cid_to_str(binary)) == binary


def test_cid_parts_of_raw_and_dag_pb() -> None:
    assert cid_parts(raw_cid(b"x")).codec == 0x55
    assert cid_parts(dag_pb_cid(b"x")).codec == 0x70
    assert cid_parts(raw_cid(b"x")).digest == hashlib.sha256(b"x").digest()


def test_other_codecs_are_unsupported_by_the_store() -> None:
    dag_cbor = py_cid.make_cid(1, "dag-cbor", bytes([0x12, 0x20]) + bytes(32))
    with pytest.raises(UnsupportedCidError, match="dag-cbor"):
        cid_parts(bytes(dag_cbor.buffer))


def test_unverifiable_hash_function_is_unsupported() -> None:
    blake = py_cid.make_cid(1, "raw", bytes([0xA0, 0xE4, 0x02, 0x20]) + bytes(32))  # blake2b-256
    with pytest.raises(UnsupportedCidError, match="cannot be verified"):
        block_matches(bytes(blake.buffer), b"")


def test_sha2_512_blocks_are_verified() -> None:
    digest = hashlib.sha512(b"abc").digest()
    binary = bytes(py_cid.make_cid(1, "raw", bytes([0x13, 0x40]) + digest).buffer)
    assert block_matches(binary, b"abc")
    assert not block_matches(binary, b"abd")


def test_verify_block_names_the_corrupt_block() -> None:
    binary = raw_cid(b"good")
    verify_block(binary, b"good")
    with pytest.raises(CorruptBlockError, match=cid_to_str(binary)):
        verify_block(binary, b"bad!")


def test_binary_cidv0_and_cidv1_are_read() -> None:
    v0 = py_cid.make_cid(DIRECTORY_V0)
    assert cid_to_str(cid_from_binary(bytes(v0.buffer))) == DIRECTORY_V1
    assert cid_from_binary(raw_cid(b"")) == raw_cid(b"")
    with pytest.raises(InvalidCidError, match="trailing|Inconsistent"):
        cid_from_binary(raw_cid(b"") + b"\x00")
    with pytest.raises(InvalidCidError):
        cid_from_binary(b"\x02\x55\x12\x20" + bytes(32))


def test_pydantic_cid_field_normalizes_and_refuses() -> None:
    class Submission(BaseModel):
        cid: CidStr

    assert Submission(cid=DIRECTORY_V0).cid == DIRECTORY_V1
    with pytest.raises(ValidationError, match="not a CID: 'nope'"):
        Submission(cid="nope")
