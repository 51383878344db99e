"""`merit --help` loads the CLI framework and nothing heavy: the Ethereum stack, numpy, the scoring
engine, databases, HTTP clients and pydantic load with the command that needs them (issue 15).
Checked in a fresh interpreter, by what `sys.modules` holds; no timing (benchmarks/bench_cli.py
measures the start-up)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Modules `merit --help` must not load: each costs from tens to hundreds of milliseconds at start-up.
HEAVY = (
    "web3",
    "eth_account",
    "eth_abi",
    "eth_utils",
    "eth_keys",
    "numpy",
    "sqlalchemy",
    "httpx",
    "requests",
    "aiohttp",
    "pydantic",
    "pydantic_settings",
    "yaml",
    "uvicorn",
    "fastapi",
    "brownie",
    "oracle.scoring.metrics",
    "oracle.scoring.labels",
    "oracle.scoring.predictions",
    "oracle.service",
    "oracle.settings",
    "api",
    "dao.chain",
    "dao.merkle",
    "dao.proposals",
    "dao.keystore",
    "dao.artifacts",
    "dao.networks",
    "merit.profile",
    "merit.cli.config",
)

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import io, json, sys
from contextlib import redirect_stdout
{action}
loaded = sorted({{m for m in sys.modules for h in {heavy!r} if m == h or m.startswith(h + ".")}})
print(json.dumps({{"code": code, "loaded": loaded}}))
"""

IMPORT = "import merit.cli\ncode = 0"
HELP = """
from merit.cli import main
sys.argv = ["merit", "--help"]
with redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit as stop:
        code = stop.code or 0
"""


def _loaded_after(action: str) -> tuple[int, list[str]]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    environment["MERIT_PROFILE"] = "none"
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(action=action, heavy=HEAVY)],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], result["loaded"]


@pytest.mark.parametrize("action", [IMPORT, HELP], ids=["import merit.cli", "merit --help"])
def test_start_up_loads_nothing_heavy(action):
    code, loaded = _loaded_after(action)
    assert code == 0
    assert loaded == [], f"loaded at start-up (import them inside the command that needs them): {loaded}"


def test_the_commands_still_load_what_they_need():
    """The other side: a command's imports still resolve (every module of merit.cli imported, and
    the names its commands import lazily exist)."""
    code, loaded = _loaded_after(
        "import importlib, pkgutil, merit.cli\n"
        "for info in pkgutil.iter_modules(merit.cli.__path__):\n"
        "    importlib.import_module(f'merit.cli.{info.name}')\n"
        "from merit.cli.common import settings\n"
        "settings()\n"
        "code = 0"
    )
    assert code == 0
    assert "pydantic_settings" in loaded and "merit.cli.config" in loaded
