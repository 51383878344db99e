"""`merit demo`: OpenMerit on embedded defaults, start to finish, on a local anvil chain."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console(file=sys.stdout)


def project_root() -> Path:
    """The OpenMerit checkout this command runs from (it holds brownie-config.yaml)."""
    for candidate in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]):
        if (candidate / "brownie-config.yaml").is_file() and (candidate / "scripts" / "deploy.py").is_file():
            return candidate
    raise FileNotFoundError("no OpenMerit checkout here: run this from the repository (it needs brownie-config.yaml)")


def _roles_table(contracts: dict, deployer: str) -> Table:
    timelock, token, governor = contracts["timelock"], contracts["token"], contracts["governor"]
    zero = "0x0000000000000000000000000000000000000000"
    rows = [
        ("MeritTimelock", "PROPOSER_ROLE", "governor", timelock.hasRole(timelock.PROPOSER_ROLE(), governor)),
        ("MeritTimelock", "CANCELLER_ROLE", "governor", timelock.hasRole(timelock.CANCELLER_ROLE(), governor)),
        ("MeritTimelock", "EXECUTOR_ROLE", "anyone", timelock.hasRole(timelock.EXECUTOR_ROLE(), zero)),
        ("MeritTimelock", "DEFAULT_ADMIN_ROLE", "timelock itself", timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), timelock)),
        ("MeritTimelock", "DEFAULT_ADMIN_ROLE", "deployer", timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer)),
        ("MeritToken", "MINTER_ROLE", "timelock", token.hasRole(token.MINTER_ROLE(), timelock)),
        ("MeritToken", "DEFAULT_ADMIN_ROLE", "timelock", token.hasRole(token.DEFAULT_ADMIN_ROLE(), timelock)),
        ("MeritToken", "DEFAULT_ADMIN_ROLE", "deployer", token.hasRole(token.DEFAULT_ADMIN_ROLE(), deployer)),
    ]
    table = Table(title="Roles")
    for column in ("contract", "role", "holder", "held"):
        table.add_column(column)
    for contract, role, holder, held in rows:
        table.add_row(contract, role, holder, "[green]yes[/]" if held else "[red]no[/]")
    return table


def run() -> None:
    """Deploy and wire OpenMerit on a fresh local anvil chain, show the deployment, stop the chain."""
    try:
        root = project_root()
    except FileNotFoundError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    os.chdir(root)
    # Brownie's own chain bookkeeping calls its deprecated rpc.snapshot
    warnings.filterwarnings("ignore", message="rpc.*should not be called directly", category=FutureWarning)
    from brownie import accounts, network, project

    console.rule("[bold]OpenMerit demo")
    console.print("compiling the contracts (cached after the first run)...")
    loaded = project.load(root, name="OpenMerit")
    loaded.load_config()
    console.print("starting a local anvil chain...")
    network.connect("development")
    try:
        from scripts.deploy import deploy

        manifest = root / "deployments" / "development.json"
        brownie_output = io.StringIO()  # Brownie narrates every transaction; the demo shows steps
        with contextlib.redirect_stdout(brownie_output):
            deployment = deploy(loaded, root / "config" / "deploy" / "development.json", accounts[0],
                                network_name="development", manifest=manifest,
                                log=lambda line: console.print(line, highlight=False))
        table = Table(title=f"Deployment on {deployment.network} (chain id {deployment.chain_id})")
        for column in ("contract", "artifact", "address", "block"):
            table.add_column(column, no_wrap=True)
        for key, record in deployment.contracts.items():
            table.add_row(key, record.artifact, record.address, str(record.block_number))
        console.print(table)
        contracts = {key: getattr(loaded, record.artifact).at(record.address)
                     for key, record in deployment.contracts.items()}
        console.print(_roles_table(contracts, deployment.deployer))
        console.print(f"manifest: {manifest.relative_to(root)}")
    finally:
        network.disconnect()
        console.print("local chain stopped.")
