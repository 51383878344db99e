"""Reading file DAGs: the dag-pb/UnixFS decoder, and the checks that keep a well-hashed but
ill-formed DAG from being served as a file."""

from __future__ import annotations

import pytest

from dao.artifacts.cid import cid_to_str, dag_pb_cid, raw_cid
from dao.artifacts.dag import iter_dag_blocks, iter_file_content, root_sizes
from dao.artifacts.dagpb import (
    UNIXFS_FILE,
    decode_file_node,
    decode_varint,
    encode_file_node,
    encode_varint,
)
from dao.artifacts.errors import MalformedDagError


def _loader(blocks: dict[bytes, bytes]):  # type: ignore[no-untyped-def]
    return lambda cid: blocks[cid]


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32, 2**63 - 1])
def test_varint_round_trip(value: int) -> None:
    encoded = encode_varint(value)
    assert decode_varint(encoded, 0) == (value, len(encoded))


def test_varint_cut_short() -> None:
    with pytest.raises(ValueError, match="past the end"):
        decode_varint(b"\x80\x80", 0)


def test_file_node_round_trip() -> None:
    leaves = [raw_cid(b"a" * 10), raw_cid(b"b" * 5)]
    node = decode_file_node(encode_file_node([(leaves[0], 10), (leaves[1], 5)], [10, 5]), "node")
    assert [link.cid for link in node.links] == leaves
    assert [link.tsize for link in node.links] == [10, 5]
    assert (node.unixfs_type, node.filesize, node.blocksizes, node.data) == (UNIXFS_FILE, 15, (10, 5), b"")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (b"\xff", "malformed protobuf"),
        (b"\x12\x05abc", "past the end"),
        (b"", "without UnixFS data"),
        (b"\x0a\x02\x08\x01", "directory"),
        (b"\x0a\x02\x08\x05", "hamt-shard"),
        (b"\x22\x00", "unexpected dag-pb field 4"),
    ],
)
def test_bad_nodes_are_named(block: bytes, message: str) -> None:
    with pytest.raises(MalformedDagError, match=message):
        decode_file_node(block, "block X")


def test_links_and_blocksizes_must_agree() -> None:
    link = b"\x0a\x24" + raw_cid(b"x") + b"\x12\x00\x18\x01"
    unixfs = b"\x08\x02\x18\x01"  # filesize 1, no blocksizes
    tampered = b"\x12" + bytes([len(link)]) + link + b"\x0a" + bytes([len(unixfs)]) + unixfs
    with pytest.raises(MalformedDagError, match="1 links but 0 blocksizes"):
        decode_file_node(tampered, "block X")


def test_packed_blocksizes_are_read() -> None:
    unixfs = b"\x08\x02\x18\x03" + b"\x22\x02\x01\x02"  # blocksizes [1, 2], packed
    link_a = b"\x0a\x24" + raw_cid(b"a") + b"\x12\x00\x18\x01"
    link_b = b"\x0a\x24" + raw_cid(b"bc") + b"\x12\x00\x18\x02"
    block = b"\x12" + bytes([len(link_a)]) + link_a + b"\x12" + bytes([len(link_b)]) + link_b
    block += b"\x0a" + bytes([len(unixfs)]) + unixfs
    assert decode_file_node(block, "node").blocksizes == (1, 2)


def test_inline_data_nodes_are_read() -> None:
    # A dag-pb leaf holding its bytes inline (what `ipfs add` without raw leaves makes).
    unixfs = b"\x08\x02\x12\x05hello\x18\x05"
    leaf = b"\x0a" + bytes([len(unixfs)]) + unixfs
    leaf_cid = dag_pb_cid(leaf)
    root = encode_file_node([(leaf_cid, len(leaf))], [5])
    root_cid = dag_pb_cid(root)
    blocks = {leaf_cid: leaf, root_cid: root}
    assert b"".join(iter_file_content(_loader(blocks), root_cid)) == b"hello"
    assert root_sizes(root_cid, root).size == 5
    assert [cid for cid, _ in iter_dag_blocks(_loader(blocks), root_cid)] == [root_cid, leaf_cid]


def test_declared_size_must_match_the_content() -> None:
    leaf = raw_cid(b"abc")
    lying_root = encode_file_node([(leaf, 3)], [3]).replace(b"\x18\x03\x20\x03", b"\x18\x04\x20\x03")
    root_cid = dag_pb_cid(lying_root)
    blocks = {leaf: b"abc", root_cid: lying_root}
    with pytest.raises(MalformedDagError, match=f"{cid_to_str(root_cid)} declares 4 bytes but its blocks hold 3"):
        b"".join(iter_file_content(_loader(blocks), root_cid))


def test_a_shared_block_is_exported_once() -> None:
    leaf = raw_cid(b"same")
    root = encode_file_node([(leaf, 4), (leaf, 4)], [4, 4])
    root_cid = dag_pb_cid(root)
    blocks = {leaf: b"same", root_cid: root}
    assert b"".join(iter_file_content(_loader(blocks), root_cid)) == b"samesame"
    assert [cid for cid, _ in iter_dag_blocks(_loader(blocks), root_cid)] == [root_cid, leaf]
