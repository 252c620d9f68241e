"""What a Stitch run hands back: its output tables and the figures of the Stitch page."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

# Cluster-size buckets of Stitch QA: (label, smallest size); 64+ counts as supersized in QA.
SIZE_BUCKETS: tuple[tuple[str, int], ...] = (
    ("1", 1),
    ("2", 2),
    ("3", 3),
    ("4", 4),
    ("5", 5),
    ("6-10", 6),
    ("11-20", 11),
    ("21-63", 21),
    ("64+", 64),
)


@dataclass(frozen=True)
class StitchStats:
    records: int
    amperity_ids: int
    cluster_sizes: dict[str, int] = field(default_factory=dict)
    """Number of clusters (Amperity IDs) per size bucket, every bucket present."""
    supersized_clusters: int = 0
    bad_values: int = 0

    @property
    def dedupe_rate(self) -> float:
        """(records - Amperity IDs) / records; 0 for no records."""
        return (self.records - self.amperity_ids) / self.records if self.records else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "records": self.records,
            "amperity_ids": self.amperity_ids,
            "dedupe_rate": self.dedupe_rate,
            "cluster_sizes": dict(self.cluster_sizes),
            "supersized_clusters": self.supersized_clusters,
            "bad_values": self.bad_values,
        }


def bucket_counts(sizes: np.ndarray) -> dict[str, int]:
    """How many clusters fall in each size bucket."""
    bounds = np.array([low for _, low in SIZE_BUCKETS])
    index = np.searchsorted(bounds, np.asarray(sizes), side="right") - 1
    counts = np.bincount(index[index >= 0], minlength=len(SIZE_BUCKETS))
    return {label: int(count) for (label, _), count in zip(SIZE_BUCKETS, counts, strict=True)}


@dataclass(frozen=True)
class StitchResult:
    """Tables of one Stitch run (Arrow, so any engine or writer can take them)."""

    unified_coalesced: pa.Table
    """One row per input record: amperity_id, datasource, pk, original profile values, flags."""
    unified_changes_pks: pa.Table
    """Records added, deleted or moved since the previous run (empty without a previous run)."""
    bad_values: pa.Table
    """Keys ignored by the bad-value rule: semantic, value, num_records, num_given_names."""
    stats: StitchStats
