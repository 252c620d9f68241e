"""How close a clustering is to the truth: pairwise and B-cubed precision/recall/F1, trap pairs
merged, largest cluster.

Every figure comes from cluster sizes and the contingency table (records per predicted cluster x
true entity), never from the list of pairs, so a million records with a 5,000-record cluster cost
the same as any other million: hashing (pandas.factorize) and counting (numpy.bincount), O(n).

Definitions (n_ij = records in predicted cluster i and true entity j, a_i = size of predicted
cluster i, b_j = size of true entity j, N = records):
- pairwise: true positives = sum C(n_ij, 2), predicted pairs = sum C(a_i, 2), true pairs =
  sum C(b_j, 2); precision = TP / predicted pairs, recall = TP / true pairs (1.0 when the
  denominator is 0: nothing claimed, nothing wrong);
- B-cubed (Bagga & Baldwin): per record, precision = n_ij / a_i and recall = n_ij / b_j, averaged
  over records: sum n_ij^2 / a_i / N and sum n_ij^2 / b_j / N.

No dependency beyond numpy and pandas, so the main test suite runs these without the bench's
optional packages.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ClusterMetrics",
    "Scores",
    "bcubed_scores",
    "evaluate",
    "largest_cluster",
    "pairwise_scores",
    "trap_pairs_merged",
]


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class ClusterMetrics:
    records: int
    predicted_clusters: int
    true_entities: int
    pairwise: Scores
    bcubed: Scores
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    largest_cluster: int
    largest_true_entity: int
    trap_pairs: int
    trap_pairs_merged: float | None
    """Share of trap pairs that ended in one cluster; None without trap pairs."""

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["pairwise"] = self.pairwise.as_dict()
        out["bcubed"] = self.bcubed.as_dict()
        return out


def _codes(labels: Sequence[Hashable] | np.ndarray) -> np.ndarray:
    """Dense integer codes 0..k-1 for any labels (hash based, O(n)); a missing label is an error."""
    codes, _ = pd.factorize(np.asarray(labels, dtype=object) if not isinstance(labels, np.ndarray) else labels)
    if (codes < 0).any():
        raise ValueError("cluster labels must not be missing (None/NaN): give every record a cluster")
    return codes.astype(np.int64, copy=False)


def _contingency(predicted, truth) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cell sizes n_ij, predicted cluster size a_i of each cell, true entity size b_j of each cell)."""
    pred = _codes(predicted)
    true = _codes(truth)
    if pred.shape != true.shape:
        raise ValueError(f"predicted ({pred.size}) and true ({true.size}) labels must cover the same records")
    if pred.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    a = np.bincount(pred)
    b = np.bincount(true)
    cell_of_record, _ = pd.factorize(pred * (int(true.max()) + 1) + true)
    n = np.bincount(cell_of_record)
    # Any one record of a cell gives that cell's predicted cluster and true entity.
    member = np.empty(n.size, dtype=np.int64)
    member[cell_of_record] = np.arange(pred.size)
    return n, a[pred[member]], b[true[member]]


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(predicted, truth) -> Scores:
    """Precision and recall over record pairs: a pair is predicted when both records share a
    predicted cluster, true when they share a true entity."""
    n, _, _ = _contingency(predicted, truth)
    tp = _pairs(n)
    predicted_pairs = _pairs(np.bincount(_codes(predicted))) if n.size else 0
    true_pairs = _pairs(np.bincount(_codes(truth))) if n.size else 0
    return Scores(
        precision=tp / predicted_pairs if predicted_pairs else 1.0,
        recall=tp / true_pairs if true_pairs else 1.0,
    )


def bcubed_scores(predicted, truth) -> Scores:
    """B-cubed precision and recall: per-record overlap of its predicted cluster and true entity,
    averaged over records. Unlike pairwise scores, one giant cluster does not dominate."""
    n, a, b = _contingency(predicted, truth)
    if n.size == 0:
        return Scores(1.0, 1.0)
    records = n.sum()
    n2 = n.astype(np.float64) ** 2
    return Scores(precision=float((n2 / a).sum() / records), recall=float((n2 / b).sum() / records))


def largest_cluster(labels) -> int:
    codes = _codes(labels)
    return int(np.bincount(codes).max()) if codes.size else 0


def trap_pairs_merged(record_ids, predicted, pairs: Iterable[tuple[Hashable, Hashable]] | np.ndarray) -> float | None:
    """Share of `pairs` (record id, record id) whose two records got the same predicted cluster.

    `record_ids[k]` names the record whose cluster is `predicted[k]`. None when there are no pairs;
    a pair naming an unknown record is an error (a silent skip would flatter the figure).
    """
    pairs = np.asarray(list(pairs) if not isinstance(pairs, np.ndarray) else pairs, dtype=object)
    if pairs.size == 0:
        return None
    pairs = pairs.reshape(-1, 2)
    index = pd.Index(np.asarray(record_ids, dtype=object))
    if not index.is_unique:
        raise ValueError("record ids must be unique")
    left = index.get_indexer(pairs[:, 0])
    right = index.get_indexer(pairs[:, 1])
    unknown = (left < 0) | (right < 0)
    if unknown.any():
        raise ValueError(f"{int(unknown.sum())} trap pair(s) name records that are not in record_ids, e.g. {pairs[unknown][0].tolist()}")
    codes = _codes(predicted)
    return float((codes[left] == codes[right]).mean())


def evaluate(record_ids, predicted, truth, trap_pairs=None) -> ClusterMetrics:
    """All figures for one clustering; `predicted[k]` and `truth[k]` belong to `record_ids[k]`."""
    pred = _codes(predicted)
    true = _codes(truth)
    n, a, b = _contingency(pred, true)
    pairs = np.asarray(trap_pairs if trap_pairs is not None else [], dtype=object).reshape(-1, 2)
    return ClusterMetrics(
        records=int(pred.size),
        predicted_clusters=int(pred.max() + 1) if pred.size else 0,
        true_entities=int(true.max() + 1) if true.size else 0,
        pairwise=pairwise_scores(pred, true),
        bcubed=bcubed_scores(pred, true),
        true_pairs=_pairs(np.bincount(true)) if true.size else 0,
        predicted_pairs=_pairs(np.bincount(pred)) if pred.size else 0,
        true_positive_pairs=_pairs(n),
        largest_cluster=largest_cluster(pred),
        largest_true_entity=largest_cluster(true),
        trap_pairs=int(pairs.shape[0]),
        trap_pairs_merged=trap_pairs_merged(record_ids, pred, pairs),
    )
