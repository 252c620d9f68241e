"""Clustering metrics of the Stitch benchmark, on examples small enough to count by hand.

Only numpy and pandas: the bench's optional packages (splink, recordlinkage) are not needed here.
"""

from itertools import combinations

import numpy as np
import pytest

from bench.stitch.metrics import (
    bcubed_scores,
    evaluate,
    largest_cluster,
    pairwise_scores,
    trap_pairs_merged,
)

# Truth: A = {r0, r1, r2}, B = {r3, r4}. Predicted: 1 = {r0, r1}, 2 = {r2, r3, r4}.
IDS = ["r0", "r1", "r2", "r3", "r4"]
TRUTH = ["A", "A", "A", "B", "B"]
PREDICTED = [1, 1, 2, 2, 2]


def test_pairwise_counts_pairs_from_cluster_sizes():
    # true pairs: C(3,2) + C(2,2) = 4; predicted pairs: C(2,2) + C(3,2) = 4;
    # both: (r0,r1) and (r3,r4) = 2.
    scores = pairwise_scores(PREDICTED, TRUTH)
    assert scores.precision == pytest.approx(2 / 4)
    assert scores.recall == pytest.approx(2 / 4)
    assert scores.f1 == pytest.approx(0.5)


def test_bcubed_averages_per_record_overlap():
    # precision per record: r0 2/2, r1 2/2, r2 1/3, r3 2/3, r4 2/3 -> 11/3 over 5 records;
    # recall per record:    r0 2/3, r1 2/3, r2 1/3, r3 2/2, r4 2/2 -> 11/3 over 5 records.
    scores = bcubed_scores(PREDICTED, TRUTH)
    assert scores.precision == pytest.approx(11 / 15)
    assert scores.recall == pytest.approx(11 / 15)
    assert scores.f1 == pytest.approx(11 / 15)


def test_perfect_clustering_scores_one_whatever_the_labels():
    scores = pairwise_scores(["x", "x", "x", "y", "y"], TRUTH)
    assert (scores.precision, scores.recall) == (1.0, 1.0)
    assert bcubed_scores([7, 7, 7, 9, 9], TRUTH).f1 == pytest.approx(1.0)


def test_all_singletons_claim_nothing_and_find_nothing():
    truth = ["A", "A", "B"]
    pairwise = pairwise_scores([0, 1, 2], truth)
    assert (pairwise.precision, pairwise.recall, pairwise.f1) == (1.0, 0.0, 0.0)
    bcubed = bcubed_scores([0, 1, 2], truth)
    assert bcubed.precision == 1.0
    assert bcubed.recall == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)


def test_one_giant_cluster_has_full_recall_and_poor_precision():
    truth = ["A", "A", "B", "C"]
    pairwise = pairwise_scores([0, 0, 0, 0], truth)
    assert pairwise.precision == pytest.approx(1 / 6)
    assert pairwise.recall == 1.0
    bcubed = bcubed_scores([0, 0, 0, 0], truth)
    assert bcubed.precision == pytest.approx((2 / 4 + 2 / 4 + 1 / 4 + 1 / 4) / 4)
    assert bcubed.recall == 1.0


def test_largest_cluster():
    assert largest_cluster(PREDICTED) == 3
    assert largest_cluster(["a"]) == 1
    assert largest_cluster([]) == 0


def test_trap_pairs_merged_is_the_share_of_pairs_in_one_cluster():
    # (r0, r3): clusters 1 and 2, kept apart; (r2, r3): both in cluster 2, merged.
    assert trap_pairs_merged(IDS, PREDICTED, [("r0", "r3"), ("r2", "r3")]) == 0.5
    assert trap_pairs_merged(IDS, PREDICTED, []) is None


def test_trap_pair_naming_an_unknown_record_is_an_error():
    with pytest.raises(ValueError, match="not in record_ids"):
        trap_pairs_merged(IDS, PREDICTED, [("r0", "r9")])


def test_labels_must_cover_the_same_records_and_never_be_missing():
    with pytest.raises(ValueError, match="same records"):
        pairwise_scores([1, 2], ["A", "A", "B"])
    with pytest.raises(ValueError, match="must not be missing"):
        bcubed_scores([1, None, 2], ["A", "A", "B"])


def test_evaluate_collects_every_figure():
    metrics = evaluate(IDS, PREDICTED, TRUTH, trap_pairs=[("r0", "r3"), ("r2", "r3")])
    assert metrics.records == 5
    assert (metrics.predicted_clusters, metrics.true_entities) == (2, 2)
    assert (metrics.true_pairs, metrics.predicted_pairs, metrics.true_positive_pairs) == (4, 4, 2)
    assert (metrics.largest_cluster, metrics.largest_true_entity) == (3, 3)
    assert (metrics.trap_pairs, metrics.trap_pairs_merged) == (2, 0.5)
    as_dict = metrics.as_dict()
    assert as_dict["pairwise"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert evaluate(IDS, PREDICTED, TRUTH).trap_pairs_merged is None


def test_counts_agree_with_listing_every_pair():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 15, size=60)
    predicted = rng.integers(0, 12, size=60)
    true_pairs = {p for p in combinations(range(60), 2) if truth[p[0]] == truth[p[1]]}
    predicted_pairs = {p for p in combinations(range(60), 2) if predicted[p[0]] == predicted[p[1]]}
    scores = pairwise_scores(predicted, truth)
    assert scores.precision == pytest.approx(len(true_pairs & predicted_pairs) / len(predicted_pairs))
    assert scores.recall == pytest.approx(len(true_pairs & predicted_pairs) / len(true_pairs))
    bcubed = bcubed_scores(predicted, truth)
    per_record = [
        (np.sum((predicted == predicted[k]) & (truth == truth[k])), np.sum(predicted == predicted[k]), np.sum(truth == truth[k]))
        for k in range(60)
    ]
    assert bcubed.precision == pytest.approx(np.mean([both / pred for both, pred, _ in per_record]))
    assert bcubed.recall == pytest.approx(np.mean([both / true for both, _, true in per_record]))
