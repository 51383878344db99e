"""The artifact store: one interface for every artifact (contribution, benchmark, epoch report),
addressed by its IPFS CID, with an embedded and a Kubo backend.

A backend implements the block layer (read a verified block, write a block, look one up) and
pinning; everything about files (reading one back as a stream, whether all of it is there, its
sizes, CAR export and import) is written once here, over that block layer, so both backends read,
verify and count the same way.

CIDs in and out of the public methods are strings; any CID spelling is accepted and every CID
returned is base32 CIDv1 (see `dao.artifacts.cid`). The block layer takes binary CIDs.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from dao.artifacts.cid import CODEC_NAMES, cid_to_str, parse_cid
from dao.artifacts.dag import iter_file_content, missing_blocks, root_sizes
from dao.artifacts.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    CidMismatchError,
    CorruptBlockError,
    InvalidCarError,
    InvalidCidError,
    MalformedDagError,
    NotPinnedError,
    StoreUnavailableError,
    UnsupportedCidError,
)
from dao.artifacts.unixfs import CHUNK_SIZE, compute_cid

__all__ = [
    "ArtifactError",
    "ArtifactNotFoundError",
    "ArtifactSource",
    "ArtifactStat",
    "ArtifactStore",
    "CidMismatchError",
    "CorruptBlockError",
    "InvalidCarError",
    "InvalidCidError",
    "MalformedDagError",
    "NotPinnedError",
    "StoreUnavailableError",
    "UnsupportedCidError",
    "compute_artifact_cid",
    "read_pieces",
]

# What `put` takes: the bytes themselves, or a binary stream read to its end.
ArtifactSource = bytes | bytearray | memoryview | BinaryIO


@dataclass(frozen=True, slots=True)
class ArtifactStat:
    """What the store knows of one artifact, read from its root block."""

    cid: str
    size: int  # bytes of the file
    dag_size: int  # bytes of every block of its DAG (Kubo's CumulativeSize)
    root_codec: str  # "raw" (a one-block file) or "dag-pb"
    pinned: bool


def read_pieces(source: ArtifactSource, piece_size: int = CHUNK_SIZE) -> Iterator[bytes | bytearray | memoryview]:
    """The source's bytes in pieces of `piece_size` (the last may be shorter).

    Streams are read until EOF, however short their reads are, holding one piece at a time.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for start in range(0, len(view), piece_size):
            yield view[start : start + piece_size]
        return
    read = getattr(source, "read", None)
    if read is None:
        raise TypeError(f"an artifact source is bytes or a readable binary stream, got {type(source).__name__}")
    while True:
        piece = read(piece_size)
        if not piece:
            return
        if not isinstance(piece, (bytes, bytearray)):
            raise TypeError(f"the artifact stream returned {type(piece).__name__}, not bytes (open it in binary mode)")
        while len(piece) < piece_size:
            more = read(piece_size - len(piece))
            if not more:
                yield piece
                return
            piece += more  # short reads (pipes, sockets) are joined into whole chunks
        yield piece


def compute_artifact_cid(source: ArtifactSource) -> str:
    """The CID that `put` (and `ipfs add --cid-version=1`) gives this source, storing nothing."""
    return cid_to_str(compute_cid(read_pieces(source)))


class ArtifactReader(io.RawIOBase):
    """A read-only binary stream over an artifact's content; each block is verified as it is
    reached, and a corrupt or missing one raises instead of returning bytes."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        super().__init__()
        self._pieces = pieces
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._current:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._current = memoryview(piece)
        count = min(len(buffer), len(self._current))
        memoryview(buffer)[:count] = self._current[:count]
        self._current = self._current[count:]
        return count


class ArtifactStore(ABC):
    """Put bytes or a stream, get a CID; get or open a CID, get verified bytes or a stream."""

    # -- block layer: each backend -----------------------------------------------------------

    @abstractmethod
    def read_block(self, cid: bytes) -> bytes:
        """The block named by binary `cid`, verified against its hash.

        ArtifactNotFoundError when absent, CorruptBlockError when it does not match.
        """

    @abstractmethod
    def write_block(self, cid: bytes, data: bytes) -> None:
        """Stores one block after checking that `data` hashes to `cid` (CorruptBlockError if not)."""

    @abstractmethod
    def has_block(self, cid: bytes) -> bool:
        """Whether the block is held (without reading it)."""

    # -- artifacts: each backend -------------------------------------------------------------

    @abstractmethod
    def put(self, source: ArtifactSource, *, pin: bool = True) -> str:
        """Stores a file (bytes, or a binary stream read to its end) and returns its CID."""

    @abstractmethod
    def pin(self, cid: str) -> None:
        """Keeps the whole artifact; ArtifactNotFoundError if any block of it is missing."""

    @abstractmethod
    def unpin(self, cid: str) -> None:
        """Lets the artifact go; NotPinnedError if it was not pinned."""

    @abstractmethod
    def is_pinned(self, cid: str) -> bool:
        """Whether the artifact is pinned (recursively)."""

    def close(self) -> None:  # noqa: B027 - an optional hook: stores without connections need nothing
        """Releases connections; the store is not used after."""

    def __enter__(self) -> ArtifactStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- artifacts: written once, over the block layer ---------------------------------------

    def iter_content(self, cid: str) -> Iterator[bytes]:
        """The artifact's bytes block by block, each block verified before it is yielded."""
        root = parse_cid(cid)
        root_block = self.read_block(root)  # fail here, before any byte, when the root is absent

        def load(block_cid: bytes) -> bytes:
            return root_block if block_cid == root else self.read_block(block_cid)

        return iter_file_content(load, root)

    def open(self, cid: str) -> io.BufferedReader:
        """A binary stream of the artifact's content, read in bounded memory."""
        return io.BufferedReader(ArtifactReader(self.iter_content(cid)), buffer_size=CHUNK_SIZE)

    def get(self, cid: str) -> bytes:
        """The artifact's whole content, verified."""
        return b"".join(self.iter_content(cid))

    def has(self, cid: str) -> bool:
        """Whether every block of the artifact is held. Nodes are read (and verified) to follow
        their links, so a corrupt node raises CorruptBlockError rather than answering."""
        root = parse_cid(cid)
        try:
            return next(missing_blocks(self.read_block, self.has_block, root), None) is None
        except ArtifactNotFoundError:
            return False

    def stat(self, cid: str) -> ArtifactStat:
        """Sizes and pin state, from the root block."""
        root = parse_cid(cid)
        sizes = root_sizes(root, self.read_block(root))
        name = cid_to_str(root)
        return ArtifactStat(name, sizes.size, sizes.dag_size, CODEC_NAMES[sizes.codec], self.is_pinned(name))

    def first_missing_block(self, cid: str) -> str | None:
        """The CID of a block of the artifact that is not held, or None when it is complete."""
        missing = next(missing_blocks(self.read_block, self.has_block, parse_cid(cid)), None)
        return None if missing is None else cid_to_str(missing)

    def export_car(self, cid: str, out: BinaryIO) -> int:
        """Writes the artifact's DAG as a CARv1 to `out`; returns the bytes written."""
        from dao.artifacts.car import export_car

        return export_car(self, cid, out)

    def import_car(self, source: BinaryIO, *, pin: bool = True) -> list[str]:
        """Stores the blocks of a CARv1 and pins its roots; returns the roots. A truncated or
        malformed CAR, or one whose roots are incomplete, raises InvalidCarError and stores nothing."""
        from dao.artifacts.car import import_car

        return import_car(self, source, pin=pin)
