"""Walking a stored file DAG through a block loader: its content in order, its blocks in CAR
order, its declared sizes. Pure: the caller hands in the function that loads (and verifies) one
block, so the same walk serves the embedded store, the Kubo backend and CAR import.

Memory is bounded by the DAG's depth times its fan-out (at most 174 links per node for what the
importer makes), never by the file's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from dao.artifacts.cid import DAG_PB_CODEC, RAW_CODEC, check_supported, cid_to_str
from dao.artifacts.dagpb import decode_file_node
from dao.artifacts.errors import MalformedDagError

LoadBlock = Callable[[bytes], bytes]
HasBlock = Callable[[bytes], bool]


@dataclass(frozen=True, slots=True)
class FileSizes:
    """What a file's root block declares: content bytes and bytes of the whole DAG."""

    size: int
    dag_size: int
    codec: int


def root_sizes(root_cid: bytes, root_block: bytes) -> FileSizes:
    """Sizes of the file named by `root_cid`, read from its root block alone."""
    parts = check_supported(root_cid)
    if parts.codec == RAW_CODEC:
        return FileSizes(len(root_block), len(root_block), RAW_CODEC)
    node = decode_file_node(root_block, f"block {cid_to_str(root_cid)}")
    declared = node.filesize if node.filesize is not None else len(node.data) + sum(node.blocksizes)
    dag_size = len(root_block) + sum(link.tsize for link in node.links)
    return FileSizes(declared, dag_size, DAG_PB_CODEC)


def iter_file_content(load: LoadBlock, root_cid: bytes) -> Iterator[bytes]:
    """Yields the file's bytes, block by block, checking the sizes each node declares."""
    total = 0
    # Each frame: the links still to read, and (node, expected content, content seen at entry).
    stack: list[tuple[Iterator[bytes], str, int | None, int]] = [(iter([root_cid]), "", None, 0)]
    while stack:
        links, node_name, expected, started_at = stack[-1]
        child = next(links, None)
        if child is None:
            stack.pop()
            if expected is not None and total - started_at != expected:
                raise MalformedDagError(
                    f"node {node_name} declares {expected} bytes but its blocks hold {total - started_at}"
                )
            continue
        parts = check_supported(child)
        block = load(child)
        if parts.codec == RAW_CODEC:
            total += len(block)
            yield block
            continue
        name = cid_to_str(child)
        node = decode_file_node(block, f"block {name}")
        declared = node.filesize
        if declared is None and node.links:
            declared = len(node.data) + sum(node.blocksizes)
        start = total
        if node.data:
            total += len(node.data)
            yield node.data
        stack.append((iter([link.cid for link in node.links]), name, declared, start))


_NOTHING = object()


def _walk(root_cid: bytes, visit: Callable[[bytes], tuple[object, Iterable[bytes]]]) -> Iterator:
    """Depth-first, in link order, each CID once: `visit(cid)` returns what to yield for it
    (`_NOTHING` for nothing) and the CIDs to walk into next (read only when the walk gets there)."""
    seen: set[bytes] = set()
    stack: list[Iterator[bytes]] = [iter([root_cid])]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        if child in seen:
            continue
        seen.add(child)
        output, children = visit(child)
        if output is not _NOTHING:
            yield output
        stack.append(iter(children))


def _links(cid: bytes, block: bytes) -> list[bytes]:
    return [link.cid for link in decode_file_node(block, f"block {cid_to_str(cid)}").links]


def iter_dag_blocks(load: LoadBlock, root_cid: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yields (binary CID, block) of every block of the DAG once, depth-first in link order
    (the order `ipfs dag export` writes a CAR in)."""

    def visit(cid: bytes) -> tuple[object, list[bytes]]:
        parts = check_supported(cid)
        block = load(cid)
        return (cid, block), _links(cid, block) if parts.codec == DAG_PB_CODEC else []

    return _walk(root_cid, visit)


def missing_blocks(load: LoadBlock, has: HasBlock, root_cid: bytes) -> Iterator[bytes]:
    """Yields the binary CIDs of the DAG's blocks that are absent. Raw leaves are only looked
    up (not read); dag-pb nodes are loaded to follow their links."""

    def visit(cid: bytes) -> tuple[object, list[bytes]]:
        if not has(cid):
            return cid, []
        return _NOTHING, _links(cid, load(cid)) if check_supported(cid).codec == DAG_PB_CODEC else []

    return _walk(root_cid, visit)


def iter_dag_cids(load: LoadBlock, root_cid: bytes) -> Iterator[bytes]:
    """Yields the binary CID of every block of the DAG once, reading dag-pb nodes only (raw
    leaves are named by their parent's links and never read)."""

    def children(cid: bytes) -> Iterator[bytes]:  # loaded after `cid` has been yielded
        if check_supported(cid).codec == DAG_PB_CODEC:
            yield from _links(cid, load(cid))

    return _walk(root_cid, lambda cid: (cid, children(cid)))
