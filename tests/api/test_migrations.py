"""The schema migrations: 0002 moves a database indexed from the old contracts to the commit-reveal
schema (and back), 0003 adds the epochs' verification (indexed epochs start pending), and the
migrated schema is exactly the models', on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from api import models as m
from api.db import MIGRATIONS_DIR


def _migrate(engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_migrated_schema_is_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, m.Base.metadata) == []


def test_0002_replaces_the_old_rows_and_rewinds_the_cursor(engine):
    _migrate(engine, "0001", down=True)
    with engine.begin() as connection:
        assert "answers_commitment" in {c["name"] for c in inspect(connection).get_columns("projects")}
        connection.execute(text("INSERT INTO indexer_cursor VALUES (31337, 99, '0x99')"))
        connection.execute(text("INSERT INTO indexed_blocks VALUES (99, '0x99', NULL)"))
        connection.execute(
            text(
                "INSERT INTO projects (project_id, name, task, metric, benchmark_cid, answers_commitment,"
                " block_number, tx_hash) VALUES (1, 'old', 0, 'accuracy', 'bafy', '0x11', 5, '0x55')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO delegations VALUES (5, 0, '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',"
                " '0x0000000000000000000000000000000000000000', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', '0x55')"
            )
        )
    _migrate(engine, "0002")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
        assert connection.execute(text("SELECT count(*) FROM indexer_cursor")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM indexed_blocks")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM projects")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM delegations")).scalar() == 1  # governance kept
        columns = {c["name"] for c in inspect(connection).get_columns("projects")}
        assert "answers_commitment" not in columns
        epochs = inspect(connection).get_pk_constraint("epochs")["constrained_columns"]
        assert epochs == ["project_id", "epoch"]
    _migrate(engine, "head")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, m.Base.metadata) == []


def test_0003_adds_verification_and_indexed_epochs_start_pending(engine):
    _migrate(engine, "0002", down=True)
    with engine.begin() as connection:
        assert "verification_status" not in {c["name"] for c in inspect(connection).get_columns("epochs")}
        connection.execute(
            text(
                "INSERT INTO epochs (project_id, epoch, epoch_key, merkle_root, total, report_cid, claim_deadline,"
                " block_number, tx_hash, report_status) VALUES (1, 2, :key, '0x11', :total, 'bafy', 9, 5, '0x55', 'ok')"
            ),
            {"key": str((1 << 128) | 2).zfill(m.UINT256_DIGITS), "total": "7".zfill(m.UINT256_DIGITS)},
        )
    _migrate(engine, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
        row = connection.execute(
            text("SELECT verification_status, verification_differences, verified_block FROM epochs")
        ).one()
        assert tuple(row) == ("pending", None, None)
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, m.Base.metadata) == []
