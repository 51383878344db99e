"""One epoch end to end on anvil with the real contracts: commits and reveals, a report scored on the
epoch's hidden slice (revealed on chain, and published only then), attestations with verdicts, a
proposal only the oracle can make voted through by test accounts, queue, execute, and claims paid
with proofs from the pinned tree; bad artifacts are rejected with a reason while the epoch completes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dao.artifacts import compute_artifact_cid
from dao.proposals import parse_fund_epoch_description
from merit.cli import app as merit
from oracle.scoring.rejections import RejectionReason
from oracle.scoring.report import report_from_json
from oracle.service import OracleService
from oracle.state import Step
from oracle.verification import verify_epoch
from tests.oracle.helpers import journal_proposal, journal_report, tree_of

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test


def test_epoch_from_submissions_to_claims(world, governance, registry, token, distributor, alice, bob, carol, outsider):
    workload = world.workload
    better, _ = world.submit(bob, workload.predictions["better"])
    malformed, _ = world.submit(carol, workload.predictions["malformed"])
    best, best_cid = world.submit(outsider, workload.predictions["best"])
    never_stored = world.submit_cid(alice, compute_artifact_cid(b"uploaded nowhere"))
    not_a_cid = world.submit_cid(alice, "not-a-cid")
    world.finalize(0)

    service = OracleService(world.settings)
    try:
        record = service.close_epoch(0, wait=False)
        assert record.current_step is Step.PROPOSED and record.note.startswith("waiting: epoch 0: proposal")
        report = journal_report(record)
        verdicts = {s.order: (s.accepted, s.reason) for s in report.model_scores}
        assert verdicts == {
            better: (True, None),
            malformed: (False, RejectionReason.WRONG_LENGTH),
            best: (True, None),
            never_stored: (False, RejectionReason.UNAVAILABLE),
            not_a_cid: (False, RejectionReason.UNAVAILABLE),
        }
        assert report.champion_after == best_cid
        # the pinned report is the journal's, byte for byte
        assert world.store.get(record.report_cid).decode() == record.report_json
        assert world.store.is_pinned(record.report_cid) and world.store.is_pinned(record.tree_cid)
        # every contribution attested once, with its score units
        units = {s.order: s.score_units for s in report.model_scores}
        for contribution, expected in units.items():
            attested, score, valid = registry.attestation(contribution)
            assert attested and int(score) == expected
            assert valid is (contribution != malformed)  # a malformed file is invalid; the unfetched are not
        assert units[better] > 0 and units[best] > 0

        proposal = journal_proposal(record)
        said = parse_fund_epoch_description(proposal.description)
        assert said is not None and (said.project_id, said.epoch, said.report_cid, said.attempt) == (
            world.project_id,
            0,
            record.report_cid,
            1,
        )
        assert said.proposer == world_oracle_address(world)
        governance.open_voting(proposal)
        governance.vote(proposal, [alice, bob])
        governance.close_voting(proposal)
        record = service.close_epoch(0, wait=False)
        assert record.current_step is Step.QUEUED and "timelock delay" in record.note
        governance.wait_timelock()
        record = service.close_epoch(0, wait=False)
        assert record.current_step is Step.EXECUTED and record.note is None
    finally:
        service.close()

    key = distributor.epochKey(world.project_id, 0)
    funded = distributor.epoch(key)
    assert "0x" + bytes(funded[0]).hex() == report.merkle_root
    assert int(funded[1]) == sum(a.amount_wei for a in report.allocations)
    tree = tree_of(world.store, record)
    assert tree.root == report.merkle_root
    for allocation in report.allocations:
        before = token.balanceOf(allocation.account)
        proof = tree.get_proof([str(allocation.index), allocation.account, str(allocation.amount_wei)])
        distributor.claim(key, allocation.index, allocation.account, allocation.amount_wei, proof, {"from": carol})
        assert int(token.balanceOf(allocation.account)) - int(before) == allocation.amount_wei
    assert {a.account for a in report.allocations} == {bob.address, outsider.address}
    assert int(distributor.epoch(key)[2]) == int(funded[1])  # claimed == total

    verification = verify_epoch(world.store, record.report_cid)
    assert verification.matches and not verification.differences

    runner = CliRunner()
    status = runner.invoke(merit, ["oracle", "status", "--config", str(world.config_file), "--json"])
    assert status.exit_code == 0, status.output
    row = json.loads(status.output.splitlines()[0])
    assert row["step"] == "executed" and row["report_cid"] == record.report_cid and row["submissions"] == 5
    verified = runner.invoke(merit, ["oracle", "verify", "0", "--config", str(world.config_file), "--json"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["matches"] is True
    # anyone, with no oracle file or key: the chain names the report, the slice and the reveals
    public = {"MERIT_RPC_URL": world.settings.rpc_url, "MERIT_DEPLOYMENT": str(world.settings.deployment)}
    store = ["--store", str(world.tmp_path / "artifacts")]
    project = ["--project", str(world.project_id)]
    on_chain = runner.invoke(merit, ["verify", "0", *project, *store, "--json"], env=public)
    assert on_chain.exit_code == 0, on_chain.output
    answer = json.loads(on_chain.output)
    assert answer["matches"] and answer["report_cid"] == record.report_cid and answer["differences"] == []
    assert answer["unchecked"] == ["the budget and scoring parameters are the oracle's settings, not on chain"]
    said = runner.invoke(merit, ["verify", "0", *project, *store], env=public)
    assert said.exit_code == 0 and "matches the chain (slice, submissions, funding)" in said.output
    never = runner.invoke(merit, ["verify", "1", *project, *store], env=public)
    assert never.exit_code == 3
    assert never.output == (
        f"error: project {world.project_id}'s epoch 1 was neither funded nor attested on chain: "
        "no public report to verify\n"
    )
    unknown = runner.invoke(merit, ["verify", "0", "--project", "999", *store], env=public)
    assert unknown.exit_code == 3 and unknown.output == "error: no project 999 on chain\n"


def test_verify_names_what_a_tampered_report_changed(world, bob, outsider):
    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    service = OracleService(world.settings)
    try:
        record = service.advance(0)
    finally:
        service.close()
    data = json.loads(record.report_json)
    data["allocations"][0]["amount_wei"] = str(int(data["allocations"][0]["amount_wei"]) + 1)
    tampered = world.store.put(json.dumps(data).encode())
    result = verify_epoch(world.store, tampered)
    assert not result.matches
    assert [d.path for d in result.differences] == ["allocations[0].amount_wei"]
    cli = CliRunner().invoke(
        merit, ["oracle", "verify", "0", "--config", str(world.config_file), "--report-cid", tampered]
    )
    assert cli.exit_code == 1 and "allocations[0].amount_wei" in cli.output
    # from public data: before funding the chain names the report its scores were attested with
    public = {"MERIT_RPC_URL": world.settings.rpc_url, "MERIT_DEPLOYMENT": str(world.settings.deployment)}
    args = ["verify", "0", "--project", str(world.project_id), "--store", str(world.tmp_path / "artifacts"), "--json"]
    honest = CliRunner().invoke(merit, args, env=public)
    assert honest.exit_code == 0, honest.output
    answer = json.loads(honest.output)
    assert answer["matches"] and answer["report_cid"] == record.report_cid
    assert "the epoch is not funded on chain: nothing paid to compare with" in answer["unchecked"]
    caught = CliRunner().invoke(merit, [*args, "--report-cid", tampered], env=public)
    assert caught.exit_code == 1
    assert [d["path"] for d in json.loads(caught.output)["differences"]] == ["allocations[0].amount_wei"]
    assert report_from_json(record.report_json).merkle_root != ""


def test_slices_that_do_not_match_the_commitment_block_the_epoch_with_one_line(world, bob, registry):
    world.submit(bob, world.workload.predictions["better"])
    world.finalize(0)
    slice_file = world.settings.project.slices_path.parent / "slice-000.csv"
    slice_file.write_bytes(world.workload.answers + b"q-extra,y\n")
    result = CliRunner().invoke(merit, ["oracle", "close-epoch", "0", "--config", str(world.config_file)])
    assert result.exit_code == 2  # the oracle's configuration (its slices) is wrong
    *logs, last = result.output.splitlines()  # JSON log lines, then the one-line error
    assert last.startswith("error: the slices in ") and "but the project committed to" in last
    assert all(json.loads(line)["logger"].startswith("oracle") for line in logs)
    assert "Traceback" not in result.output
    record = world.record(0)
    assert record.current_step is Step.COLLECTED and record.note.startswith("blocked: the slices in")
    assert registry.attestation(1)[0] is False


def test_settings_errors_are_one_line(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(merit, ["oracle", "close-epoch", "0", "--config", str(tmp_path / "none.json")])
    assert (
        missing.exit_code == 2
        and missing.output == f"error: settings: {tmp_path / 'none.json'}: no such settings file\n"
    )
    (tmp_path / "bad.json").write_text(json.dumps({"confirmations": "many"}))
    bad = runner.invoke(merit, ["oracle", "run", "--config", str(tmp_path / "bad.json")])
    assert bad.exit_code == 2 and bad.output.startswith("error: settings: confirmations: ")
    (tmp_path / "no-project.json").write_text(json.dumps({"database_url": f"sqlite:///{tmp_path / 'j.db'}"}))
    no_project = runner.invoke(merit, ["oracle", "close-epoch", "0", "--config", str(tmp_path / "no-project.json")])
    assert no_project.exit_code == 2 and "project: no project configured" in no_project.output


def test_bad_artifacts_are_rejected_with_a_reason_and_the_epoch_completes(
    world, bob, carol, alice, outsider, registry, caplog
):
    import multibase

    from dao.artifacts.cid import parse_cid

    workload = world.workload
    good, _ = world.submit(bob, workload.predictions["better"])
    wrong_length, _ = world.submit(carol, workload.predictions["malformed"])
    garbage, _ = world.submit(carol, b"\x00\x01 not a predictions file")
    corrupted, corrupted_cid = world.submit(outsider, workload.predictions["best"])
    # the stored block no longer holds the bytes its CID names
    world.store.block_path(parse_cid(corrupted_cid)).write_bytes(workload.predictions["weak"])
    missing = world.submit_cid(alice, compute_artifact_cid(b"uploaded nowhere"))
    not_a_cid = world.submit_cid(alice, "Qm-definitely-not-a-cid")
    # the same CID in another spelling (base58btc multibase) names the same bytes: fetched and scored
    weak_cid = world.store.put(workload.predictions["weak"])
    respelled = world.submit_cid(alice, multibase.encode("base58btc", parse_cid(weak_cid)).decode())
    world.finalize(0)
    caplog.set_level("WARNING", logger="oracle")
    progress: list[tuple[str, int, int]] = []
    service = OracleService(world.settings, progress=lambda *event: progress.append(event))
    try:
        record = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert record.current_step is Step.PROPOSED
    assert [e for e in progress if e[0] == "fetching artifacts"] == [("fetching artifacts", i, 7) for i in range(1, 8)]
    assert [e for e in progress if e[0] == "attesting"] == [("attesting", i, 4) for i in range(1, 5)]  # batches of 2
    report = journal_report(record)
    reasons = {s.order: s.reason for s in report.model_scores}
    assert reasons[good] is None
    assert reasons[wrong_length] is RejectionReason.WRONG_LENGTH
    assert reasons[garbage] is RejectionReason.UNREADABLE
    assert reasons[corrupted] is reasons[missing] is reasons[not_a_cid] is RejectionReason.UNAVAILABLE
    assert reasons[respelled] is RejectionReason.NO_GAIN
    assert [a.account for a in report.allocations] == [bob.address]
    why = {r.contribution_id: r.reason for r in caplog.records if r.getMessage() == "artifact rejected"}
    assert why[corrupted].startswith("its bytes do not hash to its CID")
    assert why[missing] == "not in the artifact store"
    assert why[not_a_cid].startswith("not a usable CID")
    for contribution in (good, wrong_length, garbage, corrupted, missing, not_a_cid, respelled):
        assert registry.attestation(contribution)[0] is True


def world_oracle_address(world) -> str:
    from eth_account import Account

    return Account.from_key(world.settings.private_key.get_secret_value()).address


def test_nobody_else_can_make_the_oracles_funding_proposal_and_a_lookalike_is_not_taken_for_it(
    world, governor, token, distributor, alice, bob, outsider, web3
):
    import brownie

    from dao.proposals import fund_epoch_proposal
    from oracle.settings import load_settings
    from tests.helpers import revert_message
    from tests.oracle.helpers import write_config

    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    dry = OracleService(load_settings(write_config(world, "dry.json", private_key=None)))
    try:
        scored = dry.close_epoch(0, wait=True)  # dry mode stops before revealing the slice
    finally:
        dry.close()
    report = journal_report(scored)
    report_cid = compute_artifact_cid(scored.report_json.encode())  # what the oracle will pin
    total = sum(a.amount_wei for a in report.allocations)
    deadline = web3.eth.get_block("latest")["timestamp"] + 10**6
    oracle = world_oracle_address(world)

    def funding(proposer: str, amount: int):
        return fund_epoch_proposal(
            token.address,
            distributor.address,
            world.project_id,
            0,
            report.merkle_root,
            amount,
            report_cid,
            deadline,
            proposer=proposer,
        )

    # the oracle's own description, sent by anyone else, is refused: nobody can create (and cancel) it first
    with brownie.reverts(revert_message("GovernorRestrictedProposer", alice)):
        governor.propose(*funding(oracle, total).propose_args(), {"from": alice})
    assert governor.proposalSnapshot(funding(oracle, total).proposal_id) == 0
    # anyone may propose their own lookalike (paying 1 wei more), which the oracle never adopts
    lookalike = funding(alice.address, total + 1)
    governor.propose(*lookalike.propose_args(), {"from": alice})
    service = OracleService(world.settings)
    try:
        record = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert record.current_step is Step.PROPOSED and int(record.proposal_id) != lookalike.proposal_id
    said = parse_fund_epoch_description(journal_proposal(record).description)
    assert said is not None and said.proposer == oracle and said.report_cid == report_cid
