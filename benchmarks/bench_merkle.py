"""Merkle tree: `dao.merkle.StandardMerkleTree` against `@openzeppelin/merkle-tree`, same values.

For 10,000 and 100,000 reward leaves, each side builds the tree and every proof. The JS library
runs in a Node subprocess; its time is measured inside node around the library calls (`of`
and the `getProof` loop) and also as the whole process (node start, reading the values).
Both sides must produce the same root and proofs, or the run stops.

The JS library re-hashes the leaf and re-verifies each proof inside `getProof`; the Python tree
is immutable, so its `get_proof` is index arithmetic. A second Python figure does that same
verification work explicitly (`verify` on every proof), so the ratio is shown both ways.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dao.merkle import REWARD_LEAF_ENCODING, StandardMerkleTree

REPO = Path(__file__).resolve().parents[1]
SIZES = (10_000, 100_000)

# Runs inside node from the repository root; prints one JSON line.
NODE_SCRIPT = r"""
const fs = require('fs');
const { StandardMerkleTree } = require('./node_modules/@openzeppelin/merkle-tree');
const [valuesPath, outPath] = process.argv.slice(1);
const values = JSON.parse(fs.readFileSync(valuesPath, 'utf8'));
const encoding = ['uint256', 'address', 'uint256'];
const t0 = performance.now();
const tree = StandardMerkleTree.of(values, encoding);
const t1 = performance.now();
const proofs = [];
for (let i = 0; i < values.length; i++) proofs.push(tree.getProof(i));
const t2 = performance.now();
const sample = [0, 1, values.length >> 1, values.length - 1];
fs.writeFileSync(outPath, JSON.stringify({
  buildMs: t1 - t0, proofsMs: t2 - t1, root: tree.root,
  sample: Object.fromEntries(sample.map(i => [i, proofs[i]])),
}));
"""


@dataclass(frozen=True)
class Timing:
    build_s: float
    proofs_s: float

    @property
    def total_s(self) -> float:
        return self.build_s + self.proofs_s


def reward_values(count: int) -> list[list[str]]:
    return [[str(i), "0x" + f"{(i * 2654435761) % 2**160:040x}", str((i + 1) * 10**15 + i)] for i in range(count)]


def time_python(values: list[list[str]], repeats: int) -> tuple[Timing, Timing, StandardMerkleTree, list[list[str]]]:
    """Best-of-`repeats` (build, all proofs), and the same with every proof verified."""
    best: Timing | None = None
    best_verified: Timing | None = None
    tree: StandardMerkleTree | None = None
    proofs: list[list[str]] = []
    for _ in range(repeats):
        start = time.perf_counter()
        tree = StandardMerkleTree.of(values, REWARD_LEAF_ENCODING)
        built = time.perf_counter()
        proofs = [tree.get_proof(i) for i in range(len(values))]
        done = time.perf_counter()
        timing = Timing(built - start, done - built)
        best = timing if best is None or timing.total_s < best.total_s else best
        start = time.perf_counter()
        verified_tree = StandardMerkleTree.of(values, REWARD_LEAF_ENCODING)
        built = time.perf_counter()
        for i in range(len(values)):
            proof = verified_tree.get_proof(i)
            if not verified_tree.verify(i, proof):
                raise AssertionError(f"proof {i} does not verify")
        done = time.perf_counter()
        timing = Timing(built - start, done - built)
        best_verified = timing if best_verified is None or timing.total_s < best_verified.total_s else best_verified
    assert best is not None and best_verified is not None and tree is not None
    return best, best_verified, tree, proofs


def time_js(values: list[list[str]]) -> tuple[Timing, float, dict]:
    """(in-node timing, whole-process seconds, node's report)."""
    with tempfile.TemporaryDirectory() as work:
        values_path, out_path = Path(work) / "values.json", Path(work) / "out.json"
        values_path.write_text(json.dumps(values))
        start = time.perf_counter()
        subprocess.run(["node", "-e", NODE_SCRIPT, str(values_path), str(out_path)], cwd=REPO, check=True)
        process_s = time.perf_counter() - start
        report = json.loads(out_path.read_text())
    return Timing(report["buildMs"] / 1000, report["proofsMs"] / 1000), process_s, report


def main() -> None:
    print(
        "merkle: build + every proof, reward leaves (uint256,address,uint256); peer: @openzeppelin/merkle-tree in node",
        flush=True,
    )
    for size in SIZES:
        values = reward_values(size)
        python, python_verified, tree, proofs = time_python(values, repeats=3 if size <= 10_000 else 2)
        js, js_process_s, report = time_js(values)
        if report["root"] != tree.root or any(proofs[int(i)] != p for i, p in report["sample"].items()):
            raise SystemExit(f"merkle: the trees differ at {size} leaves: {report['root']} vs {tree.root}")
        print(
            f"  {size:>7,} leaves  python {python.total_s:7.3f} s"
            f" (build {python.build_s:.3f} + proofs {python.proofs_s:.3f})"
            f"  | with every proof verified {python_verified.total_s:7.3f} s\n"
            f"  {'':>14}  js     {js.total_s:7.3f} s (build {js.build_s:.3f} + proofs {js.proofs_s:.3f}) in node,"
            f" {js_process_s:.3f} s whole process\n"
            f"  {'':>14}  ratio  {js.total_s / python.total_s:6.1f}x in node"
            f" ({js.total_s / python_verified.total_s:.1f}x against python with verification),"
            f" {js_process_s / python.total_s:.1f}x whole process  [target >= 20x]",
            flush=True,
        )


if __name__ == "__main__":
    main()
