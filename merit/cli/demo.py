"""`merit demo`: OpenMerit on embedded defaults, start to finish, on a local anvil chain.

The demo starts its own chain (anvil, through Brownie) and refuses to run when something already
listens on its chain or API port: it never deploys to a chain it did not start. Everything it
starts (anvil, the API's thread) is stopped when it ends, fails, or gets SIGINT or SIGTERM. With
`--keep-running` the chain then mines a block every `--block-time` seconds, so that its clock moves
as a real chain's does (`merit chain advance` skips ahead).

Exit codes: 0 done (or stopped by a signal while kept running); 1 the demo failed or was
interrupted before its end; 2 a port is taken, anvil is missing, or no checkout is found.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from merit.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, CommandError, _classify, fail, settings

console = Console(file=sys.stdout)

HOST = "127.0.0.1"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def project_root() -> Path:
    """The OpenMerit checkout this command runs from (it holds brownie-config.yaml)."""
    for candidate in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]):
        if (candidate / "brownie-config.yaml").is_file() and (candidate / "scripts" / "deploy.py").is_file():
            return candidate
    raise FileNotFoundError("no OpenMerit checkout here: run this from the repository (it needs brownie-config.yaml)")


def port_taken(port: int, host: str = HOST) -> bool:
    """Whether something accepts connections on host:port now."""
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((host, port)) == 0


def check_ports(chain_port: int, api_port: int) -> None:
    """Refuses (CommandError, exit 2) when the demo's chain or API port is taken: the demo starts
    its own chain and API, and never deploys to, or serves beside, something it did not start."""
    if chain_port == api_port:
        raise CommandError(f"--port and --api-port are both {chain_port}: give them different ports", EXIT_BAD_INPUT)
    for port, what, option in ((chain_port, "chain", "--port"), (api_port, "API", "--api-port")):
        if port_taken(port):
            raise CommandError(
                f"something already listens on {HOST}:{port} (another chain or API, or a demo still running?); "
                f"the demo starts its own {what} there: stop that, or pass {option} with a free port",
                EXIT_BAD_INPUT,
            )


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: the demo stops what it started and exits."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signal_name = signal.Signals(signum).name


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise Interrupted in the main thread (once: later ones are
    ignored until the block is left, so that stopping is not itself interrupted)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        for each in STOP_SIGNALS:
            signal.signal(each, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {each: signal.getsignal(each) for each in STOP_SIGNALS}
    for each in STOP_SIGNALS:
        signal.signal(each, interrupt)
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def stop_chain(network: Any) -> None:
    """Disconnects Brownie and kills the anvil it launched (and only that one)."""
    with contextlib.redirect_stdout(io.StringIO()):  # Brownie prints "Terminating local RPC client..."
        if network.is_connected():
            network.disconnect(kill_rpc=True)
        rpc = network.rpc
        if rpc.is_active() and rpc.is_child():  # a launch that never connected
            rpc.kill(False)


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


def _deployment_table(deployment: Any) -> Table:
    table = Table(title=f"Deployment on {deployment.network} (chain id {deployment.chain_id})")
    for column in ("contract", "artifact", "address", "block"):
        table.add_column(column, no_wrap=True)
    for key, record in deployment.contracts.items():
        table.add_row(key, record.artifact, record.address, str(record.block_number))
    return table


def run(
    keep_running: bool = typer.Option(
        False, "--keep-running", help="leave the chain and the API up at the end, until Ctrl-C or SIGTERM"
    ),
    port: int = typer.Option(8545, "--port", min=1, max=65535, help="the port of the demo's own anvil chain"),
    api_port: int = typer.Option(8000, "--api-port", min=1, max=65535, help="the port of the demo's API"),
    block_time: int = typer.Option(
        1, "--block-time", min=1, help="with --keep-running: seconds between the chain's blocks once the story ends"
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="also show the deploy parameters, addresses, roles and Brownie's output"
    ),
) -> None:
    """Run one OpenMerit epoch end to end on a fresh local anvil chain: deploy, register a project,
    contributions, oracle, vote, claims, API; then print who earned what and why."""
    try:
        root = project_root()
        check_ports(port, api_port)
        if shutil.which("anvil") is None:
            raise CommandError("anvil is not on PATH: `make` installs it (node_modules/.bin)", EXIT_BAD_INPUT)
        manifest = settings().deployment
    except (FileNotFoundError, CommandError) as exc:
        fail(str(exc), exc.code if isinstance(exc, CommandError) else EXIT_BAD_INPUT)
    os.chdir(root)
    manifest = manifest if manifest.is_absolute() else root / manifest
    say: Callable[[str], None] = lambda line: console.print(line, highlight=False)  # noqa: E731
    started = time.monotonic()
    story_done = False
    with stop_on_signals():
        try:
            with contextlib.ExitStack() as resources:  # stops what was started, in reverse order
                _demo(root, manifest, resources, port, api_port, keep_running, block_time, verbose, say, started)
                story_done = True
                if keep_running:
                    while True:
                        time.sleep(3600)
            say("the API and the local chain are down.")
        except Interrupted as stop:
            say(f"stopped ({stop.signal_name}): the API and the local chain are down.")
            if not story_done:
                raise typer.Exit(EXIT_FAILED) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if verbose:
                raise
            message, code = _classify(exc) or (f"the demo failed: {type(exc).__name__}: {exc}", EXIT_FAILED)
            lines = message.strip().splitlines()
            fail(f"{lines[0] if lines else type(exc).__name__} (--verbose shows more)", code)


def _demo(
    root: Path,
    manifest: Path,
    resources: contextlib.ExitStack,
    port: int,
    api_port: int,
    keep_running: bool,
    block_time: int,
    verbose: bool,
    say: Callable[[str], None],
    started: float,
) -> None:
    # Brownie's own chain bookkeeping calls its deprecated rpc.snapshot
    warnings.filterwarnings("ignore", message="rpc.*should not be called directly", category=FutureWarning)
    brownie_output = io.StringIO()  # Brownie narrates compiling, launching and every transaction
    quiet = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(brownie_output)
    from brownie import accounts, network, project
    from brownie._config import CONFIG

    from dao.chain import connect
    from dao.devchain import set_interval_mining
    from merit.demo.story import run_story

    console.rule("[bold]OpenMerit demo")
    say("compiling the contracts (a minute the first time, cached after)...")
    with quiet:
        loaded = project.load(root, name="OpenMerit")
        loaded.load_config()
    rpc_url = f"http://{HOST}:{port}"
    say(f"starting a local anvil chain at {rpc_url}...")
    CONFIG.networks["development"]["cmd_settings"]["port"] = port
    resources.callback(stop_chain, network)
    with quiet:
        network.connect("development")
    if not network.rpc.is_child():  # something took the port between the check and the launch
        raise CommandError(f"another chain answers at {rpc_url}: the demo runs only on a chain it starts")

    from scripts.deploy import deploy

    workdir = root / ".cache" / "demo"
    shutil.rmtree(workdir, ignore_errors=True)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    deploy_log: list[str] = []
    with quiet:
        deployment = deploy(
            loaded,
            root / "config" / "deploy" / "development.json",
            accounts[0],
            network_name="development",
            manifest=manifest,
            log=say if verbose else deploy_log.append,
        )
    if deployment is None:  # deploy() returns None only for a dry run
        raise RuntimeError("the demo's deployment did not complete")
    if verbose:
        console.print(_deployment_table(deployment))
        contracts = {
            key: getattr(loaded, record.artifact).at(record.address) for key, record in deployment.contracts.items()
        }
        console.print(_roles_table(contracts, deployment.deployer))
    else:
        say(
            f"deployed {len(deployment.contracts)} contracts (config/deploy/development.json: durations of seconds, "
            "anvil's accounts hold the votes); --verbose shows the parameters, addresses and roles"
        )

    with quiet:
        rows = run_story(root, workdir, manifest, say=say, api_port=api_port, rpc_url=rpc_url, resources=resources)
    console.print(results_table(rows))
    api_url = f"http://{HOST}:{api_port}"
    kept = _write_profile(root, workdir, manifest, rpc_url, api_url)
    if kept is not None:
        say(
            f"state kept in {kept} (deployment {manifest}; artifacts, oracle journal and settings under {workdir}); "
            "every merit command uses it"
        )
    say(
        f"done in {time.monotonic() - started:.0f} s."
        + ("" if keep_running else " Run `merit demo --keep-running` to keep the chain and the API up.")
    )
    if not keep_running:
        return
    set_interval_mining(connect(rpc_url), block_time)
    say("the chain and the API stay up until Ctrl-C (or SIGTERM):")
    say(f"  chain        {rpc_url} (chain id {deployment.chain_id}), a block every {block_time} s from now on")
    say(f"  API          {api_url}/docs")
    say(f"  deployment   {manifest}")
    for key, record in deployment.contracts.items():
        say(f"  {key:12} {record.address}")
    exports = []
    if port != 8545:
        exports.append(f"MERIT_RPC_URL={rpc_url}")
    if api_port != 8000:
        exports.append(f"MERIT_API_URL={api_url}")
    if exports:
        say(f"  in another shell: export {' '.join(exports)}")
    say(
        "  try: merit status; merit proposals; "
        "merit chain advance --seconds 300 (skip a voting period instead of waiting it out)"
    )


def _write_profile(root: Path, workdir: Path, manifest: Path, rpc_url: str, api_url: str) -> Path | None:
    """Writes the profile (merit.profile) that points every later command at the demo's state;
    its path, or None when MERIT_PROFILE=none."""
    from merit.profile import ArtifactsProfile, Profile, write_path, write_profile

    where = write_path(root)
    if where is None:
        return None
    profile = Profile(
        rpc_url=rpc_url,
        deployment=manifest,
        api_url=api_url,
        artifacts=ArtifactsProfile(backend="embedded", path=workdir / "artifacts"),
        oracle_settings=workdir / "oracle.json",
        written_by="merit demo",
    )
    return write_profile(where, profile)


def results_table(rows) -> Table:
    from merit.demo.story import BUDGET_TOKENS, MODEL_SHARE_BPS

    model_tokens = BUDGET_TOKENS * MODEL_SHARE_BPS // 10_000
    table = Table(
        title=(
            f"Epoch 0: who earned what, and why. Budget {BUDGET_TOKENS:,} MERIT: "
            f"{MODEL_SHARE_BPS / 100:g}% ({model_tokens:,}) to model gains, "
            f"{100 - MODEL_SHARE_BPS / 100:g}% ({BUDGET_TOKENS - model_tokens:,}) to labels"
        ),
        caption=(
            "gain: the model's accuracy minus the champion's on the hidden slice, with the champion test's interval; "
            "annotators: agreement of their labels with the consensus, and their score (labels x skill beyond chance); "
            "a pool's unpaid money carries to its next epoch"
        ),
    )
    for column in (
        "contributor",
        "kind",
        "what it was",
        "score (metric units)",
        "reason",
        "bond",
        "tokens claimed (MERIT)",
    ):
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
