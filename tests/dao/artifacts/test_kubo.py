"""The kubo backend against a real IPFS node (js-ipfs with the Kubo-style RPC API, offline):
both stores give identical CIDs, and artifacts move between them as CAR files."""

from __future__ import annotations

import io
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import ipfshttpclient
import pytest

from dao.artifacts.cid import normalize_cid
from dao.artifacts.config import ArtifactStoreSettings, open_artifact_store
from dao.artifacts.embedded import EmbeddedStore
from dao.artifacts.errors import (
    ArtifactNotFoundError,
    InvalidCarError,
    NotPinnedError,
    StoreUnavailableError,
)
from dao.artifacts.kubo import KuboStore, rpc_multiaddr
from dao.artifacts.store import compute_artifact_cid
from dao.artifacts.unixfs import CHUNK_SIZE, MAX_LINKS_PER_NODE

SIZES = [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 5 * CHUNK_SIZE + 777, (MAX_LINKS_PER_NODE + 1) * CHUNK_SIZE]
# Two tests drive the node with the raw client (as an independent witness), which hands urllib3
# an argument it deprecates; the backend itself silences that.
pytestmark = pytest.mark.filterwarnings("ignore:The 'strict' parameter:FutureWarning")

ABSENT = "bafkreigks6arfsq3xxfpvqrrwonchxcnu6do76auprhhfomao6c273sixq"


@pytest.fixture(scope="module")
def kubo(ipfs_node: str) -> Iterator[KuboStore]:
    store = KuboStore(ipfs_node, timeout_seconds=60, lookup_timeout_seconds=1)
    yield store
    store.close()


@pytest.fixture
def embedded(tmp_path: Path) -> EmbeddedStore:
    return EmbeddedStore(tmp_path / "embedded")


def artifact(size: int, seed: str) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("size", SIZES)
def test_node_to_embedded_through_a_car(kubo: KuboStore, embedded: EmbeddedStore, size: int) -> None:
    data = artifact(size, seed=f"node-{size}")
    cid = kubo.put(data)
    assert cid == compute_artifact_cid(data)
    car = io.BytesIO()
    kubo.export_car(cid, car)
    car.seek(0)
    assert embedded.import_car(car) == [cid]
    assert embedded.get(cid) == data


@pytest.mark.parametrize("size", SIZES[1:5])  # the empty block is already on the node
def test_embedded_to_node_through_a_car(kubo: KuboStore, embedded: EmbeddedStore, size: int) -> None:
    data = artifact(size, seed=f"embedded-{size}")
    cid = embedded.put(data)
    car = io.BytesIO()
    embedded.export_car(cid, car)
    car.seek(0)
    assert not kubo.has(cid)
    assert kubo.import_car(car) == [cid]
    assert kubo.get(cid) == data
    assert kubo.is_pinned(cid)
    # The node computes the same CID when the same bytes are added to it directly.
    assert kubo.put(data) == cid


def test_the_nodes_own_car_export_imports_into_the_embedded_store(
    ipfs_node: str, kubo: KuboStore, embedded: EmbeddedStore
) -> None:
    data = artifact(3 * CHUNK_SIZE + 5, seed="node-export")
    cid = kubo.put(data)
    client = ipfshttpclient.Client(rpc_multiaddr(ipfs_node), timeout=30)
    try:
        node_car = client.dag.export(cid, timeout=30)  # written by js-ipfs, not by OpenMerit
    finally:
        client.close()
    assert embedded.import_car(io.BytesIO(node_car)) == [cid]
    assert embedded.get(cid) == data
    ours = io.BytesIO()
    embedded.export_car(cid, ours)
    assert ours.getvalue() == node_car


def test_streamed_put_and_open(kubo: KuboStore) -> None:
    data = artifact(2 * CHUNK_SIZE + 3, seed="streamed")
    cid = kubo.put(io.BytesIO(data))
    with kubo.open(cid) as stream:
        assert stream.read() == data
    info = kubo.stat(cid)
    assert (info.cid, info.size, info.root_codec, info.pinned) == (cid, len(data), "dag-pb", True)


def test_pin_unpin(kubo: KuboStore) -> None:
    cid = kubo.put(b"pin me", pin=False)
    assert not kubo.is_pinned(cid)
    kubo.pin(cid)
    assert kubo.is_pinned(cid)
    kubo.unpin(cid)
    assert not kubo.is_pinned(cid)
    with pytest.raises(NotPinnedError, match=cid):
        kubo.unpin(cid)


def test_absent_block_is_reported_within_the_lookup_timeout(kubo: KuboStore) -> None:
    started = time.monotonic()
    with pytest.raises(ArtifactNotFoundError, match=ABSENT):
        kubo.get(ABSENT)
    assert time.monotonic() - started < 10  # the offline node would otherwise wait forever
    assert not kubo.has(ABSENT)


def test_a_truncated_car_reaches_nothing_to_the_node(kubo: KuboStore, embedded: EmbeddedStore) -> None:
    data = artifact(CHUNK_SIZE + 9, seed="truncated")
    cid = embedded.put(data)
    car = io.BytesIO()
    embedded.export_car(cid, car)
    with pytest.raises(InvalidCarError, match="truncated"):
        kubo.import_car(io.BytesIO(car.getvalue()[:-100]))
    assert not kubo.has(cid)


def test_node_cids_are_normalized(kubo: KuboStore) -> None:
    # js-ipfs answers CIDv1 in base58btc unless asked; every CID the backend returns is base32.
    cid = kubo.put(b"normalized")
    assert cid.startswith("bafk") and cid == normalize_cid(cid)


def test_factory_builds_the_kubo_backend(ipfs_node: str) -> None:
    store = open_artifact_store(ArtifactStoreSettings(backend="kubo", kubo_url=ipfs_node))
    try:
        assert isinstance(store, KuboStore)
        assert store.version()
    finally:
        store.close()


def test_an_unreachable_node_is_a_clear_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        unused_port = probe.getsockname()[1]  # closed again: nothing listens there
    store = KuboStore(f"http://127.0.0.1:{unused_port}", timeout_seconds=2)
    with pytest.raises(StoreUnavailableError, match="cannot be reached"):
        store.put(b"nowhere")
    store.close()


@pytest.mark.parametrize(
    ("url", "multiaddr"),
    [
        ("http://127.0.0.1:5001", "/ip4/127.0.0.1/tcp/5001/http"),
        ("https://ipfs.example.org", "/dns/ipfs.example.org/tcp/443/https"),
        ("http://[::1]:5001", "/ip6/::1/tcp/5001/http"),
        ("/ip4/10.0.0.2/tcp/5001/http", "/ip4/10.0.0.2/tcp/5001/http"),
    ],
)
def test_rpc_addresses(url: str, multiaddr: str) -> None:
    assert rpc_multiaddr(url) == multiaddr


@pytest.mark.parametrize("url", ["ftp://host:21", "127.0.0.1:5001", "http://host:5001/api/v0"])
def test_bad_rpc_addresses_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="Kubo RPC address"):
        rpc_multiaddr(url)


def test_an_artifact_added_as_cidv0_is_read_and_verified(ipfs_node: str, embedded: EmbeddedStore) -> None:
    # What a plain `ipfs add` makes: CIDv0, dag-pb leaves holding the bytes inline.
    data = artifact(2 * CHUNK_SIZE + 11, seed="cidv0")
    client = ipfshttpclient.Client(rpc_multiaddr(ipfs_node), timeout=30)
    try:
        v0 = client.add(io.BytesIO(data), timeout=30)["Hash"]
        node_car = client.dag.export(v0, timeout=30)
    finally:
        client.close()
    assert v0.startswith("Qm")
    assert embedded.import_car(io.BytesIO(node_car)) == [normalize_cid(v0)]
    assert embedded.get(v0) == data
    assert embedded.stat(v0).size == len(data)


def test_cli_against_the_node(ipfs_node: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from merit.cli import app

    runner = CliRunner()
    source = tmp_path / "report.json"
    source.write_bytes(artifact(CHUNK_SIZE + 40, seed="cli"))
    added = runner.invoke(app, ["artifacts", "add", str(source), "--kubo", ipfs_node])
    assert added.exit_code == 0, added.stderr
    cid = added.stdout.strip()
    assert cid == compute_artifact_cid(source.read_bytes())
    target = tmp_path / "back.json"
    fetched = runner.invoke(app, ["artifacts", "get", cid, "-o", str(target), "--kubo", ipfs_node])
    assert fetched.exit_code == 0, fetched.stderr
    assert target.read_bytes() == source.read_bytes()
