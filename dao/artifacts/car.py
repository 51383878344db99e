"""CARv1 export and import of an artifact's DAG (https://ipld.io/specs/transport/car/carv1/), so
artifacts made without a node can be moved to any IPFS node or pinning service, and back.

A CARv1 is a varint-prefixed DAG-CBOR header `{"roots": [CID, ...], "version": 1}` followed by
sections, each a varint length then a binary CID then the block. Export writes the blocks
depth-first in link order, as `ipfs dag export` does.

Import reads the whole CAR before storing anything: every section must be complete, every CID
valid, every block must hash to its CID, and every root's DAG must be whole (from the CAR and what
the store already holds). Only then are the blocks written and the roots pinned, so a truncated or
malformed CAR stores nothing. The CAR is staged in a temporary file, so memory stays bounded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Literal, overload

from dao.artifacts.cid import block_matches, cid_from_binary, cid_to_str, parse_cid
from dao.artifacts.dag import iter_dag_blocks, missing_blocks
from dao.artifacts.dagpb import decode_varint, encode_varint
from dao.artifacts.errors import ArtifactError, InvalidCarError, InvalidCidError

if TYPE_CHECKING:
    from dao.artifacts.store import ArtifactStore

# Larger than any block an IPFS node exchanges (Kubo's limit is 2 MiB), so a CAR cannot make the
# reader allocate without bound.
MAX_SECTION_BYTES = 4 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024


# -- header: the small, fixed piece of DAG-CBOR a CARv1 header is ------------------------------


def encode_header(roots: list[bytes]) -> bytes:
    """The varint-prefixed DAG-CBOR header naming `roots` (binary CIDs)."""
    body = bytearray(b"\xa2")  # map of 2; DAG-CBOR orders keys by length: "roots", "version"
    body += b"\x65roots" + _cbor_head(4, len(roots))
    for root in roots:
        tagged = b"\x00" + root  # CIDs in DAG-CBOR: tag 42 over the identity multibase prefix + CID
        body += b"\xd8\x2a" + _cbor_head(2, len(tagged)) + tagged
    body += b"\x67version\x01"
    return encode_varint(len(body)) + bytes(body)


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * width):
            return bytes([major << 5 | info]) + value.to_bytes(width, "big")
    raise ValueError(f"CBOR length too large: {value}")


class _CborReader:
    """Reads the few DAG-CBOR items a CARv1 header holds: a map of text keys, an array of
    tag-42 CIDs, small unsigned integers."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def head(self) -> tuple[int, int]:
        if self.pos >= len(self.data):
            raise InvalidCarError("CAR header ends early")
        initial = self.data[self.pos]
        self.pos += 1
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info
        widths = {24: 1, 25: 2, 26: 4, 27: 8}
        if info not in widths:
            raise InvalidCarError("CAR header uses CBOR indefinite lengths or reserved values")
        width = widths[info]
        if self.pos + width > len(self.data):
            raise InvalidCarError("CAR header ends early")
        value = int.from_bytes(self.data[self.pos : self.pos + width], "big")
        self.pos += width
        return major, value

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise InvalidCarError("CAR header ends early")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def item(self) -> object:
        major, value = self.head()
        if major == 0:
            return value
        if major == 3:
            return self.take(value).decode("utf-8", errors="replace")
        if major == 4:
            return [self.item() for _ in range(value)]
        if major == 5:
            entries: dict[object, object] = {}
            for _ in range(value):
                key = self.item()
                if not isinstance(key, str):
                    raise InvalidCarError("CAR header map has a key that is not text")
                entries[key] = self.item()
            return entries
        if major == 6 and value == 42:
            inner_major, length = self.head()
            payload = self.take(length) if inner_major == 2 else b""
            if inner_major != 2 or not payload.startswith(b"\x00"):
                raise InvalidCarError("CAR header has a malformed CID (tag 42)")
            try:
                return _HeaderCid(cid_from_binary(payload[1:]))
            except InvalidCidError as exc:
                raise InvalidCarError(f"CAR header root is not a CID: {exc}") from None
        raise InvalidCarError(f"CAR header holds a CBOR item (major type {major}) a CARv1 header has not")


@dataclass(frozen=True, slots=True)
class _HeaderCid:
    cid: bytes


def decode_header(body: bytes) -> list[bytes]:
    """The roots (binary CIDv1) of a CARv1 header body; InvalidCarError for anything else."""
    reader = _CborReader(body)
    header = reader.item()
    if reader.pos != len(body):
        raise InvalidCarError("CAR header has bytes after its end")
    if not isinstance(header, dict):
        raise InvalidCarError("CAR header is not a map")
    version = header.get("version")
    if version == 2:
        raise InvalidCarError("this is a CARv2 file; export it as CARv1 (ipfs dag export writes CARv1)")
    if version != 1:
        raise InvalidCarError(f"CAR header version is {version!r}, not 1")
    roots = header.get("roots")
    if not isinstance(roots, list) or not all(isinstance(root, _HeaderCid) for root in roots):
        raise InvalidCarError("CAR header roots are not a list of CIDs")
    if not roots:
        raise InvalidCarError("CAR header names no root")
    return [root.cid for root in roots]


# -- export -------------------------------------------------------------------------------------


def export_car(store: ArtifactStore, cid: str, out: BinaryIO) -> int:
    """Writes the DAG of `cid` as a CARv1 to `out`, each block verified as it is read; returns
    the bytes written."""
    root = parse_cid(cid)
    header = encode_header([root])
    out.write(header)
    written = len(header)
    for block_cid, block in iter_dag_blocks(store.read_block, root):
        prefix = encode_varint(len(block_cid) + len(block)) + block_cid
        out.write(prefix)
        out.write(block)
        written += len(prefix) + len(block)
    return written


# -- import -------------------------------------------------------------------------------------


@dataclass
class StagedCar:
    """A CAR read whole and checked, held in a temporary file until its blocks are stored."""

    roots: list[bytes]
    file: BinaryIO
    # binary CID -> (offset of the block in `file`, its length)
    index: dict[bytes, tuple[int, int]] = field(default_factory=dict)

    def read(self, cid: bytes) -> bytes:
        offset, length = self.index[cid]
        self.file.seek(offset)
        return self.file.read(length)

    def blocks(self) -> Iterator[tuple[bytes, bytes]]:
        for cid in self.index:
            yield cid, self.read(cid)

    def close(self) -> None:
        self.file.close()


def stage_car(source: BinaryIO) -> StagedCar:
    """Reads a CARv1 from `source` into a temporary file, checking all of it.

    Raises InvalidCarError naming what is wrong: truncated, malformed, or a block that does not
    match its CID.
    """
    staging = tempfile.TemporaryFile(prefix="openmerit-car-")  # noqa: SIM115 - closed in the finally below
    try:
        header_length = _read_varint(source, "CAR header length", allow_eof=False)
        if header_length == 0 or header_length > MAX_HEADER_BYTES:
            raise InvalidCarError(f"CAR header length {header_length} is not plausible: not a CAR file")
        roots = decode_header(_read_exactly(source, header_length, "CAR header"))
        staged = StagedCar(roots, staging)
        section_number = 0
        while True:
            section_length = _read_varint(source, f"section {section_number + 1} length", allow_eof=True)
            if section_length is None:
                break
            section_number += 1
            if section_length == 0 or section_length > MAX_SECTION_BYTES:
                raise InvalidCarError(f"CAR section {section_number} claims {section_length} bytes: malformed")
            section = _read_exactly(source, section_length, f"section {section_number}")
            cid_length = _cid_length(section, section_number)
            block_cid = _section_cid(section[:cid_length], section_number)
            block = memoryview(section)[cid_length:]
            try:
                matches = block_matches(block_cid, block)
            except ArtifactError as exc:
                raise InvalidCarError(f"CAR section {section_number}: {exc}") from None
            if not matches:
                raise InvalidCarError(
                    f"CAR section {section_number}: block {cid_to_str(block_cid)} does not match its hash"
                )
            if block_cid not in staged.index:
                offset = staging.tell()
                staging.write(block)
                staged.index[block_cid] = (offset, len(block))
        return staged
    except BaseException:
        staging.close()
        raise


def import_car(store: ArtifactStore, source: BinaryIO, *, pin: bool = True) -> list[str]:
    """Stores a CARv1's blocks in `store` and pins its roots; returns the roots as CID strings.

    Nothing is stored unless the whole CAR is valid and each root's DAG is complete.
    """
    staged = stage_car(source)
    try:
        check_roots_complete(store, staged)
        for block_cid, block in staged.blocks():
            store.write_block(block_cid, block)
    finally:
        staged.close()
    names = [cid_to_str(root) for root in staged.roots]
    if pin:
        for name in names:
            store.pin(name)
    return names


def check_roots_complete(store: ArtifactStore, staged: StagedCar) -> None:
    """InvalidCarError unless every block under each root is in the CAR or already in `store`."""

    def has(cid: bytes) -> bool:
        return cid in staged.index or store.has_block(cid)

    def load(cid: bytes) -> bytes:
        return staged.read(cid) if cid in staged.index else store.read_block(cid)

    for root in staged.roots:
        try:
            missing = next(missing_blocks(load, has, root), None)
        except ArtifactError as exc:
            raise InvalidCarError(f"CAR root {cid_to_str(root)} is not a readable file DAG: {exc}") from None
        if missing is not None:
            raise InvalidCarError(
                f"CAR is incomplete: block {cid_to_str(missing)} of root {cid_to_str(root)} is neither "
                "in the CAR nor in the store (truncated export?)"
            )


def _read_exactly(source: BinaryIO, count: int, what: str) -> bytes:
    chunks = []
    remaining = count
    while remaining:
        chunk = source.read(remaining)
        if not chunk:
            raise InvalidCarError(f"CAR is truncated: {what} ends after {count - remaining} of {count} bytes")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


@overload
def _read_varint(source: BinaryIO, what: str, *, allow_eof: Literal[False]) -> int: ...
@overload
def _read_varint(source: BinaryIO, what: str, *, allow_eof: bool) -> int | None: ...
def _read_varint(source: BinaryIO, what: str, *, allow_eof: bool) -> int | None:
    """The next varint of `source`; None at a clean end of the stream only when `allow_eof`."""
    value = 0
    shift = 0
    first = True
    while True:
        byte = source.read(1)
        if not byte:
            if first and allow_eof:
                return None
            raise InvalidCarError(f"CAR is truncated: {what} is cut off")
        first = False
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise InvalidCarError(f"CAR is malformed: {what} is not a varint")


def _cid_length(section: bytes, section_number: int) -> int:
    """Bytes of the binary CID at the start of a section (CIDv0 multihash or CIDv1)."""
    try:
        if len(section) >= 2 and section[0] == 0x12 and section[1] == 0x20:
            return 34
        version, pos = decode_varint(section, 0)
        if version != 1:
            raise ValueError(f"CID version {version}")
        _codec, pos = decode_varint(section, pos)
        _hash_code, pos = decode_varint(section, pos)
        digest_length, pos = decode_varint(section, pos)
    except ValueError as exc:
        raise InvalidCarError(f"CAR section {section_number} does not start with a CID ({exc})") from None
    if pos + digest_length > len(section):
        raise InvalidCarError(f"CAR section {section_number}: its CID runs past the section")
    return pos + digest_length


def _section_cid(raw: bytes, section_number: int) -> bytes:
    try:
        return cid_from_binary(raw)
    except InvalidCidError as exc:
        raise InvalidCarError(f"CAR section {section_number}: {exc}") from None
