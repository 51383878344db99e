"""Contributors' commands: `merit submit` (a commit), `merit reveal`, `merit contributions`,
`merit rewards`, `merit claim`.

Reads go through the explorer API (MERIT_API_URL); transactions are signed with a keystore
account and sent to the chain (MERIT_RPC_URL), except with `--relay`, which signs an EIP-712
commit or reveal and lets the API's relayer pay the gas; `merit claim --relay` needs no signature
at all (the distributor pays the account in each leaf whoever sends the claim).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # the HTTP client loads with the first command that calls the API, not with `merit --help`
    import httpx


def api_get(path: str, **params: Any) -> Any:
    return _api("GET", path, params={k: v for k, v in params.items() if v is not None})


def _api(method: str, path: str, **kwargs: Any) -> Any:
    import httpx

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


def _chain() -> tuple[Any, Any]:
    from dao.chain import connect, load_contracts

    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    return w3, load_contracts(w3, cfg.deployment)


def _now(w3: Any) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def _when(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


def _commit_store() -> Any:
    from merit.commit_store import CommitStore

    return CommitStore(settings().keystore_dir)


def _check_file(file: Path, data: bytes, kind: ContributionKind, contracts: Any, project: int) -> None:
    """Refuses (exit 2, naming the line and the reason) a file the oracle would reject as
    unreadable or of the wrong ids, length or classes: checked before the salt is written down or
    anything is sent."""
    from merit.cli.checks import project_format, refusal
    from oracle.scoring.rejections import ArtifactRejected
    from oracle.scoring.validation import check_contribution

    fmt = project_format(contracts, project)
    try:
        check_contribution(data, kind, fmt)
    except ArtifactRejected as error:
        raise refusal(file, error, f"not valid {kind.value} for project {project}") from None


@handle_errors
def submit(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the predictions or labels file"),
    project: int = typer.Option(..., "--project", "-p", help="the project id"),
    kind: str = typer.Option(..., "--kind", "-k", help=" or ".join(ContributionKind.names())),
    account: str = typer.Option(..., "--account", "-a", help="the keystore account that signs"),
    relay: bool = typer.Option(False, "--relay", help="sign only; the API's relayer sends it and pays the gas"),
    wait_reveal: bool = typer.Option(False, "--wait-reveal", help="wait for the reveal window, then reveal"),
    deadline_minutes: int = typer.Option(30, help="with --relay: how long the signature stays valid"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Commit to a file in the project's current commit window (nothing about it is published).

    The file is first checked against the project's format (its task, metric and benchmark item
    ids; its classes once an epoch report names them) with the oracle's own parsers: a file it would
    reject is refused with its line and reason, and nothing is written or sent.

    The salt and a copy of the file stay in the keystore folder; `merit reveal` (or --wait-reveal)
    reveals it and uploads the file once the epoch's reveal window opens."""
    from dao.artifacts.store import compute_artifact_cid
    from dao.chain import read_struct, send_transaction
    from dao.commitments import contribution_commitment, new_salt
    from merit.cli.accounts import signer
    from merit.commit_store import PendingCommit

    if kind not in ContributionKind.names():
        raise CommandError(f"kind must be {' or '.join(ContributionKind.names())}, not {kind!r}", EXIT_BAD_INPUT)
    me = signer(account)
    data = file.read_bytes()
    w3, contracts = _chain()
    registry = contracts.registry.functions
    now = _now(w3)
    at = read_struct(registry.epochAt(project, now))
    epoch, phase = int(at["epoch"]), int(at["phase"])
    windows = read_struct(registry.epochWindows(project, epoch))
    if phase != 1:  # IContributionRegistry.Phase.COMMIT
        opens = int(windows["commitStart"]) if phase == 0 else int(windows["end"])
        raise CommandError(
            f"project {project} takes commits only in an epoch's commit window; the next opens in "
            f"{_when(max(0, opens - now))} (at {opens})",
            EXIT_FAILED,
        )
    contribution_kind = ContributionKind(kind)
    _check_file(file, data, contribution_kind, contracts, project)
    cid = compute_artifact_cid(data)
    salt = new_salt()
    commitment = contribution_commitment(
        contributor=me.address, project_id=project, epoch=epoch, kind=contribution_kind, cid=cid, salt=salt
    )
    store = _commit_store()
    # the salt is written down before the commit is sent: a commit whose salt is lost can never be revealed
    pending = store.save(
        PendingCommit(
            chain_id=w3.eth.chain_id,
            registry=contracts.registry.address,
            project_id=project,
            epoch=epoch,
            contributor=me.address,
            kind=kind,
            cid=cid,
            salt="0x" + salt.hex(),
            commitment="0x" + commitment.hex(),
        ),
        artifact=data,
    )
    bond = registry.bondFor(project, epoch).call()
    if relay:
        from dao import eip712

        if bond and contracts.token.functions.allowance(me.address, contracts.registry.address).call() < bond:
            raise CommandError(
                f"the project asks a bond of {format_tokens(bond)} MERIT per commit: approve the registry for it "
                "first (a relayed commit cannot approve for you)",
                EXIT_FAILED,
            )
        nonce = registry.nonces(me.address).call()
        deadline = now + 60 * deadline_minutes
        typed = eip712.commit(
            w3.eth.chain_id,
            contracts.registry.address,
            contributor=me.address,
            project_id=project,
            commitment=commitment,
            nonce=nonce,
            deadline=deadline,
        )
        signature = "0x" + eip712.sign(typed, me.key).hex()
        result = _api(
            "POST",
            "/relay/commits",
            json={
                "contributor": me.address,
                "project_id": project,
                "commitment": "0x" + commitment.hex(),
                "nonce": nonce,
                "deadline": deadline,
                "signature": signature,
            },
        )
        contribution_id, tx = int(result["contribution_id"]), str(result["tx_hash"])
    else:
        if bond and contracts.token.functions.allowance(me.address, contracts.registry.address).call() < bond:
            send_transaction(w3, me, contracts.token.functions.approve(contracts.registry.address, bond))
        receipt = send_transaction(w3, me, registry.commit(project, commitment))
        event = contracts.registry.events.Committed().process_receipt(receipt)[0]["args"]
        contribution_id, tx = int(event["contributionId"]), "0x" + bytes(receipt["transactionHash"]).hex()
    pending = store.update(pending, contribution_id=contribution_id, commit_tx=tx)
    reveal_opens = int(windows["revealStart"])
    out = {
        "contribution_id": contribution_id,
        "project_id": project,
        "epoch": epoch,
        "kind": kind,
        "cid": cid,
        "bond": str(bond),
        "reveal_opens": reveal_opens,
        "tx_hash": tx,
    }
    if not as_json:
        console.print(
            f"committed contribution {contribution_id} to project {project}, epoch {epoch} (tx {tx}); "
            f"reveal it with `merit reveal --account {account}` once the reveal window opens in "
            f"{_when(max(0, reveal_opens - now))}"
        )
    if wait_reveal:
        with progress("waiting for the reveal window..."):
            while _now(w3) < reveal_opens:
                time.sleep(2)
        out["reveal_tx"] = _reveal_one(w3, contracts, me, pending, relay=relay, deadline_minutes=deadline_minutes)
        if not as_json:
            console.print(f"revealed contribution {contribution_id} (tx {out['reveal_tx']})")
    if as_json:
        print_json(out)


def _reveal_one(w3: Any, contracts: Any, me: Any, pending: Any, *, relay: bool, deadline_minutes: int) -> str:
    """Uploads the committed file (its CID checked) and reveals the commit, directly or relayed."""
    from dao.chain import send_transaction

    store = _commit_store()
    data = store.artifact(pending)
    content_type = "text/csv" if data[:1].isascii() and b"\x00" not in data[:4096] else "application/octet-stream"
    with progress("uploading the artifact..."):
        uploaded = _api("POST", "/artifacts", content=data, headers={"content-type": content_type})["cid"]
    if uploaded != pending.cid:
        raise CommandError(f"the API stored the file as {uploaded}, not the committed {pending.cid}", EXIT_FAILED)
    kind = ContributionKind(pending.kind)
    salt = bytes.fromhex(pending.salt[2:])
    registry = contracts.registry.functions
    if relay:
        from dao import eip712

        nonce = registry.nonces(me.address).call()
        deadline = _now(w3) + 60 * deadline_minutes
        typed = eip712.reveal(
            w3.eth.chain_id,
            contracts.registry.address,
            contributor=me.address,
            contribution_id=pending.contribution_id,
            kind=kind.code,
            cid=pending.cid,
            salt=salt,
            nonce=nonce,
            deadline=deadline,
        )
        result = _api(
            "POST",
            "/relay/reveals",
            json={
                "contributor": me.address,
                "contribution_id": pending.contribution_id,
                "project_id": pending.project_id,
                "epoch": pending.epoch,
                "kind": kind.value,
                "cid": pending.cid,
                "salt": pending.salt,
                "nonce": nonce,
                "deadline": deadline,
                "signature": "0x" + eip712.sign(typed, me.key).hex(),
            },
        )
        tx = str(result["tx_hash"])
    else:
        call = registry.reveal(pending.contribution_id, pending.project_id, pending.epoch, kind.code, pending.cid, salt)
        tx = "0x" + bytes(send_transaction(w3, me, call)["transactionHash"]).hex()
    store.update(pending, reveal_tx=tx)
    return tx


@handle_errors
def reveal(
    contribution_ids: list[int] = typer.Argument(None, help="contributions to reveal (default: every one due now)"),
    account: str = typer.Option(..., "--account", "-a", help="the keystore account that committed"),
    relay: bool = typer.Option(False, "--relay", help="sign only; the API's relayer sends it and pays the gas"),
    deadline_minutes: int = typer.Option(30, help="with --relay: how long the signature stays valid"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Reveal commits whose epoch is in its reveal window, uploading each committed file."""
    from dao.chain import read_struct
    from merit.cli.accounts import signer
    from merit.commit_store import CommitStoreError

    me = signer(account)
    w3, contracts = _chain()
    store = _commit_store()
    try:
        if contribution_ids:
            wanted = [store.by_contribution(me.address, i) for i in contribution_ids]
        else:
            wanted = [c for c in store.all(me.address) if not c.revealed and c.contribution_id is not None]
    except CommitStoreError as error:
        raise CommandError(str(error), EXIT_NOT_FOUND) from None
    now = _now(w3)
    done, waiting = [], []
    for pending in wanted:
        if pending.revealed:
            raise CommandError(f"contribution {pending.contribution_id} was revealed (tx {pending.reveal_tx})")
        windows = read_struct(contracts.registry.functions.epochWindows(pending.project_id, pending.epoch))
        if now < int(windows["revealStart"]):
            waiting.append((pending.contribution_id, int(windows["revealStart"]) - now))
            continue
        if now >= int(windows["end"]):
            raise CommandError(
                f"contribution {pending.contribution_id}: epoch {pending.epoch}'s reveal window closed at "
                f"{windows['end']}; it can no longer be revealed",
                EXIT_FAILED,
            )
        tx = _reveal_one(w3, contracts, me, pending, relay=relay, deadline_minutes=deadline_minutes)
        done.append({"contribution_id": pending.contribution_id, "cid": pending.cid, "tx_hash": tx})
    if contribution_ids and waiting:
        first, seconds = waiting[0]
        raise CommandError(f"contribution {first}: its reveal window opens in {_when(seconds)}", EXIT_FAILED)
    if as_json:
        print_json({"revealed": done, "waiting": [{"contribution_id": i, "opens_in": s} for i, s in waiting]})
        return
    for item in done:
        console.print(f"revealed contribution {item['contribution_id']}: {item['cid']} (tx {item['tx_hash']})")
    for contribution_id, seconds in waiting:
        console.print(f"contribution {contribution_id}: the reveal window opens in {_when(seconds)}")
    if not done and not waiting:
        console.print("nothing to reveal")


@handle_errors
def contributions(
    address: str = typer.Argument(None, help="a contributor's address (default: all)"),
    account: str = typer.Option(None, "--account", "-a", help="a keystore account's contributions"),
    project: int = typer.Option(None, "--project", "-p"),
    limit: int = typer.Option(20, "--limit", min=1, max=100),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Contribution history, newest first: each commit's epoch and status, and once revealed its
    kind and CID; once scored, its score in the metric's units (a model's gain over the champion
    with its confidence interval, an annotator's agreement with the consensus) and why it was
    accepted or rejected. With --json each scored item carries the API's `explanation`; `score` stays
    the integer attested on chain, round(score x 1e9)."""
    contributor = _address(account, address) if (account or address) else None
    page = api_get("/contributions", contributor=contributor, project=project, limit=limit)
    clocks = {pid: api_get(f"/projects/{pid}").get("current_epoch") for pid in {c["project_id"] for c in page["items"]}}
    for c in page["items"]:
        c["phase"] = _epoch_phase(clocks.get(c["project_id"]), int(c["epoch"]))
        if c.get("score") is not None or c.get("status") in ("accepted", "rejected"):
            c["explanation"] = api_get(f"/contributions/{c['contribution_id']}").get("explanation")
    if as_json:
        print_json(page)
        return
    print_table(
        "Contributions (newest first)",
        ("id", "project", "epoch", "phase", "contributor", "status", "kind", "score and why", "cid"),
        [
            (
                c["contribution_id"],
                c["project_id"],
                c["epoch"],
                c["phase"],
                c["contributor"],
                c["status"],  # committed, revealed, accepted, rejected or forfeited
                c.get("kind") or "(sealed)",
                describe_score(c, c.get("explanation")),
                c.get("cid") or "(sealed)",
            )
            for c in page["items"]
        ],
    )


SCORE_SCALE = 10**9  # scores are attested on chain as round(score x 1e9) (oracle.scoring.allocation)


def describe_score(contribution: dict[str, Any], explanation: dict[str, Any] | None) -> str:
    """A contribution's score as a person reads it: in its metric's units, with the outcome, the
    reason and the epoch that scored it. "" while it is not scored."""
    raw = contribution.get("score")
    if explanation is None:
        if raw is None:
            return ""
        return f"score {int(raw) / SCORE_SCALE:.4f} (no explanation indexed)"
    epoch = f"epoch {explanation['epoch']}"
    metric = explanation.get("metric") or "score"
    value = explanation.get("metric_value")
    if metric == "annotator_accuracy":  # a label file: the annotator's figures (oracle.scoring.labels)
        parts = [] if value is None else [f"agreement with consensus {value:.3f}"]
        if raw is not None and int(raw):
            parts.append(f"annotator score {int(raw) / SCORE_SCALE:.1f}")
    else:
        parts = [] if value is None else [f"{metric} {value:.4f}"]
        gain = explanation.get("gain")
        if gain is not None:
            text = f"{metric} gain {gain:+.4f} over the champion"
            interval = explanation.get("confidence_interval")
            if interval:
                text += f" (confidence interval {interval[0]:+.4f}..{interval[1]:+.4f})"
            parts.append(text)
    if explanation.get("accepted"):
        outcome = "accepted" if metric == "annotator_accuracy" else "accepted: beat the champion"
    else:
        outcome = "rejected: " + (explanation.get("rejection_reason") or "not accepted")
        if explanation.get("copy_of"):
            outcome += f" of {explanation['copy_of']}"
        elif explanation.get("detail"):
            outcome += f" ({explanation['detail']})"
    return "; ".join([*parts, outcome, epoch])


def _epoch_phase(current: dict[str, Any] | None, epoch: int) -> str:
    """Where a contribution's epoch is now: its project's current epoch's phase, or closed for an
    earlier epoch."""
    if not current or current.get("epoch") is None:
        return "unknown"
    if epoch < int(current["epoch"]):
        return "closed"
    return str(current.get("phase") or "unknown")


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
    deadlines = {}
    for project_id, epoch in sorted({(c["project_id"], c["epoch"]) for c in unclaimed["claims"]}):
        funding = api_get(f"/projects/{project_id}/epochs/{epoch}").get("funding") or {}
        deadlines[(project_id, epoch)] = funding.get("claim_deadline")
    now = None
    if unclaimed["claims"]:
        now = api_get(f"/projects/{unclaimed['claims'][0]['project_id']}").get("now")  # the indexed chain time
    print_table(
        f"Claimable by {unclaimed['account']}",
        ("project", "epoch", "leaf index", "amount (MERIT)", "claim before"),
        [
            (
                c["project_id"],
                c["epoch"],
                c["index"],
                format_tokens(int(c["amount"])),
                _deadline_text(deadlines.get((c["project_id"], c["epoch"])), now),
            )
            for c in unclaimed["claims"]
        ],
    )
    console.print(f"total: {format_tokens(int(unclaimed['total']))} MERIT")


def _deadline_text(deadline: int | None, now: int | None) -> str:
    from merit.cli.common import format_time

    return "unknown" if deadline is None else format_time(int(deadline), None if now is None else int(now))


@handle_errors
def claim(
    account: str = typer.Option(..., "--account", "-a", help="the keystore account that is paid (and signs)"),
    relay: bool = typer.Option(
        False, "--relay", help="the API's relayer sends the claims and pays the gas: no ETH (or password) needed"
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Claim everything claimable across epochs in one claimMany transaction.

    The tokens go to the account whoever sends the claim, so with --relay the API's relayer sends
    it: an account with no ETH gets its tokens."""
    if relay:
        address = _address(None, account) if account.startswith("0x") else _address(account, None)
        unclaimed = api_get(f"/contributors/{address}/unclaimed")
        if not unclaimed["claims"]:
            raise CommandError(f"nothing to claim for {address}", EXIT_NOT_FOUND)
        paid, txs = 0, []
        with progress(f"relaying {len(unclaimed['claims'])} claim(s)..."):
            for batch in _relay_batches(unclaimed["claims"]):
                result = _api("POST", "/relay/claims", json={"account": address, "claims": batch})
                paid += int(result["amount"])
                txs.append(str(result["tx_hash"]))
    else:
        from dao.chain import send_transaction
        from merit.cli.accounts import signer

        me = signer(account)
        address = me.address
        unclaimed = api_get(f"/contributors/{address}/unclaimed")
        if not unclaimed["claims"]:
            raise CommandError(f"nothing to claim for {address}", EXIT_NOT_FOUND)
        w3, contracts = _chain()
        claims = [(int(c["epoch_key"]), c["index"], int(c["amount"]), c["proof"]) for c in unclaimed["claims"]]
        with progress(f"claiming {len(claims)} allocation(s)..."):
            receipt = send_transaction(w3, me, contracts.distributor.functions.claimMany(address, claims))
        paid = sum(int(c["amount"]) for c in unclaimed["claims"])
        txs = ["0x" + bytes(receipt["transactionHash"]).hex().removeprefix("0x")]
    out = {
        "account": address,
        "epochs": [{"project_id": c["project_id"], "epoch": c["epoch"]} for c in unclaimed["claims"]],
        "amount": str(paid),
        "relayed": relay,
        "tx_hash": txs[-1],
        "tx_hashes": txs,
    }
    print_json(out) if as_json else console.print(
        f"claimed {format_tokens(paid)} MERIT from "
        + ", ".join(f"project {c['project_id']} epoch {c['epoch']}" for c in unclaimed["claims"])
        + (f" (relayed; tx {', '.join(txs)})" if relay else f" (tx {txs[-1]})"),
        highlight=False,
        soft_wrap=True,
    )


def _relay_batches(claims: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The claims as /relay/claims takes them, in requests within its count and body limits."""
    import json

    from api.routes.relay import RELAY_BODY_LIMIT
    from api.schemas import MAX_RELAY_CLAIMS

    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    room = RELAY_BODY_LIMIT - 200  # the account and the brackets
    for c in claims:
        item = {"epoch_key": str(c["epoch_key"]), "index": c["index"], "amount": str(c["amount"]), "proof": c["proof"]}
        item_size = len(json.dumps(item)) + 2
        if batches[-1] and (len(batches[-1]) == MAX_RELAY_CLAIMS or size + item_size > room):
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item_size
    return batches
