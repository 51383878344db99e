"""DAO members' commands: `merit delegate`, `merit proposals`, `merit vote`, `merit queue`,
`merit execute`. Proposals are found from the governor's ProposalCreated events, so queue and
execute need only the proposal id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer
from eth_utils import is_address, to_checksum_address

from dao.proposals import Action, Proposal, ProposalState, VoteType, decode_fund_epoch
from merit.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    CommandError,
    console,
    handle_errors,
    print_json,
    print_table,
    progress,
    settings,
)

ACCOUNT_OPTION = typer.Option(..., "--account", "-a", help="the keystore account that signs")


@dataclass(frozen=True)
class ProposalRecord:
    proposal: Proposal
    proposer: str
    block_number: int
    vote_start: int
    vote_end: int


def _contracts():
    from dao.chain import connect, load_contracts

    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    return w3, load_contracts(w3, cfg.deployment)


def proposal_records(contracts) -> list[ProposalRecord]:
    """Every proposal made to the deployment's governor, oldest first."""
    start = contracts.deployment.contracts["governor"].block_number
    records = []
    for log in contracts.governor.events.ProposalCreated.get_logs(from_block=start):
        a = log["args"]
        actions = tuple(Action(t, bytes(c), v) for t, v, c in zip(a["targets"], a["values"], a["calldatas"]))
        proposal = Proposal(actions, a["description"])
        if proposal.proposal_id != a["proposalId"]:
            continue  # cannot happen with an honest node; never act on a proposal we cannot rebuild
        records.append(ProposalRecord(proposal, a["proposer"], log["blockNumber"], a["voteStart"], a["voteEnd"]))
    return records


def find_proposal(contracts, proposal_id: int) -> Proposal:
    for record in proposal_records(contracts):
        if record.proposal.proposal_id == proposal_id:
            return record.proposal
    raise CommandError(f"no proposal {proposal_id} on this governor", EXIT_NOT_FOUND)


def _send(w3, account_name: str, call) -> Any:
    from dao.chain import send_transaction
    from merit.cli.accounts import signer

    account = signer(account_name)
    with progress("sending the transaction..."):
        return send_transaction(w3, account, call)


@handle_errors
def delegate(
    to: str = typer.Argument("self", help="an address, or 'self'"),
    account: str = ACCOUNT_OPTION,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Delegate your votes (to yourself to vote with them)."""
    from merit.cli.accounts import signer

    if to != "self" and not is_address(to):  # bad input before the chain is asked anything
        raise CommandError(f"not an address: {to!r}", EXIT_BAD_INPUT)
    me = signer(account)
    target = me.address if to == "self" else to
    w3, contracts = _contracts()
    from dao.chain import send_transaction

    receipt = send_transaction(w3, me, contracts.token.functions.delegate(to_checksum_address(target)))
    result = {"delegator": me.address, "delegate": to_checksum_address(target), "tx": receipt["transactionHash"].hex()}
    print_json(result) if as_json else console.print(
        f"{me.address} delegates to {result['delegate']} (tx {result['tx']})"
    )


def epoch_funding(contracts, proposal: Proposal) -> dict | None:
    """What a funding proposal pays, from the epoch report it names: who gets what and why.
    None for proposals that fund no epoch."""
    for action in proposal.actions:
        if action.target != contracts.distributor.address:
            continue
        fund = decode_fund_epoch(action.calldata)
        if fund is None:
            continue
        summary = {
            "project_id": fund.project_id,
            "epoch": fund.epoch,
            "total": fund.total,
            "report_cid": fund.report_cid,
            "merkle_root": fund.merkle_root,
            "claim_deadline": fund.claim_deadline,
        }
        summary["recipients"] = _report_recipients(fund.report_cid, fund.merkle_root)
        return summary
    return None


def _report_recipients(report_cid: str, merkle_root: str) -> list[dict] | str:
    """Each allocation with the reason from the report; a string saying why when unavailable."""
    from dao.artifacts import ArtifactError, open_artifact_store
    from oracle.scoring.report import report_from_json

    try:
        report = report_from_json(open_artifact_store().get(report_cid))
    except ArtifactError as exc:
        return f"report unavailable here ({exc}); fetch it with merit artifacts get {report_cid}"
    if report.merkle_root.lower() != merkle_root.lower():
        return f"the report's merkle root {report.merkle_root} is not the proposal's: do not vote for it"
    why: dict[str, list[str]] = {}
    for m in report.model_scores:
        if m.accepted and m.gain is not None:
            why.setdefault(m.contributor, []).append(f"model gain {m.gain:+.4f}")
    for a in report.annotator_scores:
        if a.score_units:
            why.setdefault(a.annotator, []).append(f"{a.labels} labels, accuracy {a.accuracy:.3f}")
    return [
        {"account": a.account, "amount": a.amount_wei, "why": "; ".join(why.get(a.account, [])) or "-"}
        for a in report.allocations
    ]


@handle_errors
def proposals(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every proposal with its state and tally, and for reward proposals who gets what and why."""
    from merit.cli.common import format_tokens

    _, contracts = _contracts()
    rows = []
    for record in proposal_records(contracts):
        pid = record.proposal.proposal_id
        state = ProposalState(contracts.governor.functions.state(pid).call())
        against, in_favour, abstain = contracts.governor.functions.proposalVotes(pid).call()
        rows.append(
            {
                "id": str(pid),
                "state": state.name.lower(),
                "for": in_favour,
                "against": against,
                "abstain": abstain,
                "proposer": record.proposer,
                "description": record.proposal.description,
                "funds_epoch": epoch_funding(contracts, record.proposal),
            }
        )
    if as_json:
        print_json(rows)
        return
    print_table(
        "Proposals",
        ("id", "state", "for", "against", "description"),
        [
            (
                r["id"][:12] + "…",
                r["state"],
                format_tokens(r["for"]),
                format_tokens(r["against"]),
                r["description"].strip().splitlines()[0].lstrip("# "),
            )
            for r in rows
        ],
    )
    for r in rows:
        funding = r["funds_epoch"]
        if funding is None:
            continue
        title = (
            f"Proposal {r['id'][:12]}… funds project {funding['project_id']}, epoch {funding['epoch']}: "
            f"{format_tokens(funding['total'])} MERIT"
        )
        if isinstance(funding["recipients"], str):
            console.print(f"{title}\n  {funding['recipients']}")
        else:
            print_table(
                title,
                ("account", "MERIT", "why"),
                [(x["account"], format_tokens(x["amount"]), x["why"]) for x in funding["recipients"]],
            )


@handle_errors
def vote(
    proposal_id: str = typer.Argument(..., help="the proposal id"),
    support: str = typer.Argument(..., help="for, against or abstain"),
    account: str = ACCOUNT_OPTION,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Cast your vote on an active proposal."""
    try:
        choice = VoteType[support.upper()]
    except KeyError:
        raise CommandError(f"support must be for, against or abstain, not {support!r}", EXIT_BAD_INPUT) from None
    pid = _parse_id(proposal_id)
    _keystore_of(account)
    w3, contracts = _contracts()
    receipt = _send(w3, account, contracts.governor.functions.castVote(pid, int(choice)))
    event = contracts.governor.events.VoteCast().process_receipt(receipt)[0]["args"]
    result = {"proposal": str(pid), "support": choice.name.lower(), "weight": event["weight"]}
    print_json(result) if as_json else console.print(f"voted {result['support']} with weight {event['weight']}")


@handle_errors
def queue(
    proposal_id: str = typer.Argument(...), account: str = ACCOUNT_OPTION, as_json: bool = typer.Option(False, "--json")
) -> None:
    """Queue a succeeded proposal in the timelock."""
    _lifecycle("queue", proposal_id, account, as_json)


@handle_errors
def execute(
    proposal_id: str = typer.Argument(...), account: str = ACCOUNT_OPTION, as_json: bool = typer.Option(False, "--json")
) -> None:
    """Execute a queued proposal whose timelock delay has passed (anyone may)."""
    _lifecycle("execute", proposal_id, account, as_json)


def _lifecycle(step: str, proposal_id: str, account: str, as_json: bool) -> None:
    pid = _parse_id(proposal_id)
    _keystore_of(account)
    w3, contracts = _contracts()
    proposal = find_proposal(contracts, pid)
    receipt = _send(w3, account, getattr(contracts.governor.functions, step)(*proposal.lifecycle_args()))
    state = ProposalState(contracts.governor.functions.state(proposal.proposal_id).call())
    result = {
        "proposal": str(proposal.proposal_id),
        "state": state.name.lower(),
        "tx": receipt["transactionHash"].hex(),
    }
    print_json(result) if as_json else console.print(f"{step}d: proposal is now {result['state']}")


def _keystore_of(account: str) -> None:
    """Exit 3 for an account no keystore holds, before the chain is asked anything."""
    from dao import keystore

    keystore.find(settings().keystore_dir, account)


def _parse_id(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise CommandError(f"not a proposal id: {text!r}", EXIT_BAD_INPUT) from None
