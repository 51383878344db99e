"""`merit accounts`: encrypted keystores for contributors, voters, maintainers and the oracle."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import typer

from merit.cli.common import (
    EXIT_BAD_INPUT,
    CommandError,
    account_name,
    console,
    format_tokens,
    handle_errors,
    print_json,
    print_table,
    settings,
)

if TYPE_CHECKING:  # the Ethereum stack loads with the first command that needs it, not with `merit --help`
    from eth_account.signers.local import LocalAccount
    from eth_typing import ChecksumAddress

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
    from dao import keystore

    return keystore.unlock(keystore.find(settings().keystore_dir, account), password())


@app.command("create")
@handle_errors
def create(
    name: str = typer.Argument(..., help="a name for the account"), as_json: bool = typer.Option(False, "--json")
) -> None:
    """A new account with a random key, saved encrypted."""
    from dao import keystore

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
    from dao import keystore

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
    from dao import keystore

    found = keystore.entries(settings().keystore_dir)
    if as_json:
        print_json([{"name": e.name, "address": e.address} for e in found])
    else:
        print_table(f"Accounts in {settings().keystore_dir}", ("name", "address"), [(e.name, e.address) for e in found])


def _resolve(account: str) -> tuple[ChecksumAddress, str | None]:
    """An account name or address as (checksummed address, keystore name or None)."""
    from eth_utils import is_address, to_checksum_address

    from dao import keystore

    if is_address(account):
        address = to_checksum_address(account)
        return address, account_name(address)
    return to_checksum_address(keystore.entries_by_name(settings().keystore_dir, account).address), account


@app.command("show")
@handle_errors
def show(
    account: str = typer.Argument(..., help="an account name, keystore file or address"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """ETH for gas, token balance, votes and delegate of an account on the deployment's chain."""
    from dao.chain import connect, load_contracts
    from dao.gas import format_eth, where_gas_comes_from

    address, name = _resolve(account)
    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    contracts = load_contracts(w3, cfg.deployment)
    token = contracts.token.functions
    data = {
        "address": address,
        "eth_balance": int(w3.eth.get_balance(address)),
        "balance": token.balanceOf(address).call(),
        "votes": token.getVotes(address).call(),
        "delegate": token.delegates(address).call(),
    }
    if as_json:
        print_json(data)
        return
    print_table(
        f"{address}",
        ("ETH (gas)", "balance (MERIT)", "votes", "delegate"),
        [
            (
                format_eth(data["eth_balance"]),
                format_tokens(data["balance"]),
                format_tokens(data["votes"]),
                data["delegate"],
            )
        ],
    )
    if data["eth_balance"] == 0:
        console.print(
            f"no ETH for gas: {where_gas_comes_from(w3.eth.chain_id, name or address)}; "
            "or let the API's relayer pay (submit, reveal and claim take --relay)",
            highlight=False,
            soft_wrap=True,
        )


@app.command("fund")
@handle_errors
def fund(
    account: str = typer.Argument(..., help="an account name or address"),
    eth: str = typer.Option("10", "--eth", help="how much ETH to add"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Give an account ETH for gas on a local development chain (anvil, hardhat); refused elsewhere."""
    from dao.chain import connect
    from dao.gas import WEI_PER_ETH, format_eth
    from dao.gas import fund as add_eth

    try:
        wei = int(Decimal(eth) * WEI_PER_ETH)
    except (InvalidOperation, ValueError, OverflowError):
        raise CommandError(f"--eth takes an amount of ETH, e.g. 0.5, not {eth!r}", EXIT_BAD_INPUT) from None
    if wei <= 0 or wei > 10**6 * WEI_PER_ETH:
        raise CommandError(f"--eth must be more than 0 and at most 1,000,000, not {eth}", EXIT_BAD_INPUT)
    address, name = _resolve(account)
    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    how = add_eth(w3, address, wei)
    balance = int(w3.eth.get_balance(address))
    who = f"{name} ({address})" if name else address
    if as_json:
        print_json({"address": address, "added": str(wei), "eth_balance": str(balance), "via": how})
    else:
        console.print(
            f"funded {who} with {format_eth(wei)} ETH on chain {w3.eth.chain_id}; it has {format_eth(balance)} ETH",
            highlight=False,
            soft_wrap=True,
        )
