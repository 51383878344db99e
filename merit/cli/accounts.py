"""`merit accounts`: encrypted keystores for contributors, voters, maintainers and the oracle."""

from __future__ import annotations

import sys

import typer
from eth_account.signers.local import LocalAccount

from dao import keystore
from merit.cli.common import (
    EXIT_BAD_INPUT,
    CommandError,
    console,
    format_tokens,
    handle_errors,
    print_json,
    print_table,
    settings,
)

app = typer.Typer(help="Create, import and inspect encrypted accounts (keystores).", no_args_is_help=True)


def password(confirm: bool = False) -> str:
    """From MERIT_KEYSTORE_PASSWORD, else a hidden prompt; never from the command line."""
    given = settings().keystore_password
    if given:
        return given
    if not sys.stdin.isatty():
        raise CommandError("no password: set MERIT_KEYSTORE_PASSWORD or run in a terminal", EXIT_BAD_INPUT)
    return typer.prompt("Keystore password", hide_input=True, confirmation_prompt=confirm)


def signer(account: str) -> LocalAccount:
    """The named account (or keystore file), unlocked."""
    return keystore.unlock(keystore.find(settings().keystore_dir, account), password())


@app.command("create")
@handle_errors
def create(
    name: str = typer.Argument(..., help="a name for the account"), as_json: bool = typer.Option(False, "--json")
) -> None:
    """A new account with a random key, saved encrypted."""
    entry = keystore.create(settings().keystore_dir, name, password(confirm=True))
    print_json(
        {"name": entry.name, "address": entry.address, "keystore": str(entry.path)}
    ) if as_json else console.print(f"created {entry.name}: {entry.address} ({entry.path})")


@app.command("import")
@handle_errors
def import_key(
    name: str = typer.Argument(..., help="a name for the account"), as_json: bool = typer.Option(False, "--json")
) -> None:
    """An existing private key, read from a hidden prompt or from standard input (never an argument)."""
    if sys.stdin.isatty():
        key = typer.prompt("Private key (hex)", hide_input=True)
    else:
        key = sys.stdin.readline().strip()
    if not key:
        raise CommandError("no private key given on standard input", EXIT_BAD_INPUT)
    try:
        entry = keystore.save(settings().keystore_dir, name, key, password(confirm=True))
    except (ValueError, TypeError) as exc:
        if isinstance(exc, keystore.KeystoreError):
            raise
        raise CommandError("that is not a private key (64 hex digits)", EXIT_BAD_INPUT) from None
    print_json(
        {"name": entry.name, "address": entry.address, "keystore": str(entry.path)}
    ) if as_json else console.print(f"imported {entry.name}: {entry.address}")


@app.command("list")
@handle_errors
def list_accounts(as_json: bool = typer.Option(False, "--json")) -> None:
    """The accounts in the keystore folder (MERIT_KEYSTORE_DIR)."""
    found = keystore.entries(settings().keystore_dir)
    if as_json:
        print_json([{"name": e.name, "address": e.address} for e in found])
    else:
        print_table(f"Accounts in {settings().keystore_dir}", ("name", "address"), [(e.name, e.address) for e in found])


@app.command("show")
@handle_errors
def show(
    account: str = typer.Argument(..., help="an account name, keystore file or address"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Balance, votes and delegate of an account on the deployment's chain."""
    from eth_utils import is_address, to_checksum_address

    from dao.chain import connect, load_contracts

    address: str
    if is_address(account):
        address = to_checksum_address(account)
    else:
        address = keystore.entries_by_name(settings().keystore_dir, account).address
    cfg = settings()
    contracts = load_contracts(connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds), cfg.deployment)
    token = contracts.token.functions
    data = {
        "address": address,
        "balance": token.balanceOf(address).call(),
        "votes": token.getVotes(address).call(),
        "delegate": token.delegates(address).call(),
    }
    if as_json:
        print_json(data)
    else:
        print_table(
            f"{address}",
            ("balance (MERIT)", "votes", "delegate"),
            [(format_tokens(data["balance"]), format_tokens(data["votes"]), data["delegate"])],
        )
