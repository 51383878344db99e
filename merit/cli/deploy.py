"""`merit deploy`: the Brownie deploy script (scripts/deploy.py) on a local or live network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from merit.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_UNREACHABLE, CommandError, handle_errors
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
    from dao.networks import TESTNETS, ensure_brownie_network

    root = project_root()
    config_path = (config or root / "config" / "deploy" / f"{network}.json").resolve()
    if not config_path.is_file():
        raise CommandError(f"no deploy config {config_path}", EXIT_BAD_INPUT)
    if network in TESTNETS:
        net = TESTNETS[network]
        if not os.environ.get(net.rpc_env):
            raise CommandError(f"set {net.rpc_env} to the {network} RPC URL", EXIT_BAD_INPUT)
        _check_reachable(os.environ[net.rpc_env], net.rpc_env)
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
    returncode, reason = _run_brownie(command, root)
    if returncode != 0:
        unreachable = any(word in (reason or "") for word in UNREACHABLE_WORDS)
        raise CommandError(
            f"deployment on {network} stopped: {reason or f'brownie exited {returncode}'}; run again to resume",
            EXIT_UNREACHABLE if unreachable else EXIT_FAILED,
        )


# What the last line of a Brownie traceback says when the node went away mid-deployment.
UNREACHABLE_WORDS = ("ConnectionError", "MaxRetryError", "Connection refused", "ReadTimeout", "RPCRequestError")


def _check_reachable(rpc_url: str, variable: str) -> None:
    """Exit 4 in one line, before Brownie starts, when the network's node does not answer."""
    import requests

    try:
        requests.post(
            rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=10
        ).raise_for_status()
    except requests.RequestException as error:
        why = "timed out" if isinstance(error, requests.Timeout) else type(error).__name__
        raise CommandError(f"cannot reach the node at {variable} ({why})", EXIT_UNREACHABLE) from None


def _run_brownie(command: list[str], root: Path) -> tuple[int, str | None]:
    """Runs Brownie with its output passed through, except a traceback: that is held back (shown
    with MERIT_DEBUG=1) and its last line, the error itself, returned as the reason."""
    debug = bool(os.environ.get("MERIT_DEBUG"))
    reason: str | None = None
    in_traceback = False
    process = subprocess.Popen(
        command, cwd=root, env=toolchain_env(root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Traceback") or line.lstrip().startswith('File "'):
            in_traceback = True
        if in_traceback:
            if line.strip() and not line.startswith((" ", "Traceback")):
                reason = line.strip()
                in_traceback = False
            if debug:
                sys.stdout.write(line)
            continue
        sys.stdout.write(line)
        sys.stdout.flush()
    return process.wait(), reason
