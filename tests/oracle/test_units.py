"""The oracle's pieces without a chain: slices split into answers and gold, attested scores and
verdicts, settings and the signer, the hidden-slices check, the journal, the stored proposal, and
RPC retries."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from eth_abi import decode
from eth_account import Account
from eth_utils import keccak

from dao.chain import RetryingHTTPProvider, RpcUnavailableError
from dao.proposals import parse_fund_epoch_description
from dao.slices import SliceSet
from oracle.funding import funding_proposal, proposal_from_json, proposal_to_json
from oracle.hidden import HiddenSlicesError, check_committed, load_slice_set, write_slice_manifest
from oracle.plan import Verdict, batches, contribution_scores, contribution_verdicts
from oracle.scoring.rejections import RejectionReason
from oracle.scoring.report import (
    AnnotatorScore,
    EpochInputs,
    EpochReport,
    LabelSubmissionScore,
    ModelScore,
    ScoringParameters,
    SubmissionRef,
)
from oracle.scoring.slices import split_slice
from oracle.settings import SettingsError, load_settings
from oracle.state import Journal, Step, TxStatus
from tests.helpers import free_port
from tests.oracle.helpers import ORACLE_KEY

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test

A, B, C = ("0x" + "a1" * 20, "0x" + "b2" * 20, "0x" + "c3" * 20)


def test_a_slice_splits_into_the_answers_of_benchmark_items_and_the_gold_of_label_items():
    hidden = b"id,answer\nq0,y\nl1,n\nq1,n\nl2,y\n"
    answers, gold = split_slice(hidden, {"l1", "l2", "l9"})
    assert answers == b"id,answer\nq0,y\nq1,n\n"
    assert gold == b"item,label\nl1,n\nl2,y\n"
    assert split_slice(hidden, set()) == (hidden, None)
    with pytest.raises(ValueError, match="header 'id,answer'"):
        split_slice(b"item,label\nl1,n\n", set())
    assert [len(b) for b in batches(list(range(7)), 3)] == [3, 3, 1]


def test_each_contribution_is_attested_with_its_score_units():
    parameters = ScoringParameters(task="classification", metric="accuracy")
    inputs = EpochInputs(
        project="p",
        epoch=0,
        chain_id=1,
        budget_wei=10,
        submissions=[
            SubmissionRef(order=1, contributor=A, kind="model_predictions", cid="m1"),
            SubmissionRef(order=2, contributor=B, kind="labels", cid="l1"),
            SubmissionRef(order=4, contributor=C, kind="labels", cid="l2"),
            SubmissionRef(order=7, contributor=B, kind="labels", cid="l3"),
        ],
    )
    report = EpochReport(
        scoring_version="t",
        inputs=inputs,
        parameters=parameters,
        model_scores=[ModelScore(order=1, contributor=A, cid="m1", accepted=True, score_units=40)],
        label_submissions=[
            LabelSubmissionScore(order=2, contributor=B, cid="l1", accepted=True),
            LabelSubmissionScore(order=4, contributor=C, cid="l2", accepted=False),
            LabelSubmissionScore(order=7, contributor=B, cid="l3", accepted=True),
        ],
        annotator_scores=[AnnotatorScore(annotator=B, labels=9, score_units=25)],
        model_pool_wei=5,
        label_pool_wei=5,
        unallocated_wei=10,
        merkle_root="0x" + "00" * 32,
    )
    assert contribution_scores(report) == [(1, 40), (2, 25), (4, 0), (7, 25)]


def test_malformed_and_copied_contributions_are_invalid_and_no_gain_is_not():
    """A verdict settles the bond: malformed files and copies lose it; a well-formed model that
    is no better than the champion, or an artifact the oracle could not fetch, keeps it."""
    parameters = ScoringParameters(task="classification", metric="accuracy")
    refs = [SubmissionRef(order=i, contributor=A, kind="model_predictions", cid=f"m{i}") for i in range(1, 6)]
    refs.append(SubmissionRef(order=6, contributor=C, kind="labels", cid="l6"))
    refs.append(SubmissionRef(order=7, contributor=B, kind="labels", cid="l7"))
    inputs = EpochInputs(project="p", epoch=0, chain_id=1, budget_wei=10, submissions=refs)

    def model(order: int, **fields: object) -> ModelScore:
        return ModelScore(order=order, contributor=A, cid=f"m{order}", **fields)  # type: ignore[arg-type]

    report = EpochReport(
        scoring_version="t",
        inputs=inputs,
        parameters=parameters,
        model_scores=[
            model(1, accepted=True, score_units=40),
            model(2, accepted=False, reason=RejectionReason.NO_GAIN),
            model(3, accepted=False, reason=RejectionReason.EXACT_COPY),
            model(4, accepted=False, reason=RejectionReason.WRONG_LENGTH),
            model(5, accepted=False, reason=RejectionReason.UNAVAILABLE),
        ],
        label_submissions=[
            LabelSubmissionScore(order=6, contributor=C, cid="l6", accepted=True),
            LabelSubmissionScore(order=7, contributor=B, cid="l7", accepted=True),
        ],
        annotator_scores=[
            AnnotatorScore(annotator=C, labels=9, score_units=25),
            AnnotatorScore(annotator=B, labels=9, score_units=0, copy_of=C),
        ],
        model_pool_wei=5,
        label_pool_wei=5,
        unallocated_wei=10,
        merkle_root="0x" + "00" * 32,
    )
    assert contribution_verdicts(report) == [
        Verdict(1, 40, True),
        Verdict(2, 0, True),
        Verdict(3, 0, False),
        Verdict(4, 0, False),
        Verdict(5, 0, True),
        Verdict(6, 25, True),
        Verdict(7, 0, False),
    ]


def _write(tmp_path, data, name="oracle.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_settings_never_hold_a_default_key_and_name_bad_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("MERIT_ORACLE_PRIVATE_KEY", raising=False)
    settings = load_settings(None)
    assert settings.dry_run and settings.signer() is None
    assert settings.database_url == "sqlite:///.cache/oracle.db"
    monkeypatch.setenv("MERIT_ORACLE_CONFIRMATIONS", "7")
    monkeypatch.setenv("MERIT_ORACLE_PRIVATE_KEY", ORACLE_KEY)
    settings = load_settings(None)
    assert settings.confirmations == 7 and not settings.dry_run
    assert settings.signer().address == "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
    assert ORACLE_KEY not in repr(settings)
    with pytest.raises(SettingsError, match="^confirmations: "):
        load_settings(_write(tmp_path, {"confirmations": -1}))
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(SettingsError, match="not valid JSON"):
        load_settings(tmp_path / "broken.json")
    with pytest.raises(SettingsError, match="keystore_path or a private_key, not both"):
        load_settings(_write(tmp_path, {"keystore_path": str(tmp_path / "k.json")}))
    with pytest.raises(SettingsError, match="private_key: not a 32-byte hex private key"):
        load_settings(_write(tmp_path, {"private_key": "0x1234"})).signer()
    with pytest.raises(SettingsError, match="project: no project configured"):
        load_settings(None).require_project()


def test_a_keystore_signer_needs_its_password(tmp_path, monkeypatch):
    monkeypatch.delenv("MERIT_ORACLE_PRIVATE_KEY", raising=False)
    keystore = tmp_path / "oracle.keystore"
    keystore.write_text(json.dumps(Account.encrypt(ORACLE_KEY, "s3cret", iterations=2)))
    settings = load_settings(_write(tmp_path, {"keystore_path": str(keystore)}))
    monkeypatch.delenv("MERIT_ORACLE_KEYSTORE_PASSWORD", raising=False)
    with pytest.raises(SettingsError, match="MERIT_ORACLE_KEYSTORE_PASSWORD holds no password"):
        settings.signer()
    monkeypatch.setenv("MERIT_ORACLE_KEYSTORE_PASSWORD", "wrong")
    with pytest.raises(SettingsError, match="wrong password"):
        settings.signer()
    monkeypatch.setenv("MERIT_ORACLE_KEYSTORE_PASSWORD", "s3cret")
    assert settings.signer().address == "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"


def test_hidden_slices_must_be_the_committed_ones(tmp_path):
    slices = SliceSet.build([b"id,answer\nq0,y\n", b"id,answer\nq1,n\n"])
    manifest = write_slice_manifest(tmp_path / "slices", slices)
    loaded = load_slice_set(manifest)
    assert loaded.root == slices.root and [s.data for s in loaded.slices] == [s.data for s in slices.slices]
    check_committed(loaded, slices.root, manifest)
    with pytest.raises(HiddenSlicesError, match="but the project committed to 0x0000"):
        check_committed(loaded, b"\x00" * 32, manifest)
    (tmp_path / "slices" / "slice-001.csv").write_bytes(b"id,answer\nq1,y\n")  # a swapped answer
    with pytest.raises(HiddenSlicesError, match="but the project committed"):
        check_committed(load_slice_set(manifest), slices.root, manifest)
    with pytest.raises(HiddenSlicesError, match="does not exist"):
        load_slice_set(tmp_path / "gone.json")
    (tmp_path / "slices" / "slice-000.csv").unlink()
    with pytest.raises(HiddenSlicesError, match="slice 0's file .* does not exist"):
        load_slice_set(manifest)


def test_the_journal_survives_reopening(tmp_path):
    url = f"sqlite:///{tmp_path / 'j' / 'oracle.db'}"
    journal = Journal(url)
    first = journal.open_epoch(5, 2, project_id=1, from_block=10, to_block=19)
    again = journal.open_epoch(5, 2, project_id=1, from_block=99, to_block=99)
    assert (again.from_block, again.step) == (10, Step.NEW.value) and first.epoch == 2
    journal.update_epoch(5, 2, step=Step.SCORED, report_cid="bafk")
    tx = journal.record_tx(
        5, 2, purpose="attest 1..2", sender=A, nonce=3, tx_hash="0x01", raw_tx="0xaa", params={"nonce": 3}
    )
    journal.add_replacement(tx.id, tx_hash="0x02", raw_tx="0xbb", params={"nonce": 3, "fee": 2})
    journal.close()
    reopened = Journal(url)
    record = reopened.epoch(5, 2)
    assert record.current_step is Step.SCORED and record.report_cid == "bafk"
    [pending] = reopened.transactions(5, 2, status=TxStatus.PENDING)
    assert pending.hashes == ["0x01", "0x02"] and pending.raw_tx == "0xbb" and pending.nonce == 3
    reopened.settle_tx(pending.id, TxStatus.MINED, mined_hash="0x02", block_number=7, block_hash="0xff")
    assert reopened.transactions(5, 2, status=TxStatus.PENDING) == []
    with pytest.raises(KeyError, match="no journal entry for epoch 3"):
        reopened.update_epoch(5, 3, step=Step.PINNED)
    reopened.close()


def test_the_stored_proposal_is_the_one_whose_id_was_recorded():
    oracle = Account.from_key(ORACLE_KEY).address
    proposal = funding_proposal(
        token=A,
        distributor=B,
        project_id=2,
        epoch=4,
        merkle_root="0x" + "ab" * 32,
        total=10**20,
        report_cid="bafkreireport",
        claim_deadline=1_900_000_000,
        proposer=oracle,
        attempt=3,
    )
    said = parse_fund_epoch_description(proposal.description)
    assert said is not None and (said.project_id, said.epoch, said.report_cid, said.attempt) == (
        2,
        4,
        "bafkreireport",
        3,
    )
    assert proposal.description.endswith(f"#proposer={oracle}")
    approve, fund = proposal.actions
    assert approve.target.lower() == A and fund.target.lower() == B
    assert decode(["address", "uint256"], approve.calldata[4:]) == (B, 10**20)
    assert decode(["uint256", "uint256", "bytes32", "uint256", "string", "uint64"], fund.calldata[4:]) == (
        2,
        4,
        bytes.fromhex("ab" * 32),
        10**20,
        "bafkreireport",
        1_900_000_000,
    )
    stored = proposal_to_json(proposal)
    assert proposal_from_json(json.loads(json.dumps(stored))) == proposal
    stored["description"] += " (edited)"
    with pytest.raises(ValueError, match="does not hash to its recorded id"):
        proposal_from_json(stored)


class FakeNode:
    """A JSON-RPC endpoint that answers from a script: each method's answers in turn."""

    def __init__(self, script: dict[str, list[tuple[int, dict]]]) -> None:
        self.script = script
        self.calls: list[str] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                node.calls.append(request["method"])
                status, body = node.script[request["method"]].pop(0)
                answer = json.dumps({"jsonrpc": "2.0", "id": request["id"], **body}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_rate_limits_and_server_errors_are_retried_client_errors_are_not():
    node = FakeNode(
        {
            "eth_chainId": [
                (429, {"result": None}),
                (503, {"result": None}),
                (200, {"error": {"code": -32005, "message": "rate limit"}}),
                (200, {"result": "0x7a69"}),
            ],
            "eth_blockNumber": [(400, {"result": None})],
        }
    )
    try:
        provider = RetryingHTTPProvider(node.url, retry_seconds=5, backoff_seconds=0.01)
        assert provider.make_request("eth_chainId", [])["result"] == "0x7a69"
        assert node.calls == ["eth_chainId"] * 4
        with pytest.raises(Exception, match="400"):
            provider.make_request("eth_blockNumber", [])
        assert node.calls.count("eth_blockNumber") == 1
    finally:
        node.close()


def test_a_resent_transaction_the_node_already_has_is_followed_by_its_hash():
    raw = "0x02f86b827a6980843b9aca00843b9aca0082520894" + "11" * 20 + "0180c0"
    node = FakeNode(
        {
            "eth_sendRawTransaction": [
                (503, {"result": None}),
                (200, {"error": {"code": -32003, "message": "nonce too low"}}),
            ]
        }
    )
    try:
        provider = RetryingHTTPProvider(node.url, retry_seconds=5, backoff_seconds=0.01)
        answer = provider.make_request("eth_sendRawTransaction", [raw])
        assert answer["result"] == "0x" + keccak(bytes.fromhex(raw[2:])).hex()
    finally:
        node.close()


def test_a_node_that_stays_down_is_reported_after_the_retry_window():
    provider = RetryingHTTPProvider(f"http://127.0.0.1:{free_port()}", retry_seconds=0.3, backoff_seconds=0.01)
    with pytest.raises(RpcUnavailableError, match=r"eth_chainId failed \d+ times over 0.3 s \(ConnectionError\)"):
        provider.make_request("eth_chainId", [])
