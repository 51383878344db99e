"""Fixtures of the API suites: a migrated test database on SQLite and on PostgreSQL (the same
tests run on both), an embedded artifact store, and an app with fake indexed data.

PostgreSQL: the server at MERIT_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test); each test session works in a fresh schema that it
drops at the end. When no server answers, the PostgreSQL variants are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from api import models as m
from api.db import make_engine, resolve_url, session_factory, upgrade_schema
from api.main import create_app
from api.settings import Settings
from tests.api.fakes import FakeChain, seed

POSTGRES_URL = os.environ.get("MERIT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_schema_url() -> Iterator[str]:
    try:
        admin = create_engine(resolve_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server means: skip, and say why
        pytest.skip(
            f"no PostgreSQL server answers at {POSTGRES_URL} (set MERIT_TEST_POSTGRES_URL): {str(exc).splitlines()[0]}"
        )
    schema = f"openmerit_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'openmerit.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture(scope="session")
def migrated_engine(database_url) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine) -> Engine:
    """The session's database, emptied before the test."""
    with migrated_engine.begin() as connection:
        for table in reversed(m.Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return migrated_engine


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
def fake(sessions, store) -> FakeChain:
    """Fake indexed chain state (see tests/api/fakes.py), stored through the indexer's own code."""
    return seed(sessions, store)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(
        database_url=database_url,
        deployment=tmp_path / "deployment.json",
        log_json=True,
        page_size_max=100,
        upload_max_bytes=4096,
        write_rate_limit="10000/minute",
    )


@pytest.fixture
def client(settings, store, engine, fake) -> Iterator[TestClient]:
    fake.write_deployment(settings.deployment)
    with TestClient(create_app(settings, store=store, configure_logs=False), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(autouse=True)
def _api_logger_restored(monkeypatch):
    """The CLI points the `api` loggers at its stderr; each test gets them back as they were."""
    import logging

    logger = logging.getLogger("api")
    monkeypatch.setattr(logger, "handlers", list(logger.handlers))
    monkeypatch.setattr(logger, "propagate", logger.propagate)
    monkeypatch.setattr(logger, "level", logger.level)


def pytest_ignore_collect(collection_path, config):
    """The chain suites need Brownie's plugin (its chain and accounts); without it
    (`-p no:pytest-brownie`) they are left out rather than failing on missing fixtures."""
    if collection_path.name == "chain" and not config.pluginmanager.has_plugin("pytest-brownie"):
        return True
    return None
