"""The indexed chain state, as SQLAlchemy 2.0 typed models.

Every row that an event created carries the `block_number` of that event, so that a reorg is undone
by deleting the rows above the common ancestor (see `api.indexer`). Token amounts and other uint256
values are `Uint256` columns: exact on both SQLite and PostgreSQL. A contribution's reveal, score
and bond fields are denormalized from their own event rows so that the history pages are one
indexed range scan. Funded epochs and everything under them are keyed by (project_id, epoch).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKeyConstraint,
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
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


class ScheduleChange(Base):
    """Every ScheduleChanged event, in order: what a rollback recomputes `project_schedules` from."""

    __tablename__ = "schedule_changes"
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    from_epoch: Mapped[int] = mapped_column(BigInteger)
    start_time: Mapped[int] = mapped_column(BigInteger)
    commit_window: Mapped[int] = mapped_column(BigInteger)
    reveal_window: Mapped[int] = mapped_column(BigInteger)
    bond: Mapped[int] = mapped_column(Uint256)
    tx_hash: Mapped[str] = mapped_column(String(66))


class ProjectSchedule(Base):
    """A project's schedule configurations as the registry holds them: the latest ScheduleChanged
    of each (project, from_epoch) wins, as a second change before the first takes effect replaces it."""

    __tablename__ = "project_schedules"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    from_epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    start_time: Mapped[int] = mapped_column(BigInteger)
    commit_window: Mapped[int] = mapped_column(BigInteger)
    reveal_window: Mapped[int] = mapped_column(BigInteger)
    bond: Mapped[int] = mapped_column(Uint256)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    log_index: Mapped[int] = mapped_column(Integer)


class SliceSet(Base):
    """A committed set of hidden answer slices (SlicesRegistered); the newest set is the current one."""

    __tablename__ = "slice_sets"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    slice_set: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    slices_root: Mapped[str] = mapped_column(String(66))
    slice_count: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


class RevealedSlice(Base):
    """The hidden slice an epoch was scored on, revealed on chain after the epoch (SliceRevealed)."""

    __tablename__ = "revealed_slices"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    slice_set: Mapped[int] = mapped_column(BigInteger)
    slice_index: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(66))
    salt: Mapped[str] = mapped_column(String(66))
    cid: Mapped[str] = mapped_column(Text)
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
    """A commit (Committed at `block_number`), and what happened to it since: its reveal, its
    attestation and its bond. Those columns are derived from the `reveals`, `attestations` and
    `bond_settlements` rows (see api.indexer.ingest.refresh_contributions), so that a rollback of
    any of them is undone by recomputing, and the history pages stay one indexed range scan."""

    __tablename__ = "contributions"
    contribution_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(BigInteger)
    epoch: Mapped[int] = mapped_column(BigInteger)
    contributor: Mapped[str] = mapped_column(String(42))
    commitment: Mapped[str] = mapped_column(String(66))
    bond: Mapped[int] = mapped_column(Uint256)
    relayer: Mapped[str | None] = mapped_column(String(42), nullable=True, doc="who sent the commit, if relayed")
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    # dao.vocabulary.Status values: committed, revealed, accepted, rejected, forfeited
    status: Mapped[str] = mapped_column(String(16), default="committed")
    kind: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cid: Mapped[str | None] = mapped_column(Text, nullable=True)
    reveal_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reveal_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    reveal_relayer: Mapped[str | None] = mapped_column(String(42), nullable=True)
    score: Mapped[int | None] = mapped_column(Uint256, nullable=True)
    valid: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    report_cid: Mapped[str | None] = mapped_column(Text, nullable=True)
    # held, returned, forfeited; none when the commit posted no bond
    bond_state: Mapped[str] = mapped_column(String(16), default="held")

    __table_args__ = (
        Index("ix_contributions_contributor_id", "contributor", "contribution_id"),
        Index("ix_contributions_project_id", "project_id", "contribution_id"),
        Index("ix_contributions_project_epoch_id", "project_id", "epoch", "contribution_id"),
        Index("ix_contributions_epoch_id", "epoch", "contribution_id"),
        Index("ix_contributions_status_id", "status", "contribution_id"),
    )


class Reveal(Base):
    __tablename__ = "reveals"
    contribution_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[int] = mapped_column(Integer)
    cid: Mapped[str] = mapped_column(Text)
    relayer: Mapped[str | None] = mapped_column(String(42), nullable=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


class Attestation(Base):
    __tablename__ = "attestations"
    contribution_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    score: Mapped[int] = mapped_column(Uint256)
    valid: Mapped[bool] = mapped_column(Boolean)
    report_cid: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)


class BondSettlement(Base):
    """BondReturned or BondForfeited: a contribution's bond is settled once."""

    __tablename__ = "bond_settlements"
    contribution_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    returned: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[int] = mapped_column(Uint256)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


class Epoch(Base):
    """A funded reward epoch of a project (EpochFunded); the distributor names it by `epoch_key`
    = (project_id << 128) | epoch."""

    __tablename__ = "epochs"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    epoch_key: Mapped[int] = mapped_column(Uint256, unique=True)
    merkle_root: Mapped[str] = mapped_column(String(66))
    total: Mapped[int] = mapped_column(Uint256)
    report_cid: Mapped[str] = mapped_column(Text)
    claim_deadline: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    # "ok", "missing" (not in the artifact store yet), "invalid" (unreadable, another epoch's, or a root that differs)
    report_status: Mapped[str] = mapped_column(String(16), default="missing")
    report_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Its report checked against the indexed chain record and recomputed from public artifacts
    # (api.indexer.verification): pending, matches, differs, unavailable (retried each cycle).
    verification_status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    verification_differences: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="JSON list of {path, reported, expected}"
    )
    verification_unchecked: Mapped[str | None] = mapped_column(Text, nullable=True, doc="JSON list of notes")
    verification_error: Mapped[str | None] = mapped_column(Text, nullable=True, doc="why it is unavailable")
    verified_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    verified_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True, doc="that block's unix time")


class AllocationRow(Base):
    """One leaf of an epoch's tree, with its proof (computed once, from the report)."""

    __tablename__ = "allocations"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account: Mapped[str] = mapped_column(String(42), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    proof: Mapped[str] = mapped_column(Text, doc="JSON list of 0x-hex nodes")

    __table_args__ = (
        ForeignKeyConstraint(["project_id", "epoch"], ["epochs.project_id", "epochs.epoch"], ondelete="CASCADE"),
    )


class ScoreExplanation(Base):
    """Why a contribution scored what it did, from the epoch report that scored it."""

    __tablename__ = "score_explanations"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
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

    __table_args__ = (
        ForeignKeyConstraint(["project_id", "epoch"], ["epochs.project_id", "epochs.epoch"], ondelete="CASCADE"),
    )


class Claim(Base):
    __tablename__ = "claims"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account: Mapped[str] = mapped_column(String(42), index=True)
    amount: Mapped[int] = mapped_column(Uint256)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))


class Sweep(Base):
    __tablename__ = "sweeps"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
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
    ScheduleChange,
    ProjectSchedule,
    SliceSet,
    RevealedSlice,
    ProjectPause,
    Contribution,
    Reveal,
    Attestation,
    BondSettlement,
    Epoch,
    Claim,
    Sweep,
    Proposal,
    ProposalEvent,
    Vote,
    Delegation,
    IndexedBlock,
)
