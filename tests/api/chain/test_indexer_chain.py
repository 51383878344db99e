"""The indexer against anvil with the real contracts: backfill, idempotence, a restart part-way,
provider refusals, and a reorg with `anvil_reorg`."""

from __future__ import annotations

from sqlalchemy import func, select

from api import models as m
from api.indexer import RangeRefused
from dao.proposals import ProposalState
from tests.api.chain.conftest import TOKEN
from tests.api.fakes import table_snapshot


def test_backfill_stores_every_event(scenario, sessions, make_indexer, alice, bob, governor):
    indexer = make_indexer(sessions, max_range=4)
    assert indexer.run_once() > 3  # small ranges: many of them
    with sessions() as session:
        contributions = list(session.scalars(select(m.Contribution).order_by(m.Contribution.contribution_id)))
        assert [c.contribution_id for c in contributions] == scenario.contribution_ids
        assert [c.status for c in contributions] == ["scored", "rejected", "scored", "pending"]
        assert [c.epoch_id for c in contributions] == [1, 1, 2, None]
        assert contributions[0].contributor == alice.address and contributions[0].score == 20
        epochs = {e.epoch_id: e for e in session.scalars(select(m.Epoch))}
        assert {k: e.report_status for k, e in epochs.items()} == {1: "ok", 2: "ok"}
        assert epochs[1].merkle_root == scenario.trees[1].root and epochs[1].total == 1000 * TOKEN
        assert session.scalar(select(func.count()).select_from(m.AllocationRow)) == 5
        (claim,) = session.scalars(select(m.Claim))
        assert (claim.epoch_id, claim.account, claim.amount) == (1, alice.address, 600 * TOKEN)
        proposal = session.get(m.Proposal, scenario.proposal_id)
        assert proposal is not None and proposal.proposer == alice.address
        assert [e.event for e in session.scalars(select(m.ProposalEvent).order_by(m.ProposalEvent.block_number))] == [
            "queued",
            "executed",
        ]
        assert sorted(v.voter for v in session.scalars(select(m.Vote))) == sorted([alice.address, bob.address])
        assert session.scalar(select(func.count()).select_from(m.Delegation)) == 3
        assert session.get(m.Project, scenario.project_id).name == "digits"
    assert governor.state(scenario.proposal_id) == ProposalState.EXECUTED


def test_rerunning_changes_nothing(scenario, sessions, make_indexer, w3):
    make_indexer(sessions).run_once()
    before = table_snapshot(sessions)
    again = make_indexer(sessions)
    again.index_range(again.start_block, w3.eth.block_number)  # the whole range once more, ignoring the cursor
    assert again.run_once() == 0
    assert table_snapshot(sessions) == before


def test_restart_mid_backfill_ends_where_one_run_ends(scenario, sessions, reference_sessions, make_indexer):
    first = make_indexer(sessions, max_range=3)
    assert first.run_once(max_ranges=4) == 4  # stopped part-way, as a crash would
    with sessions() as session:
        stopped_at = session.scalar(select(m.IndexerCursor.block_number))
        assert session.scalar(select(func.count()).select_from(m.Epoch)) == 0
    restarted = make_indexer(sessions, max_range=3)
    assert restarted.run_once() > 0
    make_indexer(reference_sessions, max_range=10_000).run_once()
    assert table_snapshot(sessions) == table_snapshot(reference_sessions)
    assert stopped_at == first.start_block + 4 * 3 - 1


def test_refused_ranges_are_halved(scenario, sessions, reference_sessions, make_indexer):
    indexer = make_indexer(sessions, max_range=64)
    real_get_logs = indexer.get_logs

    def picky(from_block: int, to_block: int):  # a provider that answers at most 5 blocks at once
        if to_block - from_block + 1 > 5:
            raise RangeRefused(f"query exceeds max block range 5 ({from_block}-{to_block})")
        return real_get_logs(from_block, to_block)

    indexer.get_logs = picky
    indexer.run_once()
    assert indexer.stats.refusals >= 3
    make_indexer(reference_sessions).run_once()
    assert table_snapshot(sessions) == table_snapshot(reference_sessions)


def test_reorg_rolls_back_to_the_common_ancestor(
    scenario, sessions, reference_sessions, make_indexer, w3, alice, distributor, bob
):
    leaf = scenario.leaves[2][1]  # bob's leaf in epoch 2
    distributor.claim(2, leaf.index, leaf.account, leaf.amount, scenario.trees[2].get_proof(1), {"from": bob})
    indexer = make_indexer(sessions)
    indexer.run_once()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Claim)) == 2
        assert session.get(m.Epoch, 2) is not None
    head = w3.eth.block_number
    # Replace the last 3 blocks (fundEpoch 2, alice's claim, bob's claim) with empty ones.
    response = w3.provider.make_request("anvil_reorg", [3, []])
    assert "error" not in response, response
    assert w3.eth.block_number == head
    indexer.run_once()
    assert indexer.stats.reorgs == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Claim)) == 0  # no phantom claims
        assert session.get(m.Epoch, 2) is None
        assert (
            session.scalar(select(func.count()).select_from(m.AllocationRow).where(m.AllocationRow.epoch_id == 2)) == 0
        )
        assert session.get(m.Contribution, scenario.contribution_ids[2]).epoch_id is None
    make_indexer(reference_sessions).run_once()
    assert table_snapshot(sessions) == table_snapshot(reference_sessions)


def test_merit_index_run_once(scenario, sessions, database_url, manifest, w3, store, monkeypatch):
    import json

    from typer.testing import CliRunner

    from merit.cli import app

    monkeypatch.setenv("MERIT_API_DATABASE_URL", database_url)
    monkeypatch.setenv("MERIT_API_RPC_URL", w3.provider.endpoint_uri)
    monkeypatch.setenv("MERIT_API_DEPLOYMENT", str(manifest))
    monkeypatch.setenv("MERIT_ARTIFACTS_PATH", str(store.path))  # the scenario's store
    result = CliRunner().invoke(app, ["index", "run", "--once", "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["events"] > 10 and summary["reorgs"] == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Contribution)) == 4
        assert {e.report_status for e in session.scalars(select(m.Epoch))} == {"ok"}


def test_a_reorg_between_the_check_and_the_next_range_is_caught(
    scenario, sessions, reference_sessions, make_indexer, w3
):
    indexer = make_indexer(sessions)
    indexer.run_once()
    with sessions() as session:
        cursor = session.scalar(select(m.IndexerCursor.block_number))
    assert "error" not in w3.provider.make_request("anvil_reorg", [2, []])
    w3.provider.make_request("evm_mine", [])
    # What run_once would do next had the reorg come right after its check: the next range.
    indexer.index_range(cursor + 1, w3.eth.block_number)
    assert indexer.stats.reorgs == 1
    indexer.run_once()
    make_indexer(reference_sessions).run_once()
    assert table_snapshot(sessions) == table_snapshot(reference_sessions)
    with sessions() as session:
        assert session.get(m.Epoch, 2) is None  # funded in one of the two replaced blocks
