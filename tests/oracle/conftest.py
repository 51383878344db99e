"""Fixtures for the oracle service suites: the real contracts deployed by the real deploy script
(tests/fixtures/chain.py), a registered project with committed hidden answers, an oracle that can
propose, contributors with artifacts in an embedded store, and settings that point at all of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dao.artifacts import EmbeddedStore
from dao.deployments import save_deployment
from tests.helpers import TOKEN
from tests.oracle.helpers import SLICES, EpochWorld, Workload, oracle_settings, register_sliced_project


@pytest.fixture(scope="module")
def manifest(deployment, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("manifest") / "development.json"
    save_deployment(deployment, path)
    return path


@pytest.fixture(scope="module")
def workload() -> Workload:
    return Workload.make(items=1500, seed=7)


@pytest.fixture
def world(
    tmp_path,
    deployment,
    manifest,
    workload,
    registry,
    token,
    treasury,
    oracle,
    alice,
    bob,
    carol,
    outsider,
    chain,
    web3,
) -> EpochWorld:
    """A registered project whose committed hidden slices are the oracle's, its epochs starting now,
    the oracle holding votes enough to propose, and alice, bob, carol delegated so that proposals pass."""
    champion = tmp_path / "champion.npy"
    champion.write_bytes(workload.champion)
    project_id, slices = register_sliced_project(
        registry, treasury, [workload.answers] * SLICES, tmp_path / "hidden-slices"
    )
    token.transfer(oracle, 5000 * TOKEN, {"from": alice})
    for holder in (oracle, alice, bob, carol):
        token.delegate(holder, {"from": holder})
    chain.sleep(1)
    chain.mine()
    store = EmbeddedStore(tmp_path / "artifacts")
    settings = oracle_settings(
        tmp_path,
        rpc_url=web3.provider.endpoint_uri,
        manifest=manifest,
        project_id=project_id,
        slices=slices,
        champion=champion,
    )
    yield EpochWorld(
        settings=settings,
        store=store,
        workload=workload,
        project_id=project_id,
        chain=chain,
        registry=registry,
        tmp_path=tmp_path,
        first_block=deployment.contracts["registry"].block_number,
    )
    store.close()
