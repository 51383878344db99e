"""Contributors' commands: `merit submit`, `merit contributions`, `merit rewards`, `merit claim`.

Reads go through the explorer API (MERIT_API_URL); transactions are signed with a keystore
account and sent to the chain (MERIT_RPC_URL), except `submit --relay`, which signs an EIP-712
submission and lets the API's relayer pay the gas.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import typer

from dao.vocabulary import ContributionKind
from merit.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_NOT_FOUND,
    EXIT_UNREACHABLE,
    CommandError,
    console,
    format_tokens,
    handle_errors,
    print_json,
    print_table,
    progress,
    settings,
)

CONTENT_TYPES = {".csv": "text/csv", ".json": "application/json"}


def api_get(path: str, **params: Any) -> Any:
    return _api("GET", path, params={k: v for k, v in params.items() if v is not None})


def _api(method: str, path: str, **kwargs: Any) -> Any:
    url = settings().api_url.rstrip("/") + path
    try:
        response = httpx.request(method, url, timeout=60.0, **kwargs)
    except httpx.HTTPError as exc:
        raise CommandError(f"cannot reach the API at {settings().api_url}: {exc}", EXIT_UNREACHABLE) from None
    if response.status_code == 404:
        raise CommandError(_detail(response), EXIT_NOT_FOUND)
    if response.status_code >= 400:
        raise CommandError(
            f"the API refused ({response.status_code}): {_detail(response)}",
            EXIT_BAD_INPUT if response.status_code < 500 else EXIT_FAILED,
        )
    return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        return response.text
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')}" for d in detail)
    return str(detail)


def _address(account: str | None, address: str | None) -> str:
    from eth_utils import is_address, to_checksum_address

    if address:
        if not is_address(address):
            raise CommandError(f"not an address: {address!r}", EXIT_BAD_INPUT)
        return to_checksum_address(address)
    if account:
        from dao import keystore

        return keystore.entries_by_name(settings().keystore_dir, account).address
    raise CommandError("name an account (--account) or an address", EXIT_BAD_INPUT)


@handle_errors
def submit(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the predictions or labels file"),
    project: int = typer.Option(..., "--project", "-p", help="the project id"),
    kind: str = typer.Option(..., "--kind", "-k", help=" or ".join(ContributionKind.names())),
    account: str = typer.Option(..., "--account", "-a", help="the keystore account that signs"),
    relay: bool = typer.Option(False, "--relay", help="sign only; the API's relayer sends it and pays the gas"),
    deadline_minutes: int = typer.Option(30, help="with --relay: how long the signature stays valid"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Upload an artifact and submit it to a project, directly or through the API's relay."""
    if kind not in ContributionKind.names():
        raise CommandError(f"kind must be {' or '.join(ContributionKind.names())}, not {kind!r}", EXIT_BAD_INPUT)
    kind_code, kind_name = ContributionKind(kind).code, kind
    from merit.cli.accounts import signer

    me = signer(account)
    content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
    with progress("uploading the artifact..."):
        cid = _api("POST", "/artifacts", content=file.read_bytes(), headers={"content-type": content_type})["cid"]
    if relay:
        from dao import eip712
        from dao.chain import connect, load_contracts

        cfg = settings()
        w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
        contracts = load_contracts(w3, cfg.deployment)
        nonce = contracts.registry.functions.nonces(me.address).call()
        deadline = int(time.time()) + 60 * deadline_minutes
        typed = eip712.submission(
            w3.eth.chain_id,
            contracts.registry.address,
            contributor=me.address,
            project_id=project,
            kind=kind_code,
            cid=cid,
            nonce=nonce,
            deadline=deadline,
        )
        signature = "0x" + eip712.sign(typed, me.key).hex()
        result = _api(
            "POST",
            "/relay/submissions",
            json={
                "contributor": me.address,
                "project_id": project,
                "kind": kind_name,
                "cid": cid,
                "nonce": nonce,
                "deadline": deadline,
                "signature": signature,
            },
        )
        contribution_id, tx = result["contribution_id"], result["tx_hash"]
    else:
        from dao.chain import connect, load_contracts, send_transaction

        cfg = settings()
        w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
        contracts = load_contracts(w3, cfg.deployment)
        receipt = send_transaction(w3, me, contracts.registry.functions.submit(project, kind_code, cid))
        event = contracts.registry.events.ContributionSubmitted().process_receipt(receipt)[0]["args"]
        contribution_id, tx = event["contributionId"], receipt["transactionHash"].hex()
    out = {"contribution_id": contribution_id, "cid": cid, "project_id": project, "kind": kind_name, "tx_hash": tx}
    print_json(out) if as_json else console.print(f"submitted contribution {contribution_id}: {cid} (tx {tx})")


@handle_errors
def contributions(
    address: str = typer.Argument(None, help="a contributor's address (default: all)"),
    account: str = typer.Option(None, "--account", "-a", help="a keystore account's contributions"),
    project: int = typer.Option(None, "--project", "-p"),
    limit: int = typer.Option(20, "--limit", min=1, max=100),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Contribution history with status and score, newest first."""
    contributor = _address(account, address) if (account or address) else None
    page = api_get("/contributions", contributor=contributor, project=project, limit=limit)
    if as_json:
        print_json(page)
        return
    print_table(
        "Contributions",
        ("id", "project", "contributor", "kind", "status", "score", "cid"),
        [
            (
                c["contribution_id"],
                c["project_id"],
                c["contributor"],
                c["kind"],
                c["status"],
                c.get("score") or "",
                c["cid"],
            )
            for c in page["items"]
        ],
    )


@handle_errors
def rewards(
    address: str = typer.Argument(None, help="an address (or use --account)"),
    account: str = typer.Option(None, "--account", "-a"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """What an address can claim now, across every open epoch."""
    unclaimed = api_get(f"/contributors/{_address(account, address)}/unclaimed")
    if as_json:
        print_json(unclaimed)
        return
    print_table(
        f"Claimable by {unclaimed['account']}",
        ("epoch", "index", "amount (MERIT)"),
        [(c["epoch_id"], c["index"], format_tokens(int(c["amount"]))) for c in unclaimed["claims"]],
    )
    console.print(f"total: {format_tokens(int(unclaimed['total']))} MERIT")


@handle_errors
def claim(
    account: str = typer.Option(..., "--account", "-a", help="the keystore account that signs and is paid"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Claim everything claimable across epochs in one claimMany transaction."""
    from dao.chain import connect, load_contracts, send_transaction
    from merit.cli.accounts import signer

    me = signer(account)
    unclaimed = api_get(f"/contributors/{me.address}/unclaimed")
    if not unclaimed["claims"]:
        raise CommandError(f"nothing to claim for {me.address}", EXIT_NOT_FOUND)
    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    contracts = load_contracts(w3, cfg.deployment)
    claims = [(c["epoch_id"], c["index"], int(c["amount"]), c["proof"]) for c in unclaimed["claims"]]
    with progress(f"claiming {len(claims)} allocation(s)..."):
        receipt = send_transaction(w3, me, contracts.distributor.functions.claimMany(me.address, claims))
    paid = sum(int(c["amount"]) for c in unclaimed["claims"])
    out = {
        "account": me.address,
        "epochs": [c[0] for c in claims],
        "amount": str(paid),
        "tx_hash": receipt["transactionHash"].hex(),
    }
    print_json(out) if as_json else console.print(
        f"claimed {format_tokens(paid)} MERIT from epoch(s) {', '.join(str(c[0]) for c in claims)}"
    )
