"""`merit index run`: follow the deployment's contracts into the API's database."""

from __future__ import annotations

import json
import signal
import threading
from typing import NoReturn

import typer
from rich.console import Console

app = typer.Typer(
    help="The chain indexer: contract events into the API's database (SQLite or PostgreSQL).", no_args_is_help=True
)
_out = Console(highlight=False)
_errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    """One line and the README's exit code: 2 a bad setting, 3 a missing manifest, 4 unreachable."""
    _errors.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


@app.command("run")
def run(
    once: bool = typer.Option(False, "--once", help="Index up to the current head, then stop."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary (with --once)."),
) -> None:
    """Backfill, then follow the head until interrupted (reads the same MERIT_API_* settings as the API)."""
    from pydantic import ValidationError
    from requests.exceptions import RequestException
    from sqlalchemy.exc import SQLAlchemyError

    from api.db import make_engine, session_factory, upgrade_schema
    from api.indexer import Indexer, RpcError
    from api.settings import Settings
    from dao.artifacts.config import open_artifact_store
    from dao.chain import ChainMismatchError, connect
    from dao.deployments import load_deployment
    from dao.logs import configure_logging

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        _fail(f"setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}", 2)
    configure_logging("api", "dao", json_lines=settings.log_json)
    try:
        deployment = load_deployment(settings.deployment)
        w3 = connect(settings.rpc_url)
        chain_id = w3.eth.chain_id
        if chain_id != deployment.chain_id:
            raise ChainMismatchError(
                f"the {deployment.network} deployment is on chain id {deployment.chain_id}, "
                f"but {settings.rpc_url} answers chain id {chain_id}"
            )
        engine = make_engine(settings.database_url)
        upgrade_schema(engine)
    except FileNotFoundError as exc:
        _fail(str(exc), 3)
    except (ValueError, ChainMismatchError) as exc:
        _fail(str(exc), 2)
    except (RequestException, OSError) as exc:
        _fail(f"cannot reach the node at {settings.rpc_url} ({type(exc).__name__})", 4)
    except SQLAlchemyError as exc:
        _fail(f"cannot open the database {_database(settings.database_url)}: {getattr(exc, 'orig', exc)}", 4)
    indexer = Indexer(
        w3,
        deployment,
        session_factory(engine),
        open_artifact_store(settings.artifacts),
        max_range=settings.index_max_range,
        confirmations=settings.index_confirmations,
    )
    if once:
        try:
            ranges = indexer.run_once()
        except RpcError as exc:
            _fail(f"indexing stopped: {exc}")
        except (RequestException, OSError) as exc:
            _fail(f"indexing stopped: the node at {settings.rpc_url} does not answer ({type(exc).__name__})", 4)
        summary = {
            "ranges": ranges,
            "events": indexer.stats.events,
            "reorgs": indexer.stats.reorgs,
            "refusals": indexer.stats.refusals,
        }
        if as_json:
            typer.echo(json.dumps(summary))
        else:
            _out.print(
                f"indexed {summary['events']} events in {ranges} ranges "
                f"({summary['reorgs']} reorgs, {summary['refusals']} refused ranges)"
            )
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        indexer.follow(stop, poll_seconds=settings.index_poll_seconds)
    except KeyboardInterrupt:
        stop.set()


def _database(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL: name it as given
        return url
