"""Label formats, majority vote, Dawid-Skene, annotator scores and copied annotators."""

from __future__ import annotations

import numpy as np
import pytest

from oracle.scoring.label_format import (
    build_label_table,
    gold_arrays,
    read_gold,
    read_label_rows,
)
from oracle.scoring.labels import (
    AggregationMethod,
    dawid_skene,
    find_copied_annotators,
    majority_vote,
    score_labels,
)
from oracle.scoring.rejections import ArtifactRejected, RejectionReason
from oracle.scoring.simulation import Crowd, simulate_labels


def table_from_csv(text: str, **kwargs):
    batch, rejected = read_label_rows(text.encode(), "labels.csv")
    return build_label_table([batch], prior_rejections=rejected, **kwargs)


def test_rows_duplicates_unknown_items_and_classes_are_rejected_with_lines() -> None:
    table = table_from_csv(
        "annotator,item,label\nann1,a,x\nann1,a,y\nann2,a,x\nann2,zz,x\nann2,b,w\nann3,b\n",
        known_items=["a", "b"],
        classes=["x", "y"],
    )
    assert table.n_labels == 2
    found = {(r.line, r.reason) for r in table.rejections}
    assert found == {
        (3, RejectionReason.DUPLICATE_LABEL),
        (5, RejectionReason.UNKNOWN_ITEM),
        (6, RejectionReason.UNKNOWN_CLASS),
        (7, RejectionReason.UNREADABLE),
    }


def test_whole_file_problems_raise() -> None:
    with pytest.raises(ArtifactRejected, match="header"):
        read_label_rows(b"who,item,label\n", "f")
    with pytest.raises(ArtifactRejected) as caught:
        read_label_rows(b"", "f")
    assert caught.value.reason is RejectionReason.EMPTY
    gold, rejected = read_gold(b"item,label\na,x\na,y\n")
    assert gold == {"a": "x"} and rejected[0].line == 3


def test_majority_vote_posteriors_are_vote_shares() -> None:
    table = table_from_csv("annotator,item,label\n1,a,x\n2,a,x\n3,a,y\n4,b,y\n")
    result = majority_vote(table)
    assert result.posteriors[0] == pytest.approx([2 / 3, 1 / 3])
    assert result.labels.tolist() == [0, 1]


def test_dawid_skene_survives_single_labels_and_unused_classes() -> None:
    table = table_from_csv(
        "annotator,item,label\nlonely,a,x\n1,b,x\n2,b,x\n1,c,y\n2,c,y\n", classes=["x", "y", "never"]
    )
    result = dawid_skene(table)
    assert np.isfinite(result.posteriors).all()
    assert np.allclose(result.posteriors.sum(axis=1), 1.0)
    assert result.labels.tolist() == [0, 0, 1]
    assert result.posteriors[:, 2].max() < 0.05
    assert result.converged


def test_gold_items_are_fixed_and_expose_a_liar() -> None:
    lines = ["annotator,item,label"]
    for i in range(40):
        truth = "x" if i % 2 else "y"
        lie = "y" if truth == "x" else "x"
        lines += [f"honest,i{i},{truth}", f"liar,i{i},{lie}"]
    table = table_from_csv("\n".join(lines) + "\n")
    gold = {f"i{i}": ("x" if i % 2 else "y") for i in range(10)}
    gold_items, gold_classes = gold_arrays(table, gold)
    result = dawid_skene(table, gold_items, gold_classes)
    truth = np.array([0 if i % 2 else 1 for i in range(40)])
    assert np.array_equal(result.labels, truth)
    honest, liar = table.annotators.index("honest"), table.annotators.index("liar")
    assert result.annotator_accuracy[honest] > 0.99
    # at most (1 - chance 0.5) x 40, less the margin of the skill's lower bound on 40 labels
    assert 0.4 * 40 < result.annotator_score[honest] < 0.5 * 40
    assert result.annotator_score[liar] == 0.0


@pytest.mark.filterwarnings("ignore")  # crowd-kit's own pandas deprecation warnings
@pytest.mark.parametrize("n_classes", [2, 4])
def test_dawid_skene_matches_crowd_kit_accuracy(n_classes: int) -> None:
    # crowd-kit is the benchmark's peer (the `bench` extra); the comparison runs where it is installed
    pd = pytest.importorskip("pandas")
    aggregation = pytest.importorskip("crowdkit.aggregation")
    DawidSkene, MajorityVote = aggregation.DawidSkene, aggregation.MajorityVote
    accuracy = np.random.default_rng(n_classes).uniform(0.55, 0.9, 40)
    population = simulate_labels(11, 1500, n_classes, accuracy, n_random=10, labels_per_annotator=200)
    table = population.table
    ours = dawid_skene(table)
    frame = pd.DataFrame({"task": table.item_index, "worker": table.annotator_index, "label": table.label_index})
    theirs = DawidSkene(n_iter=100).fit_predict(frame)
    labelled = theirs.index.to_numpy()
    our_accuracy = (ours.labels[labelled] == population.truth[labelled]).mean()
    their_accuracy = (theirs.to_numpy() == population.truth[labelled]).mean()
    mv_accuracy = (MajorityVote().fit_predict(frame).to_numpy() == population.truth[labelled]).mean()
    assert abs(our_accuracy - their_accuracy) <= 0.005
    assert our_accuracy > mv_accuracy


@pytest.mark.parametrize("aggregate", [dawid_skene, majority_vote])
def test_annotator_scores_order_honest_over_random_and_constant(aggregate) -> None:
    accuracy = np.repeat([0.95, 0.8, 0.65], 4)
    population = simulate_labels(3, 600, 3, accuracy, n_random=2, n_constant=2, labels_per_annotator=300)
    score = aggregate(population.table).annotator_score
    group_means = score[:12].reshape(3, 4).mean(axis=1)
    assert group_means[0] > group_means[1] > group_means[2] > 0
    assert max(score[12:]) < 0.1 * group_means[2]


def test_a_lone_label_cannot_vouch_for_itself() -> None:
    table = table_from_csv("annotator,item,label\nsolo,a,x\nsolo,b,y\nsolo,c,x\n")
    assert dawid_skene(table).annotator_score.tolist() == pytest.approx([0.0], abs=1e-9)
    assert majority_vote(table).annotator_score.tolist() == [0.0]


def test_copied_annotators_are_found_and_the_first_keeps_credit() -> None:
    # shared errors need third opinions on the shared items: 12 annotators, 8 labels per item
    accuracy = np.linspace(0.7, 0.9, 12)
    population = simulate_labels(5, 300, 2, accuracy, n_copies=2, labels_per_annotator=200)
    copies = find_copied_annotators(population.table)
    assert set(copies) == {12, 13}
    kinds = population.kind
    assert all(kinds[original] == "honest" for original in copies.values())


def test_honest_annotators_on_shared_items_are_not_copies() -> None:
    population = simulate_labels(6, 100, 2, np.full(6, 0.95), labels_per_annotator=100)
    assert find_copied_annotators(population.table) == {}


def test_copy_detection_is_the_same_in_chunks_and_in_a_sparse_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from oracle.scoring import labels

    population = simulate_labels(8, 200, 2, np.full(40, 0.8), n_copies=4, labels_per_annotator=150)
    whole = find_copied_annotators(population.table)
    assert len(whole) == 4
    monkeypatch.setattr(labels, "PAIRS_PER_CHUNK", 500)
    assert find_copied_annotators(population.table) == whole
    monkeypatch.setattr(labels, "DENSE_PAIR_TABLE", 0)
    assert find_copied_annotators(population.table) == whole


def test_whole_column_and_line_by_line_label_reading_agree() -> None:
    text = "annotator,item,label\nann1,a,x\nann2,a,y\nann1,b,y\nann1,a,x\n"
    plain = table_from_csv(text)
    for variant in (text.replace("\n", "\r\n"), text.replace(",", " ,")):
        other = table_from_csv(variant)
        assert (other.annotators, other.items, other.classes) == (plain.annotators, plain.items, plain.classes)
        assert np.array_equal(other.label_index, plain.label_index)
        assert [(r.line, r.reason) for r in other.rejections] == [(r.line, r.reason) for r in plain.rejections]


def demo_crowd(seed: int = 2026) -> Crowd:
    """merit/demo/data.py's label crowd, array for array: 300 digits images all labelled by ann
    (95% right), ben (85%), cleo (70%) and a spammer (random), each wrong label uniform over the
    other 9 classes, 40 of the images gold."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    _, _, y_train, _ = train_test_split(
        digits.data, digits.target, test_size=600, random_state=seed, stratify=digits.target
    )
    truth = y_train[:300].astype(np.int64)
    rng = np.random.default_rng(seed)
    crowd = Crowd(rng, truth, 10, np.arange(0, 300, 300 // 40)[:40], [], [], [], [], [], [])
    items = np.arange(300)
    spam = rng.integers(0, 10, 300)  # drawn first, as the demo does
    for accuracy in (0.95, 0.85, 0.70):
        labels = truth.copy()
        wrong = rng.random(300) > accuracy
        labels[wrong] = (labels[wrong] + rng.integers(1, 10, wrong.sum())) % 10
        crowd.add("honest", items, labels, accuracy=accuracy)
    crowd.add("spam", items, spam)
    return crowd


@pytest.mark.parametrize("method", list(AggregationMethod))
def test_the_demo_crowd_has_no_copies_and_pay_follows_accuracy(method: AggregationMethod) -> None:
    # Each pair's reference is the other two labels only (one of them random): two careful annotators
    # agreeing against a wrong cleo is what independence predicts once either one's label is taken
    # into account, not a shared error (ben and cleo were merged into ann before).
    crowd = demo_crowd()
    result = score_labels(crowd.table(), method, *crowd.gold(), np.array(crowd.order))
    assert result.source_of == {}
    ann, ben, cleo, spammer = result.aggregation.annotator_score
    assert ann > ben > cleo > 0
    assert spammer == 0


@pytest.mark.parametrize("seed", range(10))
def test_four_annotators_on_every_item_are_not_merged_whatever_the_draw(seed: int) -> None:
    rng = np.random.default_rng(seed)
    crowd = Crowd(rng, rng.integers(0, 10, 300), 10, np.arange(0, 300, 300 // 40)[:40], [], [], [], [], [], [])
    for accuracy in (0.95, 0.85, 0.70):
        crowd.add("honest", np.arange(300), accuracy=accuracy)
    crowd.add("spam", np.arange(300), rng.integers(0, 10, 300))
    result = score_labels(crowd.table(), AggregationMethod.DAWID_SKENE, *crowd.gold(), np.array(crowd.order))
    assert result.source_of == {}
