"""Shared pieces of the oracle service suites: a benchmark with contributions of known quality,
settings for a service pointed at a test chain, and a world that drives an epoch from the chain side."""

from __future__ import annotations

import io
import json
import random
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from dao.artifacts import EmbeddedStore
from dao.artifacts.store import compute_artifact_cid
from dao.commitments import contribution_commitment, new_salt
from dao.merkle import StandardMerkleTree
from dao.proposals import Proposal
from dao.slices import SliceSet
from dao.vocabulary import ContributionKind
from oracle.funding import proposal_from_json
from oracle.hidden import write_slice_manifest
from oracle.scoring.report import EpochReport, report_from_json
from oracle.settings import Settings, load_settings
from oracle.state import EpochRecord, Journal
from tests.helpers import advance_to, free_port, latest_timestamp, register_project

# anvil's well-known account 7: holds the registry's ORACLE_ROLE in tests/contracts/deploy-test.json
ORACLE_KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"
COMMIT_WINDOW = 600  # seconds: the tests move anvil's clock through each window
REVEAL_WINDOW = 600
SLICES = 5
CONFIRMATIONS = 2


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@dataclass(frozen=True)
class Workload:
    """Hidden answers, a baseline champion and predictions of known accuracy."""

    answers: bytes
    champion: bytes
    predictions: dict[str, bytes]  # name -> artifact bytes

    @classmethod
    def make(cls, items: int, seed: int) -> Workload:
        truth = np.random.default_rng(seed).integers(0, 2, items)

        def with_accuracy(accuracy: float, salt: int) -> bytes:
            rng = np.random.default_rng(seed + salt)
            return npy(np.where(rng.random(items) < accuracy, truth, 1 - truth))

        answers = ("id,answer\n" + "".join(f"q{i},{'ny'[t]}\n" for i, t in enumerate(truth))).encode()
        return cls(
            answers=answers,
            champion=with_accuracy(0.70, 1),
            predictions={
                "better": with_accuracy(0.80, 2),
                "best": with_accuracy(0.90, 3),
                "weak": with_accuracy(0.60, 4),
                "malformed": b"id,label\nq0,y\n",
            },
        )


def settings_data(
    tmp_path: Path,
    *,
    rpc_url: str,
    manifest: Path,
    project_id: int,
    slices: Path,
    champion: Path,
    budget_wei: int = 1000 * 10**18,
) -> dict[str, Any]:
    return {
        "rpc_url": rpc_url,
        "rpc_timeout_seconds": 5,
        "rpc_retry_seconds": 60,
        "rpc_backoff_seconds": 0.02,
        "rpc_max_backoff_seconds": 1.0,
        "deployment": str(manifest),
        "private_key": ORACLE_KEY,
        "confirmations": CONFIRMATIONS,
        "artifacts": {"backend": "embedded", "path": str(tmp_path / "artifacts")},
        "database_url": f"sqlite:///{tmp_path / 'oracle.db'}",
        "attest_batch_size": 2,
        "claim_window_seconds": 7 * 86400,
        "poll_interval_seconds": 0.2,
        "tx_stuck_seconds": 30,
        "project": {
            "project_id": project_id,
            "name": "Sentiment",
            "budget_wei": str(budget_wei),
            "slices_path": str(slices),
            "champion_path": str(champion),
            "parameters": {
                "task": "classification",
                "metric": "accuracy",
                "classes": ["n", "y"],
                "bootstrap_seed": 5,
                "bootstrap_buckets": 200,
                "bootstrap_replicates": 200,
            },
        },
    }


def oracle_settings(tmp_path: Path, **kwargs: Any) -> Settings:
    data = settings_data(tmp_path, **kwargs)
    (tmp_path / "oracle.json").write_text(json.dumps(data))
    return load_settings(tmp_path / "oracle.json")


def register_sliced_project(
    registry: Any, treasury: Any, slice_datas: list[bytes], folder: Path, *, bond: int = 0
) -> tuple[int, Path]:
    """Registers a project whose epochs start now (tests.helpers.register_project), with a slice set
    over `slice_datas` written with its salts to `folder` as the oracle's manifest; returns
    (project id, manifest path)."""
    slices = SliceSet.build(slice_datas)
    manifest = write_slice_manifest(folder, slices)
    project_id = register_project(
        registry,
        treasury,
        slices=slices,
        start_in=5,
        name="Sentiment",
        commit_window=COMMIT_WINDOW,
        reveal_window=REVEAL_WINDOW,
        bond=bond,
    )
    return project_id, manifest


@dataclass
class PendingReveal:
    contribution_id: int
    account: Any
    epoch: int
    kind: int
    cid: str
    salt: bytes
    data: bytes | None  # None: the artifact is never stored anywhere


@dataclass
class EpochWorld:
    """The chain side of an epoch: contributors commit and reveal, time passes, voters vote."""

    settings: Settings
    store: EmbeddedStore
    workload: Workload
    project_id: int
    chain: Any
    registry: Any
    tmp_path: Path
    first_block: int  # the registry's deployment block
    pending: list[PendingReveal] = field(default_factory=list)

    @property
    def config_file(self) -> Path:
        return self.tmp_path / "oracle.json"

    def windows(self, epoch: int) -> tuple[int, int, int]:
        """(commit start, reveal start, end) of the project's epoch."""
        return tuple(int(v) for v in self.registry.epochWindows(self.project_id, epoch))  # type: ignore[return-value]

    def current_epoch(self) -> int:
        return int(self.registry.epochAt(self.project_id, latest_timestamp() + 1)[0])

    def advance_to(self, timestamp: int) -> None:
        advance_to(timestamp)

    def _commit(self, account: Any, cid: str, kind: int, data: bytes | None) -> int:
        epoch = self.current_epoch()
        _, reveal_start, _ = self.windows(epoch)
        assert latest_timestamp() + 1 < reveal_start, "the commits overran the commit window"
        if data is not None:
            self.store.put(data)  # the oracle's own store: what the contributor uploads at reveal
        salt = new_salt()
        commitment = contribution_commitment(
            contributor=account.address,
            project_id=self.project_id,
            epoch=epoch,
            kind=ContributionKind.from_code(kind),
            cid=cid,
            salt=salt,
        )
        tx = self.registry.commit(self.project_id, commitment, {"from": account})
        contribution_id = tx.events["Committed"]["contributionId"]
        self.pending.append(PendingReveal(contribution_id, account, epoch, kind, cid, salt, data))
        return contribution_id

    def submit(self, account: Any, data: bytes, kind: int = 0) -> tuple[int, str]:
        """Commits to the artifact now (and puts it in the oracle's store); `finalize` reveals it.
        Returns (contribution id, CID)."""
        cid = compute_artifact_cid(data)
        return self._commit(account, cid, kind, data), cid

    def submit_cid(self, account: Any, cid: str, kind: int = 0) -> int:
        """Commits to a CID whose bytes nobody ever stores."""
        return self._commit(account, cid, kind, None)

    def reveal_all(self, epoch: int) -> list[int]:
        """Moves into the epoch's reveal window and reveals every pending commit of it, in order."""
        _, reveal_start, _ = self.windows(epoch)
        self.advance_to(reveal_start)
        revealed = []
        for item in [p for p in self.pending if p.epoch == epoch]:
            self.registry.reveal(
                item.contribution_id, self.project_id, epoch, item.kind, item.cid, item.salt, {"from": item.account}
            )
            self.pending.remove(item)
            revealed.append(item.contribution_id)
        return revealed

    def finalize(self, epoch: int, *, reveal: bool = True) -> None:
        """Reveals the epoch's commits (unless told not to), then moves past its end until a block
        timed after the end has its confirmations."""
        if reveal:
            self.reveal_all(epoch)
        _, _, end = self.windows(epoch)
        self.advance_to(end)
        self.chain.mine(CONFIRMATIONS)

    def journal(self) -> Journal:
        return Journal(self.settings.database_url)

    def record(self, epoch: int) -> EpochRecord | None:
        journal = self.journal()
        try:
            return next((r for r in journal.epochs() if r.epoch == epoch), None)
        finally:
            journal.close()


def journal_report(record: EpochRecord) -> EpochReport:
    assert record.report_json is not None
    return report_from_json(record.report_json)


def journal_proposal(record: EpochRecord) -> Proposal:
    assert record.proposal is not None
    return proposal_from_json(record.proposal)


def tree_of(store: EmbeddedStore, record: EpochRecord) -> StandardMerkleTree:
    assert record.tree_cid is not None
    return StandardMerkleTree.load(json.loads(store.get(record.tree_cid)))


def write_config(world: EpochWorld, name: str, **overrides: Any) -> Path:
    """A copy of the world's settings file with some values replaced (for a process to read)."""
    data = json.loads(world.config_file.read_text())
    data.update(overrides)
    path = world.tmp_path / name
    path.write_text(json.dumps(data))
    return path


class RpcProxy:
    """A JSON-RPC proxy in front of a node: it can delay every request, and fail a share of them
    the ways real endpoints do (connection dropped before or after the node saw the request,
    HTTP 429, HTTP 503, a JSON-RPC rate-limit error)."""

    FAULTS = ("drop_before", "drop_after", "http_429", "http_503", "rpc_rate_limit")

    def __init__(self, target: str, *, delay: float = 0.0, failure_rate: float = 0.0, seed: int = 0) -> None:
        self.target, self.delay, self.failure_rate = target, delay, failure_rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.faults: dict[str, int] = dict.fromkeys(self.FAULTS, 0)
        self.forwarded = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fault = proxy._draw()
                if proxy.delay:
                    time.sleep(proxy.delay)
                if fault == "drop_before":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault in ("http_429", "http_503"):
                    self.send_response(429 if fault == "http_429" else 503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if fault == "rpc_rate_limit":
                    request_id = json.loads(body).get("id") if body.startswith(b"{") else None
                    answer = json.dumps(
                        {
                            "jsonrpc": "2.0",
                            "id": request_id,
                            "error": {"code": -32005, "message": "rate limit exceeded"},
                        }
                    ).encode()
                    self._answer(200, answer)
                    return
                try:
                    request = urllib.request.Request(
                        proxy.target, data=body, headers={"Content-Type": "application/json"}
                    )
                    with urllib.request.urlopen(request, timeout=10) as response:
                        answer = response.read()
                except OSError:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                with proxy.lock:
                    proxy.forwarded += 1
                if fault == "drop_after":  # the node acted on it; the client never hears
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._answer(200, answer)

            def _answer(self, status: int, answer: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _draw(self) -> str | None:
        with self.lock:
            if self.failure_rate and self.random.random() < self.failure_rate:
                fault = self.random.choice(self.FAULTS)
                self.faults[fault] += 1
                return fault
            return None

    def __enter__(self) -> RpcProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class ChainLedger:
    """What the chain holds for an epoch, from events: the exactly-once checks read this."""

    attestations: dict[int, list[str]]  # contribution id -> the report CID of each ScoreAttested
    proposals: list[int]  # ids of ProposalCreated since the epoch began
    fundings: list[tuple[int, str]]  # (epoch, reportCid) of each EpochFunded


def chain_ledger(rpc_url: str, manifest: Path, from_block: int) -> ChainLedger:
    from web3 import Web3

    from dao.chain import load_contracts

    contracts = load_contracts(Web3(Web3.HTTPProvider(rpc_url)), manifest)
    attestations: dict[int, list[str]] = {}
    for entry in contracts.registry.events.ScoreAttested().get_logs(from_block=from_block):
        attestations.setdefault(int(entry["args"]["contributionId"]), []).append(entry["args"]["reportCid"])
    proposals = [
        int(e["args"]["proposalId"])
        for e in contracts.governor.events.ProposalCreated().get_logs(from_block=from_block)
    ]
    fundings = [
        (int(e["args"]["epoch"]), e["args"]["reportCid"])
        for e in contracts.distributor.events.EpochFunded().get_logs(from_block=from_block)
    ]
    return ChainLedger(attestations, proposals, fundings)
