"""The embedded store: put and get, streams in bounded memory, pins, verification on read,
atomic writes."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import tracemalloc
from pathlib import Path

import cid as py_cid
import pytest

from dao.artifacts.cid import normalize_cid, parse_cid
from dao.artifacts.embedded import EmbeddedStore
from dao.artifacts.errors import (
    ArtifactNotFoundError,
    CorruptBlockError,
    InvalidCidError,
    MalformedDagError,
    NotPinnedError,
)
from dao.artifacts.store import compute_artifact_cid
from dao.artifacts.unixfs import CHUNK_SIZE
from tests.helpers import REPO_ROOT

ABSENT = "bafkreigks6arfsq3xxfpvqrrwonchxcnu6do76auprhhfomao6c273sixq"


def random_bytes(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


class TrickleReader(io.RawIOBase):
    """A stream that hands out at most `step` bytes per read, like a pipe or a socket."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        count = self._step if size < 0 else min(size, self._step)
        piece, self._data = self._data[:count], self._data[count:]
        return bytes(piece)


class GeneratedStream(io.RawIOBase):
    """`size` pseudo-random bytes made as they are read, never held whole."""

    def __init__(self, size: int, seed: int = 3) -> None:
        self._left = size
        self._random = random.Random(seed)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        count = self._left if size < 0 else min(size, self._left)
        self._left -= count
        return self._random.randbytes(count)


def test_put_returns_the_cid_and_get_returns_the_bytes(store: EmbeddedStore) -> None:
    data = random_bytes(3 * CHUNK_SIZE + 17)
    cid = store.put(data)
    assert cid == compute_artifact_cid(data)
    assert store.get(cid) == data
    assert store.has(cid)


def test_a_stream_with_short_reads_gives_the_same_cid(store: EmbeddedStore) -> None:
    data = random_bytes(2 * CHUNK_SIZE + 5)
    assert store.put(TrickleReader(data, 10_000)) == compute_artifact_cid(data)


def test_open_streams_the_content(store: EmbeddedStore) -> None:
    data = random_bytes(2 * CHUNK_SIZE + 99)
    cid = store.put(data)
    with store.open(cid) as stream:
        head = stream.read(10)
        rest = stream.read()
    assert head + rest == data


def test_any_cid_spelling_finds_the_artifact(store: EmbeddedStore) -> None:
    cid = store.put(b"spelled differently")
    base58 = py_cid.make_cid(cid).encode("base58btc").decode()
    assert store.get(base58) == b"spelled differently"
    assert store.stat(base58).cid == cid


def test_empty_and_one_byte_files(store: EmbeddedStore) -> None:
    for data in (b"", b"x"):
        cid = store.put(data)
        assert store.get(cid) == data
        assert store.stat(cid).size == len(data)


def test_stat_reports_sizes_and_pin(store: EmbeddedStore) -> None:
    data = random_bytes(CHUNK_SIZE + 1)
    cid = store.put(data, pin=False)
    info = store.stat(cid)
    assert (info.cid, info.size, info.root_codec, info.pinned) == (cid, len(data), "dag-pb", False)
    blocks = list((store.path / "blocks").rglob("*"))
    assert info.dag_size == sum(path.stat().st_size for path in blocks if path.is_file())


def test_pin_and_unpin(store: EmbeddedStore) -> None:
    cid = store.put(b"pinned by default")
    assert store.is_pinned(cid) and store.pins() == [cid]
    store.unpin(cid)
    assert not store.is_pinned(cid)
    with pytest.raises(NotPinnedError, match=cid):
        store.unpin(cid)
    store.pin(cid)
    assert store.is_pinned(cid)


def test_pinning_an_incomplete_artifact_is_refused(store: EmbeddedStore) -> None:
    cid = store.put(random_bytes(2 * CHUNK_SIZE), pin=False)
    leaf = next(path for path in (store.path / "blocks").rglob("bafkrei*"))
    leaf.unlink()
    assert not store.has(cid)
    with pytest.raises(ArtifactNotFoundError, match=f"cannot pin {cid}"):
        store.pin(cid)
    assert not store.is_pinned(cid)


def test_absent_artifact(store: EmbeddedStore) -> None:
    assert not store.has(ABSENT)
    with pytest.raises(ArtifactNotFoundError, match=ABSENT):
        store.get(ABSENT)
    with pytest.raises(ArtifactNotFoundError):
        store.open(ABSENT)
    with pytest.raises(ArtifactNotFoundError):
        store.stat(ABSENT)


def test_a_bad_cid_is_refused(store: EmbeddedStore) -> None:
    with pytest.raises(InvalidCidError, match="not a CID"):
        store.get("not-a-cid")


def test_a_flipped_byte_is_detected_and_never_served(store: EmbeddedStore) -> None:
    data = random_bytes(3 * CHUNK_SIZE)
    cid = store.put(data)
    victim = sorted((store.path / "blocks").rglob("bafkrei*"))[1]
    content = bytearray(victim.read_bytes())
    content[1000] ^= 0x01
    victim.write_bytes(bytes(content))
    served = bytearray()
    with pytest.raises(CorruptBlockError, match=victim.name):
        for piece in store.iter_content(cid):
            served += piece
    # What came out before the error is the original prefix: no corrupted byte was served.
    assert len(served) < len(data)
    assert bytes(served) == data[: len(served)]
    # Moved aside, so the store no longer claims the artifact and a re-add repairs it.
    assert not victim.exists()
    assert not store.has(cid)
    assert store.put(data) == cid
    assert store.get(cid) == data


def test_a_corrupt_root_is_reported_by_stat_and_has(store: EmbeddedStore) -> None:
    cid = store.put(random_bytes(2 * CHUNK_SIZE + 1))
    root = store.block_path(parse_cid(cid))
    root.write_bytes(root.read_bytes()[:-1] + b"\x00")
    with pytest.raises(CorruptBlockError, match=cid):
        store.stat(cid)


def test_a_half_written_block_does_not_pass(store: EmbeddedStore) -> None:
    data = random_bytes(CHUNK_SIZE)
    cid = store.put(data)
    path = store.block_path(parse_cid(cid))
    path.write_bytes(data[: CHUNK_SIZE // 2])  # what a non-atomic writer could leave after a crash
    with pytest.raises(CorruptBlockError):
        store.get(cid)


def test_a_crash_mid_write_leaves_no_block(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    data = random_bytes(CHUNK_SIZE + 10)

    def crash(*args: object) -> None:
        raise OSError("disk vanished")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk vanished"):
        store.put(data)
    monkeypatch.undo()
    assert [path for path in (store.path / "blocks").rglob("*") if path.is_file()] == []
    assert list((store.path / "tmp").iterdir()) == []
    cid = store.put(data)
    assert store.get(cid) == data


def test_a_killed_writer_leaves_only_temporaries_that_are_cleaned(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    EmbeddedStore(folder)
    # A writer that dies between writing its temporary and renaming it into place.
    script = (
        "import os, sys\n"
        "from dao.artifacts.embedded import EmbeddedStore\n"
        "store = EmbeddedStore(sys.argv[1])\n"
        "os.replace = lambda *a: os._exit(9)\n"
        "store.put(os.urandom(300000))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(folder)], cwd=REPO_ROOT)
    assert result.returncode == 9
    assert len(list((folder / "tmp").iterdir())) == 1
    assert [path for path in (folder / "blocks").rglob("*") if path.is_file()] == []
    EmbeddedStore(folder)  # opening the store removes what the dead writer left
    assert list((folder / "tmp").iterdir()) == []


def test_write_block_refuses_bytes_that_do_not_match(store: EmbeddedStore) -> None:
    cid = parse_cid(store.put(b"original"))
    other = parse_cid(compute_artifact_cid(b"another"))
    with pytest.raises(CorruptBlockError, match="refused"):
        store.write_block(other, b"original")
    assert not store.has_block(other)
    assert store.read_block(cid) == b"original"


def test_a_directory_is_not_a_file(store: EmbeddedStore) -> None:
    empty_directory = normalize_cid("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")
    store.write_block(parse_cid(empty_directory), bytes.fromhex("0a020801"))
    with pytest.raises(MalformedDagError, match="directory"):
        store.get(empty_directory)


def test_put_and_read_stream_in_bounded_memory(store: EmbeddedStore) -> None:
    size = 24 * 1024 * 1024
    tracemalloc.start()
    try:
        cid = store.put(GeneratedStream(size))
        _, peak_put = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        total = 0
        with store.open(cid) as stream:
            while piece := stream.read(1 << 20):
                total += len(piece)
        _, peak_read = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size
    # A few chunks in flight, never the file: 24 MiB went through each way.
    assert peak_put < 3 * 1024 * 1024, peak_put
    assert peak_read < 4 * 1024 * 1024, peak_read


def test_durable_writes_store_the_same_blocks(tmp_path: Path) -> None:
    durable = EmbeddedStore(tmp_path / "durable", durable=True)
    data = random_bytes(CHUNK_SIZE + 3)
    cid = durable.put(data)
    assert cid == compute_artifact_cid(data)
    assert durable.get(cid) == data


def test_a_text_stream_or_a_path_is_refused(store: EmbeddedStore, tmp_path: Path) -> None:
    text_file = tmp_path / "labels.csv"
    text_file.write_text("item,label\n")
    with text_file.open("r") as text_stream, pytest.raises(TypeError, match="binary mode"):
        store.put(text_stream)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes or a readable binary stream, got PosixPath"):
        store.put(text_file)  # type: ignore[arg-type]
    assert [path for path in (store.path / "blocks").rglob("*") if path.is_file()] == []


def test_garbage_collection_keeps_what_pins_reach(store: EmbeddedStore) -> None:
    kept = random_bytes(2 * CHUNK_SIZE + 1, seed=21)
    dropped = random_bytes(3 * CHUNK_SIZE + 2, seed=22)
    kept_cid = store.put(kept)
    dropped_cid = store.put(dropped, pin=False)
    shared_cid = store.put(kept[:CHUNK_SIZE], pin=False)  # the first leaf of `kept`
    dropped_dag_size = store.stat(dropped_cid).dag_size
    report = store.collect_garbage(grace_seconds=0)
    assert (report.removed_blocks, report.kept_blocks) == (5, 4)  # 4 leaves + root of `dropped`
    assert report.removed_bytes == dropped_dag_size
    assert store.get(kept_cid) == kept
    assert store.get(shared_cid) == kept[:CHUNK_SIZE]
    assert not store.has(dropped_cid)


def test_garbage_collection_spares_recent_blocks(store: EmbeddedStore) -> None:
    cid = store.put(random_bytes(CHUNK_SIZE + 1), pin=False)
    assert store.collect_garbage(grace_seconds=3600).removed_blocks == 0
    assert store.has(cid)


def test_garbage_collection_removes_nothing_when_a_pinned_node_is_corrupt(store: EmbeddedStore) -> None:
    pinned = store.put(random_bytes(2 * CHUNK_SIZE + 1, seed=31))
    store.put(random_bytes(10, seed=32), pin=False)
    root = store.block_path(parse_cid(pinned))
    root.write_bytes(b"\x00" + root.read_bytes()[1:])
    before = sorted(path.name for path in (store.path / "blocks").rglob("*") if path.is_file())
    with pytest.raises(CorruptBlockError):
        store.collect_garbage(grace_seconds=0)
    after = sorted(path.name for path in (store.path / "blocks").rglob("*") if path.is_file())
    assert after == [name for name in before if name != root.name]  # only the root, quarantined
