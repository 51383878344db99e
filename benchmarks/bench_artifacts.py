"""Artifact store: the CID of a 256 MiB file against sha256 alone and against the JS
ipfs-unixfs-importer, and peak memory while importing 1 GiB.

- Speed. Three ways over the same 256 MiB of random bytes, read from the same file (in the page
  cache after a first read): `hashlib.sha256` over the whole file (the floor: every byte must be
  hashed once), OpenMerit's `compute_artifact_cid` (chunks, leaves, dag-pb nodes), and the JS
  `ipfs-unixfs-importer` with Kubo's CIDv1 settings and a black-hole blockstore, timed inside node
  around the import (node's start-up is shown apart). Best of 5 each, sha256 and CID timed in
  alternation. The CIDs must agree, or the
  run stops. Targets: CID speed >= 0.7 x sha256's; faster than the JS importer.
- Memory. A fresh Python process imports 1 GiB (generated into a file first) into an embedded
  store in a temporary folder; its peak RSS is the kernel's high-water mark for that process
  (VmHWM), next to the peak of the same process that only imports the modules. Target: under 64 MiB. A second process
  reads the artifact back through `open` (every block verified) and is measured the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dao.artifacts.store import compute_artifact_cid

REPO = Path(__file__).resolve().parents[1]
JS_REFERENCE = REPO / "tests" / "artifacts" / "js" / "cid.mjs"
MIB = 1024 * 1024
SPEED_FILE_BYTES = 256 * MIB
MEMORY_FILE_BYTES = 1024 * MIB
MEMORY_BUDGET_MIB = 64
REPEATS = 5
READ_PIECE = 1 * MIB

# Prints its answer, then its own peak RSS (VmHWM, KiB). VmHWM belongs to the process's own
# memory map, so unlike the rusage a parent collects it does not start from the parent's size
# (Linux carries the forking process's high-water mark across exec into ru_maxrss).
IMPORT_SCRIPT = """
import sys
from dao.artifacts.embedded import EmbeddedStore
store = EmbeddedStore(sys.argv[2])
answer = ""
if sys.argv[1] == "put":
    with open(sys.argv[3], "rb") as source:
        answer = store.put(source)
elif sys.argv[1] == "read":
    total = 0
    with store.open(sys.argv[3]) as stream:
        while piece := stream.read(1 << 20):
            total += len(piece)
    answer = str(total)
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(answer)
print(peak.split()[1])
"""


def write_random_file(path: Path, size: int) -> None:
    """Random bytes, written 16 MiB at a time (so making the file needs no large buffer)."""
    with path.open("wb") as out:
        left = size
        while left:
            piece = min(left, 16 * MIB)
            out.write(os.urandom(piece))
            left -= piece


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while piece := source.read(READ_PIECE):
            digest.update(piece)
    return digest.hexdigest()


def cid_of_file(path: Path) -> str:
    with path.open("rb") as source:
        return compute_artifact_cid(source)


def best_times(path: Path) -> tuple[float, float, str]:
    """Best sha256 and best CID seconds over REPEATS rounds; each round times both back to back,
    so load from other processes falls on both alike."""
    best_sha = best_cid = float("inf")
    cid = ""
    for _ in range(REPEATS):
        started = time.perf_counter()
        sha256_of_file(path)
        best_sha = min(best_sha, time.perf_counter() - started)
        started = time.perf_counter()
        cid = cid_of_file(path)
        best_cid = min(best_cid, time.perf_counter() - started)
    return best_sha, best_cid, cid


def js_importer(path: Path) -> tuple[float, float, str]:
    """(best in-node import seconds, best whole-process seconds, CID) of the JS importer."""
    inside = float("inf")
    whole = float("inf")
    cid = ""
    for _ in range(REPEATS):
        started = time.perf_counter()
        answer = subprocess.run(
            ["node", str(JS_REFERENCE), "--blockstore", "black-hole", str(path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        whole = min(whole, time.perf_counter() - started)
        line = json.loads(answer.stdout.splitlines()[0])
        inside = min(inside, float(line["seconds"]))
        cid = line["cid"]
    return inside, whole, cid


def peak_rss_mib(arguments: list[str]) -> tuple[float, str]:
    """Peak resident memory (MiB) of a fresh Python process running IMPORT_SCRIPT, and its answer."""
    finished = subprocess.run(
        [sys.executable, "-c", IMPORT_SCRIPT, *arguments], cwd=REPO, capture_output=True, text=True
    )
    if finished.returncode != 0:
        raise RuntimeError(f"the import process failed ({finished.returncode}):\n{finished.stderr}")
    answer, peak_kib = finished.stdout.splitlines()[-2:]
    return int(peak_kib) / 1024, answer.strip()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="openmerit-bench-artifacts-") as scratch:
        folder = Path(scratch)
        speed_file = folder / "256MiB.bin"
        write_random_file(speed_file, SPEED_FILE_BYTES)
        sha256_of_file(speed_file)  # into the page cache, so every side reads from memory

        sha_seconds, cid_seconds, cid = best_times(speed_file)
        js_inside, js_whole, js_cid = js_importer(speed_file)
        if js_cid != cid:
            raise SystemExit(f"CIDs differ: OpenMerit {cid}, JS ipfs-unixfs-importer {js_cid}")

        mib = SPEED_FILE_BYTES / MIB
        print(f"CID of a {mib:.0f} MiB file (best of {REPEATS}; {cid})")
        print(f"  hashlib.sha256 alone          {sha_seconds:7.3f} s  {mib / sha_seconds:7.0f} MiB/s")
        print(f"  OpenMerit compute_artifact_cid {cid_seconds:6.3f} s  {mib / cid_seconds:7.0f} MiB/s")
        print(
            f"  JS ipfs-unixfs-importer       {js_inside:7.3f} s  {mib / js_inside:7.0f} MiB/s"
            f"  (inside node; {js_whole:.3f} s with node start)"
        )
        print(f"  ratio CID speed / sha256 speed     {sha_seconds / cid_seconds:5.2f} x  (target >= 0.70)")
        print(f"  ratio CID speed / JS importer      {js_inside / cid_seconds:5.2f} x  (target > 1.00)")
        speed_file.unlink()

        memory_file = folder / "1GiB.bin"
        write_random_file(memory_file, MEMORY_FILE_BYTES)
        store_folder = folder / "store"
        baseline_mib, _ = peak_rss_mib(["none", str(store_folder), ""])
        put_mib, stored_cid = peak_rss_mib(["put", str(store_folder), str(memory_file)])
        read_mib, read_bytes = peak_rss_mib(["read", str(store_folder), stored_cid])
        if int(read_bytes) != MEMORY_FILE_BYTES:
            raise SystemExit(f"read back {read_bytes} bytes of {MEMORY_FILE_BYTES}")
        print(f"Peak RSS of a process importing {MEMORY_FILE_BYTES // MIB} MiB into the embedded store ({stored_cid})")
        print(f"  interpreter + modules only    {baseline_mib:7.1f} MiB")
        print(
            f"  import (put from a file)      {put_mib:7.1f} MiB"
            f"  (budget {MEMORY_BUDGET_MIB} MiB: {'within' if put_mib < MEMORY_BUDGET_MIB else 'OVER'})"
        )
        print(f"  read back (open, verified)    {read_mib:7.1f} MiB")
        print(f"  ratio import peak / budget         {put_mib / MEMORY_BUDGET_MIB:5.2f}")


if __name__ == "__main__":
    main()
