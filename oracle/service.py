"""The oracle service: one loop class that owns timing and finality and runs each epoch's steps
(steps.py) in order. Every step is idempotent and checked against the chain, so the service can be
killed at any point and started again: it finishes the epoch with one report, one set of
attestations and one proposal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from dao.artifacts import ArtifactStore, StoreUnavailableError, open_artifact_store
from dao.chain import RpcUnavailableError, connect, load_contracts
from dao.deployments import load_deployment
from oracle.hidden import HiddenSlicesError
from oracle.reads import safe_head
from oracle.scoring.epoch import EpochInputError
from oracle.settings import Settings
from oracle.state import EpochRecord, Journal, Step
from oracle.steps import (
    Context,
    EpochBlocked,
    Waiting,
    attest,
    collect,
    follow,
    pin,
    propose,
    reorged,
    restart_after_reorg,
    reveal_slice,
    score,
)
from oracle.transactions import TxRevertedError, TxSender, TxSimulationError

log = logging.getLogger("oracle.service")

ProgressCallback = Callable[[str, int, int], None]

_STEPS = {
    Step.NEW: collect,
    Step.COLLECTED: score,
    Step.SCORED: reveal_slice,
    Step.SLICE_REVEALED: pin,
    Step.PINNED: attest,
    Step.ATTESTED: propose,
    Step.PROPOSED: follow,
    Step.QUEUED: follow,
}
# Before these steps the epoch's last block must still be the one its submissions were read at.
_REORG_CHECKED = {Step.COLLECTED, Step.SCORED, Step.SLICE_REVEALED, Step.PINNED, Step.ATTESTED}

# Faults a person must fix (settings, hidden answers, a call the chain refuses): the epoch stops
# with the reason in the journal, and `close-epoch` exits with it.
BLOCKING_ERRORS = (EpochBlocked, HiddenSlicesError, EpochInputError, TxSimulationError, TxRevertedError)
# Faults that pass (node or store down beyond the retry window): the loop tries again later.
TRANSIENT_ERRORS = (RpcUnavailableError, StoreUnavailableError, TimeoutError)


class OracleService:
    """Turns each closed epoch into a report, attestations and an executed funding proposal."""

    def __init__(
        self,
        settings: Settings,
        *,
        progress: ProgressCallback | None = None,
        store: ArtifactStore | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.settings = settings
        project = settings.require_project()
        signer = settings.signer()
        self.w3 = connect(
            settings.rpc_url,
            timeout=settings.rpc_timeout_seconds,
            retry_seconds=settings.rpc_retry_seconds,
            backoff_seconds=settings.rpc_backoff_seconds,
            max_backoff_seconds=settings.rpc_max_backoff_seconds,
        )
        deployment = load_deployment(settings.deployment)
        contracts = load_contracts(self.w3, deployment)
        self.chain_id = deployment.chain_id
        self.journal = journal or Journal(settings.database_url)
        self.store = store or open_artifact_store(settings.artifacts)
        sender = None
        if signer is not None:
            sender = TxSender(
                self.w3,
                signer,
                self.journal,
                self.chain_id,
                stuck_seconds=settings.tx_stuck_seconds,
                fee_bump_percent=settings.tx_fee_bump_percent,
                max_fee_wei=settings.tx_max_fee_wei,
            )
        first_block = deployment.contracts["registry"].block_number
        self.ctx = Context(
            settings=settings,
            project=project,
            w3=self.w3,
            chain_id=self.chain_id,
            contracts=contracts,
            journal=self.journal,
            store=self.store,
            sender=sender,
            first_block=first_block,
            progress=progress or (lambda what, done, total: None),
        )
        if sender is None:
            log.warning(
                "dry mode: no signer configured; reading, scoring and pinning only, nothing is sent",
                extra={"chain_id": self.chain_id},
            )
        else:
            log.info(
                "oracle ready",
                extra={
                    "chain_id": self.chain_id,
                    "signer": sender.address,
                    "project_id": project.project_id,
                    "first_block": first_block,
                },
            )

    @property
    def dry_run(self) -> bool:
        return self.ctx.sender is None

    def close(self) -> None:
        self.store.close()
        self.journal.close()

    # -- one epoch ---------------------------------------------------------------------------

    def advance(self, epoch: int) -> EpochRecord:
        """Runs the epoch's steps as far as they go now; returns the journal record, finished or
        waiting (its `note` says for what). Raises one of BLOCKING_ERRORS, recorded in the note."""
        # the epoch's events are read from the registry's deployment on; to_block becomes the final
        # block they were read at
        record = self.journal.open_epoch(
            self.chain_id,
            epoch,
            project_id=self.ctx.project.project_id,
            from_block=self.ctx.first_block,
            to_block=self.ctx.first_block,
        )
        while not record.current_step.finished:
            step = record.current_step
            if step in _REORG_CHECKED and reorged(self.ctx, record):
                record = restart_after_reorg(self.ctx, record)
                continue
            try:
                record = _STEPS[step](self.ctx, record)
            except Waiting as waiting:
                return self.journal.update_epoch(self.chain_id, epoch, note=f"waiting: {waiting}")
            except BLOCKING_ERRORS as error:
                self.journal.update_epoch(self.chain_id, epoch, note=f"blocked: {error}")
                log.error("epoch blocked", extra={"epoch": epoch, "step": step.value, "error": str(error)})
                raise
            if record.current_step is not step:
                log.info("step done", extra={"epoch": epoch, "step": record.current_step.value})
        return self.journal.update_epoch(self.chain_id, epoch, note=None)

    def close_epoch(self, epoch: int, *, wait: bool = True, stop: threading.Event | None = None) -> EpochRecord:
        """Advances the epoch until it is finished (or, with wait=False, as far as it goes now)."""
        stop = stop or threading.Event()
        while True:
            try:
                record = self.advance(epoch)
            except TRANSIENT_ERRORS as error:
                log.warning("transient fault, trying again", extra={"epoch": epoch, "error": str(error)})
                if stop.wait(self.settings.poll_interval_seconds):
                    raise
                continue
            dry_mode_stop = self.dry_run and (record.note or "").startswith("waiting: dry mode")
            if record.current_step.finished or not wait or dry_mode_stop:
                return record
            if stop.wait(self.settings.poll_interval_seconds):
                return record

    # -- the loop ----------------------------------------------------------------------------

    def last_closed_epoch(self) -> int:
        """The newest epoch of the project whose reveal window closed by the final head's time (-1: none)."""
        head = safe_head(self.w3, self.settings.finality, self.settings.confirmations)
        closed = self.ctx.clock().last_closed(int(self.w3.eth.get_block(head)["timestamp"]))
        return -1 if closed is None else closed

    def tick(self) -> list[EpochRecord]:
        """One pass: every closed epoch not finished yet is advanced, oldest first."""
        closed = self.last_closed_epoch()
        known = {r.epoch: r for r in self.journal.epochs(self.chain_id)}
        advanced = []
        for epoch in range(closed + 1):
            if epoch in known and known[epoch].current_step.finished:
                continue
            try:
                advanced.append(self.advance(epoch))
            except BLOCKING_ERRORS:
                break  # later epochs need this one's champion; the note says what is wrong
        return advanced

    def run(self, stop: threading.Event | None = None) -> None:
        """Ticks every poll interval until `stop` is set; faults are logged and retried."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                self.tick()
            except TRANSIENT_ERRORS as error:
                log.warning("transient fault, trying again", extra={"error": str(error)})
            stop.wait(self.settings.poll_interval_seconds)
