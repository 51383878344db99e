"""The file importer: bytes in, IPFS blocks out, with the CIDs of Kubo's
`ipfs add --cid-version=1` (pure: no I/O).

Kubo's defaults for CIDv1, which this reproduces: fixed-size chunks of 256 KiB, each a raw block
(`raw-leaves`); a balanced DAG of UnixFS file nodes of at most 174 links each; sha2-256; a file of
one chunk (the empty file included) is that single raw block. The balanced layout groups the
leaves 174 at a time into nodes, then those nodes 174 at a time, until one node remains; a group of
one is still wrapped in a node, except the only chunk of a one-chunk file.

Streaming: the importer keeps at most one partial chunk and one list of at most 174 links per
DAG level, so a file of any size goes through in bounded memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dao.artifacts.cid import RAW_SHA256_PREFIX, dag_pb_cid
from dao.artifacts.dagpb import encode_file_node

CHUNK_SIZE = 256 * 1024
MAX_LINKS_PER_NODE = 174


@dataclass(frozen=True, slots=True)
class Block:
    """One IPFS block: its binary CID and its bytes."""

    cid: bytes
    data: bytes


@dataclass(frozen=True, slots=True)
class _Subtree:
    """A finished part of the DAG, as its parent links to it."""

    cid: bytes
    tsize: int  # bytes of every block in the subtree (the link's Tsize)
    content_size: int  # file bytes under it (the parent's blocksize entry)


class FileImporter:
    """Builds the DAG of one file, fed in pieces of any size.

    `add` and `finish` return the blocks completed so far, leaves before the nodes that link to
    them; after `finish`, `root_cid` names the file.
    """

    def __init__(self, chunk_size: int = CHUNK_SIZE, max_links_per_node: int = MAX_LINKS_PER_NODE) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk size must be positive, got {chunk_size}")
        if max_links_per_node < 2:
            raise ValueError(f"a node needs room for at least 2 links, got {max_links_per_node}")
        self._chunk_size = chunk_size
        self._max_links = max_links_per_node
        self._partial = bytearray()
        self._levels: list[list[_Subtree]] = [[]]
        self._leaf_count = 0
        self._size = 0
        self._root: _Subtree | None = None

    @property
    def size(self) -> int:
        """File bytes taken so far."""
        return self._size

    @property
    def root_cid(self) -> bytes:
        """The binary CID of the file; only after `finish`."""
        if self._root is None:
            raise RuntimeError("the importer has not finished")
        return self._root.cid

    @property
    def dag_size(self) -> int:
        """Bytes of every block of the DAG (Kubo's CumulativeSize); only after `finish`."""
        if self._root is None:
            raise RuntimeError("the importer has not finished")
        return self._root.tsize

    def add(self, data: bytes | bytearray | memoryview) -> list[Block]:
        """Takes the next bytes of the file."""
        if self._root is not None:
            raise RuntimeError("the importer has finished")
        blocks: list[Block] = []
        size = self._chunk_size
        if not self._partial and len(data) == size:
            # The common case of a reader handing whole chunks: no copy.
            self._leaf(bytes(data), blocks)
            return blocks
        view = memoryview(data)
        start = 0
        if self._partial:
            take = min(size - len(self._partial), len(view))
            self._partial += view[:take]
            start = take
            if len(self._partial) < size:
                return blocks
            self._leaf(bytes(self._partial), blocks)
            self._partial.clear()
        while len(view) - start >= size:
            self._leaf(bytes(view[start : start + size]), blocks)
            start += size
        if start < len(view):
            self._partial += view[start:]
        return blocks

    def finish(self) -> list[Block]:
        """Ends the file: returns the last blocks, the root's last."""
        if self._root is not None:
            raise RuntimeError("the importer has finished")
        blocks: list[Block] = []
        if self._partial or self._leaf_count == 0:
            # The last, short chunk; for an empty file the one empty chunk Kubo makes.
            self._leaf(bytes(self._partial), blocks)
            self._partial.clear()
        levels = self._levels
        level = 0
        while True:
            entries = levels[level]
            higher_empty = all(not above for above in levels[level + 1 :])
            if entries and higher_empty and len(entries) == 1 and (level > 0 or self._leaf_count == 1):
                self._root = entries[0]
                return blocks
            if entries:
                self._close_node(level, blocks)
            level += 1

    def _leaf(self, chunk: bytes, blocks: list[Block]) -> None:
        leaf_cid = RAW_SHA256_PREFIX + hashlib.sha256(chunk).digest()
        blocks.append(Block(leaf_cid, chunk))
        self._leaf_count += 1
        self._size += len(chunk)
        self._push(0, _Subtree(leaf_cid, len(chunk), len(chunk)), blocks)

    def _push(self, level: int, entry: _Subtree, blocks: list[Block]) -> None:
        levels = self._levels
        if level == len(levels):
            levels.append([])
        levels[level].append(entry)
        if len(levels[level]) == self._max_links:
            self._close_node(level, blocks)

    def _close_node(self, level: int, blocks: list[Block]) -> None:
        """Turns the links waiting at `level` into one node, linked from `level + 1`."""
        entries = self._levels[level]
        node = encode_file_node(
            [(entry.cid, entry.tsize) for entry in entries],
            [entry.content_size for entry in entries],
        )
        node_cid = dag_pb_cid(node)
        blocks.append(Block(node_cid, node))
        subtree = _Subtree(
            node_cid,
            len(node) + sum(entry.tsize for entry in entries),
            sum(entry.content_size for entry in entries),
        )
        self._levels[level] = []
        self._push(level + 1, subtree, blocks)


def import_chunks(importer: FileImporter, pieces: Iterable[bytes | bytearray | memoryview]) -> Iterator[Block]:
    """Feeds `pieces` to `importer` and yields every block of the file, the root last."""
    for piece in pieces:
        yield from importer.add(piece)
    yield from importer.finish()


def compute_cid(pieces: Iterable[bytes | bytearray | memoryview]) -> bytes:
    """The binary CID of the file made of `pieces`, without keeping any block."""
    importer = FileImporter()
    for piece in pieces:
        importer.add(piece)
    importer.finish()
    return importer.root_cid
