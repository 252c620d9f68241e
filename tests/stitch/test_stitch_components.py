import numpy as np
import pytest

from amperity_pipelines.stitch import connected_components


def reference_labels(n, edges):
    """Smallest node of each component, by plain breadth-first search."""
    neighbours = {i: set() for i in range(n)}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    label = [-1] * n
    for start in range(n):
        if label[start] >= 0:
            continue
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            for other in neighbours[node] - seen:
                seen.add(other)
                todo.append(other)
        for node in seen:
            label[node] = min(seen)
    return label


def test_small_graph():
    # 0-3-5 chain, 1-4 pair, 2 and 6 alone, a self loop and a duplicate edge
    labels = connected_components(7, np.array([5, 3, 4, 2, 4]), np.array([3, 0, 1, 2, 1]))
    assert labels.tolist() == [0, 1, 2, 0, 1, 0, 6]


def test_empty_inputs():
    assert connected_components(0, np.array([]), np.array([])).tolist() == []
    assert connected_components(3, np.array([]), np.array([])).tolist() == [0, 1, 2]


@pytest.mark.parametrize("seed", range(5))
def test_matches_breadth_first_search_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n, m = 300, 250
    left, right = rng.integers(0, n, m), rng.integers(0, n, m)
    assert connected_components(n, left, right).tolist() == reference_labels(n, zip(left, right, strict=True))


def test_long_path_in_shuffled_order():
    n = 10_000
    order = np.random.default_rng(1).permutation(n)
    labels = connected_components(n, order[:-1], order[1:])
    assert (labels == 0).all()


def test_rejects_edges_outside_the_nodes():
    with pytest.raises(ValueError, match=r"0\.\.2"):
        connected_components(3, np.array([0]), np.array([3]))
    with pytest.raises(ValueError, match="same length"):
        connected_components(3, np.array([0, 1]), np.array([1]))
