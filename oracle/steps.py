"""The steps of one epoch. Each reads the journal and the chain, does its work only when the chain
does not already hold it, and records its result; running a step twice does nothing the second
time. `OracleService` (service.py) decides when each one runs.

1 collect the epoch's reveals (and unrevealed commits) once its reveal window closed at finality;
2-3 fetch and check the artifacts and score them on the epoch's hidden slice; 4a reveal the slice on
chain, then publish it; 4b pin the report and tree; 5 attest scores and verdicts (bonds follow) and
forfeit unrevealed commits; 6 open the funding proposal only the oracle can make; 7 queue and execute
it, proposing again (as the next attempt) when governance cancels, defeats or lets it expire."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_bytes
from web3 import Web3
from web3.exceptions import ContractLogicError

from dao.artifacts import (
    ArtifactNotFoundError,
    ArtifactStore,
    CorruptBlockError,
    InvalidCidError,
    MalformedDagError,
    UnsupportedCidError,
    normalize_cid,
)
from dao.artifacts.store import compute_artifact_cid
from dao.chain import OpenMeritContracts, project_clock, read_struct
from dao.epochs import EpochClock
from dao.merkle import RewardLeaf, reward_tree
from dao.proposals import Proposal, ProposalState, decode_fund_epoch, epoch_key, parse_fund_epoch_description
from dao.slices import HiddenSlice
from oracle.funding import funding_proposal, proposal_from_json, proposal_to_json
from oracle.hidden import check_committed, load_slice_set
from oracle.plan import (
    Verdict,
    batches,
    carried_in,
    contribution_verdicts,
    epoch_inputs,
    funded_total,
)
from oracle.reads import block_hash, canonical, read_epoch, safe_head
from oracle.scoring.epoch import score_epoch
from oracle.scoring.report import EpochReport, canonical_json, report_from_json
from oracle.scoring.slices import label_item_ids, split_slice
from oracle.settings import ProjectConfig, Settings
from oracle.state import EpochRecord, Journal, Step, TxStatus
from oracle.transactions import TxSender, simulate

log = logging.getLogger("oracle.steps")


class Waiting(Exception):
    """The step cannot finish yet (epoch open or not final, voting open, timelock delay); try later."""


class EpochBlocked(RuntimeError):
    """The epoch cannot proceed without a person (bad settings, missing hidden answers, a
    simulation that reverts); the journal keeps the reason."""


@dataclass
class Context:
    """What every step works with."""

    settings: Settings
    project: ProjectConfig
    w3: Web3
    chain_id: int
    contracts: OpenMeritContracts
    journal: Journal
    store: ArtifactStore
    sender: TxSender | None  # None in dry mode
    first_block: int  # the registry's deployment block: events are read from there
    progress: Callable[[str, int, int], None]  # (what, done, total)

    def clock(self) -> EpochClock:
        """The project's epoch clock, as the registry keeps it now."""
        try:
            return project_clock(self.contracts.registry, self.project.project_id)
        except ContractLogicError:
            raise EpochBlocked(f"project {self.project.project_id} is not registered in the registry") from None

    @property
    def proposer(self) -> str:
        """The account whose funding proposals these are (the deployment's oracle in dry mode)."""
        if self.sender is not None:
            return self.sender.address
        configured = self.contracts.deployment.config.get("rewards", {}).get("oracle")
        return str(configured or self.contracts.timelock.address)

    def update(self, record: EpochRecord, **fields: Any) -> EpochRecord:
        return self.journal.update_epoch(record.chain_id, record.epoch, **fields)


# -- 1. read the epoch's submissions at finality --------------------------------------------------


def collect(ctx: Context, record: EpochRecord) -> EpochRecord:
    end = ctx.clock().windows(record.epoch).end
    head = safe_head(ctx.w3, ctx.settings.finality, ctx.settings.confirmations)
    head_time = int(ctx.w3.eth.get_block(head)["timestamp"])
    if head_time < end:
        # every reveal of the epoch is in a block timed before `end`: once a final block is timed at or
        # after it, all of them are final
        raise Waiting(f"epoch {record.epoch} closes at {end}; the final head (block {head}) is timed {head_time}")
    reveals, unrevealed = read_epoch(
        ctx.contracts.registry, ctx.project.project_id, record.epoch, record.from_block, head
    )
    log.info(
        "reveals read",
        extra={"epoch": record.epoch, "reveals": len(reveals), "unrevealed": len(unrevealed), "to_block": head},
    )
    return ctx.update(
        record,
        submissions=[r.as_json() for r in reveals],
        unrevealed=[c.as_json() for c in unrevealed],
        to_block=head,
        to_block_hash=block_hash(ctx.w3, head),
        step=Step.COLLECTED,
        note=None,
    )


def reorged(ctx: Context, record: EpochRecord) -> bool:
    """Whether the epoch's last block is no longer the one its submissions were read at."""
    return record.to_block_hash is not None and not canonical(ctx.w3, record.to_block, record.to_block_hash)


def restart_after_reorg(ctx: Context, record: EpochRecord) -> EpochRecord:
    log.warning(
        "reorg below the confirmation depth: reading the epoch again",
        extra={"epoch": record.epoch, "to_block": record.to_block, "recorded_hash": record.to_block_hash},
    )
    return ctx.update(
        record,
        step=Step.NEW,
        submissions=None,
        unrevealed=None,
        slice_index=None,
        to_block_hash=None,
        report_json=None,
        tree_json=None,
        report_cid=None,
        tree_cid=None,
        champion_after=None,
        proposal=None,
        proposal_id=None,
        reorgs=record.reorgs + 1,
    )


# -- 2-3. fetch and check the artifacts, score, allocate, build the tree and the report -------------


def fetch_checked(store: ArtifactStore, cid: str) -> tuple[bytes | None, str | None]:
    """The artifact's bytes when the store has them; else (None, why).

    The store hashes every block it reads against the block's CID, from the root the CID names
    down through each link, so the bytes returned are the ones the CID commits to, whatever chunking
    made it (a CIDv0 from an old node included); a block that does not match is refused. A store
    that cannot be reached raises (the epoch waits): that is not the contributor's fault.
    """
    try:
        wanted = normalize_cid(cid)
    except (InvalidCidError, UnsupportedCidError) as error:
        return None, f"not a usable CID: {error}"
    try:
        return store.get(wanted), None
    except ArtifactNotFoundError:
        return None, "not in the artifact store"
    except CorruptBlockError as error:
        return None, f"its bytes do not hash to its CID: {error}"
    except (MalformedDagError, UnsupportedCidError) as error:
        return None, f"the blocks under the CID are not a file: {error}"


def _local_input(ctx: Context, path: Path | None) -> tuple[str | None, bytes | None]:
    """A file the oracle holds (baseline champion, label items, gold), put in the store so that
    `verify` finds every input by CID."""
    if path is None:
        return None, None
    data = path.read_bytes()
    return ctx.store.put(data, pin=True), data


def _champion_entering(ctx: Context, record: EpochRecord) -> tuple[str | None, bytes | None]:
    previous = ctx.journal.epoch(record.chain_id, record.epoch - 1) if record.epoch > 0 else None
    if previous is None:
        return _local_input(ctx, ctx.project.champion_path)
    if previous.report_json is None:
        raise Waiting(f"epoch {record.epoch - 1} is not scored yet; its champion enters epoch {record.epoch}")
    if previous.champion_after is None:
        return _local_input(ctx, ctx.project.champion_path)
    data, why = fetch_checked(ctx.store, previous.champion_after)
    if data is None:
        raise EpochBlocked(f"the champion {previous.champion_after} from epoch {record.epoch - 1}: {why}")
    return previous.champion_after, data


def _carried_in(ctx: Context, record: EpochRecord) -> tuple[int, int]:
    """The pools' carry-in: the previous epoch's report's carry-outs (it is scored already: the
    champion entering this epoch waited for it)."""
    previous = ctx.journal.epoch(record.chain_id, record.epoch - 1) if record.epoch > 0 else None
    report = report_of(previous) if previous is not None and previous.report_json is not None else None
    return carried_in(report, ctx.project.name, record.epoch)


def _slice_index(ctx: Context, record: EpochRecord) -> int:
    """The slice this epoch is scored on: the one revealed for it, or else the next unused one."""
    registry = ctx.contracts.registry.functions
    pid = ctx.project.project_id
    revealed = read_struct(registry.epochSlice(pid, record.epoch))
    project = read_struct(registry.project(pid))
    if revealed["revealed"]:
        if int(revealed["sliceSet"]) != int(project["sliceSet"]):
            raise EpochBlocked(f"epoch {record.epoch} was scored on slice set {revealed['sliceSet']}, now rotated")
        return int(revealed["sliceIndex"])
    if int(project["slicesUsed"]) >= int(project["sliceCount"]):
        raise EpochBlocked(f"project {pid} has no hidden slices left: governance must register a new set")
    return int(project["slicesUsed"])


def hidden_slice(ctx: Context, index: int) -> HiddenSlice:
    """Slice `index` of the oracle's local set, after checking the set against the on-chain root."""
    if ctx.project.slices_path is None:
        raise EpochBlocked("project.slices_path: the oracle holds no hidden slices for this project")
    slices = load_slice_set(ctx.project.slices_path)
    committed = read_struct(ctx.contracts.registry.functions.project(ctx.project.project_id))["slicesRoot"]
    check_committed(slices, committed, ctx.project.slices_path)
    return slices.slices[index]


def score(ctx: Context, record: EpochRecord) -> EpochRecord:
    project = ctx.project
    submissions = record.submissions or []
    artifacts: dict[str, bytes] = {}
    items_cid, items = _local_input(ctx, project.label_items_path)
    public_cid, public_items = _local_input(ctx, project.benchmark_path)
    answers_cid = gold_cid = slice_commitment = None
    slice_index = None
    if submissions:  # an epoch nobody revealed into uses no slice
        slice_index = _slice_index(ctx, record)
        hidden = hidden_slice(ctx, slice_index)
        slice_commitment = "0x" + hidden.commitment.hex()
        answers, gold = split_slice(hidden.data, label_item_ids(items))
        # only the CIDs now: the bytes enter the store once the slice is revealed on chain
        for data in (answers, gold):
            if data is not None:
                artifacts[compute_artifact_cid(data)] = data
        answers_cid = compute_artifact_cid(answers) if answers is not None else None
        gold_cid = compute_artifact_cid(gold) if gold is not None else None
    champion_cid, champion = _champion_entering(ctx, record)
    for cid, data in ((champion_cid, champion), (items_cid, items), (public_cid, public_items)):
        if cid is not None and data is not None:
            artifacts[cid] = data
    for done, submission in enumerate(submissions, start=1):
        data, why = fetch_checked(ctx.store, submission["cid"])
        if data is None:
            log.warning(
                "artifact rejected",
                extra={
                    "epoch": record.epoch,
                    "cid": submission["cid"],
                    "contribution_id": submission["contribution_id"],
                    "reason": why,
                },
            )
        else:
            artifacts[submission["cid"]] = data
        ctx.progress("fetching artifacts", done, len(submissions))
    inputs = epoch_inputs(
        project=project.name,
        epoch=record.epoch,
        chain_id=record.chain_id,
        budget_wei=project.budget_wei,
        submissions=submissions,
        answers_cid=answers_cid,
        champion_cid=champion_cid,
        label_items_cid=items_cid,
        gold_cid=gold_cid,
        carried_in=_carried_in(ctx, record),
        slice_index=slice_index,
        slice_commitment=slice_commitment,
        items_cid=public_cid,
    )
    report = score_epoch(inputs, project.parameters, artifacts)
    tree_json = None
    if report.allocations:
        tree = reward_tree([RewardLeaf(a.index, a.account, a.amount_wei) for a in report.allocations])
        tree_json = canonical_dump(tree.dump())
    log.info(
        "epoch scored",
        extra={
            "epoch": record.epoch,
            "slice": slice_index,
            "allocations": len(report.allocations),
            "root": report.merkle_root,
            "funded_wei": str(funded_total(report)),
            "carried_out_wei": str(report.unallocated_wei),
        },
    )
    return ctx.update(
        record,
        report_json=canonical_json(report),
        tree_json=tree_json,
        champion_after=report.champion_after,
        slice_index=slice_index,
        step=Step.SCORED,
        note=None,
    )


def canonical_dump(data: Any) -> str:
    """JSON with sorted keys and no whitespace: the same dump always pins to the same CID."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def report_of(record: EpochRecord) -> EpochReport:
    if record.report_json is None:
        raise RuntimeError(f"epoch {record.epoch} has no report yet")
    return report_from_json(record.report_json)


# -- 4a. reveal the epoch's hidden slice on chain, then publish it ----------------------------------


def reveal_slice(ctx: Context, record: EpochRecord) -> EpochRecord:
    """Reveals the slice the epoch was scored on (once) and only then puts its bytes, and the answers
    and gold derived from it, in the store: before this, nothing of them is served anywhere."""
    if record.slice_index is None:
        return ctx.update(record, step=Step.SLICE_REVEALED)
    resume_transactions(ctx, record)
    hidden = hidden_slice(ctx, record.slice_index)
    registry = ctx.contracts.registry.functions
    pid = ctx.project.project_id

    def revealed() -> bool:
        return bool(read_struct(registry.epochSlice(pid, record.epoch))["revealed"])

    if not revealed():
        slice_cid = compute_artifact_cid(hidden.data)
        slices = load_slice_set(ctx.project.slices_path) if ctx.project.slices_path else None
        assert slices is not None  # hidden_slice() refused a project without slices
        call = registry.revealSlice(
            pid, record.epoch, hidden.content_hash, hidden.salt, slice_cid, slices.proof(record.slice_index)
        )
        if ctx.sender is None:
            return _dry(ctx, record, f"revealSlice {record.slice_index}", call)
        ctx.sender.send(record.epoch, f"reveal slice {record.slice_index}", call, already_done=revealed)
    _, items = _local_input(ctx, ctx.project.label_items_path)
    answers, gold = split_slice(hidden.data, label_item_ids(items))
    for data in (hidden.data, answers, gold):
        if data is not None:
            ctx.store.put(data, pin=True)
    log.info("hidden slice revealed", extra={"epoch": record.epoch, "slice": record.slice_index})
    return ctx.update(record, step=Step.SLICE_REVEALED)


# -- 4b. pin the report and the tree dump -----------------------------------------------------------


def pin(ctx: Context, record: EpochRecord) -> EpochRecord:
    assert record.report_json is not None
    report_cid = ctx.store.put(record.report_json.encode(), pin=True)
    tree_cid = ctx.store.put(record.tree_json.encode(), pin=True) if record.tree_json else None
    log.info("report pinned", extra={"epoch": record.epoch, "report_cid": report_cid, "tree_cid": tree_cid})
    return ctx.update(record, report_cid=report_cid, tree_cid=tree_cid, step=Step.PINNED)


# -- 5. attest the scores in batches -----------------------------------------------------------------


def _unattested(ctx: Context, verdicts: list[Verdict]) -> list[Verdict]:
    attestation = ctx.contracts.registry.functions.attestation
    return [v for v in verdicts if not read_struct(attestation(v.contribution_id))["attested"]]


def _unforfeited(ctx: Context, record: EpochRecord) -> list[dict[str, Any]]:
    """The epoch's unrevealed commits whose bonds are still held (none when the epoch had no bond)."""
    registry = ctx.contracts.registry.functions
    if not record.unrevealed or registry.bondFor(ctx.project.project_id, record.epoch).call() == 0:
        return []
    committed = 1  # IContributionRegistry.Status.COMMITTED
    return [
        c
        for c in record.unrevealed
        if int(read_struct(registry.contribution(int(c["contribution_id"])))["status"]) == committed
    ]


def resume_transactions(ctx: Context, record: EpochRecord) -> None:
    """Follows every transaction a crash left unsettled before anything new is sent."""
    if ctx.sender is None:
        return
    for tx in ctx.journal.transactions(record.chain_id, record.epoch, status=TxStatus.MINED):
        if tx.block_number is not None and not canonical(ctx.w3, tx.block_number, tx.block_hash):
            # its block was reorganized away: the same signed bytes go out again (same nonce, so
            # they cannot land twice); the step's own chain check decides what else is needed
            log.warning(
                "a mined transaction was reorganized away",
                extra={"epoch": record.epoch, "purpose": tx.purpose, "tx_hash": tx.mined_hash},
            )
            ctx.journal.reopen_tx(tx.id)
    for tx in ctx.journal.transactions(record.chain_id, record.epoch, status=TxStatus.PENDING):
        ctx.sender.follow(tx)


def _dry(ctx: Context, record: EpochRecord, what: str, call: Any) -> EpochRecord:
    sender = ctx.contracts.deployment.config.get("rewards", {}).get("oracle") or ctx.contracts.timelock.address
    problem = simulate(call, sender)
    log.warning(
        "dry mode: not sending",
        extra={"epoch": record.epoch, "would_send": what, "simulated_as": sender, "simulation": problem or "ok"},
    )
    raise Waiting(f"dry mode: {what} not sent (no signer configured)")


def attest(ctx: Context, record: EpochRecord) -> EpochRecord:
    assert record.report_cid is not None
    resume_transactions(ctx, record)
    registry = ctx.contracts.registry.functions
    remaining = _unattested(ctx, contribution_verdicts(report_of(record)))
    total_batches = -(-len(remaining) // ctx.settings.attest_batch_size)
    for done, batch in enumerate(batches(remaining, ctx.settings.attest_batch_size), start=1):
        ids = [v.contribution_id for v in batch]
        call = registry.attestScores(ids, [v.score_units for v in batch], [v.valid for v in batch], record.report_cid)
        if ctx.sender is None:
            return _dry(ctx, record, f"attestScores of {len(ids)} contributions", call)

        def already_attested(batch: list[Verdict] = batch) -> bool:
            return not _unattested(ctx, batch)

        ctx.sender.send(record.epoch, f"attest {ids[0]}..{ids[-1]}", call, already_done=already_attested)
        ctx.progress("attesting", done, total_batches)
    if _unattested(ctx, contribution_verdicts(report_of(record))):
        raise Waiting(f"epoch {record.epoch}: attestations not all on chain yet")
    forfeits = _unforfeited(ctx, record)
    if forfeits:
        items = [
            (int(c["contribution_id"]), c["contributor"], int(c["project_id"]), int(c["epoch"]), c["commitment"])
            for c in forfeits
        ]
        call = registry.forfeitUnrevealed(items)
        if ctx.sender is None:
            return _dry(ctx, record, f"forfeitUnrevealed of {len(items)} commits", call)
        ctx.sender.send(record.epoch, "forfeit unrevealed", call, already_done=lambda: not _unforfeited(ctx, record))
    return ctx.update(record, step=Step.ATTESTED)


# -- 6. open the funding proposal -------------------------------------------------------------------


def _proposal(ctx: Context, record: EpochRecord) -> Proposal | None:
    """The epoch's proposal: built once, journaled before it is sent, the same after any restart
    (its id hashes every byte of it, the claim deadline included)."""
    if record.proposal is not None:
        return proposal_from_json(record.proposal)
    report = report_of(record)
    total = funded_total(report)
    if total == 0:
        return None
    found = _proposal_on_chain(ctx, record)
    if found is not None:  # the journal was lost or restored from an old copy: the chain knows
        log.warning(
            "found the epoch's proposal on chain, not in the journal",
            extra={"epoch": record.epoch, "proposal_id": str(found.proposal_id)},
        )
        ctx.update(record, proposal=proposal_to_json(found), proposal_id=str(found.proposal_id))
        return found
    governor, timelock = ctx.contracts.governor.functions, ctx.contracts.timelock.functions
    now = int(ctx.w3.eth.get_block("latest")["timestamp"])
    governance_seconds = governor.votingDelay().call() + governor.votingPeriod().call() + timelock.getMinDelay().call()
    proposal = _build_proposal(ctx, record, now + governance_seconds + ctx.settings.claim_window_seconds)
    ctx.update(record, proposal=proposal_to_json(proposal), proposal_id=str(proposal.proposal_id))
    return proposal


def _build_proposal(ctx: Context, record: EpochRecord, claim_deadline: int) -> Proposal:
    report = report_of(record)
    return funding_proposal(
        token=ctx.contracts.token.address,
        distributor=ctx.contracts.distributor.address,
        project_id=ctx.project.project_id,
        epoch=record.epoch,
        merkle_root=report.merkle_root,
        total=funded_total(report),
        report_cid=str(record.report_cid),
        claim_deadline=claim_deadline,
        proposer=ctx.proposer,
        attempt=record.proposal_attempt,
    )


_GONE = (ProposalState.CANCELED, ProposalState.DEFEATED, ProposalState.EXPIRED)


def _proposal_on_chain(ctx: Context, record: EpochRecord) -> Proposal | None:
    """This attempt's funding proposal already on chain (the journal was lost), if there is one: only
    the oracle can have made it (its description ends with `#proposer=<oracle>`), and only the exact
    proposal the oracle builds counts."""
    governor = ctx.contracts.governor
    for event in governor.events.ProposalCreated().get_logs(from_block=record.to_block):
        args = event["args"]
        said = parse_fund_epoch_description(args["description"])
        if (
            said is None
            or (said.project_id, said.epoch, said.report_cid, said.attempt)
            != (ctx.project.project_id, record.epoch, record.report_cid, record.proposal_attempt)
            or said.proposer.lower() != ctx.proposer.lower()
            or len(args["calldatas"]) != 2
        ):
            continue
        fund = decode_fund_epoch(bytes(args["calldatas"][1]))
        if fund is None:
            continue
        try:
            ours = _build_proposal(ctx, record, fund.claim_deadline)
        except ValueError:
            continue
        if ours.proposal_id == int(args["proposalId"]):
            return ours
    return None


def _funded_root(ctx: Context, epoch: int) -> bytes:
    key = epoch_key(ctx.project.project_id, epoch)
    return bytes(read_struct(ctx.contracts.distributor.functions.epoch(key))["root"])


def propose(ctx: Context, record: EpochRecord) -> EpochRecord:
    resume_transactions(ctx, record)
    if _unattested(ctx, contribution_verdicts(report_of(record))):
        log.warning("attestations missing on chain (reorg?): attesting again", extra={"epoch": record.epoch})
        return ctx.update(record, step=Step.PINNED)
    proposal = _proposal(ctx, record)
    if proposal is None:
        log.info("nothing to fund: no allocation", extra={"epoch": record.epoch})
        return ctx.update(record, step=Step.NOTHING_TO_FUND)
    governor = ctx.contracts.governor.functions
    call = governor.propose(*proposal.propose_args())
    if ctx.sender is None:
        return _dry(ctx, record, "propose", call)
    ctx.sender.send(
        record.epoch, "propose", call, already_done=lambda: governor.proposalSnapshot(proposal.proposal_id).call() != 0
    )
    log.info("proposal on chain", extra={"epoch": record.epoch, "proposal_id": str(proposal.proposal_id)})
    return ctx.update(record, step=Step.PROPOSED)


# -- 7. follow the proposal: queue once passed, execute once the delay is over ------------------------


def follow(ctx: Context, record: EpochRecord) -> EpochRecord:
    resume_transactions(ctx, record)
    assert record.proposal is not None
    proposal = proposal_from_json(record.proposal)
    governor = ctx.contracts.governor.functions
    if governor.proposalSnapshot(proposal.proposal_id).call() == 0:
        log.warning("the proposal is no longer on chain (reorg?): proposing again", extra={"epoch": record.epoch})
        return ctx.update(record, step=Step.ATTESTED)
    state_of = lambda: ProposalState(governor.state(proposal.proposal_id).call())  # noqa: E731
    state = state_of()
    if state in (ProposalState.PENDING, ProposalState.ACTIVE):
        raise Waiting(f"epoch {record.epoch}: proposal {state.name.lower()}")
    if state in _GONE:
        if record.proposal_attempt >= ctx.settings.max_proposal_attempts:
            log.warning(
                "proposal did not pass; no attempts left",
                extra={"epoch": record.epoch, "state": state.name, "attempt": record.proposal_attempt},
            )
            return ctx.update(record, step=Step.DEFEATED)
        # the epoch, not the proposal, is what must be funded once: propose again as the next attempt
        # (a new description, so a new id)
        log.warning(
            "proposal did not pass; proposing again",
            extra={"epoch": record.epoch, "state": state.name, "next_attempt": record.proposal_attempt + 1},
        )
        return ctx.update(
            record,
            proposal=None,
            proposal_id=None,
            proposal_attempt=record.proposal_attempt + 1,
            step=Step.ATTESTED,
            note=f"attempt {record.proposal_attempt} was {state.name.lower()}",
        )
    if ctx.sender is None and state is not ProposalState.EXECUTED:
        raise Waiting(f"dry mode: proposal {state.name.lower()}, not queued or executed here")
    if state is ProposalState.SUCCEEDED:
        assert ctx.sender is not None
        ctx.sender.send(
            record.epoch,
            "queue",
            governor.queue(*proposal.lifecycle_args()),
            already_done=lambda: state_of() in (ProposalState.QUEUED, ProposalState.EXECUTED),
        )
        return ctx.update(record, step=Step.QUEUED)
    if state is ProposalState.QUEUED:
        assert ctx.sender is not None
        if record.current_step is not Step.QUEUED:
            record = ctx.update(record, step=Step.QUEUED)
        eta = governor.proposalEta(proposal.proposal_id).call()
        now = int(ctx.w3.eth.get_block("latest")["timestamp"])
        if now < eta:
            raise Waiting(f"epoch {record.epoch}: timelock delay until {eta} (now {now})")
        ctx.sender.send(
            record.epoch,
            "execute",
            governor.execute(*proposal.lifecycle_args()),
            already_done=lambda: state_of() is ProposalState.EXECUTED,
        )
    if _funded_root(ctx, record.epoch) != to_bytes(hexstr=report_of(record).merkle_root):
        raise EpochBlocked(f"epoch {record.epoch}: executed, but the distributor holds another root")
    log.info("epoch funded", extra={"epoch": record.epoch, "report_cid": record.report_cid})
    return ctx.update(record, step=Step.EXECUTED)
