"""DAO members' commands: `merit delegate`, `merit proposals`, `merit vote`, `merit queue`,
`merit execute`. Proposals are found from the governor's ProposalCreated events, so queue and
execute need only the proposal id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

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

if TYPE_CHECKING:  # the proposals' encoding (eth_abi, web3) loads with the first command that needs it
    from dao.proposals import Proposal

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
    from dao.proposals import Action, Proposal

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


def find_proposal(contracts, proposal_id: int | str) -> Proposal:
    """The proposal named by its full id, or by a prefix of its decimal (or 0x hex) id that only
    it starts with: `merit proposals` shows the ids."""
    return resolve_proposal(proposal_records(contracts), str(proposal_id)).proposal


def proposal_digits(text: str) -> tuple[bool, str]:
    """(hexadecimal, digits) of a proposal id or prefix; exit 2 when the text is no id (checked
    before the chain is asked anything)."""
    given = text.strip()
    hexadecimal = given.lower().startswith("0x")
    digits = given[2:].lower() if hexadecimal else given
    alphabet = "0123456789abcdef" if hexadecimal else "0123456789"
    if not digits or any(c not in alphabet for c in digits):
        raise CommandError(
            f"not a proposal id: {text!r} (give its decimal digits, or 0x and hex digits)", EXIT_BAD_INPUT
        )
    return hexadecimal, digits


def resolve_proposal(records: list[ProposalRecord], text: str) -> ProposalRecord:
    """One proposal from a full id or a unique prefix of its decimal or 0x-hex id. Refused with
    exit 2 when the text is no id, exit 3 when no proposal, or more than one, starts with it."""
    given = text.strip()
    hexadecimal, digits = proposal_digits(text)

    def spelled(pid: int) -> str:
        return f"{pid:x}" if hexadecimal else str(pid)

    value = int(digits, 16 if hexadecimal else 10)
    exact = [r for r in records if r.proposal.proposal_id == value]
    if exact:
        return exact[0]
    matches = [r for r in records if spelled(r.proposal.proposal_id).startswith(digits)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CommandError(
            f"no proposal starts with {given} on this governor (`merit proposals` lists them)", EXIT_NOT_FOUND
        )
    raise CommandError(
        f"ambiguous prefix: {given} matches {len(matches)} proposals ("
        + ", ".join(spelled(r.proposal.proposal_id)[: len(digits) + 6] + "…" for r in matches[:5])
        + "); give more digits",
        EXIT_NOT_FOUND,
    )


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
    from eth_utils import is_address, to_checksum_address

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
    from dao.proposals import decode_fund_epoch

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
    metric = report.parameters.metric.value
    for m in report.model_scores:
        if m.accepted and m.gain is not None:
            why.setdefault(m.contributor, []).append(f"model: {metric} gain {m.gain:+.4f}")
    for a in report.annotator_scores:
        if a.score_units:
            agreement = "" if a.accuracy is None else f", agreement with consensus {a.accuracy:.3f}"
            why.setdefault(a.annotator, []).append(f"{a.labels} labels{agreement}, annotator score {a.score:.1f}")
    return [
        {"account": a.account, "amount": a.amount_wei, "why": "; ".join(why.get(a.account, [])) or "-"}
        for a in report.allocations
    ]


def _quorum_progress(contracts, pid: int, in_favour: int, abstain: int, now: int) -> dict:
    """The quorum a proposal needs (GovernorVotesQuorumFraction: a fraction of the supply at its
    snapshot; for and abstain votes count towards it) and how far its votes are."""
    governor = contracts.governor.functions
    snapshot = governor.proposalSnapshot(pid).call()
    # before its snapshot the quorum is not fixed yet: the supply one second ago stands in
    at = snapshot if snapshot < now else now - 1
    needed = governor.quorum(at).call()
    counted = in_favour + abstain
    return {
        "quorum": needed,
        "counted": counted,
        "reached": counted >= needed,
        "final": snapshot < now,
        "percent": 100.0 if needed == 0 else round(100.0 * counted / needed, 1),
    }


def _quorum_text(q: dict) -> str:
    from merit.cli.common import format_tokens

    text = f"{q['percent']:.0f}% of {format_tokens(q['quorum'])}"
    if q["reached"]:
        text += " (reached)"
    return text if q["final"] else text + " (not fixed before the vote opens)"


@handle_errors
def proposals(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every proposal with its state, for, against and abstain votes, quorum progress and end time,
    and for reward proposals who gets what and why. Ids are shown in full; `merit vote`, `queue`
    and `execute` take any prefix of one that no other proposal starts with."""
    from dao.proposals import ProposalState
    from merit.cli.common import format_time, format_tokens

    w3, contracts = _contracts()
    now = int(w3.eth.get_block("latest")["timestamp"])
    rows = []
    for record in proposal_records(contracts):
        pid = record.proposal.proposal_id
        state = ProposalState(contracts.governor.functions.state(pid).call())
        against, in_favour, abstain = contracts.governor.functions.proposalVotes(pid).call()
        deadline = contracts.governor.functions.proposalDeadline(pid).call()  # late quorum may extend it
        rows.append(
            {
                "id": str(pid),
                "state": state.name.lower(),
                "for": in_favour,
                "against": against,
                "abstain": abstain,
                "quorum": _quorum_progress(contracts, pid, in_favour, abstain, now),
                "vote_start": record.vote_start,
                "vote_end": deadline,
                "proposer": record.proposer,
                "description": record.proposal.description,
                "funds_epoch": epoch_funding(contracts, record.proposal),
            }
        )
    if as_json:
        print_json(rows)
        return
    print_table(
        f"Proposals (votes in MERIT; chain time {format_time(now)})",
        ("id", "state", "for", "against", "abstain", "quorum (for + abstain)", "voting", "description"),
        [
            (
                r["id"],
                r["state"],
                format_tokens(r["for"]),
                format_tokens(r["against"]),
                format_tokens(r["abstain"]),
                _quorum_text(r["quorum"]),
                _voting_text(r["vote_start"], r["vote_end"], now),
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
            f"Proposal {r['id']} funds project {funding['project_id']}, epoch {funding['epoch']}: "
            f"{format_tokens(funding['total'])} MERIT; unclaimed tokens return after "
            f"{format_time(funding['claim_deadline'], now)}"
        )
        if isinstance(funding["recipients"], str):
            console.print(f"{title}\n  {funding['recipients']}")
        else:
            print_table(
                title,
                ("account", "MERIT", "why"),
                [(x["account"], format_tokens(x["amount"]), x["why"]) for x in funding["recipients"]],
            )


def _voting_text(start: int, end: int, now: int) -> str:
    from merit.cli.common import format_relative, format_time

    if now < start:
        return f"opens {format_time(start)} ({format_relative(start, now)}), ends {format_time(end)}"
    verb = "ends" if now <= end else "ended"
    return f"{verb} {format_time(end, now)}"


@handle_errors
def vote(
    proposal_id: str = typer.Argument(..., help="the proposal id, or a prefix of it no other proposal has"),
    support: str = typer.Argument(..., help="for, against or abstain"),
    account: str = ACCOUNT_OPTION,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Cast your vote on an active proposal."""
    from dao.proposals import VoteType

    try:
        choice = VoteType[support.upper()]
    except KeyError:
        raise CommandError(f"support must be for, against or abstain, not {support!r}", EXIT_BAD_INPUT) from None
    proposal_digits(proposal_id)
    _keystore_of(account)
    w3, contracts = _contracts()
    pid = find_proposal(contracts, proposal_id).proposal_id
    receipt = _send(w3, account, contracts.governor.functions.castVote(pid, int(choice)))
    event = contracts.governor.events.VoteCast().process_receipt(receipt)[0]["args"]
    result = {"proposal": str(pid), "support": choice.name.lower(), "weight": event["weight"]}
    print_json(result) if as_json else console.print(f"voted {result['support']} with weight {event['weight']}")


@handle_errors
def queue(
    proposal_id: str = typer.Argument(..., help="the proposal id, or a prefix of it no other proposal has"),
    account: str = ACCOUNT_OPTION,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Queue a succeeded proposal in the timelock."""
    _lifecycle("queue", proposal_id, account, as_json)


@handle_errors
def execute(
    proposal_id: str = typer.Argument(..., help="the proposal id, or a prefix of it no other proposal has"),
    account: str = ACCOUNT_OPTION,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Execute a queued proposal whose timelock delay has passed (anyone may)."""
    _lifecycle("execute", proposal_id, account, as_json)


def _lifecycle(step: str, proposal_id: str, account: str, as_json: bool) -> None:
    from dao.proposals import ProposalState

    proposal_digits(proposal_id)
    _keystore_of(account)
    w3, contracts = _contracts()
    proposal = find_proposal(contracts, proposal_id)
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
