"""Verifying an epoch from public data (recompute.audit_report): an honest report matches the
chain's record of its epoch, and a report that departs from it anywhere (a score, an allocation,
the slice it was scored on, the submissions it names, what was funded, what the previous epoch
handed over) is named with the differences."""

from __future__ import annotations

import json
import secrets
from typing import Any

import numpy as np
import pytest

from dao.artifacts import compute_artifact_cid
from dao.slices import content_hash, slice_commitment
from dao.vocabulary import Task
from oracle.scoring.epoch import score_epoch
from oracle.scoring.metrics import Metric
from oracle.scoring.recompute import FundedRecord, PublicEpoch, RevealedSliceRecord, audit_report
from oracle.scoring.report import EpochInputs, EpochReport, ScoringParameters, SubmissionRef, report_from_json
from oracle.scoring.slices import label_item_ids, split_slice
from tests.oracle.scoring.test_epoch import address, labels_with_accuracy, npy

N = 2000
LABEL_ITEMS = 120
GOLD = 12
EPOCH = 3
SLICE_INDEX = 5
CARRIED_IN = (7 * 10**18, 3 * 10**18)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


class Epoch:
    """One epoch as the chain and the artifact store show it, scored honestly."""

    def __init__(self) -> None:
        rng = np.random.default_rng(3)
        truth = rng.integers(0, 2, N)
        label_truth = rng.integers(0, 2, LABEL_ITEMS)
        gold = sorted(rng.choice(LABEL_ITEMS, GOLD, replace=False).tolist())
        slice_rows = [f"q{i},{'ny'[t]}" for i, t in enumerate(truth)] + [f"t{i},{'ny'[label_truth[i]]}" for i in gold]
        self.slice = ("id,answer\n" + "\n".join(slice_rows) + "\n").encode()
        self.salt = secrets.token_bytes(32)
        items = ("item\n" + "".join(f"t{i}\n" for i in range(LABEL_ITEMS))).encode()
        answers, gold_file = split_slice(self.slice, label_item_ids(items))
        assert answers is not None and gold_file is not None

        def label_file(accuracy: float, seed: int) -> bytes:
            labels = labels_with_accuracy(label_truth, accuracy, seed)
            return ("item,label\n" + "".join(f"t{i},{'ny'[c]}\n" for i, c in enumerate(labels))).encode()

        files = {
            "champion": npy(labels_with_accuracy(truth, 0.70, 1)),
            "better": npy(labels_with_accuracy(truth, 0.80, 2)),
            "best": npy(labels_with_accuracy(truth, 0.90, 4)),
            "labels-1": label_file(0.9, 11),
            "labels-2": label_file(0.8, 12),
            "labels-3": label_file(0.95, 13),
        }
        cid = {name: compute_artifact_cid(data) for name, data in files.items()}
        self.artifacts = {cid[name]: data for name, data in files.items()}
        self.artifacts[compute_artifact_cid(items)] = items
        self.artifacts[compute_artifact_cid(self.slice)] = self.slice  # under the CID its reveal names
        plan = [("better", "model_predictions"), ("best", "model_predictions")]
        plan += [(f"labels-{k}", "labels") for k in (1, 2, 3)]
        submissions = [
            SubmissionRef(order=10 + i, contributor=address(i + 1), kind=kind, cid=cid[name])
            for i, (name, kind) in enumerate(plan)
        ]
        commitment = slice_commitment(content_hash(self.slice), self.salt)
        inputs = EpochInputs(
            project="audited",
            epoch=EPOCH,
            chain_id=31337,
            budget_wei=1000 * 10**18,
            answers_cid=compute_artifact_cid(answers),
            gold_cid=compute_artifact_cid(gold_file),
            champion_cid=cid["champion"],
            label_items_cid=compute_artifact_cid(items),
            submissions=submissions,
            slice_index=SLICE_INDEX,
            slice_commitment=_hex(commitment),
            carried_in_model_wei=CARRIED_IN[0],
            carried_in_label_wei=CARRIED_IN[1],
        )
        parameters = ScoringParameters(
            task=Task.CLASSIFICATION, metric=Metric.ACCURACY, classes=["n", "y"], bootstrap_seed=7
        )
        # what the scoring engine gets: the slice's parts under their CIDs (the verifier derives them)
        engine_artifacts = {**self.artifacts, inputs.answers_cid: answers, inputs.gold_cid: gold_file}
        self.report = score_epoch(inputs, parameters, engine_artifacts)
        previous = self.report.model_copy(
            update={
                "inputs": inputs.model_copy(update={"epoch": EPOCH - 1}),
                "champion_after": cid["champion"],
                "carried_out_model_wei": CARRIED_IN[0],
                "carried_out_label_wei": CARRIED_IN[1],
            }
        )
        self.public = PublicEpoch(
            chain_id=31337,
            epoch=EPOCH,
            funded=FundedRecord(
                self.report.merkle_root, sum(a.amount_wei for a in self.report.allocations), "report-cid"
            ),
            revealed_slice=RevealedSliceRecord(
                SLICE_INDEX, _hex(content_hash(self.slice)), _hex(self.salt), compute_artifact_cid(self.slice)
            ),
            submissions=tuple(submissions),
            previous=previous,
        )

    def audit(self, report: EpochReport | None = None, **public: Any) -> list[str]:
        chain = self.public.__class__(**{**self.public.__dict__, **public})
        result = audit_report(report or self.report, chain, self.artifacts, compute_artifact_cid)
        return [d.path for d in result.differences]


@pytest.fixture(scope="module")
def epoch() -> Epoch:
    return Epoch()


def altered(report: EpochReport, change: Any) -> EpochReport:
    data = json.loads(report.model_dump_json())
    change(data)
    return report_from_json(json.dumps(data))


def test_an_honest_report_matches_its_epoch(epoch: Epoch) -> None:
    report = epoch.report
    assert sum(s.accepted for s in report.model_scores) == 2 and report.allocations
    assert {a.score_units > 0 for a in report.annotator_scores} == {True}
    result = audit_report(report, epoch.public, epoch.artifacts, compute_artifact_cid)
    assert result.matches and result.differences == []
    assert result.unchecked == ["the budget and scoring parameters are the oracle's settings, not on chain"]


def _single_alterations(report: EpochReport) -> list[tuple[str, Any]]:
    """Every score and every allocation of the report, each nudged on its own."""
    cases: list[tuple[str, Any]] = []
    for i, score in enumerate(report.model_scores):
        for field in ("score_units", "metric_value", "gain"):
            if getattr(score, field) is not None:
                cases.append((f"model_scores[{i}].{field}", ("model_scores", i, field)))
    for i in range(len(report.annotator_scores)):
        for field in ("score", "score_units", "accuracy", "skill_lower"):
            cases.append((f"annotator_scores[{i}].{field}", ("annotator_scores", i, field)))
    for i in range(len(report.allocations)):
        cases.append((f"allocations[{i}].amount_wei", ("allocations", i, "amount_wei")))
    return cases


def _nudge(where: tuple[str, int, str]) -> Any:
    section, i, field = where

    def change(data: dict[str, Any]) -> None:
        value = data[section][i][field]
        if isinstance(value, str):  # a token amount (a decimal string)
            data[section][i][field] = str(int(value) + 1)
        elif isinstance(value, int):
            data[section][i][field] = value + 1
        else:
            data[section][i][field] = value + 0.001

    return change


def test_a_report_altered_in_any_single_score_or_allocation_is_caught(epoch: Epoch) -> None:
    cases = _single_alterations(epoch.report)
    assert len(cases) >= 20
    for path, where in cases:
        differences = epoch.audit(altered(epoch.report, _nudge(where)))
        assert path in differences, (path, differences)
        if where[0] == "allocations":  # what is paid must also be what was funded
            assert "chain.total" in differences


def test_an_allocation_moved_to_another_account_is_caught(epoch: Epoch) -> None:
    def steal(data: dict[str, Any]) -> None:
        data["allocations"][0]["account"] = address(999)

    differences = epoch.audit(altered(epoch.report, steal))
    assert "allocations[0].account" in differences


def test_a_report_scored_on_other_answers_than_the_revealed_slice_is_caught(epoch: Epoch) -> None:
    other = compute_artifact_cid(b"id,answer\nq0,y\n")

    def swap(data: dict[str, Any]) -> None:
        data["inputs"]["answers_cid"] = other

    assert "inputs.answers_cid" in epoch.audit(altered(epoch.report, swap))


def test_a_slice_other_than_the_committed_one_is_caught(epoch: Epoch) -> None:
    revealed = epoch.public.revealed_slice
    assert revealed is not None
    other_index = RevealedSliceRecord(SLICE_INDEX + 1, revealed.content_hash, revealed.salt, revealed.cid)
    assert "inputs.slice_index" in epoch.audit(revealed_slice=other_index)
    other_salt = RevealedSliceRecord(SLICE_INDEX, revealed.content_hash, _hex(b"\x01" * 32), revealed.cid)
    assert "inputs.slice_commitment" in epoch.audit(revealed_slice=other_salt)
    other_bytes = RevealedSliceRecord(SLICE_INDEX, _hex(content_hash(b"other")), revealed.salt, revealed.cid)
    assert "chain.slice.content_hash" in epoch.audit(revealed_slice=other_bytes)
    assert epoch.audit(revealed_slice=None) == ["chain.slice", "inputs"]  # nothing to recompute it from


def test_a_slice_not_in_the_store_cannot_match(epoch: Epoch) -> None:
    revealed = epoch.public.revealed_slice
    assert revealed is not None
    gone = RevealedSliceRecord(SLICE_INDEX, revealed.content_hash, revealed.salt, compute_artifact_cid(b"gone"))
    assert "chain.slice.cid" in epoch.audit(revealed_slice=gone)


def test_a_censored_or_rewritten_submission_is_caught(epoch: Epoch) -> None:
    submissions = list(epoch.public.submissions)
    extra = SubmissionRef(order=99, contributor=address(77), kind="labels", cid=compute_artifact_cid(b"x"))
    differences = epoch.audit(submissions=(*submissions, extra))
    assert "inputs.submissions.length" in differences
    moved = [submissions[0].model_copy(update={"contributor": address(78)}), *submissions[1:]]
    assert "inputs.submissions[0].contributor" in epoch.audit(submissions=tuple(moved))


def test_what_was_funded_must_be_the_report(epoch: Epoch) -> None:
    funded = epoch.public.funded
    assert funded is not None
    assert epoch.audit(funded=FundedRecord("0x" + "11" * 32, funded.total, funded.report_cid)) == ["chain.merkle_root"]
    assert epoch.audit(funded=FundedRecord(funded.merkle_root, funded.total + 1, funded.report_cid)) == ["chain.total"]


def test_the_champion_and_carry_ins_follow_from_the_previous_report(epoch: Epoch) -> None:
    previous = epoch.public.previous
    assert previous is not None
    other_champion = previous.model_copy(update={"champion_after": compute_artifact_cid(b"weak champion")})
    assert epoch.audit(previous=other_champion) == ["inputs.champion_cid"]
    less = previous.model_copy(update={"carried_out_label_wei": CARRIED_IN[1] - 1})
    assert epoch.audit(previous=less) == ["inputs.carried_in_label_wei"]
    result = audit_report(
        epoch.report,
        PublicEpoch(**{**epoch.public.__dict__, "previous": None}),
        epoch.artifacts,
        compute_artifact_cid,
    )
    assert result.matches and any("champion entering the epoch and the carry-ins" in note for note in result.unchecked)
