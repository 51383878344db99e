"""The oracle's step journal: what it did for each epoch, keyed by (chain id, epoch), in SQL
(SQLite by default, any SQLAlchemy URL otherwise).

Each step's result is written when the step ends; every transaction is written *before* it is
broadcast (nonce, hash, signed bytes) and again when its receipt is seen. After a crash the
service reads this journal, then asks the chain, and never sends what the chain already has.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


class Step(str, enum.Enum):
    """Where an epoch stands; each value is the last step *finished*."""

    NEW = "new"
    COLLECTED = "collected"  # 1. the epoch's reveals (and unrevealed commits) read at finality
    SCORED = "scored"  # 2-3. artifacts fetched and checked, scored on the epoch's hidden slice
    SLICE_REVEALED = "slice_revealed"  # 4a. the slice revealed on chain, then published with its derived files
    PINNED = "pinned"  # 4b. report and tree dump pinned
    ATTESTED = "attested"  # 5. every contribution's score on chain
    PROPOSED = "proposed"  # 6. the funding proposal is on chain
    QUEUED = "queued"  # 7a. queued in the timelock
    EXECUTED = "executed"  # 7b. executed: the epoch is funded
    NOTHING_TO_FUND = "nothing_to_fund"  # finished without a proposal: no allocation
    DEFEATED = "defeated"  # finished: governance did not pass the last allowed attempt

    @property
    def finished(self) -> bool:
        return self in (Step.EXECUTED, Step.NOTHING_TO_FUND, Step.DEFEATED)


STEP_ORDER = [
    Step.NEW,
    Step.COLLECTED,
    Step.SCORED,
    Step.SLICE_REVEALED,
    Step.PINNED,
    Step.ATTESTED,
    Step.PROPOSED,
    Step.QUEUED,
    Step.EXECUTED,
]


class TxStatus(str, enum.Enum):
    PENDING = "pending"  # signed and recorded; broadcast, or about to be
    MINED = "mined"  # one of its hashes has a successful receipt
    REVERTED = "reverted"
    SUPERSEDED = "superseded"  # its nonce was used by another transaction


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class EpochRecord(Base):
    __tablename__ = "oracle_epochs"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    epoch: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[str] = mapped_column(String(32), default=Step.NEW.value)
    from_block: Mapped[int] = mapped_column(BigInteger)
    to_block: Mapped[int] = mapped_column(BigInteger)
    to_block_hash: Mapped[str | None] = mapped_column(String(66), default=None)
    submissions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)  # the reveals
    unrevealed: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)  # commits never revealed
    slice_index: Mapped[int | None] = mapped_column(Integer, default=None)  # the hidden slice it is scored on
    report_json: Mapped[str | None] = mapped_column(Text, default=None)
    tree_json: Mapped[str | None] = mapped_column(Text, default=None)
    report_cid: Mapped[str | None] = mapped_column(String(128), default=None)
    tree_cid: Mapped[str | None] = mapped_column(String(128), default=None)
    champion_after: Mapped[str | None] = mapped_column(String(128), default=None)
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    proposal_id: Mapped[str | None] = mapped_column(String(80), default=None)
    proposal_attempt: Mapped[int] = mapped_column(Integer, default=1)  # the next after a proposal that failed
    reorgs: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @property
    def current_step(self) -> Step:
        return Step(self.step)


class TxRecord(Base):
    __tablename__ = "oracle_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, index=True)
    epoch: Mapped[int] = mapped_column(BigInteger, index=True)
    purpose: Mapped[str] = mapped_column(String(64))  # "attest 0", "propose", "queue", "execute"
    sender: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    hashes: Mapped[list[str]] = mapped_column(JSON)  # every signed version, the latest last
    raw_tx: Mapped[str] = mapped_column(Text)  # the latest signed bytes, to rebroadcast after a crash
    params: Mapped[dict[str, Any]] = mapped_column(JSON)  # the latest unsigned fields, to re-sign at a higher fee
    broadcast_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=TxStatus.PENDING.value)
    mined_hash: Mapped[str | None] = mapped_column(String(66), default=None)
    block_number: Mapped[int | None] = mapped_column(BigInteger, default=None)
    block_hash: Mapped[str | None] = mapped_column(String(66), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class TxView:
    """A journal transaction, detached from the session."""

    id: int
    purpose: str
    sender: str
    nonce: int
    hashes: list[str]
    raw_tx: str
    params: dict[str, Any]
    broadcast_at: datetime
    status: TxStatus
    mined_hash: str | None
    block_number: int | None
    block_hash: str | None


def _view(row: TxRecord) -> TxView:
    return TxView(
        row.id,
        row.purpose,
        row.sender,
        row.nonce,
        list(row.hashes),
        row.raw_tx,
        dict(row.params),
        _aware(row.broadcast_at),
        TxStatus(row.status),
        row.mined_hash,
        row.block_number,
        row.block_hash,
    )


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything here is written in UTC
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            # WAL lets `merit oracle status` read while the service writes; FULL sync makes a
            # committed step survive a power cut, not only a killed process.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

    return engine


class JournalError(RuntimeError):
    """The journal cannot be used: not a database, or a database of another schema (a person must
    point database_url elsewhere or move the file). The message names the file."""


class JournalUnavailableError(JournalError):
    """The journal's database server does not answer."""


def journal_name(url: str) -> str:
    """The journal's file for SQLite, its URL without the password otherwise."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # not a URL at all: name it as given
        return url
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


class Journal:
    """Short transactions over the journal tables; every method commits before it returns."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import inspect
        from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError

        name = journal_name(url)
        try:
            self.engine = _engine(url)
            Base.metadata.create_all(self.engine)
            found = inspect(self.engine)
            for table in Base.metadata.sorted_tables:
                have = {column["name"] for column in found.get_columns(table.name)}
                missing = sorted(set(table.columns.keys()) - have)
                if missing:
                    raise JournalError(
                        f"the oracle journal {name} has a table {table.name} of another schema "
                        f"(no column {', '.join(missing)}): move it away or set database_url to a new file"
                    )
        except ArgumentError as error:
            raise JournalError(f"database_url {url!r} is not a database URL: {error}") from None
        except OperationalError as error:
            if self._sqlite(url):
                raise JournalError(f"the oracle journal {name} cannot be opened: {error.orig}") from None
            raise JournalUnavailableError(f"cannot reach the oracle journal at {name}: {error.orig}") from None
        except DatabaseError as error:  # SQLite: "file is not a database"
            raise JournalError(
                f"the oracle journal {name} is not a database the oracle can read ({error.orig}): "
                "move it away or set database_url to a new file"
            ) from None
        except SQLAlchemyError as error:
            raise JournalError(f"the oracle journal {name} cannot be used: {error}") from None
        except OSError as error:  # the SQLite file's folder cannot be made
            raise JournalError(f"the oracle journal {name} cannot be created: {error.strerror}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @staticmethod
    def _sqlite(url: str) -> bool:
        return url.startswith("sqlite")

    def close(self) -> None:
        self.engine.dispose()

    # -- epochs ------------------------------------------------------------------------------

    def epoch(self, chain_id: int, epoch: int) -> EpochRecord | None:
        with self._sessions() as session:
            return session.get(EpochRecord, (chain_id, epoch))

    def epochs(self, chain_id: int | None = None) -> list[EpochRecord]:
        with self._sessions() as session:
            query = select(EpochRecord).order_by(EpochRecord.chain_id, EpochRecord.epoch)
            if chain_id is not None:
                query = query.where(EpochRecord.chain_id == chain_id)
            return list(session.scalars(query))

    def open_epoch(self, chain_id: int, epoch: int, *, project_id: int, from_block: int, to_block: int) -> EpochRecord:
        """The epoch's record, created at step NEW when it does not exist yet."""
        with self._sessions() as session:
            record = session.get(EpochRecord, (chain_id, epoch))
            if record is None:
                record = EpochRecord(
                    chain_id=chain_id,
                    epoch=epoch,
                    project_id=project_id,
                    step=Step.NEW.value,
                    from_block=from_block,
                    to_block=to_block,
                    reorgs=0,
                    proposal_attempt=1,
                )
                session.add(record)
                session.commit()
            return record

    def update_epoch(self, chain_id: int, epoch: int, **fields: Any) -> EpochRecord:
        with self._sessions() as session:
            record = session.get(EpochRecord, (chain_id, epoch))
            if record is None:
                raise KeyError(f"no journal entry for epoch {epoch} on chain {chain_id}")
            for key, value in fields.items():
                if isinstance(value, Step):
                    value = value.value
                setattr(record, key, value)
            session.commit()
            return record

    # -- transactions ------------------------------------------------------------------------

    def record_tx(
        self,
        chain_id: int,
        epoch: int,
        *,
        purpose: str,
        sender: str,
        nonce: int,
        tx_hash: str,
        raw_tx: str,
        params: dict[str, Any],
    ) -> TxView:
        with self._sessions() as session:
            row = TxRecord(
                chain_id=chain_id,
                epoch=epoch,
                purpose=purpose,
                sender=sender,
                nonce=nonce,
                hashes=[tx_hash],
                raw_tx=raw_tx,
                params=params,
                status=TxStatus.PENDING.value,
                broadcast_at=utcnow(),
            )
            session.add(row)
            session.commit()
            return _view(row)

    def add_replacement(self, tx_id: int, *, tx_hash: str, raw_tx: str, params: dict[str, Any]) -> TxView:
        with self._sessions() as session:
            row = session.get_one(TxRecord, tx_id)
            row.hashes = [*row.hashes, tx_hash]
            row.raw_tx, row.params, row.broadcast_at = raw_tx, params, utcnow()
            session.commit()
            return _view(row)

    def settle_tx(
        self,
        tx_id: int,
        status: TxStatus,
        *,
        mined_hash: str | None = None,
        block_number: int | None = None,
        block_hash: str | None = None,
    ) -> TxView:
        with self._sessions() as session:
            row = session.get_one(TxRecord, tx_id)
            row.status = status.value
            row.mined_hash, row.block_number, row.block_hash = mined_hash, block_number, block_hash
            session.commit()
            return _view(row)

    def reopen_tx(self, tx_id: int) -> TxView:
        """Back to PENDING: its block was reorganized away."""
        return self.settle_tx(tx_id, TxStatus.PENDING)

    def transactions(
        self, chain_id: int, epoch: int | None = None, *, status: TxStatus | None = None, sender: str | None = None
    ) -> list[TxView]:
        with self._sessions() as session:
            query = select(TxRecord).where(TxRecord.chain_id == chain_id).order_by(TxRecord.id)
            if epoch is not None:
                query = query.where(TxRecord.epoch == epoch)
            if status is not None:
                query = query.where(TxRecord.status == status.value)
            if sender is not None:
                query = query.where(TxRecord.sender == sender)
            return [_view(row) for row in session.scalars(query)]
