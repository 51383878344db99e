"""`merit oracle`: run the oracle service, close one epoch, show the journal, verify an epoch.

Settings come from the environment (`MERIT_ORACLE_*`) and a JSON file: `--config`, else the file
MERIT_ORACLE_CONFIG names, else the profile's `oracle_settings` (merit.profile; `merit demo` writes
one); see `oracle.settings`. `merit oracle init` writes such a file for a registered project.
Logs are JSON lines on stderr; progress bars appear when stderr is a terminal.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The oracle: score epochs, attest, propose and execute their funding.", no_args_is_help=True)

_out = Console(highlight=False, soft_wrap=True)
_errors = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = typer.Option(
    None,
    "--config",
    envvar="MERIT_ORACLE_CONFIG",
    help="JSON file of oracle settings, over MERIT_ORACLE_* variables "
    "[default: MERIT_ORACLE_CONFIG, else the profile's oracle settings].",
)
RpcOption = typer.Option(None, "--rpc-url", help="JSON-RPC endpoint [default: settings].")
DatabaseOption = typer.Option(None, "--database-url", help="SQLAlchemy URL of the journal [default: settings].")


def _fail(message: str, code: int = 1) -> NoReturn:
    _errors.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def _settings(config: Path | None, **overrides: Any) -> Any:
    from oracle.settings import SettingsError, load_settings

    try:
        return load_settings(config, **overrides)
    except SettingsError as error:
        _fail(f"settings: {error}", 2)


def _from(config: Path | None) -> str:
    """Where the settings came from, for messages that name the journal."""
    return (
        f", settings {config}" if config is not None else ", no settings file: give --config or run `merit oracle init`"
    )


def _fetching(store: Any, backend: str) -> Any:
    """The store, fetching what it lacks through the API when one is named (MERIT_API_URL or the profile)."""
    import os

    api_url = os.environ.get("MERIT_API_URL")
    if not api_url or backend != "embedded":
        return store
    from merit.fetch import FetchThroughStore

    return FetchThroughStore(store, api_url)


@contextmanager
def _progress_bars() -> Iterator[Any]:
    """A progress callback: rich bars on a terminal, nothing otherwise (the logs say it all)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=_errors, transient=True
    ) as progress:
        tasks: dict[str, Any] = {}

        def update(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = progress.add_task(what, total=total)
            progress.update(tasks[what], completed=done, total=total)

        yield update


def _fail_on(error: BaseException) -> NoReturn:
    """One line and the README's exit code for what stops the oracle: a bad setting or journal 2, a
    missing file 3, a node, store or journal server that does not answer 4, a refusal 1."""
    from requests import RequestException

    from dao.artifacts import StoreUnavailableError
    from dao.chain import ChainMismatchError, RpcUnavailableError
    from merit.cli.common import unreachable_message
    from oracle.service import BLOCKING_ERRORS
    from oracle.settings import SettingsError
    from oracle.state import JournalError, JournalUnavailableError

    if isinstance(error, (RpcUnavailableError, RequestException, ConnectionError)):
        _fail(
            f"the node is unavailable: {error}"
            if isinstance(error, RpcUnavailableError)
            else unreachable_message(error),
            4,
        )
    if isinstance(error, (StoreUnavailableError, JournalUnavailableError)):
        _fail(str(error), 4)
    if isinstance(error, (SettingsError, ChainMismatchError, JournalError, ValueError)):
        _fail(str(error), 2)
    if isinstance(error, FileNotFoundError):
        _fail(str(error), 3)
    if isinstance(error, BLOCKING_ERRORS):
        _fail(str(error), 1)
    raise error


@contextmanager
def _service(settings: Any, progress: Any) -> Iterator[Any]:
    from oracle.service import OracleService

    try:
        service = OracleService(settings, progress=progress)
    except Exception as error:
        _fail_on(error)
    try:
        yield service
    except typer.Exit:
        raise
    except Exception as error:
        _fail_on(error)
    finally:
        service.close()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _record_data(record: Any) -> dict[str, Any]:
    return {
        "chain_id": record.chain_id,
        "epoch": record.epoch,
        "project_id": record.project_id,
        "step": record.step,
        "from_block": record.from_block,
        "to_block": record.to_block,
        "submissions": None if record.submissions is None else len(record.submissions),
        "unrevealed": None if record.unrevealed is None else len(record.unrevealed),
        "slice_index": record.slice_index,
        "report_cid": record.report_cid,
        "tree_cid": record.tree_cid,
        "proposal_id": record.proposal_id,
        "proposal_attempt": record.proposal_attempt,  # a cancelled, defeated or expired proposal is made again
        "reorgs": record.reorgs,
        "note": record.note,
        "updated_at": record.updated_at.isoformat(),
    }


@app.command("run")
def run_command(
    config: Path | None = ConfigOption,
    rpc_url: str | None = RpcOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Run the service: close every epoch as it becomes final, until SIGINT or SIGTERM."""
    from dao.logs import configure_logging

    configure_logging("oracle", "dao")
    settings = _settings(config, rpc_url=rpc_url, database_url=database_url)
    stop = _stop_on_signals()
    with _progress_bars() as progress, _service(settings, progress) as service:
        service.run(stop)


@app.command("close-epoch")
def close_epoch_command(
    epoch: int = typer.Argument(..., min=0, help="The epoch number."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the proposal until it is executed."),
    config: Path | None = ConfigOption,
    rpc_url: str | None = RpcOption,
    database_url: str | None = DatabaseOption,
    as_json: bool = typer.Option(False, "--json", help="Print the epoch's journal record as JSON."),
) -> None:
    """Close one epoch: read, score, pin, attest, propose, and (with --wait) queue and execute."""
    from dao.logs import configure_logging

    configure_logging("oracle", "dao")
    settings = _settings(config, rpc_url=rpc_url, database_url=database_url)
    stop = _stop_on_signals()
    with _progress_bars() as progress, _service(settings, progress) as service:
        record = service.close_epoch(epoch, wait=wait, stop=stop)
    if as_json:
        typer.echo(json.dumps(_record_data(record), sort_keys=True))
    else:
        _out.print(f"epoch {record.epoch}: {record.step}" + (f" ({record.note})" if record.note else ""))


@app.command("init")
def init_command(
    project_id: int = typer.Option(..., "--project", min=1, help="The registry's project id."),
    slices: Path = typer.Option(
        ...,
        "--slices",
        prompt="The slice manifest of the project's hidden answers",
        help="The hidden answers' slice manifest (oracle.hidden), as committed on chain.",
    ),
    budget: str = typer.Option(
        ..., "--budget", prompt="Each epoch's budget, in MERIT", help="Each epoch's budget, in MERIT (e.g. 1000)."
    ),
    out: Path = typer.Option(Path("oracle.json"), "--out", "-o", help="The settings file to write."),
    deployment: Path | None = typer.Option(
        None, "--deployment", help="Deployment manifest [default: MERIT_DEPLOYMENT or the profile's]."
    ),
    rpc_url: str | None = RpcOption,
    keystore: str | None = typer.Option(
        None,
        "--keystore",
        help="The oracle's account name (or keystore file); its password in MERIT_KEYSTORE_PASSWORD.",
    ),
    key_env: str | None = typer.Option(
        None, "--key-env", help="The environment variable that holds the oracle's private key."
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="The baseline predictions: the champion entering the first epoch."
    ),
    label_items: Path | None = typer.Option(
        None, "--label-items", help="CSV with header `item`: the items open for labels."
    ),
    benchmark: Path | None = typer.Option(
        None, "--benchmark", help="The public benchmark inputs CSV (the item order of .npy predictions)."
    ),
    classes: str | None = typer.Option(None, "--classes", help="The project's classes, comma-separated (e.g. n,y)."),
    confirmations: int | None = typer.Option(
        None, "--confirmations", min=0, help="[default: 1 on a local chain, else 12]"
    ),
    database_url: str | None = DatabaseOption,
    force: bool = typer.Option(False, "--force", help="Overwrite an existing settings file."),
) -> None:
    """Write a settings file for one project from the chain (its name, task, metric, benchmark and
    committed slices) and what only the maintainer knows (the slices, the budget, the signer);
    `merit oracle close-epoch N --config FILE` and `merit oracle run --config FILE` take it as is."""
    from decimal import Decimal, InvalidOperation

    from dao import keystore as keystores
    from dao.artifacts import ArtifactStoreSettings
    from dao.chain import connect, load_contracts, read_struct
    from dao.vocabulary import Task
    from merit.cli.common import settings as cli_settings
    from oracle.hidden import HiddenSlicesError, check_committed, load_slice_set
    from oracle.scoring.metrics import Metric
    from oracle.settings import SHARED_PASSWORD_ENV, Settings, SettingsError

    if out.exists() and not force:
        _fail(f"{out} exists: give --force to overwrite it, or --out another file", 2)
    if keystore is not None and key_env is not None:
        _fail("give --keystore or --key-env, not both", 2)
    try:
        budget_wei = int(Decimal(budget.replace("_", "").replace(",", "")) * 10**18)
    except InvalidOperation:
        _fail(f"--budget: {budget!r} is not a number of MERIT", 2)
    if budget_wei <= 0:
        _fail("--budget: the budget must be more than 0 MERIT", 2)
    for option, path in (
        ("--slices", slices),
        ("--baseline", baseline),
        ("--label-items", label_items),
        ("--benchmark", benchmark),
    ):
        if path is not None and not path.is_file():
            _fail(f"{option}: no such file: {path}", 2)

    cfg = cli_settings()
    rpc = rpc_url or cfg.rpc_url
    manifest = (deployment or cfg.deployment).resolve()
    try:
        w3 = connect(rpc, timeout=cfg.rpc_timeout_seconds)
        contracts = load_contracts(w3, manifest)
        projects = int(contracts.registry.functions.projectCount().call())
    except Exception as error:  # an unreachable node 4, a manifest that is missing 3 or of another chain 2
        _fail_on(error)
    registry = contracts.registry
    if project_id > projects:
        _fail(f"no project {project_id} on chain", 3)
    start = contracts.deployment.contracts["registry"].block_number
    found = registry.events.ProjectRegistered.get_logs(from_block=start, argument_filters={"projectId": project_id})
    if not found:
        _fail(f"project {project_id}'s registration is not in the registry's logs", 3)
    registered = found[0]["args"]
    task = Task.from_code(registered["task"]).value
    if registered["metric"] not in {m.value for m in Metric}:
        _fail(f"project {project_id}'s metric {registered['metric']!r} is not one the oracle scores", 2)
    try:
        check_committed(
            load_slice_set(slices), read_struct(registry.functions.project(project_id))["slicesRoot"], slices
        )
    except HiddenSlicesError as error:
        _fail(f"--slices: {error}", 2)

    signer: dict[str, Any] = {}
    address = None
    if keystore is not None:
        try:
            path = keystores.find(cfg.keystore_dir, keystore).resolve()
        except FileNotFoundError as error:
            _fail(f"--keystore: {error}", 3)
        signer = {"keystore_path": str(path), "keystore_password_env": SHARED_PASSWORD_ENV}
        try:
            address = "0x" + str(json.loads(path.read_text())["address"]).removeprefix("0x")
        except (OSError, ValueError, KeyError):
            _fail(f"--keystore: {path} is not a keystore file", 2)
    elif key_env is not None:
        signer = {"private_key_env": key_env}

    artifacts = ArtifactStoreSettings()
    if artifacts.backend == "embedded":
        artifacts = artifacts.model_copy(update={"path": artifacts.path.resolve()})
    local_chain = int(w3.eth.chain_id) in (31337, 1337)
    parameters: dict[str, Any] = {"task": task, "metric": registered["metric"]}
    if classes:
        parameters["classes"] = [c.strip() for c in classes.split(",") if c.strip()]
    project: dict[str, Any] = {
        "project_id": project_id,
        "name": registered["name"],
        "budget_wei": str(budget_wei),
        "slices_path": str(slices.resolve()),
        "parameters": parameters,
    }
    for key, path in (("champion_path", baseline), ("label_items_path", label_items), ("benchmark_path", benchmark)):
        if path is not None:
            project[key] = str(path.resolve())
    data: dict[str, Any] = {
        "rpc_url": rpc,
        "deployment": str(manifest),
        **signer,
        "confirmations": confirmations if confirmations is not None else (1 if local_chain else 12),
        "artifacts": artifacts.model_dump(mode="json"),
        "database_url": database_url or f"sqlite:///{out.resolve().with_suffix('.db')}",
        "project": project,
    }
    try:
        Settings(**data)
    except (ValueError, SettingsError) as error:
        _fail(f"the settings would not load: {error}", 2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")

    _out.print(
        f"wrote {out}: project {project_id} ({registered['name']}, {task}, {registered['metric']}; "
        f"benchmark {registered['benchmarkCid']}), {budget} MERIT an epoch"
    )
    if keystore is not None:
        _out.print(f"  signer     {signer['keystore_path']} ({address}); its password in {SHARED_PASSWORD_ENV}")
        try:
            role = registry.functions.ORACLE_ROLE().call()
            if address and not registry.functions.hasRole(role, w3.to_checksum_address(address)).call():
                _out.print("  warning: this account does not hold the registry's ORACLE_ROLE: attestations will revert")
        except Exception:  # an older registry without the getter: nothing to warn about
            pass
    elif key_env is not None:
        _out.print(f"  signer     the private key in {key_env}")
    else:
        _out.print(
            "  signer     none: the oracle runs dry (reads, scores, pins, sends nothing); give --keystore or --key-env"
        )
    _out.print(f"  journal    {data['database_url']}")
    where = artifacts.path if artifacts.backend == "embedded" else artifacts.kubo_url
    _out.print(f"  artifacts  {artifacts.backend} store at {where}")
    _out.print(f"next: merit oracle close-epoch N --config {out}  (or export MERIT_ORACLE_CONFIG={out})")


@app.command("status")
def status_command(
    config: Path | None = ConfigOption,
    database_url: str | None = DatabaseOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines, one per epoch."),
) -> None:
    """A table of the journal's epochs and the step each has reached (reads the journal only)."""
    from sqlalchemy.exc import SQLAlchemyError

    from oracle.state import Journal, journal_name

    settings = _settings(config, database_url=database_url)
    try:
        journal = Journal(settings.database_url)
        records = journal.epochs()
        journal.close()
    except SQLAlchemyError as error:
        _fail(f"cannot read the journal {journal_name(settings.database_url)}: {error.__class__.__name__}", 2)
    except Exception as error:
        _fail_on(error)
    if as_json:
        for record in records:
            typer.echo(json.dumps(_record_data(record), sort_keys=True))
        return
    if not records:
        _out.print(f"no epochs in the journal yet ({settings.database_url}{_from(config)})")
        return
    table = Table("chain", "epoch", "blocks", "step", "reveals", "slice", "report", "proposal (attempt)", "note")
    for r in records:
        table.add_row(
            str(r.chain_id),
            str(r.epoch),
            f"{r.from_block}-{r.to_block}",
            r.step,
            "" if r.submissions is None else str(len(r.submissions)),
            "" if r.slice_index is None else str(r.slice_index),
            r.report_cid or "",
            (r.proposal_id or "")[:12] + ("..." if r.proposal_id else "") + f" ({r.proposal_attempt})",
            r.note or "",
        )
    _out.print(table)


@app.command("verify")
def verify_command(
    epoch: int = typer.Argument(..., min=0, help="The epoch number."),
    report_cid: str | None = typer.Option(None, "--report-cid", help="Verify this report [default: journal's]."),
    config: Path | None = ConfigOption,
    database_url: str | None = DatabaseOption,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Recompute a report of the journal (before it is funded); `merit verify` checks a funded epoch
    against the chain from public data alone. Exit 1 when anything differs."""
    from dao.artifacts import ArtifactError, ArtifactNotFoundError, StoreUnavailableError, open_artifact_store
    from merit.cli.verify import show
    from oracle.state import Journal
    from oracle.verification import ReportUnavailableError, verify_epoch

    settings = _settings(config, database_url=database_url)
    if report_cid is None:
        try:
            journal = Journal(settings.database_url)
            found = [r for r in journal.epochs() if r.epoch == epoch and r.report_cid]
            journal.close()
        except Exception as error:
            _fail_on(error)
        if not found:
            _fail(
                f"the journal at {settings.database_url}{_from(config)} has no pinned report for epoch {epoch}; "
                "give --report-cid",
                3,
            )
        report_cid = found[-1].report_cid
    try:
        with _fetching(open_artifact_store(settings.artifacts), settings.artifacts.backend) as store:
            result = verify_epoch(store, str(report_cid))
    except StoreUnavailableError as error:
        _fail(str(error), 4)
    except (ReportUnavailableError, ArtifactNotFoundError) as error:
        _fail(str(error), 3)
    except ArtifactError as error:
        _fail(str(error))
    if result.report.inputs.epoch != epoch:
        _fail(f"report {report_cid} is for epoch {result.report.inputs.epoch}, not {epoch}")
    show(result, epoch, as_json, "its recomputation")


logging.getLogger("oracle").addHandler(logging.NullHandler())
