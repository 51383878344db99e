"""`merit chain`: move a local development chain's clock, for what waits on time (a vote's voting
period, a timelock's delay, an epoch's windows).

    merit chain advance --seconds 300      # the next block is stamped 300 s after the latest
    merit chain advance --blocks 10        # mine 10 blocks

Local chains only: the node at MERIT_RPC_URL must report a development chain id (31337 or 1337)
and answer `evm_increaseTime` (anvil and hardhat do; no public node does). Anything else is refused
with exit code 2 before a request that could change it is sent; an unreachable node is exit 4.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from merit.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_UNREACHABLE,
    CommandError,
    console,
    handle_errors,
    print_json,
    settings,
)

app = typer.Typer(help="Move a local development chain's clock (anvil or hardhat only).", no_args_is_help=True)


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@app.command()
@handle_errors
def advance(
    seconds: int = typer.Option(0, "--seconds", "-s", min=0, help="move the clock this many seconds"),
    blocks: int = typer.Option(0, "--blocks", "-b", min=0, help="mine this many blocks"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Move a local chain's clock: the next block is stamped SECONDS after the latest one, and
    BLOCKS blocks are mined (one at least with --seconds). Refused on any chain that is not a
    local development chain."""
    import requests
    from web3.exceptions import Web3Exception

    from dao import devchain
    from dao.chain import connect

    if not seconds and not blocks:
        raise CommandError("nothing to do: give --seconds N, --blocks N or both", EXIT_BAD_INPUT)
    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    try:
        chain_id = devchain.require_local_chain(w3)
        before, after = devchain.advance(w3, seconds=seconds, blocks=blocks)
    except devchain.NotALocalChainError as error:
        raise CommandError(f"{error} (MERIT_RPC_URL={cfg.rpc_url})", EXIT_BAD_INPUT) from None
    except (requests.ConnectionError, requests.Timeout):
        raise CommandError(f"cannot reach the chain at {cfg.rpc_url}", EXIT_UNREACHABLE) from None
    except requests.RequestException as error:
        raise CommandError(f"MERIT_RPC_URL={cfg.rpc_url} is not a usable URL: {error}", EXIT_BAD_INPUT) from None
    except (ValueError, Web3Exception) as error:  # an answer that is not JSON-RPC, or an error for eth_chainId
        raise CommandError(f"no usable JSON-RPC answer from {cfg.rpc_url}: {error}", EXIT_UNREACHABLE) from None
    result = {
        "chain_id": chain_id,
        "from_block": before.number,
        "from_timestamp": before.timestamp,
        "block": after.number,
        "timestamp": after.timestamp,
        "seconds": after.timestamp - before.timestamp,
        "blocks": after.number - before.number,
    }
    if as_json:
        print_json(result)
        return
    console.print(
        f"chain {chain_id}: block {before.number} -> {after.number} (+{result['blocks']}), "
        f"clock {_when(before.timestamp)} -> {_when(after.timestamp)} (+{result['seconds']} s)",
        highlight=False,
        soft_wrap=True,
    )
