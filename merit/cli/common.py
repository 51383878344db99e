"""What every `merit` command shares: settings, errors in one line, output, sending transactions.

Exit codes: 0 done; 1 the operation failed (a revert, a refused request); 2 bad input or
configuration; 3 something named does not exist; 4 the chain, the API or the store is unreachable.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # pydantic loads with the first command that reads the settings, not with `merit --help`
    from merit.cli.config import CliSettings

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_FOUND = 3
EXIT_UNREACHABLE = 4

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def settings() -> CliSettings:
    """The settings (merit.cli.config.CliSettings) from MERIT_* variables; exit 2 for a bad one."""
    from pydantic import ValidationError

    from merit.cli.config import CliSettings

    try:
        return CliSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"bad setting MERIT_{'_'.join(str(p) for p in first['loc']).upper()}: {first['msg']}", EXIT_BAD_INPUT)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Prints ``error: <message>`` on stderr (the message verbatim, no markup) and exits."""
    err_console.print(Text.assemble(("error:", "red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def read_file(path: Path) -> bytes:
    """A file's bytes, or one clear error line (exit 1) naming why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"no such file: {path}")
    except IsADirectoryError:
        fail(f"is a folder, not a file: {path}")
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}")


class CommandError(Exception):
    """An expected failure with its exit code; `handle_errors` turns it into one line."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _classify(exc: BaseException) -> tuple[str, int] | None:
    """One line and an exit code for the failures a user can meet; None for real bugs."""
    import requests
    from web3.exceptions import (
        BadFunctionCallOutput,
        ContractCustomError,
        ContractLogicError,
        TimeExhausted,
        Web3RPCError,
    )

    from dao.artifacts.errors import (
        ArtifactError,
        ArtifactNotFoundError,
        StoreUnavailableError,
    )
    from dao.chain import ChainMismatchError, TransactionFailedError, explain_revert
    from dao.deployments import DeployConfigError
    from dao.gas import InsufficientGasError, NotLocalChainError

    if isinstance(exc, CommandError):
        return str(exc), exc.code
    if isinstance(exc, InsufficientGasError):
        return gas_message(exc), EXIT_FAILED
    if isinstance(exc, NotLocalChainError):
        return str(exc), EXIT_BAD_INPUT
    if isinstance(exc, Web3RPCError) and "insufficient funds" in str(exc).lower():  # the balance moved meanwhile
        return (
            "the node refused the transaction: the sender has too little ETH for its gas "
            "(`merit accounts show` gives the balance; on a local chain `merit accounts fund NAME`)",
            EXIT_FAILED,
        )
    if isinstance(exc, (ContractCustomError, ContractLogicError)):
        return explain_revert(exc)
    if isinstance(exc, TransactionFailedError):
        return str(exc), EXIT_FAILED
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, TimeExhausted, ConnectionError)):
        return unreachable_message(exc), EXIT_UNREACHABLE
    if isinstance(exc, BadFunctionCallOutput):
        return (
            "the deployment's contracts answer nothing on this chain: is MERIT_DEPLOYMENT the manifest "
            f"of the chain at {settings().rpc_url}?",
            EXIT_BAD_INPUT,
        )
    if isinstance(exc, StoreUnavailableError):
        return str(exc), EXIT_UNREACHABLE
    if isinstance(exc, ArtifactNotFoundError):
        return str(exc), EXIT_NOT_FOUND
    if isinstance(exc, ArtifactError):
        return str(exc), EXIT_FAILED
    if isinstance(exc, ChainMismatchError):
        return str(exc), EXIT_BAD_INPUT
    if isinstance(exc, DeployConfigError):
        return str(exc), EXIT_BAD_INPUT
    if isinstance(exc, FileNotFoundError):
        return str(exc), EXIT_NOT_FOUND
    if isinstance(exc, (ValueError, KeyError)):
        return str(exc).strip("'\""), EXIT_BAD_INPUT
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename or exc}", EXIT_BAD_INPUT
    return None


def unreachable_message(exc: BaseException) -> str:
    """``cannot reach URL (connection refused)``: the node, API or store that did not answer, in one
    line without the connection pool's story."""
    import requests

    request = getattr(exc, "request", None)
    url = getattr(request, "url", None) or getattr(exc, "endpoint_uri", None)
    if url is None:
        return f"cannot reach the node or service: {exc}"
    why = "timed out" if isinstance(exc, requests.Timeout) else "connection refused or no answer"
    return f"cannot reach {url} ({why})"


def account_name(address: str) -> str | None:
    """The keystore name of `address`, if one of the keystores holds it."""
    from dao import keystore

    try:
        found = keystore.entries(settings().keystore_dir)
    except Exception:  # a missing or unreadable folder: no name, the address stands alone
        return None
    return next((e.name for e in found if e.address.lower() == address.lower()), None)


def gas_message(exc: Any) -> str:
    """One line for a sender without enough ETH: who, what it has, what the transaction needs,
    and where gas comes from (dao.gas.InsufficientGasError)."""
    from dao.gas import format_eth, where_gas_comes_from

    name = account_name(exc.address)
    who = f"{name} ({exc.address})" if name else exc.address
    return (
        f"{who} has {format_eth(exc.balance)} ETH and this transaction needs up to {format_eth(exc.needed)} ETH "
        f"for gas: {where_gas_comes_from(exc.chain_id, name or exc.address)}; "
        "or let the API's relayer pay (submit, reveal and claim take --relay)"
    )


def handle_errors(command: F) -> F:
    """Decorates a command so that expected failures print one line and exit with their code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except Exception as exc:
            classified = _classify(exc)
            if classified is None:
                unexpected(exc)
            fail(*classified)

    return wrapper  # type: ignore[return-value]


def unexpected(exc: BaseException) -> NoReturn:
    """A failure no rule knows: one line naming it (exit 1), the traceback only with MERIT_DEBUG=1."""
    import os

    if os.environ.get("MERIT_DEBUG"):
        raise exc
    fail(f"unexpected {type(exc).__name__}: {exc} (MERIT_DEBUG=1 shows where)", EXIT_FAILED)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[str(v) for v in row])
    console.print(table)


@contextmanager
def progress(description: str) -> Iterator[None]:
    """A spinner while something long runs (only when stdout is a terminal)."""
    if console.is_terminal:
        with console.status(description):
            yield
    else:
        yield


def format_tokens(base_units: int, decimals: int = 18) -> str:
    whole, fraction = divmod(int(base_units), 10**decimals)
    text = f"{whole:,}"
    if fraction:
        text += "." + f"{fraction:0{decimals}d}".rstrip("0")
    return text


def format_duration(seconds: int | float) -> str:
    """A span a person reads: "45 s", "4 min 10 s", "2 h 5 min", "3 d 4 h" (two units at most)."""
    left = round(abs(seconds))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if left >= size or (size == 1 and not parts):
            count, left = divmod(left, size)
            parts.append(f"{count} {unit}")
        elif parts:
            parts.append("")  # a skipped unit still counts as one of the two shown
        if len(parts) == 2:
            break
    return " ".join(p for p in parts if p)


def format_relative(timestamp: int, now: int) -> str:
    """ "in 4 min 10 s", "2 h ago" or "now", from the chain's `now`."""
    if timestamp == now:
        return "now"
    return f"in {format_duration(timestamp - now)}" if timestamp > now else f"{format_duration(now - timestamp)} ago"


def format_time(timestamp: int, now: int | None = None) -> str:
    """A unix time as a UTC date, with how far it is from `now` when given:
    "2025-01-01 12:00:00 UTC (in 4 min 10 s)"."""
    from datetime import UTC, datetime

    try:
        text = datetime.fromtimestamp(int(timestamp), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"unix time {timestamp}"
    return text if now is None else f"{text} ({format_relative(int(timestamp), int(now))})"
