"""The JS ipfs-unixfs-importer as the reference for CIDs (run through `js/cid.mjs`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

JS_REFERENCE = Path(__file__).resolve().parent / "js" / "cid.mjs"


def reference_cids(paths: list[Path]) -> dict[Path, str]:
    """CIDs of `paths` from the JS ipfs-unixfs-importer, configured as Kubo's CIDv1 defaults."""
    if not (REPO_ROOT / "node_modules" / "ipfs-unixfs-importer").is_dir():
        pytest.skip("the JS reference is not installed: run `npm ci` at the repository root (make setup does)")
    answer = subprocess.run(
        ["node", str(JS_REFERENCE), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
    )
    assert answer.returncode == 0, answer.stderr
    lines = [json.loads(line) for line in answer.stdout.splitlines()]
    return {Path(line["path"]): line["cid"] for line in lines}
