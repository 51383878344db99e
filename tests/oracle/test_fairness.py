"""The oracle's side of a fair epoch, tried as the people who would be paid for nothing: a hidden
slice nobody can read before it is revealed (and anyone can check after), bonds that only valid work
gets back, and a funding proposal that, cancelled or defeated, is proposed again until the epoch is
paid once."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from typer.testing import CliRunner

from dao.artifacts import compute_artifact_cid
from dao.proposals import parse_fund_epoch_description
from dao.slices import content_hash, verify_slice
from merit.cli import app as merit
from oracle.hidden import load_slice_set
from oracle.service import OracleService
from oracle.settings import load_settings
from oracle.state import Step
from tests.helpers import TOKEN
from tests.oracle.helpers import (
    chain_ledger,
    journal_proposal,
    journal_report,
    register_sliced_project,
    write_config,
)

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test


def test_the_slice_is_served_nowhere_before_its_reveal_and_checkable_by_anyone_after(world, registry, bob, outsider):
    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    hidden = load_slice_set(world.settings.project.slices_path).slices[0]
    dry = OracleService(load_settings(write_config(world, "dry.json", private_key=None)))
    try:
        scored = dry.close_epoch(0, wait=True)  # scored on the slice; the reveal is not sent
    finally:
        dry.close()
    inputs = journal_report(scored).inputs
    # before the reveal: not in the store (which the API serves), not in the report, not in any event
    for cid in (compute_artifact_cid(hidden.data), inputs.answers_cid):
        assert cid is not None and not world.store.has(cid)
    assert hidden.data not in scored.report_json.encode() and hidden.salt.hex() not in scored.report_json
    assert registry.events.get_sequence(world.first_block, event_type="SliceRevealed") == []

    service = OracleService(world.settings)
    try:
        record = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert record.current_step is Step.PROPOSED
    [event] = registry.events.get_sequence(world.first_block, event_type="SliceRevealed")
    assert (event.args.projectId, event.args.epoch, event.args.sliceIndex) == (world.project_id, 0, 0)
    # anyone: fetch the bytes by the CID the event names, hash them, and check the committed root
    published = world.store.get(event.args.cid)
    assert content_hash(published) == bytes(event.args.contentHash)
    root = bytes(registry.project(world.project_id)["slicesRoot"])
    slices = load_slice_set(world.settings.project.slices_path)
    assert verify_slice(root, 0, published, bytes(event.args.salt), slices.proof(0))
    assert world.store.has(inputs.answers_cid)  # the answers the report names, published with it
    assert registry.slicesLeft(world.project_id) == len(slices) - 1
    revealed, _, index = registry.epochSlice(world.project_id, 0)
    assert revealed and index == 0


def test_bonds_come_back_for_valid_work_only(world, registry, token, treasury, alice, bob, carol, outsider, web3):
    bond = 10 * TOKEN
    project_id, slices = register_sliced_project(
        registry, treasury, [world.workload.answers] * 2, world.tmp_path / "bonded", bond=bond
    )
    world.project_id = project_id
    for account in (bob, carol, outsider, alice):
        if account != alice:
            token.transfer(account, bond, {"from": alice})
        token.approve(registry, bond, {"from": account})
    held = token.balanceOf(registry)
    good, _ = world.submit(bob, world.workload.predictions["better"])
    malformed, _ = world.submit(carol, world.workload.predictions["malformed"])
    copied, _ = world.submit(outsider, world.workload.predictions["better"])  # bob's file, committed after his
    silent, _ = world.submit(alice, world.workload.predictions["best"])  # committed, never revealed
    assert token.balanceOf(registry) == held + 4 * bond
    world.pending = [p for p in world.pending if p.contribution_id != silent]
    world.finalize(0)
    project = world.settings.project.model_dump(mode="json")
    project.update(project_id=project_id, slices_path=str(slices))
    settings = load_settings(write_config(world, "bonded.json", project=project))
    before = {a: token.balanceOf(a) for a in (bob, carol, outsider, alice, treasury)}
    service = OracleService(settings)
    try:
        record = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert record.current_step is Step.PROPOSED
    assert [c["contribution_id"] for c in record.unrevealed] == [silent]
    gained = {a: token.balanceOf(a) - before[a] for a in before}
    assert gained[bob] == bond  # valid: returned
    assert gained[carol] == gained[outsider] == gained[alice] == 0  # malformed, a copy, never revealed
    assert gained[treasury] == 3 * bond
    assert token.balanceOf(registry) == held  # nothing held for this epoch any more
    statuses = {i: registry.contribution(i)["status"] for i in (good, malformed, copied, silent)}
    assert statuses == {good: 3, malformed: 4, copied: 4, silent: 5}  # ACCEPTED, REJECTED, REJECTED, FORFEITED


def _oracle_account(world):
    return Account.from_key(world.settings.private_key.get_secret_value())


def test_a_cancelled_funding_proposal_is_proposed_again_and_the_epoch_paid_once(
    world, governance, governor, distributor, alice, bob, outsider, oracle, web3
):
    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    service = OracleService(world.settings)
    try:
        first = service.close_epoch(0, wait=False)
        proposal = journal_proposal(first)
        # the only account that can cancel it while pending is its proposer (the oracle's key, here a
        # mistaken operator); nobody else can create or cancel it (tests/contracts cover both)
        governor.cancel(*proposal.lifecycle_args(), {"from": oracle})
        second = service.close_epoch(0, wait=False)
        assert second.current_step is Step.PROPOSED and second.proposal_attempt == 2
        assert second.proposal_id != first.proposal_id
        said = parse_fund_epoch_description(journal_proposal(second).description)
        assert said is not None and said.attempt == 2 and said.proposer == _oracle_account(world).address
        again = journal_proposal(second)
        governance.open_voting(again)
        governance.vote(again, [alice, bob])
        governance.close_voting(again)
        service.close_epoch(0, wait=False)
        governance.wait_timelock()
        done = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert done.current_step is Step.EXECUTED
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert ledger.fundings == [(0, done.report_cid)]  # paid once
    status = CliRunner().invoke(merit, ["oracle", "status", "--config", str(world.config_file), "--json"])
    assert status.exit_code == 0 and json.loads(status.output.splitlines()[0])["proposal_attempt"] == 2
    assert ledger.proposals == [int(first.proposal_id), int(second.proposal_id)]


def test_a_defeated_proposal_is_proposed_again_until_the_attempts_run_out(
    world, governance, bob, outsider, web3, tmp_path
):
    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    settings = load_settings(write_config(world, "two-attempts.json", max_proposal_attempts=2))
    service = OracleService(settings)
    try:
        record = service.close_epoch(0, wait=False)
        for attempt in (1, 2):
            assert record.current_step is Step.PROPOSED and record.proposal_attempt == attempt
            governance.close_voting(journal_proposal(record))  # nobody votes: defeated
            record = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert record.current_step is Step.DEFEATED and record.proposal_attempt == 2
    ledger = chain_ledger(web3.provider.endpoint_uri, world.settings.deployment, world.first_block)
    assert len(ledger.proposals) == 2 and ledger.fundings == []
