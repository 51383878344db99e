"""Explorer API and indexer, each against a named peer in the same run:

1. Keyset pagination on 1,000,000 contributions in SQLite: a deep page of the history (and of
   one contributor's history) against the first page; OFFSET paging shown beside it.
2. The history endpoint's requests per second against a minimal FastAPI app returning the same
   JSON from memory; both served by uvicorn on loopback, each loaded from this (second) process
   with a bounded number of keep-alive requests over a few connections.
3. Indexer log throughput against a naive web3.py loop (`w3.eth.get_logs` + `process_log` per
   log) over the same Committed logs on an anvil chain started here
   (MERIT_BENCH_ANVIL_PORT, default 8547).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROWS = 1_000_000
CONTRIBUTORS = 5_000
PAGE = 50
REQUESTS = 4_000
CONNECTIONS = 8
SUBMISSIONS = 20_000
ANVIL_PORT = int(os.environ.get("MERIT_BENCH_ANVIL_PORT", "8547"))
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def _address(i: int) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address("0x" + f"{(i * 2654435761 + 977) % 2**160:040x}")


def build_database(path: Path) -> list[str]:
    """1,000,000 contributions through the real schema; returns the contributor addresses."""
    from api.db import make_engine, upgrade_schema

    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    contributors = [_address(i) for i in range(CONTRIBUTORS)]
    rng = random.Random(11)
    connection = sqlite3.connect(path)
    statuses = ("committed", "revealed", "accepted", "rejected", "forfeited")

    def rows():
        for cid in range(1, ROWS + 1):
            status = statuses[cid % 5]
            revealed = status in ("revealed", "accepted", "rejected")
            attested = status in ("accepted", "rejected")
            yield (
                cid,
                1 + cid % 7,
                cid // 10_000,
                contributors[rng.randrange(CONTRIBUTORS)],
                "0x" + f"{cid:064x}",
                "0".zfill(78),
                None,
                cid // 10,
                "0x" + f"{cid:064x}",
                status,
                cid % 2 if revealed else None,
                CID if revealed else None,
                cid // 10 + 1 if revealed else None,
                "0x" + f"{cid + 1:064x}" if revealed else None,
                None,
                str(cid % 1000).zfill(78) if attested else None,
                (status == "accepted") if attested else None,
                None,
                "none",
            )

    with connection:
        connection.executemany(
            "INSERT INTO contributions (contribution_id, project_id, epoch, contributor, commitment, bond, relayer,"
            " block_number, tx_hash, status, kind, cid, reveal_block, reveal_tx, reveal_relayer, score, valid,"
            " report_cid, bond_state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(),
        )
    connection.execute("ANALYZE")
    connection.close()
    return contributors


def _paired_medians(first: Callable[[], object], second: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Medians of two calls timed alternately, so that drift on the machine hits both alike."""
    first(), second()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        for call, times in ((first, a), (second, b)):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return statistics.median(a), statistics.median(b)


def _median_seconds(call, repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_pagination(path: Path, contributors: list[str]) -> None:
    from sqlalchemy import select

    from api import models as m
    from api.db import make_engine, session_factory
    from api.routes.contributions import _COLUMNS, contribution_page
    from api.schemas import encode_page_token

    engine = make_engine(f"sqlite:///{path}")
    sessions = session_factory(engine)
    deep_token = encode_page_token(1_000)  # 999,000 rows into the newest-first history
    with sessions() as session, engine.connect() as connection:

        def first() -> None:
            contribution_page(connection, limit=PAGE, page_token=None)

        def deep() -> None:
            body = contribution_page(connection, limit=PAGE, page_token=deep_token).body
            assert b'"contribution_id":999' in body

        who = contributors[17]
        ids = list(
            session.scalars(
                select(m.Contribution.contribution_id)
                .where(m.Contribution.contributor == who)
                .order_by(m.Contribution.contribution_id)
            )
        )
        who_token = encode_page_token(ids[PAGE + 1])  # that contributor's oldest page

        def first_of_one() -> None:
            contribution_page(connection, limit=PAGE, page_token=None, contributor=who)

        def deep_of_one() -> None:
            contribution_page(connection, limit=PAGE, page_token=who_token, contributor=who)

        def offset_deep() -> None:
            session.execute(
                select(*_COLUMNS).order_by(m.Contribution.contribution_id.desc()).offset(ROWS - 1_000).limit(PAGE)
            ).all()

        t_first, t_deep = _paired_medians(first, deep, 500)
        t_first1, t_deep1 = _paired_medians(first_of_one, deep_of_one, 500)
        t_offset = _median_seconds(offset_deep, 5)
    engine.dispose()
    print(f"keyset pagination, {ROWS:,} contributions in SQLite, pages of {PAGE} (median):")
    print(
        f"  history   first page {t_first * 1e3:.3f} ms, page 999,000 rows deep {t_deep * 1e3:.3f} ms:"
        f" deep/first = {t_deep / t_first:.2f} (target <= 1.1)"
    )
    print(
        f"  one contributor ({len(ids)} rows) first {t_first1 * 1e3:.3f} ms, last page {t_deep1 * 1e3:.3f} ms:"
        f" deep/first = {t_deep1 / t_first1:.2f}"
    )
    print(f"  (OFFSET paging to the same depth: {t_offset * 1e3:.1f} ms = {t_offset / t_first:.0f} x the first page)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER = r"""
import json, sys, logging
import uvicorn
kind, port, arg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if kind == "openmerit":
    from api.main import create_app
    from api.settings import Settings
    app = create_app(Settings(database_url=arg, deployment="/nonexistent.json"))
elif kind == "peer":
    from fastapi import FastAPI
    payload = json.loads(open(arg).read())
    app = FastAPI()

    @app.get("/contributions")
    async def contributions():
        return payload
else:  # the floor: the JSON bytes themselves, nothing encoded per request
    from fastapi import FastAPI, Response
    body = open(arg, "rb").read()
    app = FastAPI()

    @app.get("/contributions")
    async def contributions():
        return Response(body, media_type="application/json")
uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
"""


async def _load(port: int, path: str, total: int, connections: int) -> tuple[float, int]:
    """Sends `total` GETs over `connections` keep-alive connections; returns (seconds, errors)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    remaining = [total]
    errors = [0]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while remaining[0] > 0:
            remaining[0] -= 1
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not head.startswith(b"HTTP/1.1 200"):
                errors[0] += 1
            await reader.readexactly(length)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - started, errors[0]


def _serve(kind: str, port: int, arg: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, kind, str(port), arg],
        cwd=REPO,
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the {kind} server did not start")


def bench_requests_per_second(path: Path, tmp: Path) -> None:
    import httpx

    url_path = f"/contributions?limit={PAGE}"
    ours_port, peer_port, raw_port = _free_port(), _free_port(), _free_port()
    ours = _serve("openmerit", ours_port, f"sqlite:///{path}")
    try:
        payload = httpx.get(f"http://127.0.0.1:{ours_port}{url_path}").json()
        (tmp / "payload.json").write_text(json.dumps(payload))
        peer = _serve("peer", peer_port, str(tmp / "payload.json"))
        raw = _serve("peer-raw", raw_port, str(tmp / "payload.json"))
        try:
            assert httpx.get(f"http://127.0.0.1:{peer_port}{url_path}").json() == payload
            assert httpx.get(f"http://127.0.0.1:{raw_port}{url_path}").json() == payload
            results: dict[str, list[float]] = {"openmerit": [], "peer": [], "peer-raw": []}
            for _ in range(3):  # interleaved rounds: drift on the machine hits all alike
                for name, port in (("openmerit", ours_port), ("peer", peer_port), ("peer-raw", raw_port)):
                    seconds, errors = asyncio.run(_load(port, url_path, REQUESTS, CONNECTIONS))
                    assert errors == 0, f"{name}: {errors} non-200 answers"
                    results[name].append(REQUESTS / seconds)
        finally:
            for process in (peer, raw):
                process.terminate()
                process.wait()
    finally:
        ours.terminate()
        ours.wait()
    rps_ours, rps_peer = max(results["openmerit"]), max(results["peer"])
    print(f"history endpoint, {REQUESTS} requests x 3 rounds over {CONNECTIONS} connections (best round):")
    print(
        f"  OpenMerit /contributions (SQLite, {ROWS:,} rows) {rps_ours:,.0f} req/s;"
        f" minimal FastAPI app, same JSON from memory {rps_peer:,.0f} req/s:"
        f" ratio = {rps_ours / rps_peer:.2f} (target >= 0.8)"
    )
    rps_raw = max(results["peer-raw"])
    print(
        f"  (against the same app returning pre-encoded bytes, {rps_raw:,.0f} req/s: ratio = {rps_ours / rps_raw:.2f})"
    )


def bench_indexer(tmp: Path) -> None:
    from eth_utils import keccak
    from web3 import Web3
    from web3.types import RPCEndpoint

    from api.indexer.decoding import LogDecoder
    from dao.abi import abi

    anvil = subprocess.Popen(
        ["anvil", "--port", str(ANVIL_PORT), "--gas-limit", "30000000", "--silent", "--block-base-fee-per-gas", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PATH": f"{REPO / 'node_modules' / '.bin'}:{os.environ['PATH']}"},
    )
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{ANVIL_PORT}", request_kwargs={"timeout": 120}))
        deadline = time.monotonic() + 30
        while not w3.is_connected():
            if time.monotonic() > deadline:
                raise RuntimeError(f"anvil did not start on port {ANVIL_PORT}")
            time.sleep(0.2)
        registry = _deploy_registry(w3)
        _submit_many(w3, registry, SUBMISSIONS)
        head = w3.eth.block_number
        decoder = LogDecoder(
            {"registry": registry.address, "distributor": _address(1), "governor": _address(2), "token": _address(3)}
        )
        naive_contract = w3.eth.contract(address=registry.address, abi=abi("ContributionRegistry"))
        event = naive_contract.events.Committed()
        topic = "0x" + keccak(text="Committed(uint256,uint256,address,uint256,bytes32,uint256,address)").hex()

        def naive() -> int:
            logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": head, "address": registry.address, "topics": [topic]})
            return len([event.process_log(log) for log in logs])

        def bulk() -> int:
            response = w3.provider.make_request(
                RPCEndpoint("eth_getLogs"),
                [{"fromBlock": "0x0", "toBlock": hex(head), "address": decoder.addresses, "topics": [decoder.topics]}],
            )
            return len(decoder.decode_all(response["result"]))

        raw = w3.provider.make_request(
            RPCEndpoint("eth_getLogs"),
            [{"fromBlock": "0x0", "toBlock": hex(head), "address": registry.address, "topics": [topic]}],
        )["result"]
        formatted = w3.eth.get_logs({"fromBlock": 0, "toBlock": head, "address": registry.address, "topics": [topic]})
        # bulk also keeps ProjectRegistered, ScheduleChanged and SlicesRegistered
        assert naive() == SUBMISSIONS and bulk() == SUBMISSIONS + 3
        t_store = _store_seconds(decoder.decode_all(raw), tmp)
        t_naive, t_bulk = _paired_medians(naive, bulk, 3)
        t_naive_decode, t_bulk_decode = _paired_medians(
            lambda: [event.process_log(log) for log in formatted], lambda: decoder.decode_all(raw), 3
        )
    finally:
        anvil.terminate()
        anvil.wait()
    print(f"indexer, {SUBMISSIONS:,} Committed logs from anvil (median of 3):")
    print(
        f"  fetch + decode: naive web3.py get_logs + process_log {SUBMISSIONS / t_naive:,.0f} logs/s,"
        f" OpenMerit raw getLogs + bulk decode {SUBMISSIONS / t_bulk:,.0f} logs/s:"
        f" ratio = {t_naive / t_bulk:.1f} (target >= 5)"
    )
    print(
        f"  decode only: process_log {SUBMISSIONS / t_naive_decode:,.0f} logs/s,"
        f" bulk decode {SUBMISSIONS / t_bulk_decode:,.0f} logs/s: ratio = {t_naive_decode / t_bulk_decode:.1f}"
    )
    print(
        f"  (OpenMerit fetch + decode + store into SQLite: {SUBMISSIONS / (t_bulk + t_store):,.0f} logs/s,"
        f" {t_naive / (t_bulk + t_store):.1f} x the naive loop, which stores nothing)"
    )


def _store_seconds(events: list, tmp: Path) -> float:
    """Seconds for the indexer's `ingest_events` to write these events into a fresh SQLite file."""
    from api.db import make_engine, session_factory, upgrade_schema
    from api.indexer.ingest import ingest_events
    from dao.artifacts.embedded import EmbeddedStore

    engine = make_engine(f"sqlite:///{tmp / 'indexed.db'}")
    upgrade_schema(engine)
    sessions = session_factory(engine)
    started = time.perf_counter()
    with sessions.begin() as session:
        ingest_events(session, EmbeddedStore(tmp / "artifacts"), events)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def _deploy_registry(w3):
    """A registry with one project whose (year-long) commit window is open; no bond, so the bond
    token is never called."""
    artifact = json.loads((REPO / "build" / "contracts" / "ContributionRegistry.json").read_text())
    admin = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(admin, admin, admin, admin).transact({"from": admin})
    )
    registry = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    start = w3.eth.get_block("latest")["timestamp"] + 2
    year = 365 * 86400
    params = ("bench", 0, "accuracy", CID, start, year, year, 0, b"\x11" * 32, 1)
    w3.eth.wait_for_transaction_receipt(registry.functions.registerProject(params).transact({"from": admin}))
    w3.provider.make_request("evm_setNextBlockTimestamp", [start])
    w3.provider.make_request("evm_mine", [])
    return registry


def _submit_many(w3, registry, count: int) -> None:
    """Sends `count` commits in JSON-RPC batches with automine off, mining a block per batch."""
    import requests

    url = w3.provider.endpoint_uri
    senders = w3.eth.accounts[1:10]
    data = registry.functions.commit(1, b"\xc0" * 32)._encode_transaction_data()
    nonces = {s: w3.eth.get_transaction_count(s) for s in senders}
    w3.provider.make_request("evm_setAutomine", [False])
    batch_size = 400
    sent = 0
    while sent < count:
        batch = []
        for i in range(min(batch_size, count - sent)):
            sender = senders[(sent + i) % len(senders)]
            batch.append(
                {
                    "jsonrpc": "2.0",
                    "id": i,
                    "method": "eth_sendTransaction",
                    "params": [
                        {
                            "from": sender,
                            "to": registry.address,
                            "data": data,
                            "gas": hex(120_000),
                            "nonce": hex(nonces[sender]),
                        }
                    ],
                }
            )
            nonces[sender] += 1
        answers = requests.post(url, json=batch, timeout=120).json()
        failed = [a for a in answers if "error" in a]
        assert not failed, failed[:1]
        w3.provider.make_request("evm_mine", [])
        sent += len(batch)
    w3.provider.make_request("evm_setAutomine", [True])
    assert registry.functions.contributionCount().call() == count


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        tmp = Path(folder)
        path = tmp / "contributions.db"
        started = time.perf_counter()
        contributors = build_database(path)
        print(
            f"(built {ROWS:,} contributions in {time.perf_counter() - started:.0f} s,"
            f" {path.stat().st_size / 2**20:.0f} MiB)"
        )
        bench_pagination(path, contributors)
        bench_requests_per_second(path, tmp)
    if not (REPO / "build" / "contracts" / "ContributionRegistry.json").exists():
        print("indexer: skipped, no compiled ContributionRegistry in build/ (run `brownie compile` or make test first)")
        return
    with tempfile.TemporaryDirectory(prefix="bench-indexer-") as folder:
        bench_indexer(Path(folder))


if __name__ == "__main__":
    main()
