"""The dag-pb and UnixFS protobuf encodings of file nodes, byte for byte as Kubo and js-ipfs write
them (pure: no I/O).

dag-pb (https://ipld.io/specs/codecs/dag-pb/spec/): a PBNode is its Links (field 2, each a PBLink
of Hash = 1, Name = 2, Tsize = 3) followed by its Data (field 1). The canonical form writes the
links first, and an empty Name is written (as Kubo and js-ipfs do for file chunks).

UnixFS Data (https://specs.ipfs.tech/unixfs/): Type = 1, Data = 2, filesize = 3,
blocksizes = 4 (repeated, not packed), then fields a file node never needs here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dao.artifacts.cid import link_cid
from dao.artifacts.errors import InvalidCidError, MalformedDagError

UNIXFS_RAW = 0
UNIXFS_DIRECTORY = 1
UNIXFS_FILE = 2
UNIXFS_TYPE_NAMES = {0: "raw", 1: "directory", 2: "file", 3: "metadata", 4: "symlink", 5: "hamt-shard"}

_VARINT = 0
_FIXED64 = 1
_BYTES = 2
_FIXED32 = 5


@dataclass(frozen=True, slots=True)
class PBLink:
    """A link of a dag-pb node: the child's binary CID, name and cumulative DAG size."""

    cid: bytes
    name: str
    tsize: int


@dataclass(frozen=True, slots=True)
class UnixFSFileNode:
    """A decoded dag-pb node of a UnixFS file: its links, inline data and declared sizes."""

    links: tuple[PBLink, ...]
    unixfs_type: int
    data: bytes
    filesize: int | None
    blocksizes: tuple[int, ...]


def encode_varint(value: int) -> bytes:
    """Unsigned LEB128, as protobuf and multiformats write integers."""
    if value < 0:
        raise ValueError(f"varint of a negative number: {value}")
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Reads one varint at `pos`; returns (value, position after it). ValueError when cut short."""
    value = 0
    shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise ValueError("varint runs past the end of the data")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 64 bits")


def encode_file_node(links: list[tuple[bytes, int]], blocksizes: list[int]) -> bytes:
    """A dag-pb node of a UnixFS file with no inline data.

    `links` are (child binary CID, child Tsize), in order; `blocksizes` the content bytes under
    each child; the declared filesize is their sum.
    """
    out = bytearray()
    for child_cid, tsize in links:
        link = b"\x0a" + encode_varint(len(child_cid)) + child_cid + b"\x12\x00\x18" + encode_varint(tsize)
        out += b"\x12" + encode_varint(len(link)) + link
    unixfs = bytearray(b"\x08\x02\x18")
    unixfs += encode_varint(sum(blocksizes))
    for size in blocksizes:
        unixfs += b"\x20" + encode_varint(size)
    out += b"\x0a" + encode_varint(len(unixfs)) + unixfs
    return bytes(out)


def _fields(buf: bytes | memoryview, what: str) -> Iterator[tuple[int, int, int | memoryview]]:
    """Yields (field number, wire type, value) of a protobuf message; bytes fields as memoryviews."""
    view = memoryview(buf)
    pos = 0
    end = len(view)
    try:
        while pos < end:
            key, pos = decode_varint(view, pos)
            field, wire = key >> 3, key & 0x07
            if field == 0:
                raise ValueError("field number 0")
            if wire == _VARINT:
                value, pos = decode_varint(view, pos)
                yield field, wire, value
            elif wire == _BYTES:
                length, pos = decode_varint(view, pos)
                if pos + length > end:
                    raise ValueError("a length-delimited field runs past the end")
                yield field, wire, view[pos : pos + length]
                pos += length
            elif wire == _FIXED64:
                pos += 8
            elif wire == _FIXED32:
                pos += 4
            else:
                raise ValueError(f"unknown wire type {wire}")
            if pos > end:
                raise ValueError("a fixed-size field runs past the end")
    except ValueError as exc:
        raise MalformedDagError(f"{what}: malformed protobuf: {exc}") from None


def decode_file_node(block: bytes, what: str) -> UnixFSFileNode:
    """Decodes a dag-pb block that must be a UnixFS file (or raw) node.

    `what` names the block in errors. Raises MalformedDagError for anything else.
    """
    links: list[PBLink] = []
    data_field: memoryview | None = None
    for field, wire, value in _fields(block, what):
        if field == 2 and wire == _BYTES:
            assert isinstance(value, memoryview)
            links.append(_decode_link(value, what))
        elif field == 1 and wire == _BYTES:
            assert isinstance(value, memoryview)
            data_field = value
        else:
            raise MalformedDagError(f"{what}: unexpected dag-pb field {field} (wire type {wire})")
    if data_field is None:
        raise MalformedDagError(f"{what}: dag-pb node without UnixFS data")
    unixfs_type: int | None = None
    inline = b""
    filesize: int | None = None
    blocksizes: list[int] = []
    for field, wire, value in _fields(data_field, what + " (UnixFS data)"):
        if field == 1 and wire == _VARINT:
            unixfs_type = int(value)
        elif field == 2 and wire == _BYTES:
            inline = bytes(value)
        elif field == 3 and wire == _VARINT:
            filesize = int(value)
        elif field == 4 and wire == _VARINT:
            blocksizes.append(int(value))
        elif field == 4 and wire == _BYTES:  # packed, as some writers emit it
            packed = value
            assert isinstance(packed, memoryview)
            pos = 0
            try:
                while pos < len(packed):
                    size, pos = decode_varint(packed, pos)
                    blocksizes.append(size)
            except ValueError as exc:
                raise MalformedDagError(f"{what}: malformed blocksizes: {exc}") from None
    if unixfs_type not in (UNIXFS_FILE, UNIXFS_RAW):
        kind = UNIXFS_TYPE_NAMES.get(unixfs_type, f"type {unixfs_type}") if unixfs_type is not None else "no type"
        raise MalformedDagError(f"{what}: a UnixFS {kind} node, not a file")
    if links and len(blocksizes) != len(links):
        raise MalformedDagError(f"{what}: {len(links)} links but {len(blocksizes)} blocksizes")
    return UnixFSFileNode(tuple(links), unixfs_type, inline, filesize, tuple(blocksizes))


def _decode_link(buf: memoryview, what: str) -> PBLink:
    child: bytes | None = None
    name = ""
    tsize = 0
    for field, wire, value in _fields(buf, what + " (link)"):
        if field == 1 and wire == _BYTES:
            child = bytes(value)
        elif field == 2 and wire == _BYTES:
            name = bytes(value).decode("utf-8", errors="replace")
        elif field == 3 and wire == _VARINT:
            tsize = int(value)
        else:
            raise MalformedDagError(f"{what}: unexpected PBLink field {field}")
    if child is None:
        raise MalformedDagError(f"{what}: a link without a hash")
    try:
        child = link_cid(child)
    except InvalidCidError as exc:
        raise MalformedDagError(f"{what}: a link whose hash is not a CID ({exc})") from None
    return PBLink(child, name, tsize)
