"""A label epoch on chain: annotators submit label files (kind LABELS), the oracle aggregates them
with the project's gold items, and each label contribution is attested with its annotator's score."""

from __future__ import annotations

import numpy as np
import pytest

from oracle.plan import contribution_scores
from oracle.service import OracleService
from oracle.settings import load_settings
from oracle.state import Step
from tests.oracle.helpers import chain_ledger, journal_report, register_sliced_project, write_config

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test

ITEMS = 80


def labels_file(truth: np.ndarray, accuracy: float, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random(truth.size) < accuracy, truth, 1 - truth)
    return ("item,label\n" + "".join(f"t{i},{'ny'[v]}\n" for i, v in enumerate(labels))).encode()


def test_label_contributions_are_attested_with_their_annotators_scores(
    world, alice, bob, carol, outsider, registry, treasury, web3
):
    truth = np.random.default_rng(3).integers(0, 2, ITEMS)
    items = world.tmp_path / "items.csv"
    items.write_text("item\n" + "".join(f"t{i}\n" for i in range(ITEMS)))
    # the epoch's hidden slice: the model answers and, for ten label items, their gold labels
    gold_rows = "".join(f"t{i},{'ny'[truth[i]]}\n" for i in range(10)).encode()
    project_id, slices = register_sliced_project(
        registry, treasury, [world.workload.answers + gold_rows], world.tmp_path / "label-slices"
    )
    world.project_id = project_id
    project = world.settings.project.model_dump(mode="json")
    project.update(project_id=project_id, label_items_path=str(items), slices_path=str(slices))
    settings = load_settings(write_config(world, "labels.json", project=project))

    careful, _ = world.submit(bob, labels_file(truth, 0.95, 1), kind=1)
    decent, _ = world.submit(carol, labels_file(truth, 0.85, 2), kind=1)
    careless, _ = world.submit(outsider, labels_file(truth, 0.5, 3), kind=1)
    broken, _ = world.submit(alice, b"not,a,label,file\n", kind=1)
    world.finalize(0)
    service = OracleService(settings)
    try:
        record = service.close_epoch(0, wait=False)
    finally:
        service.close()
    assert record.current_step is Step.PROPOSED
    report = journal_report(record)
    by_annotator = {a.annotator: a.score_units for a in report.annotator_scores}
    assert by_annotator[bob.address] > by_annotator[carol.address] > 0
    assert by_annotator.get(outsider.address, 0) < by_annotator[carol.address]
    assert next(s for s in report.label_submissions if s.order == broken).accepted is False
    expected = dict(contribution_scores(report))
    assert expected[careful] == by_annotator[bob.address] and expected[broken] == 0
    for contribution in (careful, decent, careless, broken):
        attested, score, valid = registry.attestation(contribution)
        assert attested and int(score) == expected[contribution]
        assert valid is (contribution != broken)  # an unreadable label file is invalid: its bond is lost
    ledger = chain_ledger(web3.provider.endpoint_uri, settings.deployment, world.first_block)
    assert set(ledger.attestations) == {careful, decent, careless, broken}
    assert {a.account for a in report.allocations} >= {bob.address, carol.address}
