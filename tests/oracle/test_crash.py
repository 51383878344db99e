"""Crash tests: a real `merit oracle close-epoch` process is SIGKILLed as soon as its journal shows
a state it was never killed at (each step, each transaction journaled, each receipt seen), then
started again, until the epoch is funded. The chain must end with one report CID, one attestation
per contribution, one proposal and one funding."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oracle.service import OracleService
from oracle.state import Step
from tests.oracle.helpers import (
    RpcProxy,
    chain_ledger,
    journal_proposal,
    journal_report,
    write_config,
)

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test

MERIT = str(Path(sys.executable).with_name("merit"))
STATE_TIMEOUT = 60.0


def journal_state(database: Path) -> tuple[str, int, int] | None:
    """(step of epoch 0, transactions journaled, transactions settled), read without locking."""
    if not database.exists():
        return None
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            step = db.execute("SELECT step FROM oracle_epochs WHERE epoch = 0").fetchone()
            txs = db.execute(
                "SELECT count(*), coalesce(sum(status != 'pending'), 0) FROM oracle_transactions"
            ).fetchone()
    except sqlite3.OperationalError:
        return None  # tables not created yet, or a write in progress
    if step is None:
        return None
    return step[0], int(txs[0]), int(txs[1])


def start(config: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [MERIT, "oracle", "close-epoch", "0", "--config", str(config)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_sigkill_at_every_step_then_restart_funds_the_epoch_once(
    world, governance, token, distributor, alice, bob, carol, outsider, web3
):
    workload = world.workload
    contributions = [
        world.submit(bob, workload.predictions["better"])[0],
        world.submit(carol, workload.predictions["malformed"])[0],
        world.submit(outsider, workload.predictions["best"])[0],
        world.submit(alice, workload.predictions["weak"])[0],
    ]
    world.finalize(0)
    database = world.tmp_path / "oracle.db"
    log = world.tmp_path / "oracle.log"
    killed_at: list[tuple[str, int, int]] = []
    voted = timelock_waited = False
    finished = None
    # every request is slowed, so each journal state lasts long enough to be seen and killed at
    with RpcProxy(web3.provider.endpoint_uri, delay=0.05) as proxy:
        config = write_config(world, "crash.json", rpc_url=proxy.url)
        for _ in range(40):
            process = start(config, log)
            try:
                deadline = time.monotonic() + STATE_TIMEOUT
                while True:
                    state = journal_state(database)
                    if state is not None and state not in killed_at:
                        process.send_signal(signal.SIGKILL)
                        break
                    if process.poll() is not None:
                        break
                    assert time.monotonic() < deadline, (
                        f"no new journal state after {killed_at[-1:]}: {log.read_text()[-3000:]}"
                    )
                    time.sleep(0.005)
            finally:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            if process.returncode == 0:
                finished = journal_state(database)
                break
            assert process.returncode == -signal.SIGKILL, log.read_text()[-3000:]
            killed_at.append(state)
            record = world.record(0)
            if record.current_step is Step.PROPOSED and not voted:
                proposal = journal_proposal(record)
                governance.open_voting(proposal)
                governance.vote(proposal, [alice, bob])
                governance.close_voting(proposal)
                voted = True
            if record.current_step is Step.QUEUED and not timelock_waited:
                governance.wait_timelock()
                timelock_waited = True

    assert finished is not None and finished[0] == Step.EXECUTED.value, killed_at
    steps_killed = {state[0] for state in killed_at}
    assert steps_killed >= {"new", "collected", "scored", "pinned", "attested", "proposed", "queued"}, killed_at
    # killed with a transaction journaled but not settled, at least once
    assert any(sent > settled for _, sent, settled in killed_at), killed_at

    record = world.record(0)
    report = journal_report(record)
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert sorted(ledger.attestations) == contributions
    assert all(cids == [record.report_cid] for cids in ledger.attestations.values()), ledger.attestations
    assert ledger.proposals == [int(record.proposal_id)]
    assert ledger.fundings == [(0, record.report_cid)]
    total = sum(a.amount_wei for a in report.allocations)
    assert int(token.balanceOf(distributor)) == total and total > 0


def test_a_lost_journal_finds_the_epochs_proposal_on_chain(world, bob, outsider, web3):
    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    service = OracleService(world.settings)
    try:
        first = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert first.current_step is Step.PROPOSED
    (world.tmp_path / "oracle.db").unlink()  # the journal is gone; the chain and the store remain
    for suffix in ("-wal", "-shm"):
        (world.tmp_path / f"oracle.db{suffix}").unlink(missing_ok=True)
    web3.provider.make_request("evm_increaseTime", [10])  # a later clock: a fresh deadline would differ
    web3.provider.make_request("evm_mine", [])
    service = OracleService(world.settings)
    try:
        again = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert again.current_step is Step.PROPOSED
    assert again.report_cid == first.report_cid and again.proposal_id == first.proposal_id
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert ledger.proposals == [int(first.proposal_id)]
    assert all(cids == [first.report_cid] for cids in ledger.attestations.values())
