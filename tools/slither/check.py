"""Runs slither on OpenMerit's contracts in one compilation and fails on any high or medium
finding in project code that tools/slither/triage.json does not explain.

Run with the slither environment's Python (`make slither` does), from the project root:

    .venv-slither/bin/python tools/slither/check.py contracts

Paths are .sol files or folders (searched recursively). Every file is compiled in one solc
standard-json input through tools/solc/solc, with the same remapping Brownie uses, so that
OpenZeppelin's imports from node_modules resolve (crytic-compile's Brownie support cannot, and
its folder mode does not descend into sub-folders). Findings whose first element lies outside the
given paths (OpenZeppelin's own code) are not ours to fix and are not counted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

FAILING_IMPACTS = ("High", "Medium")
ROOT = Path(__file__).resolve().parents[2]


def _sources(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        path = Path(given).resolve()
        files += sorted(path.rglob("*.sol")) if path.is_dir() else [path]
    return files


def _where(result: dict) -> tuple[str, str]:
    """(file relative to the root, `Contract.function` or `Contract`) of a finding's first element."""
    element = result["elements"][0]
    filename = element["source_mapping"]["filename_absolute"]
    name = element.get("name", "")
    parent = element.get("type_specific_fields", {}).get("parent", {})
    if element["type"] in ("function", "node", "variable") and parent:
        grand = parent.get("type_specific_fields", {}).get("parent", {})
        owner = parent["name"] if parent.get("type") == "contract" else f"{grand.get('name', '')}.{parent['name']}"
        name = f"{owner}.{name}" if element["type"] != "node" else owner
    try:
        relative = str(Path(filename).resolve().relative_to(ROOT))
    except ValueError:
        relative = filename
    return relative, name


def _triaged(check: str, where: str, triage: list[dict]) -> dict | None:
    return next((e for e in triage if e["check"] == check and e["where"] == where), None)


def run(paths: list[str], triage_file: Path) -> int:
    from crytic_compile import CryticCompile
    from crytic_compile.platform.solc_standard_json import SolcStandardJson
    from slither import Slither
    from slither.__main__ import get_detectors_and_printers

    # solc's warnings (shadowing, code size) are Brownie's to show; keep slither's report readable
    logging.getLogger("CryticCompile").setLevel(logging.ERROR)
    triage = json.loads(triage_file.read_text())["triaged"]
    for entry in triage:
        if not entry.get("reason"):
            print(f"{triage_file}: every triaged finding needs a reason: {entry}")
            return 2
    files = _sources(paths)
    # the settings Brownie compiles with (brownie-config.yaml): without the optimizer, functions with
    # many arguments (the registry's revealBySig) do not compile at all
    standard_json = SolcStandardJson(
        {
            "language": "Solidity",
            "sources": {},
            "settings": {"optimizer": {"enabled": True, "runs": 200}, "evmVersion": "cancun"},
        }
    )
    standard_json.add_source_files([str(f) for f in files])
    compilation = CryticCompile(
        standard_json,
        solc=str(ROOT / "tools" / "solc" / "solc"),
        solc_remaps="@openzeppelin=node_modules/@openzeppelin",
        solc_working_dir=str(ROOT),
    )
    slither = Slither(compilation)
    detectors, _ = get_detectors_and_printers()
    for detector in detectors:
        slither.register_detector(detector)
    ours = {str(f.relative_to(ROOT)) if f.is_relative_to(ROOT) else str(f) for f in files}

    failing, explained = [], []
    for result in (r for results in slither.run_detectors() for r in results):
        if result["impact"] not in FAILING_IMPACTS:
            continue
        file, where = _where(result)
        if file not in ours:
            continue
        entry = _triaged(result["check"], where, triage)
        line = f"{result['impact']} {result['check']} in {where} ({file}): {result['description'].strip()}"
        (explained if entry else failing).append((line, entry))
    print(
        f"slither {len(files)} files, one compilation: {len(failing)} untriaged and {len(explained)} triaged "
        f"high/medium findings in project code"
    )
    for line, entry in explained:
        print(f"  triaged: {line.splitlines()[0]}\n    because: {entry['reason']}")
    for line, _ in failing:
        print(f"  UNTRIAGED: {line}")
    return 1 if failing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help=".sol files or folders")
    parser.add_argument("--triage", type=Path, default=ROOT / "tools" / "slither" / "triage.json")
    args = parser.parse_args(argv)
    return run(args.paths, args.triage)


if __name__ == "__main__":
    sys.exit(main())
