"""The indexer against anvil with the real contracts: backfill of every commit-reveal event,
idempotence, a restart part-way, provider refusals, and a reorg with `anvil_reorg`."""

from __future__ import annotations

from sqlalchemy import func, select

from api import models as m
from api.indexer import RangeRefused
from dao.proposals import ProposalState, epoch_key
from dao.vocabulary import Status
from tests.api.chain.conftest import BOND, TOKEN, WINDOW
from tests.api.fakes import table_snapshot


def test_backfill_stores_every_event(scenario, sessions, make_indexer, alice, bob, carol, governor, registry):
    indexer = make_indexer(sessions, max_range=4)
    assert indexer.run_once() > 3  # small ranges: many of them
    digits, signs = scenario.digits, scenario.signs
    ids = {name: c.contribution_id for name, c in scenario.commits.items()}
    with sessions() as session:
        rows = {c.contribution_id: c for c in session.scalars(select(m.Contribution))}
        assert sorted(rows) == sorted(ids.values())
        assert {name: rows[i].status for name, i in ids.items()} == {
            "alice_digits": "accepted",
            "bob_digits": "rejected",
            "carol_digits": "forfeited",
            "alice_signs": "accepted",
        }
        assert {name: rows[i].bond_state for name, i in ids.items()} == {
            "alice_digits": "returned",
            "bob_digits": "forfeited",
            "carol_digits": "forfeited",
            "alice_signs": "none",
        }
        alice_digits = rows[ids["alice_digits"]]
        assert (alice_digits.project_id, alice_digits.epoch, alice_digits.contributor) == (digits, 0, alice.address)
        assert (alice_digits.score, alice_digits.valid, alice_digits.bond) == (20, True, BOND)
        assert alice_digits.cid == scenario.commits["alice_digits"].cid and alice_digits.kind == 0
        assert rows[ids["carol_digits"]].cid is None and rows[ids["alice_signs"]].kind == 1
        for i in ids.values():  # what the registry says
            assert Status.from_code(registry.contribution(i).dict()["status"]).value == rows[i].status
        epochs = {(e.project_id, e.epoch): e for e in session.scalars(select(m.Epoch))}
        assert {k: e.report_status for k, e in epochs.items()} == {(digits, 0): "ok", (signs, 0): "ok"}
        assert epochs[(digits, 0)].epoch_key == epoch_key(digits, 0)
        assert epochs[(digits, 0)].merkle_root == scenario.trees[digits].root
        assert epochs[(digits, 0)].total == 1000 * TOKEN
        assert session.scalar(select(func.count()).select_from(m.AllocationRow)) == 5
        assert session.scalar(select(func.count()).select_from(m.ScoreExplanation)) == 3
        (claim,) = session.scalars(select(m.Claim))
        assert (claim.project_id, claim.epoch, claim.account, claim.amount) == (digits, 0, alice.address, 600 * TOKEN)
        (piece,) = session.scalars(select(m.RevealedSlice))
        hidden = scenario.slices[digits].slices[0]
        assert (piece.project_id, piece.epoch, piece.slice_set, piece.slice_index) == (digits, 0, 1, 0)
        assert piece.content_hash == "0x" + hidden.content_hash.hex() and piece.salt == "0x" + hidden.salt.hex()
        schedules = {(s.project_id, s.from_epoch): s for s in session.scalars(select(m.ProjectSchedule))}
        assert set(schedules) == {(digits, 0), (signs, 0)}
        assert (schedules[(digits, 0)].commit_window, schedules[(digits, 0)].bond) == (WINDOW, BOND)
        assert session.scalar(select(func.count()).select_from(m.SliceSet)) == 2
        proposal = session.get(m.Proposal, scenario.proposal_id)
        assert proposal is not None and proposal.proposer == alice.address
        assert [e.event for e in session.scalars(select(m.ProposalEvent).order_by(m.ProposalEvent.block_number))] == [
            "queued",
            "executed",
        ]
        assert sorted(v.voter for v in session.scalars(select(m.Vote))) == sorted([alice.address, bob.address])
        assert session.scalar(select(func.count()).select_from(m.Delegation)) == 3
        assert session.get(m.Project, digits).name == "digits"
        newest = session.scalar(select(m.IndexedBlock).order_by(m.IndexedBlock.number.desc()).limit(1))
        assert newest.timestamp is not None
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
    scenario, sessions, reference_sessions, make_indexer, w3, distributor, bob
):
    signs = scenario.signs
    leaf = scenario.leaves[signs][1]  # bob's leaf in signs' epoch 0
    proof = scenario.trees[signs].get_proof(1)
    distributor.claim(epoch_key(signs, 0), leaf.index, leaf.account, leaf.amount, proof, {"from": bob})
    indexer = make_indexer(sessions)
    indexer.run_once()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Claim)) == 2
        assert session.get(m.Epoch, (signs, 0)) is not None
    head = w3.eth.block_number
    # Replace the last 3 blocks (funding signs' epoch 0, alice's claim, bob's claim) with empty ones.
    response = w3.provider.make_request("anvil_reorg", [3, []])
    assert "error" not in response, response
    assert w3.eth.block_number == head
    indexer.run_once()
    assert indexer.stats.reorgs == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Claim)) == 0  # no phantom claims
        assert session.get(m.Epoch, (signs, 0)) is None
        assert session.scalar(select(func.count()).where(m.AllocationRow.project_id == signs)) == 0
        assert session.scalar(select(func.count()).where(m.ScoreExplanation.project_id == signs)) == 0
        assert session.get(m.Epoch, (scenario.digits, 0)) is not None  # below the ancestor: kept
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
        assert session.get(m.Epoch, (scenario.signs, 0)) is None  # funded in one of the two replaced blocks
