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
    pairs_scored: int | None = None
    """Candidate pairs the blocking produced and the model scored (probabilistic Stitch)."""
    pairs_kept: int | None = None
    """Pairs scoring at or above the threshold."""
    trivial_duplicates: int | None = None
    """Records collapsed onto an identical record before blocking."""
    oversized_blocks: int | None = None
    """Blocks skipped for exceeding the block size cap (listed in StitchResult.oversized_blocks)."""
    pairs_skipped: int | None = None
    """Pairs the skipped blocks would have produced."""
    split_components: int | None = None
    """Components that held a hard conflict and were split."""
    largest_cluster: int | None = None
    supersized_split: int | None = None
    """Clusters over the supersized threshold that were split along their weakest links."""
    unparseable_values: dict[str, dict] = field(default_factory=dict)
    """Per date column (birthdate, create_dt, update_dt) whose values did not all parse: count,
    share of the records and a sample of [datasource, pk, value]; those values became NULL."""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    """Wall time per stage of the run."""

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
            **{
                name: getattr(self, name)
                for name in (
                    "pairs_scored", "pairs_kept", "trivial_duplicates", "oversized_blocks", "pairs_skipped",
                    "split_components", "largest_cluster", "supersized_split",
                )  # fmt: skip
                if getattr(self, name) is not None
            },
            **({"unparseable_values": dict(self.unparseable_values)} if self.unparseable_values else {}),
            **({"stage_seconds": dict(self.stage_seconds)} if self.stage_seconds else {}),
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
    """Values ignored for matching. Deterministic: semantic, value, num_records, num_given_names;
    probabilistic: datasource, semantic, value, num_values, num_proxy, proxy, origin."""
    stats: StitchStats
    unified_scores: pa.Table | None = None
    """Scored pairs inside clusters: amperity_id, source1, pk1, source2, pk2, score, match_category, match_type."""
    unified_preprocessed_raw: pa.Table | None = None
    """Preprocessed values per record (bad values NULL), with rep_ds/rep_pk of trivial duplicates."""
    blocking_keys: pa.Table | None = None
    """datasource, pk, strategy, bk, is_oversized."""
    unified_changes_clusters: pa.Table | None = None
    """Amperity IDs added, deleted, merged, split or updated since the previous run."""
    oversized_blocks: pa.Table | None = None
    """Blocks skipped for exceeding the cap: strategy, bk, size, pairs_skipped."""
    model: pa.Table | None = None
    """The fitted model: m, u and weight per comparison level, and the prior (see stitch.model)."""
    settings: object | None = None
    """The settings of the run (StitchSettings), for explain."""

    TABLES = (
        "unified_coalesced", "unified_changes_pks", "unified_changes_clusters", "unified_scores",
        "unified_preprocessed_raw", "blocking_keys", "bad_values", "oversized_blocks", "model",
    )  # fmt: skip

    def tables(self) -> dict[str, pa.Table]:
        """The run's tables by name (those the engine produced)."""
        return {name: getattr(self, name) for name in self.TABLES if getattr(self, name) is not None}
