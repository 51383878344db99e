"""`merit demo`: OpenMerit on embedded defaults, start to finish, on a local anvil chain."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import time
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
        (
            "MeritTimelock",
            "DEFAULT_ADMIN_ROLE",
            "timelock itself",
            timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), timelock),
        ),
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


def run(
    keep_running: bool = typer.Option(
        False, "--keep-running", help="leave the chain and the API up at the end, until Ctrl-C"
    ),
) -> None:
    """Run one OpenMerit epoch end to end on a fresh local anvil chain: deploy, register a project,
    contributions, oracle, vote, claims, API; then print who earned what and why."""
    try:
        root = project_root()
    except FileNotFoundError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    os.chdir(root)
    # Brownie's own chain bookkeeping calls its deprecated rpc.snapshot
    warnings.filterwarnings("ignore", message="rpc.*should not be called directly", category=FutureWarning)
    from brownie import accounts, network, project

    from merit.demo.story import run_story

    started = time.monotonic()
    console.rule("[bold]OpenMerit demo")
    console.print("compiling the contracts (cached after the first run)...")
    loaded = project.load(root, name="OpenMerit")
    loaded.load_config()
    console.print("starting a local anvil chain...")
    network.connect("development")
    try:
        from scripts.deploy import deploy

        workdir = root / ".cache" / "demo"
        shutil.rmtree(workdir, ignore_errors=True)
        manifest = root / "deployments" / "development.json"
        brownie_output = io.StringIO()  # Brownie narrates every transaction; the demo shows steps
        with contextlib.redirect_stdout(brownie_output):
            deployment = deploy(
                loaded,
                root / "config" / "deploy" / "development.json",
                accounts[0],
                network_name="development",
                manifest=manifest,
                log=lambda line: console.print(line, highlight=False),
            )
        if deployment is None:  # deploy() returns None only for a dry run
            raise RuntimeError("the demo's deployment did not complete")
        table = Table(title=f"Deployment on {deployment.network} (chain id {deployment.chain_id})")
        for column in ("contract", "artifact", "address", "block"):
            table.add_column(column, no_wrap=True)
        for key, record in deployment.contracts.items():
            table.add_row(key, record.artifact, record.address, str(record.block_number))
        console.print(table)
        contracts = {
            key: getattr(loaded, record.artifact).at(record.address) for key, record in deployment.contracts.items()
        }
        console.print(_roles_table(contracts, deployment.deployer))

        rows = run_story(
            root, workdir, manifest, say=lambda line: console.print(line, highlight=False), keep_api=keep_running
        )
        console.print(results_table(rows))
        console.print(
            f"done in {time.monotonic() - started:.0f} s. API docs: http://127.0.0.1:8000/docs"
            + ("" if keep_running else " (run `merit demo --keep-running` to keep them up)")
        )
        if keep_running:
            console.print("the chain and the API stay up; Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    finally:
        network.disconnect()
        console.print("local chain stopped.")


def results_table(rows) -> Table:
    table = Table(title="Epoch 0: who earned what, and why")
    for column in ("contributor", "kind", "what it was", "score / gain", "reason", "bond", "tokens claimed"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row.contributor,
            row.kind,
            row.intent,
            row.score,
            row.reason,
            row.bond,
            f"{row.claimed_tokens / 10**18:,.2f}",
        )
    return table
