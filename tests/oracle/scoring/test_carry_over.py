"""The carry-over from one epoch's report to the next epoch's inputs, as the oracle service wires it
(oracle.steps.score: the previous epoch's journaled report -> oracle.plan.carried_in ->
oracle.plan.epoch_inputs), without a chain."""

from __future__ import annotations

import json

import pytest
from eth_utils import to_checksum_address

from dao.vocabulary import Task
from oracle.plan import carried_in, epoch_inputs
from oracle.scoring.epoch import score_epoch
from oracle.scoring.metrics import Metric
from oracle.scoring.recompute import report_differences
from oracle.scoring.report import EpochReport, ScoringParameters, canonical_json, report_from_json

BUDGET = 1000 * 10**18
ANN = to_checksum_address("0x" + "a" * 40)
BEN = to_checksum_address("0x" + "b" * 40)
LABELS = b"item,label\n" + b"".join(f"t{i},{'ny'[i % 2]}\n".encode() for i in range(20))
GOLD = b"item,label\n" + b"".join(f"t{i},{'ny'[i % 2]}\n".encode() for i in range(0, 20, 5))
ARTIFACTS = {"labels-ann": LABELS, "labels-ben": LABELS.replace(b"t3,y", b"t3,n"), "gold": GOLD}


def parameters(priced: bool) -> ScoringParameters:
    prices = {"model_price_wei": 10**21, "label_price_wei": 10**18} if priced else {}
    return ScoringParameters(task=Task.CLASSIFICATION, metric=Metric.ACCURACY, classes=["n", "y"], **prices)


def scored(epoch: int, previous: EpochReport | None, priced: bool, project: str = "p") -> EpochReport:
    submissions = [
        {"contribution_id": 2 * epoch, "contributor": ANN, "kind": "labels", "cid": "labels-ann"},
        {"contribution_id": 2 * epoch + 1, "contributor": BEN, "kind": "labels", "cid": "labels-ben"},
    ]
    inputs = epoch_inputs(
        project=project,
        epoch=epoch,
        chain_id=31337,
        budget_wei=BUDGET,
        submissions=submissions,
        answers_cid=None,
        champion_cid=None,
        label_items_cid=None,
        gold_cid="gold",
        carried_in=carried_in(previous, project, epoch),
    )
    report = score_epoch(inputs, parameters(priced), ARTIFACTS)
    assert report_differences(report, ARTIFACTS) == []
    return report_from_json(canonical_json(report))  # as the journal keeps it


@pytest.mark.parametrize("priced", [False, True], ids=["shared", "priced"])
def test_each_epoch_starts_with_what_the_last_one_carried_out(priced: bool) -> None:
    reports: list[EpochReport] = []
    for epoch in range(3):
        reports.append(scored(epoch, reports[-1] if reports else None, priced))
    first, *later = reports
    assert (first.inputs.carried_in_model_wei, first.inputs.carried_in_label_wei) == (0, 0)
    for before, after in zip(reports, later):
        assert after.inputs.carried_in_model_wei == before.carried_out_model_wei
        assert after.inputs.carried_in_label_wei == before.carried_out_label_wei
        assert after.model_pool_wei == BUDGET // 2 + before.carried_out_model_wei
        assert after.allocations  # the annotators are paid
        if priced:
            assert after.allocations == before.allocations  # the same work, the same pay
    # no model submissions: the model pool is carried over every epoch, never paid to the annotators
    assert reports[-1].carried_out_model_wei == 3 * BUDGET // 2
    total_in = sum(r.inputs.budget_wei for r in reports)
    total_paid = sum(a.amount_wei for r in reports for a in r.allocations)
    assert total_paid + reports[-1].unallocated_wei == total_in


def test_nothing_is_carried_without_the_previous_epoch_of_the_same_project() -> None:
    report = scored(0, None, priced=True)
    assert report.unallocated_wei > 0
    assert carried_in(None, "p", 1) == (0, 0)
    assert carried_in(report, "p", 1) == (report.carried_out_model_wei, report.carried_out_label_wei)
    assert carried_in(report, "p", 2) == (0, 0)  # not the epoch before
    assert carried_in(report, "other", 1) == (0, 0)


def test_a_report_from_before_carry_over_carries_nothing() -> None:
    data = json.loads(canonical_json(scored(0, None, priced=False)))
    for key in ("carried_out_model_wei", "carried_out_label_wei"):
        data.pop(key)
    for key in ("carried_in_model_wei", "carried_in_label_wei"):
        data["inputs"].pop(key)
    for key in ("model_price_wei", "label_price_wei"):
        data["parameters"].pop(key)
    old = report_from_json(json.dumps(data))
    assert carried_in(old, "p", 1) == (0, 0)
