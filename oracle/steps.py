"""The seven steps of one epoch. Each reads the journal and the chain, does its work only when the
chain does not already hold it, and records its result; running a step twice does nothing the
second time. `OracleService` (service.py) decides when each one runs."""

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
from dao.chain import OpenMeritContracts, read_struct
from dao.merkle import RewardLeaf, reward_tree
from dao.proposals import Proposal, ProposalState, decode_fund_epoch, parse_fund_epoch_description
from oracle.funding import funding_proposal, proposal_from_json, proposal_to_json
from oracle.hidden import load_hidden_answers
from oracle.plan import (
    batches,
    contribution_scores,
    epoch_blocks,
    epoch_inputs,
    funded_total,
)
from oracle.reads import block_hash, canonical, read_submissions, safe_head
from oracle.scoring.epoch import score_epoch
from oracle.scoring.report import EpochReport, canonical_json, report_from_json
from oracle.settings import ProjectConfig, Settings
from oracle.state import EpochRecord, Journal, Step, TxStatus
from oracle.transactions import TxSender, simulate

log = logging.getLogger("oracle.steps")


class Waiting(Exception):
    """The step cannot finish yet (blocks not final, voting open, timelock delay); try later."""


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
    first_block: int
    progress: Callable[[str, int, int], None]  # (what, done, total)

    def blocks(self, epoch: int) -> tuple[int, int]:
        found = epoch_blocks(self.first_block, self.settings.schedule.length_blocks, epoch)
        return found.first, found.last

    def update(self, record: EpochRecord, **fields: Any) -> EpochRecord:
        return self.journal.update_epoch(record.chain_id, record.epoch, **fields)


# -- 1. read the epoch's submissions at finality --------------------------------------------------


def collect(ctx: Context, record: EpochRecord) -> EpochRecord:
    head = safe_head(ctx.w3, ctx.settings.finality, ctx.settings.confirmations)
    if record.to_block > head:
        raise Waiting(f"epoch {record.epoch} ends at block {record.to_block}; the final head is {head}")
    found = read_submissions(ctx.contracts.registry, ctx.project.project_id, record.from_block, record.to_block)
    last_hash = block_hash(ctx.w3, record.to_block)
    log.info(
        "submissions read",
        extra={
            "epoch": record.epoch,
            "submissions": len(found),
            "from_block": record.from_block,
            "to_block": record.to_block,
        },
    )
    return ctx.update(
        record, submissions=[s.as_json() for s in found], to_block_hash=last_hash, step=Step.COLLECTED, note=None
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


def score(ctx: Context, record: EpochRecord) -> EpochRecord:
    project = ctx.project
    answers_cid = None
    artifacts: dict[str, bytes] = {}
    if project.answers_path is not None:
        try:
            committed = read_struct(ctx.contracts.registry.functions.project(project.project_id))["answersCommitment"]
        except ContractLogicError:
            raise EpochBlocked(f"project {project.project_id} is not registered in the registry") from None
        answers = load_hidden_answers(project.answers_path, committed)
        answers_cid = ctx.store.put(answers.data, pin=True)
        artifacts[answers_cid] = answers.data
    champion_cid, champion = _champion_entering(ctx, record)
    items_cid, items = _local_input(ctx, project.label_items_path)
    gold_cid, gold = _local_input(ctx, project.gold_path)
    for cid, data in ((champion_cid, champion), (items_cid, items), (gold_cid, gold)):
        if cid is not None and data is not None:
            artifacts[cid] = data
    submissions = record.submissions or []
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
            "allocations": len(report.allocations),
            "root": report.merkle_root,
            "funded_wei": str(funded_total(report)),
        },
    )
    return ctx.update(
        record,
        report_json=canonical_json(report),
        tree_json=tree_json,
        champion_after=report.champion_after,
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


# -- 4. pin the report and the tree dump ------------------------------------------------------------


def pin(ctx: Context, record: EpochRecord) -> EpochRecord:
    assert record.report_json is not None
    report_cid = ctx.store.put(record.report_json.encode(), pin=True)
    tree_cid = ctx.store.put(record.tree_json.encode(), pin=True) if record.tree_json else None
    log.info("report pinned", extra={"epoch": record.epoch, "report_cid": report_cid, "tree_cid": tree_cid})
    return ctx.update(record, report_cid=report_cid, tree_cid=tree_cid, step=Step.PINNED)


# -- 5. attest the scores in batches -----------------------------------------------------------------


def _unattested(ctx: Context, scores: list[tuple[int, int]]) -> list[tuple[int, int]]:
    attestation = ctx.contracts.registry.functions.attestation
    return [(cid, value) for cid, value in scores if not read_struct(attestation(cid))["attested"]]


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
    remaining = _unattested(ctx, contribution_scores(report_of(record)))
    total_batches = -(-len(remaining) // ctx.settings.attest_batch_size)
    for done, batch in enumerate(batches(remaining, ctx.settings.attest_batch_size), start=1):
        ids, values = [c for c, _ in batch], [v for _, v in batch]
        call = registry.attestScores(ids, values, record.report_cid)
        if ctx.sender is None:
            return _dry(ctx, record, f"attestScores of {len(ids)} contributions", call)

        def already_attested(ids: list[int] = ids) -> bool:
            return not _unattested(ctx, [(i, 0) for i in ids])

        ctx.sender.send(record.epoch, f"attest {ids[0]}..{ids[-1]}", call, already_done=already_attested)
        ctx.progress("attesting", done, total_batches)
    if _unattested(ctx, contribution_scores(report_of(record))):
        raise Waiting(f"epoch {record.epoch}: attestations not all on chain yet")
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
        epoch=record.epoch,
        merkle_root=report.merkle_root,
        total=funded_total(report),
        report_cid=str(record.report_cid),
        claim_deadline=claim_deadline,
    )


_GONE = (ProposalState.CANCELED, ProposalState.DEFEATED, ProposalState.EXPIRED)


def _proposal_on_chain(ctx: Context, record: EpochRecord) -> Proposal | None:
    """A live funding proposal for this epoch and report already on chain (ProposalCreated since
    the epoch ended, its description naming the epoch and the report CID), if there is one."""
    governor = ctx.contracts.governor
    wanted = (record.epoch, record.report_cid)
    for event in governor.events.ProposalCreated().get_logs(from_block=record.to_block):
        args = event["args"]
        if parse_fund_epoch_description(args["description"]) != wanted or len(args["calldatas"]) != 2:
            continue
        fund = decode_fund_epoch(bytes(args["calldatas"][1]))
        if fund is None:
            continue
        try:  # anyone may propose with this description: only the exact proposal the oracle builds counts
            ours = _build_proposal(ctx, record, fund.claim_deadline)
        except ValueError:
            continue
        if ours.proposal_id != int(args["proposalId"]):
            continue
        if ProposalState(governor.functions.state(ours.proposal_id).call()) not in _GONE:
            return ours
    return None


def _funded_root(ctx: Context, epoch: int) -> bytes:
    return bytes(read_struct(ctx.contracts.distributor.functions.epoch(epoch))["root"])


def propose(ctx: Context, record: EpochRecord) -> EpochRecord:
    resume_transactions(ctx, record)
    if _unattested(ctx, contribution_scores(report_of(record))):
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
    if state in (ProposalState.DEFEATED, ProposalState.CANCELED, ProposalState.EXPIRED):
        log.warning("proposal did not pass", extra={"epoch": record.epoch, "state": state.name})
        return ctx.update(record, step=Step.DEFEATED)
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
