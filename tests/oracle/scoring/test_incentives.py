"""Incentives on simulated populations with known truth (seeded): adversarial agents together get
under 2% of what is paid, and honest rewards rank with true quality (Spearman >= 0.9), with pools
shared by score and with priced pools (which pay price x score and carry the rest over)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from eth_utils import to_checksum_address
from scipy.stats import spearmanr

from dao.vocabulary import Task
from oracle.scoring.epoch import score_epoch
from oracle.scoring.metrics import Metric
from oracle.scoring.rejections import RejectionReason
from oracle.scoring.report import (
    EpochInputs,
    EpochReport,
    ScoringParameters,
    SubmissionRef,
)
from oracle.scoring.simulation import (
    expected_accuracy,
    nested_skill_labels,
    simulate_labels,
)

N_ITEMS = 50_000
FLIP_RATE = 0.02
BUDGET = 10_000 * 10**18


def address(k: int) -> str:
    return to_checksum_address("0x" + f"{k:040x}")


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


class Population:
    """Model and label contributors of one epoch, each with a kind and a true quality."""

    def __init__(self) -> None:
        self.artifacts: dict[str, bytes] = {}
        self.submissions: list[SubmissionRef] = []
        self.kind: dict[str, str] = {}
        self.quality: dict[str, float] = {}

    def submit(self, who: str, kind: str, cid: str, data: bytes, agent: str, quality: float = np.nan) -> None:
        self.artifacts[cid] = data
        self.submissions.append(SubmissionRef(order=len(self.submissions), contributor=who, kind=kind, cid=cid))
        self.kind[who] = agent
        self.quality[who] = quality


def build_epoch(seed: int) -> tuple[Population, EpochInputs, ScoringParameters]:
    rng = np.random.default_rng(seed)
    population = Population()
    truth = rng.integers(0, 2, N_ITEMS)
    difficulty = rng.random(N_ITEMS)
    population.artifacts["answers"] = ("id,answer\n" + "".join(f"q{i},{t}\n" for i, t in enumerate(truth))).encode()
    skill = 0.70
    population.artifacts["baseline"] = npy(nested_skill_labels(truth, difficulty, skill, FLIP_RATE, seed))
    champion_bytes = population.artifacts["baseline"]
    contributor = 1
    # Honest improvements, each building on the last, of varied true size; adversaries in between.
    for step in range(12):
        increment = float(rng.uniform(0.01, 0.03))
        new_skill = skill + increment
        gain = expected_accuracy(new_skill, FLIP_RATE) - expected_accuracy(skill, FLIP_RATE)
        data = npy(nested_skill_labels(truth, difficulty, new_skill, FLIP_RATE, 1000 + step))
        population.submit(address(contributor), "model_predictions", f"honest-{step}", data, "honest", gain)
        champion_bytes, skill = data, new_skill
        contributor += 1
        champion = np.load(io.BytesIO(champion_bytes))
        # an exact copy, a noise-perturbed copy, and a model that only refits the noise
        population.submit(address(contributor), "model_predictions", f"copy-{step}", champion_bytes, "adversary")
        contributor += 1
        perturbed = champion.copy()
        flip = rng.random(N_ITEMS) < 0.003
        perturbed[flip] = 1 - perturbed[flip]
        population.submit(address(contributor), "model_predictions", f"perturbed-{step}", npy(perturbed), "adversary")
        contributor += 1
        refit = nested_skill_labels(truth, difficulty, skill, FLIP_RATE, 5000 + step)
        population.submit(address(contributor), "model_predictions", f"refit-{step}", npy(refit), "adversary")
        contributor += 1
    # Labels: honest annotators of known accuracy, random and constant labellers, copies.
    honest_accuracy = np.linspace(0.6, 0.95, 30)
    labels = simulate_labels(
        seed, 1500, 3, honest_accuracy, n_random=5, n_constant=5, n_copies=5, labels_per_annotator=300
    )
    table = labels.table
    for a, kind in enumerate(labels.kind):
        rows = table.annotator_index == a
        lines = "".join(f"{table.items[i]},{c}\n" for i, c in zip(table.item_index[rows], table.label_index[rows]))
        agent = "honest" if kind == "honest" else "adversary"
        population.submit(
            address(10_000 + a),
            "labels",
            f"labels-{a}",
            f"item,label\n{lines}".encode(),
            agent,
            float(labels.accuracy[a]),
        )
    gold_items = rng.choice(1500, size=75, replace=False)
    population.artifacts["gold"] = (
        "item,label\n" + "".join(f"{table.items[i]},{labels.truth[i]}\n" for i in gold_items)
    ).encode()
    inputs = EpochInputs(
        project="sim",
        epoch=1,
        chain_id=31337,
        budget_wei=BUDGET,
        answers_cid="answers",
        champion_cid="baseline",
        gold_cid="gold",
        submissions=population.submissions,
    )
    parameters = ScoringParameters(
        task=Task.CLASSIFICATION,
        metric=Metric.ACCURACY,
        classes=["0", "1", "2"],
        margin=0.002,
        bootstrap_seed=seed,
        model_share_bps=5000,
    )
    return population, inputs, parameters


MODEL_PRICE = 10_000 * 10**18  # per point of accuracy gain: the honest gains (~0.23 in all) ask under half the pool
LABEL_PRICE = 10**18  # per point of annotator score


@pytest.fixture(scope="module", params=[(7, False), (8, False), (7, True)], ids=["7", "8", "7-priced"])
def scored(request) -> tuple[Population, EpochReport]:
    seed, priced = request.param
    population, inputs, parameters = build_epoch(seed)
    if priced:
        parameters = parameters.model_copy(update={"model_price_wei": MODEL_PRICE, "label_price_wei": LABEL_PRICE})
    return population, score_epoch(inputs, parameters, population.artifacts)


def test_adversaries_together_get_under_two_percent(scored) -> None:
    population, report = scored
    adversarial = sum(a.amount_wei for a in report.allocations if population.kind[a.account] == "adversary")
    paid = sum(a.amount_wei for a in report.allocations)
    assert paid + report.unallocated_wei == BUDGET
    if report.parameters.model_price_wei is None:
        assert paid == BUDGET
    else:  # both prices are covered: the rest carries over
        assert report.carried_out_model_wei > 0 and report.carried_out_label_wei > 0
    assert adversarial < 0.02 * paid


def test_honest_model_rewards_rank_with_their_true_gain(scored) -> None:
    population, report = scored
    paid = {a.account: a.amount_wei for a in report.allocations}
    honest = [s.contributor for s in report.model_scores if population.kind[s.contributor] == "honest"]
    assert len(honest) == 12
    rho = spearmanr([population.quality[h] for h in honest], [float(paid.get(h, 0)) for h in honest]).statistic
    assert rho >= 0.9


def test_honest_annotator_rewards_rank_with_their_accuracy(scored) -> None:
    population, report = scored
    paid = {a.account: a.amount_wei for a in report.allocations}
    honest = [s.annotator for s in report.annotator_scores if population.kind[s.annotator] == "honest"]
    assert len(honest) == 30
    rho = spearmanr([population.quality[h] for h in honest], [float(paid.get(h, 0)) for h in honest]).statistic
    assert rho >= 0.9


def test_every_kind_of_adversary_is_stopped_for_its_own_reason(scored) -> None:
    population, report = scored
    reasons = {s.cid.split("-")[0]: set() for s in report.model_scores}
    for score in report.model_scores:
        reasons[score.cid.split("-")[0]].add(score.reason)
    assert reasons["honest"] == {None}
    assert reasons["copy"] == {RejectionReason.EXACT_COPY}
    assert reasons["perturbed"] == {RejectionReason.NEAR_COPY}
    assert reasons["refit"] == {RejectionReason.NO_GAIN}
    annotator_reasons = {population.kind[s.annotator]: set() for s in report.annotator_scores}
    for score in report.annotator_scores:
        annotator_reasons[population.kind[score.annotator]].add(score.reason)
    assert RejectionReason.NEAR_COPY in annotator_reasons["adversary"]
    assert annotator_reasons["honest"] == {None}
