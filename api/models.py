"""The indexed chain state, as SQLAlchemy 2.0 typed models.

Every row that an event created carries the `block_number` of that event, so that a reorg is undone
by deleting the rows above the common ancestor (see `api.indexer`). Token amounts and other uint256
values are `Uint256` columns: exact on both SQLite and PostgreSQL. A contribution's score fields are
denormalized from its attestation and its epoch
report so that the history pages are one indexed range scan.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

UINT256_DIGITS = 78


class Uint256(TypeDecorator[int]):
    """An exact unsigned 256-bit integer, stored as 78 zero-padded decimal digits and read back as
    int. SQLite's NUMERIC would round values past 2^63 to a float; padded digits stay exact and
    sort and compare as the numbers do, on SQLite and PostgreSQL alike."""

    impl = String(UINT256_DIGITS)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: object) -> str | None:
        if value is None:
            return None
        if not 0 <= value < 2**256:
            raise ValueError(f"{value} is not a uint256")
        return str(value).zfill(UINT256_DIGITS)

    def process_result_value(self, value: str | None, dialect: object) -> int | None:
        return None if value is None else int(value)


class Base(DeclarativeBase):
    pass


class IndexerCursor(Base):
    """Where the indexer stopped: the last block whose events are all stored."""

    __tablename__ = "indexer_cursor"
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))


class IndexedBlock(Base):
    """Hashes of blocks the indexer stored events from (and of each range end): the reorg check."""

    __tablename__ = "indexed_blocks"
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(66))
    timestamp: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Project(Base):
    __tablename__ = "projects"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text)
    task: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(Text)
    benchmark_cid: Mapped[str] = mapped_column(Text)
    answers_commitment: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


class ProjectPause(Base):
    """ProjectPaused / ProjectUnpaused, in order; the latest says whether a project is paused."""

    __tablename__ = "project_pauses"
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    paused: Mapped[bool] = mapped_column(Boolean)
    guardian: Mapped[str | None] = mapped_column(String(42), nullable=True)


class Contribution(Base):
    __tablename__ = "contributions"
    contribution_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(BigInteger)
    contributor: Mapped[str] = mapped_column(String(42))
    kind: Mapped[int] = mapped_column(Integer)
    cid: Mapped[str] = mapped_column(Text)
    relayer: Mapped[str | None] = mapped_column(String(42), nullable=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    # Derived from ScoreAttested and the epoch report (see api.indexer.refresh_contributions).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    score: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    report_cid: Mapped[str | None] = mapped_column(Text, nullable=True)
    epoch_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index("ix_contributions_contributor_id", "contributor", "contribution_id"),
        Index("ix_contributions_project_id", "project_id", "contribution_id"),
        Index("ix_contributions_epoch_id", "epoch_id", "contribution_id"),
        Index("ix_contributions_status_id", "status", "contribution_id"),
    )


class Attestation(Base):
    __tablename__ = "attestations"
    contribution_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    score: Mapped[int] = mapped_column(Uint256)
    report_cid: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)


class Epoch(Base):
    __tablename__ = "epochs"
    epoch_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    merkle_root: Mapped[str] = mapped_column(String(66))
    total: Mapped[int] = mapped_column(Uint256)
    report_cid: Mapped[str] = mapped_column(Text)
    claim_deadline: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    # "ok", "missing" (not in the artifact store yet), "invalid" (unreadable or a root that differs)
    report_status: Mapped[str] = mapped_column(String(16), default="missing")
    report_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    project: Mapped[str | None] = mapped_column(Text, nullable=True)


class AllocationRow(Base):
    """One leaf of an epoch's tree, with its proof (computed once, from the report)."""

    __tablename__ = "allocations"
    epoch_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("epochs.epoch_id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account: Mapped[str] = mapped_column(String(42), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    proof: Mapped[str] = mapped_column(Text, doc="JSON list of 0x-hex nodes")


class ScoreExplanation(Base):
    """Why a contribution scored what it did, from the epoch report that scored it."""

    __tablename__ = "score_explanations"
    epoch_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("epochs.epoch_id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    contribution_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, index=True)
    accepted: Mapped[bool] = mapped_column(Boolean)
    metric: Mapped[str | None] = mapped_column(Text, nullable=True)
    metric_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    gain: Mapped[float | None] = mapped_column(Float, nullable=True)
    gain_lower: Mapped[float | None] = mapped_column(Float, nullable=True)
    gain_upper: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    copy_of: Mapped[str | None] = mapped_column(Text, nullable=True)
    report_cid: Mapped[str] = mapped_column(Text)


class Claim(Base):
    __tablename__ = "claims"
    epoch_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account: Mapped[str] = mapped_column(String(42), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


class Sweep(Base):
    __tablename__ = "sweeps"
    epoch_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    treasury: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Uint256)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


class Proposal(Base):
    __tablename__ = "proposals"
    proposal_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    proposer: Mapped[str] = mapped_column(String(42))
    targets: Mapped[str] = mapped_column(Text, doc="JSON list of addresses")
    values: Mapped[str] = mapped_column(Text, doc="JSON list of decimal strings")
    calldatas: Mapped[str] = mapped_column(Text, doc="JSON list of 0x-hex")
    vote_start: Mapped[int] = mapped_column(BigInteger)
    vote_end: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


class ProposalEvent(Base):
    """ProposalQueued / ProposalExecuted / ProposalCanceled / ProposalExtended, in order."""

    __tablename__ = "proposal_events"
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    proposal_id: Mapped[int] = mapped_column(Uint256, index=True)
    event: Mapped[str] = mapped_column(String(16))
    eta_or_deadline: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Vote(Base):
    __tablename__ = "votes"
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    proposal_id: Mapped[int] = mapped_column(Uint256, index=True)
    voter: Mapped[str] = mapped_column(String(42), index=True)
    support: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Uint256)
    reason: Mapped[str] = mapped_column(Text)
    tx_hash: Mapped[str] = mapped_column(String(66))


class Delegation(Base):
    __tablename__ = "delegations"
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    delegator: Mapped[str] = mapped_column(String(42), index=True)
    from_delegate: Mapped[str] = mapped_column(String(42))
    to_delegate: Mapped[str] = mapped_column(String(42), index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


# Tables whose rows come from events at `block_number`: a rollback deletes from these.
EVENT_TABLES = (
    Project,
    ProjectPause,
    Contribution,
    Attestation,
    Epoch,
    Claim,
    Sweep,
    Proposal,
    ProposalEvent,
    Vote,
    Delegation,
    IndexedBlock,
)
