"""The embedded artifact store: IPFS blocks in files on local disk, no node needed.

Layout under the store's folder:
    blocks/<2 chars>/<cid>   one file per block, named by its base32 CIDv1 (sharded by the CID's
                             last two characters, which are spread evenly)
    pins/<cid>               one empty file per pinned artifact
    tmp/                     blocks being written
    quarantine/              blocks found corrupt on read, moved aside so a fresh copy can be stored

Writes are atomic: a block is written to tmp/ and renamed into place, so a crash leaves either
the whole block or none of it under blocks/. Reads verify every block against its hash; a block
that does not match (bit rot, a half-written file after power loss) is reported and never served.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dao.artifacts.cid import block_matches, cid_to_str, parse_cid
from dao.artifacts.dag import iter_dag_cids
from dao.artifacts.errors import (
    ArtifactNotFoundError,
    CorruptBlockError,
    NotPinnedError,
)
from dao.artifacts.store import ArtifactSource, ArtifactStore, read_pieces
from dao.artifacts.unixfs import Block, FileImporter

DEFAULT_STORE_PATH = Path(".cache/artifacts")


@dataclass(frozen=True, slots=True)
class GarbageCollected:
    """What `collect_garbage` removed and kept."""

    removed_blocks: int
    removed_bytes: int
    kept_blocks: int


class EmbeddedStore(ArtifactStore):
    """A content-addressed block store on disk whose CIDs are those of `ipfs add --cid-version=1`.

    `durable=True` also fsyncs each block and its folder before the rename, for stores that must
    survive power loss without re-fetching (corruption from one is still caught on read without it).
    """

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_STORE_PATH, *, durable: bool = False) -> None:
        self.path = Path(path)
        self.durable = durable
        self._blocks = self.path / "blocks"
        self._pins = self.path / "pins"
        self._tmp = self.path / "tmp"
        self._quarantine = self.path / "quarantine"
        for folder in (self._blocks, self._pins, self._tmp, self._quarantine):
            folder.mkdir(parents=True, exist_ok=True)
        self._made_shards: set[str] = set()
        self._remove_stale_temporaries()

    # -- block layer -------------------------------------------------------------------------

    def block_path(self, cid: bytes) -> Path:
        """Where the block named by binary `cid` lives (whether or not it is there)."""
        name = cid_to_str(cid)
        return self._blocks / name[-2:] / name

    def read_block(self, cid: bytes) -> bytes:
        path = self.block_path(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ArtifactNotFoundError(cid_to_str(cid)) from None
        if not block_matches(cid, data):
            moved_to = self._move_to_quarantine(path)
            raise CorruptBlockError(
                cid_to_str(cid),
                f"block {cid_to_str(cid)} in {path} does not match its hash: it is corrupted "
                f"(moved to {moved_to}; add the artifact again to repair it)",
            )
        return data

    def write_block(self, cid: bytes, data: bytes) -> None:
        if not block_matches(cid, data):
            raise CorruptBlockError(
                cid_to_str(cid), f"refused to store block {cid_to_str(cid)}: the bytes do not match its hash"
            )
        self._store_block(Block(cid, bytes(data)))

    def has_block(self, cid: bytes) -> bool:
        return self.block_path(cid).is_file()

    # -- artifacts ---------------------------------------------------------------------------

    def put(self, source: ArtifactSource, *, pin: bool = True) -> str:
        importer = FileImporter()
        for piece in read_pieces(source):
            for block in importer.add(piece):
                self._store_block(block)
        for block in importer.finish():
            self._store_block(block)
        cid = cid_to_str(importer.root_cid)
        if pin:
            self._write_pin(cid)
        return cid

    def pin(self, cid: str) -> None:
        name = cid_to_str(parse_cid(cid))
        missing = self.first_missing_block(name)
        if missing is not None:
            raise ArtifactNotFoundError(missing, f"cannot pin {name}: its block {missing} is not in the store")
        self._write_pin(name)

    def unpin(self, cid: str) -> None:
        name = cid_to_str(parse_cid(cid))
        try:
            (self._pins / name).unlink()
        except FileNotFoundError:
            raise NotPinnedError(f"{name} is not pinned") from None

    def is_pinned(self, cid: str) -> bool:
        return (self._pins / cid_to_str(parse_cid(cid))).is_file()

    def pins(self) -> list[str]:
        """Every pinned artifact's CID, sorted."""
        return sorted(entry.name for entry in self._pins.iterdir() if entry.is_file())

    def collect_garbage(self, *, grace_seconds: float = 3600.0) -> GarbageCollected:
        """Removes the blocks that no pinned artifact reaches, as `ipfs repo gc` does.

        Blocks written in the last `grace_seconds` stay: a `put` or CAR import in progress writes
        its blocks before it pins them. Every pinned DAG is walked first; if any of its nodes is
        missing or corrupt, nothing is removed (its children could not be told apart from garbage).
        """
        reachable: set[str] = set()
        for name in self.pins():
            for block_cid in iter_dag_cids(self.read_block, parse_cid(name)):
                reachable.add(cid_to_str(block_cid))
        cutoff = time.time() - grace_seconds
        removed_blocks = removed_bytes = kept_blocks = 0
        for shard in self._blocks.iterdir():
            for block in shard.iterdir():
                if block.name in reachable:
                    kept_blocks += 1
                    continue
                try:
                    details = block.stat()
                    if details.st_mtime > cutoff:
                        kept_blocks += 1
                        continue
                    block.unlink()
                except FileNotFoundError:
                    continue  # removed by a concurrent collector
                removed_blocks += 1
                removed_bytes += details.st_size
        return GarbageCollected(removed_blocks, removed_bytes, kept_blocks)

    # -- files -------------------------------------------------------------------------------

    def _store_block(self, block: Block) -> None:
        """Writes a block the caller has verified (or made), atomically, unless it is there."""
        name = cid_to_str(block.cid)
        shard = name[-2:]
        final = self._blocks / shard / name
        try:
            if final.stat().st_size == len(block.data):
                return  # content-addressed: same name and size is the same block (reads verify)
        except FileNotFoundError:
            pass
        if shard not in self._made_shards:
            (self._blocks / shard).mkdir(exist_ok=True)
            self._made_shards.add(shard)
        self._write_atomically(final, block.data)

    def _write_pin(self, name: str) -> None:
        if not (self._pins / name).is_file():
            self._write_atomically(self._pins / name, b"")

    def _write_atomically(self, final: Path, data: bytes) -> None:
        descriptor, temporary = tempfile.mkstemp(dir=self._tmp, prefix=f"{os.getpid()}-", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                if self.durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(temporary, final)
        except BaseException:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass
            raise
        if self.durable:
            self._fsync_folder(final.parent)

    @staticmethod
    def _fsync_folder(folder: Path) -> None:
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _move_to_quarantine(self, path: Path) -> Path:
        target = self._quarantine / f"{path.name}.{os.getpid()}"
        try:
            os.replace(path, target)
        except OSError:
            return path  # a concurrent reader moved it first, or the folder is read-only
        return target

    def _remove_stale_temporaries(self) -> None:
        """Temporaries of writers that are gone (a crash mid-write) are removed; those of live
        processes are theirs."""
        for entry in self._tmp.iterdir():
            pid_text = entry.name.split("-", 1)[0]
            if not pid_text.isdigit() or not _process_alive(int(pid_text)):
                try:
                    entry.unlink()
                except FileNotFoundError:
                    pass


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True
