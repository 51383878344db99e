"""The loop: every closed epoch is advanced, oldest first; the champion an epoch ends with enters the
next; `merit oracle run` works until SIGTERM and stops cleanly; `status` shows the journal."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from merit.cli import app as merit
from oracle.service import OracleService
from oracle.settings import load_settings
from oracle.state import Step
from tests.oracle.helpers import (
    chain_ledger,
    journal_proposal,
    journal_report,
    write_config,
)

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test

MERIT = str(Path(sys.executable).with_name("merit"))


def test_ticks_close_consecutive_epochs_and_carry_the_champion(world, governance, alice, bob, carol, outsider, web3):
    workload = world.workload
    world.submit(bob, workload.predictions["better"])
    world.finalize(0)  # the clock is now in epoch 1's commit window
    world.submit(outsider, workload.predictions["best"])
    world.submit(carol, workload.predictions["better"])  # a copy of epoch 0's champion
    world.finalize(1)

    service = OracleService(world.settings)
    try:
        assert service.last_closed_epoch() == 1
        first, second = service.tick()
        assert (first.epoch, second.epoch) == (0, 1)
        assert first.current_step is second.current_step is Step.PROPOSED
        report0, report1 = journal_report(first), journal_report(second)
        assert report1.inputs.champion_cid == report0.champion_after == report0.model_scores[0].cid
        assert [s.reason.value if s.reason else None for s in report1.model_scores] == [None, "exact_copy"]
        for record in (first, second):
            proposal = journal_proposal(record)
            governance.open_voting(proposal)
            governance.vote(proposal, [alice, bob])
        governance.close_voting(journal_proposal(second))
        assert [r.current_step for r in service.tick()] == [Step.QUEUED, Step.QUEUED]
        governance.wait_timelock()
        assert [r.current_step for r in service.tick()] == [Step.EXECUTED, Step.EXECUTED]
        assert service.tick() == []  # nothing left to do
    finally:
        service.close()
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert sorted(ledger.fundings) == [(0, first.report_cid), (1, second.report_cid)]


def test_run_works_until_sigterm_and_status_shows_the_journal(world, bob, outsider):
    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    log = world.tmp_path / "run.log"
    process = subprocess.Popen(
        [MERIT, "oracle", "run", "--config", str(world.config_file)], stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while (record := world.record(0)) is None or record.current_step is not Step.PROPOSED:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, log.read_text()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = log.read_text().splitlines()
    assert any('"message": "step done"' in line and '"step": "proposed"' in line for line in lines)
    status = CliRunner().invoke(merit, ["oracle", "status", "--config", str(world.config_file)], env={"COLUMNS": "250"})
    assert status.exit_code == 0
    assert "proposed" in status.output and record.report_cid in status.output
    assert "waiting: epoch 0: proposal pending" in status.output


def test_an_epoch_without_submissions_is_closed_with_nothing_to_fund(world, web3):
    world.finalize(0)
    service = OracleService(world.settings)
    try:
        record = service.close_epoch(0, wait=True)
    finally:
        service.close()
    assert record.current_step is Step.NOTHING_TO_FUND and record.submissions == []
    report = journal_report(record)
    assert report.allocations == [] and report.unallocated_wei == report.inputs.budget_wei
    assert world.store.is_pinned(record.report_cid) and record.proposal is None
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert ledger.attestations == {} and ledger.proposals == [] and ledger.fundings == []


def test_with_the_finalized_tag_an_epoch_waits_for_finality(world, bob, web3):
    world.submit(bob, world.workload.predictions["better"])
    world.finalize(0)
    settings = load_settings(write_config(world, "finalized.json", finality="finalized"))
    service = OracleService(settings)
    try:
        end = world.windows(0)[2]
        finalized = web3.eth.get_block("finalized")
        assert finalized["timestamp"] < end <= web3.eth.get_block("latest")["timestamp"]
        waiting = service.close_epoch(0, wait=False)
        assert waiting.current_step is Step.NEW
        assert waiting.note == (
            f"waiting: epoch 0 closes at {end}; the final head (block {finalized['number']}) "
            f"is timed {finalized['timestamp']}"
        )
        while web3.eth.get_block("finalized")["timestamp"] < end:
            world.chain.mine(8)
        assert service.close_epoch(0, wait=False).current_step is Step.PROPOSED
    finally:
        service.close()
