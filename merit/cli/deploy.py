"""`merit deploy`: the Brownie deploy script (scripts/deploy.py) on a local or live network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from dao.networks import TESTNETS, ensure_brownie_network
from merit.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, CommandError, handle_errors
from merit.cli.demo import project_root


def toolchain_env(root: Path) -> dict[str, str]:
    """What `make` exports: the solc adapter for py-solc-x, anvil and the venv on PATH."""
    env = dict(os.environ)
    env["SOLCX_BINARY_PATH"] = str(root / ".toolchain" / "solc")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(root / "node_modules" / ".bin"), env["PATH"]])
    return env


@handle_errors
def deploy(
    network: str = typer.Option("development", "--network", "-n", help="a Brownie network id"),
    config: Path = typer.Option(None, "--config", help="deploy config (default config/deploy/NETWORK.json)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace a finished live deployment"),
    dry_run: bool = typer.Option(False, "--dry-run", help="print the parameters and the plan; send nothing"),
) -> None:
    """Deploy and wire OpenMerit (live networks take the deployer from MERIT_DEPLOYER_KEYSTORE)."""
    root = project_root()
    config_path = (config or root / "config" / "deploy" / f"{network}.json").resolve()
    if not config_path.is_file():
        raise CommandError(f"no deploy config {config_path}", EXIT_BAD_INPUT)
    if network in TESTNETS:
        net = TESTNETS[network]
        if not os.environ.get(net.rpc_env):
            raise CommandError(f"set {net.rpc_env} to the {network} RPC URL", EXIT_BAD_INPUT)
        ensure_brownie_network(net, str(Path(sys.executable).parent / "brownie"))
    flags = [str(config_path)] + (["overwrite"] if overwrite else []) + (["dry-run"] if dry_run else [])
    command = [
        str(Path(sys.executable).parent / "brownie"),
        "run",
        "scripts/deploy.py",
        "main",
        *flags,
        "--network",
        network,
    ]
    finished = subprocess.run(command, cwd=root, env=toolchain_env(root))
    if finished.returncode != 0:
        raise CommandError(
            f"deployment on {network} stopped (exit {finished.returncode}); run again to resume", EXIT_FAILED
        )
