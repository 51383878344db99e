"""Shared pieces of the oracle service suites: a benchmark with contributions of known quality,
settings for a service pointed at a test chain, and a world that drives an epoch from the chain side."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dao.artifacts import EmbeddedStore
from dao.merkle import StandardMerkleTree
from dao.proposals import Proposal
from oracle.funding import proposal_from_json
from oracle.scoring.report import EpochReport, report_from_json
from oracle.settings import Settings, load_settings
from oracle.state import EpochRecord, Journal

# anvil's well-known account 7: holds the registry's ORACLE_ROLE in tests/contracts/deploy-test.json
ORACLE_KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"
EPOCH_BLOCKS = 30
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
        return cls(answers=answers, champion=with_accuracy(0.70, 1), predictions={
            "better": with_accuracy(0.80, 2),
            "best": with_accuracy(0.90, 3),
            "weak": with_accuracy(0.60, 4),
            "malformed": b"id,label\nq0,y\n",
        })


def settings_data(tmp_path: Path, *, rpc_url: str, manifest: Path, project_id: int, answers: Path, champion: Path,
                  first_block: int, budget_wei: int = 1000 * 10**18) -> dict[str, Any]:
    return {
        "rpc_url": rpc_url,
        "rpc_timeout_seconds": 5,
        "rpc_retry_seconds": 60,
        "deployment": str(manifest),
        "private_key": ORACLE_KEY,
        "schedule": {"first_block": first_block, "length_blocks": EPOCH_BLOCKS},
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
            "answers_path": str(answers),
            "champion_path": str(champion),
            "parameters": {"task": "classification", "metric": "accuracy", "classes": ["n", "y"],
                           "bootstrap_seed": 5, "bootstrap_buckets": 200, "bootstrap_replicates": 200},
        },
    }


def oracle_settings(tmp_path: Path, **kwargs: Any) -> Settings:
    data = settings_data(tmp_path, **kwargs)
    (tmp_path / "oracle.json").write_text(json.dumps(data))
    return load_settings(tmp_path / "oracle.json")


@dataclass
class EpochWorld:
    """The chain side of an epoch: contributors submit, blocks pass, voters vote."""

    settings: Settings
    store: EmbeddedStore
    workload: Workload
    project_id: int
    chain: Any
    registry: Any
    tmp_path: Path

    @property
    def config_file(self) -> Path:
        return self.tmp_path / "oracle.json"

    def submit(self, account: Any, data: bytes, kind: int = 0) -> tuple[int, str]:
        """Stores the artifact and submits its CID; returns (contribution id, CID)."""
        cid = self.store.put(data)
        tx = self.registry.submit(self.project_id, kind, cid, {"from": account})
        return tx.events["ContributionSubmitted"]["contributionId"], cid

    def submit_cid(self, account: Any, cid: str, kind: int = 0) -> int:
        tx = self.registry.submit(self.project_id, kind, cid, {"from": account})
        return tx.events["ContributionSubmitted"]["contributionId"]

    def epoch_last_block(self, epoch: int) -> int:
        assert self.settings.schedule.first_block is not None
        return self.settings.schedule.first_block + (epoch + 1) * EPOCH_BLOCKS - 1

    def finalize(self, epoch: int) -> None:
        """Mines until the epoch's last block has its confirmations."""
        target = self.epoch_last_block(epoch) + CONFIRMATIONS
        height = self.chain.height
        assert height <= self.epoch_last_block(epoch), "the submissions overran the epoch"
        self.chain.mine(target - height)

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
