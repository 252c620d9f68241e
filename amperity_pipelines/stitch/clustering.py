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

Last, `cap_clusters` splits every cluster of more records than the supersized threshold along
its weakest links, so that no Amperity ID holds more (a chain through one junk value that the
bad-value rules let pass ends there).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

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



def find_root(parent: dict[int, int], x: int) -> int:
    """Union-find: the root of `x` in `parent` (absent = its own root), compressing the path."""
    root = x
    while parent.get(root, root) != root:
        root = parent[root]
    while parent.get(x, x) != root:
        parent[x], x = root, parent[x]
    return root

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

    find = partial(find_root, parent)

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


def cap_clusters(
    labels: np.ndarray,
    weight: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    score: np.ndarray,
    forced: np.ndarray,
    cap: int,
) -> tuple[np.ndarray, int]:
    """Labels with every cluster of more than `cap` records split along its weakest links, and
    how many clusters were split.

    `weight[rid]` is the number of records a node stands for (a representative and its trivial
    duplicates; 0 for a duplicate). Inside each oversized cluster the edges are replayed from
    the strongest score level down (forced edges first), as single linkage merges them: the
    clusters that one score level's edges join become one when the result stays within `cap`;
    when it would not, that level is not applied to them and they are final, since every weaker
    link could only join them into something larger still. That is re-clustering the oversized
    cluster with a stricter threshold, piece by piece, so a cluster chained by one weak shared
    value falls apart at that value. Equal scores are one level (no order decides between
    them), and every cluster ends at or under `cap` unless a single node (identical duplicates)
    is larger on its own.
    """
    sizes = np.bincount(labels, weights=weight, minlength=len(labels))
    oversized = np.flatnonzero(sizes > cap)
    if len(oversized) == 0:
        return labels, 0
    inside = np.isin(labels[left], oversized) & (labels[left] == labels[right])
    l, r, s, f = left[inside], right[inside], score[inside], forced[inside]
    level = np.where(f, np.inf, s)
    order = np.lexsort((r, l, -level))
    l, r, level = l[order].tolist(), r[order].tolist(), level[order].tolist()

    parent: dict[int, int] = {}
    size: dict[int, float] = {}
    final: set[int] = set()

    find = partial(find_root, parent)

    def size_of(root: int) -> float:
        return size.get(root, float(weight[root]))

    start = 0
    while start < len(l):
        end = start
        while end < len(l) and level[end] == level[start]:
            end += 1
        # The clusters this level would join, grouped (a throwaway union-find over their roots).
        group: dict[int, int] = {}

        def top(x: int, group: dict[int, int] = group) -> int:
            while group.get(x, x) != x:
                x = group[x]
            return x

        for i in range(start, end):
            a, b = top(find(l[i])), top(find(r[i]))
            if a != b:
                group[max(a, b)] = min(a, b)
        members: dict[int, set[int]] = {}
        for i in range(start, end):
            for root in (find(l[i]), find(r[i])):
                members.setdefault(top(root), set()).add(root)
        refused = {
            key for key, roots in members.items() if len(roots) > 1 and (roots & final or sum(map(size_of, roots)) > cap)
        }
        for key, roots in members.items():
            if key in refused:
                final.update(roots)
                continue
            keep = min(roots)
            for gone in roots - {keep}:
                parent[gone] = keep
            size[keep] = sum(map(size_of, roots))
        start = end

    out = labels.copy()
    nodes = np.flatnonzero(np.isin(labels, oversized))
    roots = [find(int(x)) for x in nodes.tolist()]
    smallest: dict[int, int] = {}
    for node, root in zip(nodes.tolist(), roots, strict=True):
        smallest[root] = min(smallest.get(root, node), node)
    out[nodes] = [smallest[root] for root in roots]
    pieces = {(int(labels[node]), smallest[root]) for node, root in zip(nodes.tolist(), roots, strict=True)}
    counts: dict[int, int] = {}
    for old, _ in pieces:
        counts[old] = counts.get(old, 0) + 1
    return out, sum(1 for n in counts.values() if n > 1)
