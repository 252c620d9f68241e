"""Clustering: connected components of the kept edges, then splitting of the components that
hold records which must not be one person (hard conflicts).

A conflict is a pair of *values* of one conflict semantic that may not share a cluster: two
given names no nickname or spelling links, two birthdates more than a year apart, Jr and Sr,
two different separation keys, two partitions of one Stitch label, two previous Amperity IDs in
an incremental run. Conflicting value pairs are found in SQL per component (few distinct values
per component, so this stays small however large a component is); only components that hold one
go through `split_components`, which merges their records again edge by edge in descending score
order (forced edges first) and refuses every merge that would put two conflicting values in one
cluster. That is exact (no cluster ends up with a conflict the edges did not force), simple, and
in practice touches a small share of the graph. A forced edge (identical FK under fk-priority,
a label that says together) may bypass soft conflicts but never a hard one (labels apart,
previous IDs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Conflicts:
    """Conflict data of the components to split.

    Values are interned per (semantic, value) as integers; `pairs` lists conflicting value ids
    (both orders are looked up). `hard[semantic]` says whether forced edges must respect it.
    """

    rid: np.ndarray
    value: np.ndarray
    semantic: np.ndarray
    pairs: set[tuple[int, int]]
    hard: dict[int, bool]


def split_components(
    n: int,
    components: np.ndarray,
    to_split: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    score: np.ndarray,
    forced: np.ndarray,
    conflicts: Conflicts,
) -> np.ndarray:
    """Final label (smallest rid of the cluster) of every record.

    `components` labels every record's component; `to_split` lists the component labels that
    hold a conflict; edges (left, right, score, forced) are the kept edges of the whole graph.
    Records of other components keep their component label.
    """
    labels = components.copy()
    if len(to_split) == 0:
        return labels
    in_split = np.isin(components, to_split)
    edge_in = in_split[left]
    l, r, s, f = left[edge_in], right[edge_in], score[edge_in], forced[edge_in]
    order = np.lexsort((r, l, -s, ~f))  # forced first, then by score desc, ties by (l, r)
    l, r, f = l[order].tolist(), r[order].tolist(), f[order].tolist()

    values: dict[int, dict[int, set[int]]] = {}
    for rid, semantic, value in zip(conflicts.rid.tolist(), conflicts.semantic.tolist(), conflicts.value.tolist(), strict=True):
        values.setdefault(rid, {}).setdefault(semantic, set()).add(value)
    pairs, hard = conflicts.pairs, conflicts.hard

    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def clash(a: dict[int, set[int]], b: dict[int, set[int]], only_hard: bool) -> bool:
        for semantic, mine in a.items():
            theirs = b.get(semantic)
            if not theirs or (only_hard and not hard.get(semantic, False)):
                continue
            for x in mine:
                for y in theirs:
                    if x != y and ((x, y) in pairs or (y, x) in pairs):
                        return True
        return False

    for a, b, is_forced in zip(l, r, f, strict=True):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        va, vb = values.get(ra, {}), values.get(rb, {})
        if clash(va, vb, only_hard=is_forced):
            continue
        keep, gone = (ra, rb) if len(va) >= len(vb) else (rb, ra)
        parent[gone] = keep
        merged = values.pop(gone, None)
        if merged:
            target = values.setdefault(keep, {})
            for semantic, vals in merged.items():
                target.setdefault(semantic, set()).update(vals)

    nodes = np.flatnonzero(in_split)
    roots = np.fromiter((find(int(x)) for x in nodes), dtype=np.int64, count=len(nodes))
    # Name each cluster by its smallest member.
    smallest = {}
    for node, root in zip(nodes.tolist(), roots.tolist(), strict=True):
        if root not in smallest or node < smallest[root]:
            smallest[root] = node
    labels[nodes] = np.fromiter((smallest[root] for root in roots.tolist()), dtype=np.int64, count=len(nodes))
    return labels
