"""The chain indexer: backfills the deployment's events in large `eth_getLogs` ranges, then
follows the head; reorg-safe and idempotent.

- Ranges start at `max_range` blocks and are halved whenever the provider refuses one (too many
  results, a timeout), down to a single block.
- Each range is stored in one transaction together with the cursor, so a crash or a restart
  resumes after the last whole range, and re-running a range inserts nothing new.
- Before each range the cursor's block hash is compared with the chain; if it changed, the
  indexer walks back over the stored block hashes to the common ancestor, deletes every row above
  it and re-ingests from there.
- Logs are fetched as raw JSON-RPC results and decoded in bulk (`api.indexer.decoding`).
- After the ranges, funded epochs not verified yet are checked (`api.indexer.verification`);
  those whose artifacts were unavailable are tried again at most every `VERIFY_RETRY_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from api import models as m
from api.indexer.decoding import INDEXED_EVENTS, LogDecoder
from api.indexer.ingest import (
    ingest_events,
    load_epoch_report,
    record_blocks,
    rollback_above,
)
from api.indexer.verification import verify_epochs
from dao.artifacts.store import ArtifactStore
from dao.deployments import Deployment

log = logging.getLogger("api.indexer")

VERIFY_RETRY_SECONDS = 30.0  # how often epochs whose verification was unavailable are tried again


class RpcError(RuntimeError):
    """The node answered a JSON-RPC error."""


class RangeRefused(RpcError):
    """The node refused a getLogs range (too many results, too long, timed out)."""


@dataclass
class IndexerStats:
    ranges: int = 0
    events: int = 0
    refusals: int = 0
    reorgs: int = 0
    rolled_back_rows: int = 0


class Indexer:
    """Indexes one deployment into one database."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        sessions: sessionmaker[Session],
        store: ArtifactStore,
        *,
        max_range: int = 10_000,
        confirmations: int = 0,
    ) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.sessions = sessions
        self.store = store
        self.max_range = max_range
        self.confirmations = confirmations
        self.decoder = LogDecoder({key: deployment.address(key) for key in INDEXED_EVENTS})
        self.start_block = min(deployment.contracts[key].block_number for key in INDEXED_EVENTS)
        self.chain_id = deployment.chain_id
        self.stats = IndexerStats()
        self._range = max_range
        self._verify_retried: float | None = None  # monotonic time of the last retry of unavailable epochs

    # -- JSON-RPC, raw --------------------------------------------------------------------------

    def _call(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            raise RpcError(f"{method}: {response['error']}")
        return response["result"]

    def head(self) -> int:
        return int(self._call("eth_blockNumber", []), 16)

    def block_hash(self, number: int) -> str | None:
        header = self.block_header(number)
        return None if header is None else header[0]

    def block_header(self, number: int) -> tuple[str, int] | None:
        """The block's hash and timestamp, or None when the node has no such block."""
        block = self._call("eth_getBlockByNumber", [hex(number), False])
        return None if block is None else (block["hash"].lower(), int(block["timestamp"], 16))

    def get_logs(self, from_block: int, to_block: int) -> list[dict[str, Any]]:
        try:
            return self._call(
                "eth_getLogs",
                [
                    {
                        "fromBlock": hex(from_block),
                        "toBlock": hex(to_block),
                        "address": self.decoder.addresses,
                        "topics": [self.decoder.topics],
                    }
                ],
            )
        except RpcError as exc:
            raise RangeRefused(str(exc)) from exc
        except (OSError, ValueError) as exc:  # timeouts, oversized answers cut by a proxy
            raise RangeRefused(f"eth_getLogs {from_block}-{to_block}: {exc}") from exc

    # -- one cycle ------------------------------------------------------------------------------

    def cursor(self, session: Session) -> m.IndexerCursor | None:
        return session.get(m.IndexerCursor, self.chain_id)

    def run_once(self, *, max_ranges: int | None = None) -> int:
        """Checks for a reorg, then indexes up to the head (or `max_ranges` ranges); returns the
        number of ranges stored."""
        target = self.head() - self.confirmations
        self.retry_missing_reports()
        self.handle_reorg()
        done = 0
        while max_ranges is None or done < max_ranges:
            with self.sessions() as session:
                cursor = self.cursor(session)
                next_block = self.start_block if cursor is None else cursor.block_number + 1
            if next_block > target:
                break
            self.index_range(next_block, min(target, next_block + self._range - 1))
            done += 1
        self.verify_epochs()
        return done

    def index_range(self, from_block: int, to_block: int) -> None:
        """Fetches, decodes and stores one range (halving it while the node refuses)."""
        if self._parent_changed(from_block):
            self.handle_reorg()  # the chain moved under the cursor since the cycle's check
            return
        while True:
            before = self.block_hash(to_block)
            try:
                logs = self.get_logs(from_block, to_block)
            except RangeRefused as exc:
                if to_block == from_block:
                    raise
                self.stats.refusals += 1
                to_block = from_block + (to_block - from_block + 1) // 2 - 1
                self._range = to_block - from_block + 1
                log.info(
                    "range refused, halving",
                    extra={"from_block": from_block, "range": self._range, "error": str(exc)[:200]},
                )
                continue
            end = self.block_header(to_block)
            if end is None:
                raise RpcError(f"block {to_block} vanished while indexing (reorg); retrying next cycle")
            end_hash, end_time = end
            if end_hash == before:
                break
            # The range's last block changed while its logs were read: they may be another fork's.
            log.warning("reorg during a range, reading it again", extra={"to_block": to_block})
        events = self.decoder.decode_all(logs)
        with self.sessions.begin() as session:
            cursor = self.cursor(session)
            if cursor is not None and cursor.block_number >= to_block:
                return  # another process got here first; nothing to redo
            ingest_events(session, self.store, events)
            record_blocks(session, {to_block: (end_hash, end_time)})  # its time is the API's "now"
            if cursor is None:
                session.add(m.IndexerCursor(chain_id=self.chain_id, block_number=to_block, block_hash=end_hash))
            else:
                cursor.block_number, cursor.block_hash = to_block, end_hash
        self.stats.ranges += 1
        self.stats.events += len(events)
        if self._range < self.max_range:
            self._range = min(self.max_range, self._range * 2)  # grow back after a refusal
        log.info("indexed range", extra={"from_block": from_block, "to_block": to_block, "events": len(events)})

    def _parent_changed(self, from_block: int) -> bool:
        with self.sessions() as session:
            cursor = self.cursor(session)
        if cursor is None or cursor.block_number != from_block - 1:
            return False
        block = self._call("eth_getBlockByNumber", [hex(from_block), False])
        return block is not None and block["parentHash"].lower() != cursor.block_hash

    def handle_reorg(self) -> int | None:
        """Rolls back to the common ancestor if the cursor's block is no longer canonical;
        returns the ancestor, or None when nothing changed."""
        with self.sessions() as session:
            cursor = self.cursor(session)
            if cursor is None or self.block_hash(cursor.block_number) == cursor.block_hash:
                return None
            ancestor = self.start_block - 1
            ancestor_hash = ""
            for block in session.scalars(
                select(m.IndexedBlock)
                .where(m.IndexedBlock.number < cursor.block_number)
                .order_by(m.IndexedBlock.number.desc())
            ):
                if self.block_hash(block.number) == block.hash:
                    ancestor, ancestor_hash = block.number, block.hash
                    break
        with self.sessions.begin() as session:
            deleted = rollback_above(session, ancestor)
            cursor = self.cursor(session)
            assert cursor is not None
            if ancestor < self.start_block:
                session.delete(cursor)
            else:
                cursor.block_number, cursor.block_hash = ancestor, ancestor_hash
        self.stats.reorgs += 1
        self.stats.rolled_back_rows += deleted
        log.warning("reorg: rolled back", extra={"ancestor": ancestor, "deleted_rows": deleted})
        return ancestor

    def retry_missing_reports(self) -> None:
        """Epochs whose report was not in the store when they were funded get another try."""
        with self.sessions.begin() as session:
            for epoch in session.scalars(select(m.Epoch).where(m.Epoch.report_status == "missing")):
                load_epoch_report(session, self.store, epoch)

    def verify_epochs(self) -> None:
        """Verifies the funded epochs not verified yet, and retries the unavailable ones when
        VERIFY_RETRY_SECONDS have passed since the last retry. Never raises for a failed check."""
        now = time.monotonic()
        retry = self._verify_retried is None or now - self._verify_retried >= VERIFY_RETRY_SECONDS
        if retry:
            self._verify_retried = now
        verify_epochs(self.sessions, self.store, self.chain_id, retry_unavailable=retry)

    def follow(
        self, stop: threading.Event, *, poll_seconds: float = 2.0, on_error: Callable[[Exception], None] | None = None
    ) -> None:
        """Indexes until `stop` is set, polling for new blocks."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception as exc:  # a node hiccup must not end the follower; it is logged and retried
                log.exception("indexing cycle failed")
                if on_error is not None:
                    on_error(exc)
            stop.wait(poll_seconds)
