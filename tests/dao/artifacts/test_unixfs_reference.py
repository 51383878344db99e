"""The importer's CIDs equal those of an independent implementation, the JS ipfs-unixfs-importer
configured as Kubo's `ipfs add --cid-version=1`, at every size where the DAG changes shape."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dao.artifacts.cid import cid_to_str, parse_cid
from dao.artifacts.dagpb import decode_file_node
from dao.artifacts.embedded import EmbeddedStore
from dao.artifacts.store import compute_artifact_cid
from dao.artifacts.unixfs import (
    CHUNK_SIZE,
    MAX_LINKS_PER_NODE,
    FileImporter,
    compute_cid,
)
from tests.dao.artifacts.js_reference import reference_cids

KIB = 1024
MIB = 1024 * KIB

# Sizes where the DAG changes shape: the empty file and one chunk are single raw blocks; one
# byte over a chunk makes a node; 174 chunks fill one node; 175 need a second level.
SIZES = {
    "0 B": 0,
    "1 B": 1,
    "256 KiB": CHUNK_SIZE,
    "256 KiB + 1": CHUNK_SIZE + 1,
    "3 chunks + 100 B": 3 * CHUNK_SIZE + 100,
    "174 chunks": MAX_LINKS_PER_NODE * CHUNK_SIZE,
    "175 chunks": (MAX_LINKS_PER_NODE + 1) * CHUNK_SIZE,
    "50 MiB": 50 * MIB,
}


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("unixfs-samples")
    generator = random.Random(20261126)
    files = {}
    for label, size in SIZES.items():
        path = folder / label.replace(" ", "_").replace("+", "plus")
        path.write_bytes(generator.randbytes(size))
        files[label] = path
    return files


@pytest.fixture(scope="module")
def expected_cids(sample_files: dict[str, Path]) -> dict[str, str]:
    by_path = reference_cids(list(sample_files.values()))
    return {label: by_path[path] for label, path in sample_files.items()}


@pytest.mark.parametrize("label", list(SIZES))
def test_cid_equals_the_js_importer(label: str, sample_files: dict[str, Path], expected_cids: dict[str, str]) -> None:
    with sample_files[label].open("rb") as source:
        assert compute_artifact_cid(source) == expected_cids[label]


def test_one_chunk_files_are_single_raw_blocks(expected_cids: dict[str, str]) -> None:
    for label in ("0 B", "1 B", "256 KiB"):
        assert expected_cids[label].startswith("bafkrei")
    for label in ("256 KiB + 1", "174 chunks", "175 chunks", "50 MiB"):
        assert expected_cids[label].startswith("bafybei")


def test_stored_cid_equals_computed_cid(
    tmp_path: Path, sample_files: dict[str, Path], expected_cids: dict[str, str]
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    with sample_files["175 chunks"].open("rb") as source:
        assert store.put(source) == expected_cids["175 chunks"]


def test_175_chunks_make_a_second_level(
    sample_files: dict[str, Path], expected_cids: dict[str, str], tmp_path: Path
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    with sample_files["175 chunks"].open("rb") as source:
        root = store.put(source)
    node = decode_file_node(store.read_block(parse_cid(root)), "root")
    assert len(node.links) == 2
    assert node.blocksizes == (MAX_LINKS_PER_NODE * CHUNK_SIZE, CHUNK_SIZE)
    full, rest = (decode_file_node(store.read_block(link.cid), "child") for link in node.links)
    assert len(full.links) == MAX_LINKS_PER_NODE and len(rest.links) == 1


def test_pieces_of_any_size_give_the_same_cid() -> None:
    data = random.Random(7).randbytes(3 * CHUNK_SIZE + 12345)
    whole = compute_cid([data])
    for piece_size in (7, 1000, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 10 * CHUNK_SIZE):
        pieces = [data[i : i + piece_size] for i in range(0, len(data), piece_size)]
        assert compute_cid(pieces) == whole, piece_size


def test_blocks_come_leaves_first_and_root_last() -> None:
    importer = FileImporter()
    blocks = importer.add(bytes(2 * CHUNK_SIZE + 1)) + importer.finish()
    assert [block.cid[1] for block in blocks] == [0x55, 0x55, 0x55, 0x70]
    assert blocks[-1].cid == importer.root_cid
    assert importer.size == 2 * CHUNK_SIZE + 1
    assert importer.dag_size == sum(len(block.data) for block in blocks)


def test_the_empty_file_is_the_empty_raw_block() -> None:
    assert cid_to_str(compute_cid([])) == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def test_a_finished_importer_takes_no_more() -> None:
    importer = FileImporter()
    importer.finish()
    with pytest.raises(RuntimeError):
        importer.add(b"late")
    with pytest.raises(RuntimeError):
        importer.finish()


def test_root_is_unknown_before_finish() -> None:
    with pytest.raises(RuntimeError):
        _ = FileImporter().root_cid
