"""A reorg below the confirmation depth across the epoch's last blocks (anvil_reorg) is detected
and the epoch read and scored again before anything is attested; without a signer the service
runs in dry mode, says so, and sends nothing."""

from __future__ import annotations

import logging

import pytest

from oracle.service import OracleService
from oracle.settings import load_settings
from oracle.state import Step
from tests.oracle.helpers import (
    CONFIRMATIONS,
    chain_ledger,
    journal_report,
    write_config,
)

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test


def dry_settings(world):
    return load_settings(write_config(world, "dry.json", private_key=None))


def test_dry_mode_scores_but_reveals_publishes_and_sends_nothing(world, bob, outsider, web3, caplog):
    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    caplog.set_level(logging.INFO, logger="oracle")
    service = OracleService(dry_settings(world))
    try:
        assert service.dry_run
        record = service.close_epoch(0, wait=True)
    finally:
        service.close()
    # scored, but the slice is not revealed (nothing is sent), so nothing derived from it is published
    assert record.current_step is Step.SCORED and record.report_cid is None
    assert record.note.startswith("waiting: dry mode: revealSlice 0 not sent")
    inputs = journal_report(record).inputs
    assert inputs.answers_cid is not None and not world.store.has(inputs.answers_cid)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("dry mode: no signer configured") for m in messages)
    dry = next(r for r in caplog.records if r.getMessage() == "dry mode: not sending")
    assert dry.simulation == "ok"  # simulated as the deployment's oracle, which may attest
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert ledger.attestations == {} and ledger.proposals == [] and ledger.fundings == []


def test_reorg_across_the_epoch_end_is_read_again_before_attesting(world, registry, bob, carol, web3):
    workload = world.workload
    better, _ = world.submit(bob, workload.predictions["better"])
    late, _ = world.submit(carol, workload.predictions["weak"])
    world.reveal_all(0)  # carol's reveal is the last transaction of the epoch
    world.finalize(0, reveal=False)

    service = OracleService(dry_settings(world))  # reads and scores; stops before sending
    try:
        before = service.close_epoch(0, wait=True)
    finally:
        service.close()
    assert before.current_step is Step.SCORED
    assert [s["contributor"] for s in before.submissions] == [bob.address, carol.address]

    # the last CONFIRMATIONS + 2 blocks are replaced by empty ones: carol's reveal is gone
    replaced = web3.provider.make_request("anvil_reorg", [CONFIRMATIONS + 2, []])
    assert "error" not in replaced, replaced
    # the new blocks are timed before the epoch's end again: the oracle waits for it once more
    world.finalize(0, reveal=False)

    service = OracleService(world.settings)
    try:
        after = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert after.reorgs == 1, after.note
    assert after.current_step is Step.PROPOSED, after.note
    assert [s["contributor"] for s in after.submissions] == [bob.address]
    assert [c["contribution_id"] for c in after.unrevealed] == [late]  # never revealed: it earns nothing
    report = journal_report(after)
    assert [s.order for s in report.model_scores] == [better]
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert ledger.attestations == {better: [after.report_cid]}
    assert registry.attestation(late)[0] is False


def test_a_proposal_reorganized_away_is_proposed_again_once(world, bob, outsider, web3):
    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    service = OracleService(world.settings)
    try:
        proposed = service.close_epoch(0, wait=False)
        assert proposed.current_step is Step.PROPOSED
        # the block holding the proposal is dropped (the epoch's own blocks are untouched)
        assert "error" not in web3.provider.make_request("anvil_rollback", [1])
        ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
        assert ledger.proposals == []
        again = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert again.current_step is Step.PROPOSED and again.proposal_id == proposed.proposal_id
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert ledger.proposals == [int(proposed.proposal_id)]
    journal = world.journal()
    try:
        proposes = [t for t in journal.transactions(again.chain_id, 0) if t.purpose == "propose"]
    finally:
        journal.close()
    # the journaled transaction was sent again as it was (same nonce and hash), not a new one
    assert len(proposes) == 1 and proposes[0].status.value == "mined" and len(proposes[0].hashes) == 1
    assert web3.eth.get_block(proposes[0].block_number)["hash"].hex().removeprefix("0x") == proposes[
        0
    ].block_hash.removeprefix("0x")
