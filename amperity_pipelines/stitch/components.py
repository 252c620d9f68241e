"""Connected components of a graph given as two integer arrays, with vectorised union-find.

Nodes are 0..n-1. Each round hooks, for every edge whose ends are still in different trees, the
larger root under the smaller one (numpy's `minimum.at` keeps the smallest candidate), then
compresses every path by pointer jumping. `parent[i] <= i` holds throughout, so there are no
cycles; every round removes at least one root, and in practice a handful of rounds suffice.
"""

from __future__ import annotations

import numpy as np


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label of every node: the smallest node number of its component (int64 array of length n)."""
    parent = np.arange(n, dtype=np.int64)
    u = np.asarray(left, dtype=np.int64)
    v = np.asarray(right, dtype=np.int64)
    if u.shape != v.shape:
        raise ValueError("left and right must have the same length")
    if u.size and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        raise ValueError(f"edge ends must lie in 0..{n - 1}")
    while u.size:
        root_u, root_v = parent[u], parent[v]
        open_ = root_u != root_v
        if not open_.any():
            break
        # Edges inside one tree stay inside it; drop them for good.
        u, v, root_u, root_v = u[open_], v[open_], root_u[open_], root_v[open_]
        np.minimum.at(parent, np.maximum(root_u, root_v), np.minimum(root_u, root_v))
        parent = _compress(parent)
    return parent


def _compress(parent: np.ndarray) -> np.ndarray:
    """Point every node straight at its root."""
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return parent
        parent = grand
