"""Fixtures for the oracle service suites: the real contracts deployed by the real deploy script
(tests/fixtures/chain.py), a registered project with committed hidden answers, an oracle that can
propose, contributors with artifacts in an embedded store, and settings that point at all of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dao.artifacts import EmbeddedStore
from dao.deployments import save_deployment
from oracle.hidden import answers_commitment
from tests.helpers import TOKEN
from tests.oracle.helpers import EpochWorld, Workload, oracle_settings


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
    tmp_path, manifest, workload, registry, token, treasury, oracle, alice, bob, carol, outsider, chain, web3
) -> EpochWorld:
    """A registered project whose commitment matches the answers file, the oracle holding votes
    enough to propose, and alice, bob, carol delegated so that proposals can pass."""
    answers = tmp_path / "answers.csv"
    answers.write_bytes(workload.answers)
    champion = tmp_path / "champion.npy"
    champion.write_bytes(workload.champion)
    tx = registry.registerProject(
        "Sentiment",
        0,
        "accuracy",
        "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        answers_commitment(workload.answers),
        {"from": treasury},
    )
    project_id = tx.events["ProjectRegistered"]["projectId"]
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
        answers=answers,
        champion=champion,
        first_block=web3.eth.block_number + 1,
    )
    yield EpochWorld(
        settings=settings,
        store=store,
        workload=workload,
        project_id=project_id,
        chain=chain,
        registry=registry,
        tmp_path=tmp_path,
    )
    store.close()
