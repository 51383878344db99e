"""The hidden answer slices the oracle holds: a manifest naming each slice's file and salt, checked
against the root the project committed to on chain.

A manifest (`slices.json`, written by `merit project register`, kept by the oracle committee and
never published) is

    {"format": "openmerit-slices-v1",
     "slices": [{"file": "slice-000.csv", "salt": "0x…32 bytes…"}, …]}

with files relative to the manifest's folder. Each slice file is the hidden truth of one epoch in
the answers format (`id,answer`): answers for benchmark items and gold labels for label items alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dao.slices import HiddenSlice, SliceSet

SLICE_MANIFEST_FORMAT = "openmerit-slices-v1"


class HiddenSlicesError(ValueError):
    """The local slices cannot be used: missing, malformed, or not the ones the project committed to."""


def write_slice_manifest(folder: Path, slices: SliceSet) -> Path:
    """Writes each slice's file and the manifest into `folder` (created); returns the manifest's path."""
    folder.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    for hidden in slices.slices:
        name = f"slice-{hidden.index:03d}.csv"
        (folder / name).write_bytes(hidden.data)
        entries.append({"file": name, "salt": "0x" + hidden.salt.hex()})
    manifest = folder / "slices.json"
    manifest.write_text(json.dumps({"format": SLICE_MANIFEST_FORMAT, "slices": entries}, indent=2) + "\n")
    return manifest


def load_slice_set(manifest: Path) -> SliceSet:
    """The slice set a manifest describes; HiddenSlicesError names what is wrong."""
    try:
        data = json.loads(Path(manifest).read_text())
    except FileNotFoundError:
        raise HiddenSlicesError(f"the slice manifest {manifest} does not exist") from None
    except json.JSONDecodeError as error:
        raise HiddenSlicesError(f"{manifest}: not JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(data, dict) or data.get("format") != SLICE_MANIFEST_FORMAT:
        raise HiddenSlicesError(f"{manifest}: not a {SLICE_MANIFEST_FORMAT} manifest")
    entries = data.get("slices")
    if not isinstance(entries, list) or not entries:
        raise HiddenSlicesError(f"{manifest}: `slices` must be a non-empty list")
    slices = []
    for index, entry in enumerate(entries):
        try:
            path = Path(manifest).parent / str(entry["file"])
            salt = bytes.fromhex(str(entry["salt"]).removeprefix("0x"))
        except (KeyError, TypeError, ValueError):
            raise HiddenSlicesError(f"{manifest}: slice {index} needs a `file` and a hex `salt`") from None
        if len(salt) != 32:
            raise HiddenSlicesError(f"{manifest}: slice {index}'s salt is {len(salt)} bytes, not 32")
        try:
            slices.append(HiddenSlice(index, path.read_bytes(), salt))
        except FileNotFoundError:
            raise HiddenSlicesError(f"{manifest}: slice {index}'s file {path} does not exist") from None
    return SliceSet(slices)


def check_committed(slices: SliceSet, committed_root: bytes, manifest: Path) -> None:
    """Refuses slices whose root is not the project's on-chain root (a stale or swapped manifest
    would score every contribution on answers nobody committed to)."""
    if slices.root != bytes(committed_root):
        raise HiddenSlicesError(
            f"the slices in {manifest} have root 0x{slices.root.hex()}, but the project committed to "
            f"0x{bytes(committed_root).hex()}"
        )
