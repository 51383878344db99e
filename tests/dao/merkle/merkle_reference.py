"""Runs `@openzeppelin/merkle-tree` (the JS library itself) through tests/dao/merkle/js/merkle_reference.js.

Big reference runs (the 65,536-leaf tree takes the JS library about 20 s here, mostly its ABI
encoder) can be cached under .cache/merkle-reference/, keyed by the request, the reference
script and the installed library version, so only the first run pays for them. The Python side
is always recomputed; the cache only saves re-running a deterministic JS computation.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT

REPO = REPO_ROOT
SCRIPT = Path(__file__).resolve().parent / "js" / "merkle_reference.js"
LIBRARY_PACKAGE = REPO / "node_modules" / "@openzeppelin" / "merkle-tree" / "package.json"
CACHE_DIR = REPO / ".cache" / "merkle-reference"


def _library_version() -> str:
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: the merkle compatibility tests need Node 20")
    if not LIBRARY_PACKAGE.exists():
        pytest.fail("@openzeppelin/merkle-tree is not installed: run `npm ci` at the repository root")
    return json.loads(LIBRARY_PACKAGE.read_text())["version"]


def run_reference(requests: list[dict[str, Any]], cache: bool = False) -> list[dict[str, Any]]:
    """One result per request (see the script's header for the operations)."""
    payload = json.dumps(requests, separators=(",", ":"))
    key = hashlib.sha256("\n".join([_library_version(), SCRIPT.read_text(), payload]).encode()).hexdigest()
    cached = CACHE_DIR / f"{key}.json"
    if cache and cached.exists():
        return json.loads(cached.read_text())
    with tempfile.TemporaryDirectory() as work:
        request_path, response_path = Path(work) / "request.json", Path(work) / "response.json"
        request_path.write_text(payload)
        completed = subprocess.run(
            ["node", str(SCRIPT), str(request_path), str(response_path)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=REPO,
        )
        if completed.returncode != 0:
            pytest.fail(f"the JS reference failed: {completed.stderr.strip()}")
        text = response_path.read_text()
    if cache:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".tmp")
        partial.write_text(text)
        partial.replace(cached)
    return json.loads(text)


def run_one(request: dict[str, Any], cache: bool = False) -> dict[str, Any]:
    return run_reference([request], cache=cache)[0]


def canonical_json(data: Any) -> str:
    """Key-order-preserving compact JSON, to compare dumps byte for byte."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
