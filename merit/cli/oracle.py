"""`merit oracle`: run the oracle service, close one epoch, show the journal, verify an epoch.

Settings come from the environment (`MERIT_ORACLE_*`) and an optional JSON file (`--config`);
see `oracle.settings`. Logs are JSON lines on stderr; progress bars appear when stderr is a
terminal.
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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

app = typer.Typer(help="The oracle: score epochs, attest, propose and execute their funding.", no_args_is_help=True)

_out = Console(highlight=False, soft_wrap=True)
_errors = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = typer.Option(None, "--config", help="JSON file of oracle settings (over MERIT_ORACLE_* variables).")
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


@contextmanager
def _progress_bars() -> Iterator[Any]:
    """A progress callback: rich bars on a terminal, nothing otherwise (the logs say it all)."""
    if not sys.stderr.isatty():
        yield None
        return
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
        _out.print("no epochs in the journal yet")
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
            _fail(f"the journal has no pinned report for epoch {epoch}; give --report-cid", 3)
        report_cid = found[-1].report_cid
    try:
        with open_artifact_store(settings.artifacts) as store:
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
