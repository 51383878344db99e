"""CARv1 export and import: a DAG moves between stores whole, and a truncated or malformed CAR
is refused with a clear error and stores nothing."""

from __future__ import annotations

import io
import random
from pathlib import Path

import cid as py_cid
import pytest

from dao.artifacts.car import decode_header, encode_header
from dao.artifacts.cid import parse_cid, raw_cid
from dao.artifacts.dagpb import decode_varint, encode_varint
from dao.artifacts.embedded import EmbeddedStore
from dao.artifacts.errors import InvalidCarError
from dao.artifacts.unixfs import CHUNK_SIZE


def stored_files(store: EmbeddedStore) -> list[Path]:
    return [path for path in (store.path / "blocks").rglob("*") if path.is_file()]


@pytest.fixture
def artifact() -> bytes:
    return random.Random(11).randbytes(3 * CHUNK_SIZE + 333)


@pytest.fixture
def car_bytes(tmp_path: Path, artifact: bytes) -> tuple[str, bytes]:
    source = EmbeddedStore(tmp_path / "source")
    cid = source.put(artifact)
    out = io.BytesIO()
    written = source.export_car(cid, out)
    assert written == len(out.getvalue())
    return cid, out.getvalue()


def test_round_trip_between_stores(tmp_path: Path, artifact: bytes, car_bytes: tuple[str, bytes]) -> None:
    cid, car = car_bytes
    target = EmbeddedStore(tmp_path / "target")
    assert target.import_car(io.BytesIO(car)) == [cid]
    assert target.get(cid) == artifact
    assert target.is_pinned(cid)


def test_import_without_pin(tmp_path: Path, car_bytes: tuple[str, bytes]) -> None:
    cid, car = car_bytes
    target = EmbeddedStore(tmp_path / "target")
    target.import_car(io.BytesIO(car), pin=False)
    assert target.has(cid) and not target.is_pinned(cid)


def test_export_layout(artifact: bytes, car_bytes: tuple[str, bytes]) -> None:
    cid, car = car_bytes
    header, *sections = [_body(part) for part in _split_sections(car)]
    assert decode_header(header) == [parse_cid(cid)]
    # Depth-first, as `ipfs dag export` writes: the root node, then its 4 leaves in file order.
    cids = [section[:36] for section in sections]
    assert cids[0] == parse_cid(cid)
    assert [c[:2] for c in cids[1:]] == [b"\x01\x55"] * 4
    assert b"".join(section[36:] for section in sections[1:]) == artifact


def test_header_matches_py_cid_and_dag_cbor() -> None:
    root = parse_cid("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
    header = encode_header([root])
    # a2 map(2) | 65 "roots" | 81 array(1) | d8 2a tag(42) | 58 25 bytes(37) | 00 + CID | 67 "version" | 01
    body = b"\xa2\x65roots\x81\xd8\x2a\x58\x25\x00" + root + b"\x67version\x01"
    assert header == bytes([len(body)]) + body
    assert bytes(py_cid.make_cid(root).buffer) == root


@pytest.mark.parametrize("cut", [1, 5, 30, 70, 200, 100_000, -1])
def test_a_truncated_car_is_refused_and_stores_nothing(tmp_path: Path, car_bytes: tuple[str, bytes], cut: int) -> None:
    _, car = car_bytes
    target = EmbeddedStore(tmp_path / "target")
    with pytest.raises(InvalidCarError, match="truncated|ends early|incomplete"):
        target.import_car(io.BytesIO(car[:cut]))
    assert stored_files(target) == []
    assert target.pins() == []


def test_a_car_missing_a_whole_block_is_refused(tmp_path: Path, artifact: bytes, car_bytes: tuple[str, bytes]) -> None:
    cid, car = car_bytes
    # Drop the last section cleanly: every section left is well formed, but the DAG is not whole.
    sections = _split_sections(car)
    header, blocks = sections[0], sections[1:]
    shortened = header + b"".join(blocks[:-1])
    target = EmbeddedStore(tmp_path / "target")
    with pytest.raises(InvalidCarError, match=f"incomplete.*root {cid}"):
        target.import_car(io.BytesIO(shortened))
    assert stored_files(target) == []


def test_a_block_that_does_not_match_its_cid_is_refused(tmp_path: Path, car_bytes: tuple[str, bytes]) -> None:
    _, car = car_bytes
    damaged = bytearray(car)
    damaged[-10] ^= 0xFF
    target = EmbeddedStore(tmp_path / "target")
    with pytest.raises(InvalidCarError, match="does not match its hash"):
        target.import_car(io.BytesIO(bytes(damaged)))
    assert stored_files(target) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "truncated"),
        (b"\x00", "not plausible"),
        (b"hello, this is not a CAR file at all", "truncated|not plausible"),
        (b"\x01\xa0", "version"),  # an empty map
        (encode_varint(3) + b"\xa1\x67ver", "ends early"),
    ],
)
def test_malformed_headers_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    target = EmbeddedStore(tmp_path / "target")
    with pytest.raises(InvalidCarError, match=message):
        target.import_car(io.BytesIO(content))
    assert stored_files(target) == []


def test_a_carv2_file_is_named_as_such(tmp_path: Path) -> None:
    pragma = bytes.fromhex("0aa16776657273696f6e02")  # the CARv2 pragma: {"version": 2}
    with pytest.raises(InvalidCarError, match="CARv2"):
        EmbeddedStore(tmp_path / "target").import_car(io.BytesIO(pragma + bytes(40)))


def test_a_car_without_roots_is_refused(tmp_path: Path) -> None:
    body = b"\xa2\x65roots\x80\x67version\x01"
    with pytest.raises(InvalidCarError, match="no root"):
        EmbeddedStore(tmp_path / "target").import_car(io.BytesIO(encode_varint(len(body)) + body))


def test_an_oversized_section_length_is_refused_without_reading_it(tmp_path: Path) -> None:
    root = raw_cid(b"x")
    car = encode_header([root]) + encode_varint(1 << 40)
    with pytest.raises(InvalidCarError, match="claims"):
        EmbeddedStore(tmp_path / "target").import_car(io.BytesIO(car))


def test_a_section_with_a_foreign_codec_is_refused(tmp_path: Path) -> None:
    dag_cbor = bytes(py_cid.make_cid(1, "dag-cbor", bytes([0x12, 0x20]) + bytes(32)).buffer)
    root = raw_cid(b"x")
    car = encode_header([root]) + encode_varint(len(dag_cbor) + 1) + dag_cbor + b"\xa0"
    target = EmbeddedStore(tmp_path / "target")
    with pytest.raises(InvalidCarError, match="dag-cbor"):
        target.import_car(io.BytesIO(car))
    assert stored_files(target) == []


def test_a_root_already_held_completes_a_car(tmp_path: Path, artifact: bytes, car_bytes: tuple[str, bytes]) -> None:
    cid, car = car_bytes
    sections = _split_sections(car)
    target = EmbeddedStore(tmp_path / "target")
    target.put(artifact[-333:])  # the last leaf, stored beforehand
    # The CAR without its last leaf imports, because the store already holds that leaf.
    assert target.import_car(io.BytesIO(sections[0] + b"".join(sections[1:-1]))) == [cid]
    assert target.get(cid) == artifact


def _body(part: bytes) -> bytes:
    """A header or section without its length prefix."""
    _, start = decode_varint(part, 0)
    return part[start:]


def _split_sections(car: bytes) -> list[bytes]:
    """The header and each section, with their length prefixes."""
    parts = []
    pos = 0
    while pos < len(car):
        length, body_start = decode_varint(car, pos)
        parts.append(car[pos : body_start + length])
        pos = body_start + length
    return parts
