"""The per-kind leaderboard: contributors of one kind ranked by the tokens they earned for it, with
scores in the kind's own units; the old all-kinds endpoint keeps its shape (deprecated)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_utils import to_checksum_address
from fastapi.testclient import TestClient

from api import models as m
from api.main import create_app
from dao.proposals import epoch_key
from dao.vocabulary import ContributionKind, Status
from tests.api.fakes import write_deployment

TOKEN = 10**18
MODEL, LABELS = ContributionKind.MODEL_PREDICTIONS.code, ContributionKind.LABELS.code
ADA, ANN, BEN, CLEO, DAVE, EVE, FRED = (to_checksum_address(f"0x{i:040x}") for i in range(0xA1, 0xA8))


def _contribution(cid: int, epoch: int, who: str, kind: int, score: int, status: str = "accepted") -> m.Contribution:
    return m.Contribution(
        contribution_id=cid,
        project_id=1,
        epoch=epoch,
        contributor=who,
        commitment="0x" + f"{cid:064x}",
        bond=0,
        block_number=100 + cid,
        tx_hash="0x" + f"{cid:064x}",
        status=status,
        kind=kind,
        cid=f"cid{cid}",
        score=score,
        valid=status == Status.ACCEPTED.value,
        report_cid="report",
        bond_state="none",
    )


@pytest.fixture
def board(sessions, settings, store) -> Iterator[TestClient]:
    """Epoch 1: ada's model gains 0.19 accuracy (score 0.19 x 1e9) and earns 60,000 MERIT; ann, ben and
    cleo label (annotator scores 210, 200 and 250, about a thousand times ada's raw score) and earn
    16,000, 14,000 and 10,000; ann sent two label files, each carrying her whole annotator score.
    Epoch 2: dave is scored in both kinds (a quarter of the model scores, half of the label
    scores) and gets one allocation of 900; eve (model) 700, fred (labels) 400. ada claimed."""
    with sessions.begin() as session:
        session.add(
            m.Project(
                project_id=1,
                name="digits",
                task=0,
                metric="accuracy",
                benchmark_cid="bench",
                block_number=1,
                tx_hash="0x" + "00" * 32,
            )
        )
        rows = [
            (1, 1, ADA, MODEL, 190_000_000),
            (2, 1, ANN, LABELS, 210 * 10**9),
            (3, 1, ANN, LABELS, 210 * 10**9),
            (4, 1, BEN, LABELS, 200 * 10**9),
            (5, 1, CLEO, LABELS, 250 * 10**9),
            (7, 2, DAVE, MODEL, 10_000_000),
            (8, 2, EVE, MODEL, 30_000_000),
            (9, 2, DAVE, LABELS, 100 * 10**9),
            (10, 2, FRED, LABELS, 100 * 10**9),
        ]
        session.add_all(_contribution(*row) for row in rows)
        session.add(_contribution(6, 1, EVE, MODEL, 0, status=Status.REJECTED.value))
        allocations = {
            1: [(ADA, 60_000), (ANN, 16_000), (BEN, 14_000), (CLEO, 10_000)],
            2: [(DAVE, 900), (EVE, 700), (FRED, 400)],
        }
        for epoch, paid in allocations.items():
            session.add(
                m.Epoch(
                    project_id=1,
                    epoch=epoch,
                    epoch_key=epoch_key(1, epoch),
                    merkle_root="0x" + "ab" * 32,
                    total=sum(a for _, a in paid) * TOKEN,
                    report_cid=f"report{epoch}",
                    claim_deadline=4_000_000_000,
                    block_number=500 + epoch,
                    tx_hash="0x" + f"{epoch:064x}",
                    report_status="ok",
                )
            )
            session.flush()
            for index, (account, amount) in enumerate(sorted(paid)):
                session.add(
                    m.AllocationRow(
                        project_id=1, epoch=epoch, leaf_index=index, account=account, amount=amount * TOKEN, proof="[]"
                    )
                )
                if account == ADA:
                    session.add(
                        m.Claim(
                            project_id=1,
                            epoch=epoch,
                            leaf_index=index,
                            account=account,
                            amount=amount * TOKEN,
                            block_number=600,
                            tx_hash="0x" + "cc" * 32,
                        )
                    )
    write_deployment(settings.deployment)
    with TestClient(create_app(settings, store=store, configure_logs=False), raise_server_exceptions=False) as c:
        yield c


def test_the_contributor_who_earned_most_ranks_first_in_its_kind(board):
    models = board.get("/projects/1/leaderboard/model_predictions").json()
    assert models["kind"] == "model_predictions" and "accuracy gain over the champion" in models["score_unit"]
    first = models["entries"][0]
    assert (first["rank"], first["contributor"], first["tokens_earned"]) == (1, ADA, str(60_000 * TOKEN))
    assert first["tokens_claimed"] == str(60_000 * TOKEN)
    assert first["score"] == pytest.approx(0.19) and first["score_raw"] == "190000000"
    assert (first["scored_contributions"], first["accepted_contributions"], first["epochs"]) == (1, 1, [1])
    assert [e["contributor"] for e in models["entries"]] == [ADA, EVE, DAVE]


def test_labels_rank_by_tokens_not_by_score_and_count_an_annotator_score_once(board):
    labels = board.get("/projects/1/leaderboard/labels").json()
    assert "annotator score" in labels["score_unit"]
    ranked = [(e["contributor"], int(e["tokens_earned"]) // TOKEN, e["score"]) for e in labels["entries"]]
    # cleo's score is the highest but she earned the least of epoch 1's annotators
    assert ranked == [
        (ANN, 16_000, 210.0),
        (BEN, 14_000, 200.0),
        (CLEO, 10_000, 250.0),
        (DAVE, 600, 100.0),
        (FRED, 400, 100.0),
    ]
    assert labels["entries"][0]["accepted_contributions"] == 2 and labels["entries"][0]["tokens_claimed"] == "0"


def test_an_allocation_for_both_kinds_is_split_by_the_kinds_score_shares_and_adds_up(board):
    def dave(kind: str) -> int:
        entries = board.get(f"/projects/1/leaderboard/{kind}").json()["entries"]
        return int(next(e for e in entries if e["contributor"] == DAVE)["tokens_earned"])

    # a quarter of the model scores and half of the label scores: one third, two thirds
    assert (dave("model_predictions"), dave("labels")) == (300 * TOKEN, 600 * TOKEN)
    assert dave("model_predictions") + dave("labels") == 900 * TOKEN


def test_the_old_leaderboard_keeps_its_shape_and_is_marked_deprecated(board):
    old = board.get("/projects/1/leaderboard").json()
    assert set(old[0]) == {"rank", "contributor", "total_score", "scored_contributions"}
    assert [e["contributor"] for e in old].index(ADA) == 5  # raw units of every kind added: why it is deprecated
    operation = board.get("/openapi.json").json()["paths"]["/projects/{project_id}/leaderboard"]["get"]
    assert operation["deprecated"] is True
    schema = board.get("/openapi.json").json()["components"]["schemas"]["KindLeaderboardEntry"]
    assert {"tokens_earned", "tokens_claimed", "score", "score_raw"} <= set(schema["properties"])


def test_unknown_kind_and_project(board):
    assert board.get("/projects/1/leaderboard/essays").status_code == 422
    assert board.get("/projects/9/leaderboard/labels").status_code == 404
    assert board.get("/projects/1/leaderboard/labels?limit=2").json()["entries"][1]["contributor"] == BEN
