"""Jaro-Winkler similarity in Python, equal to DuckDB's `jaro_winkler_similarity`.

Spark has no such function, and comparison levels cut it at fixed thresholds (0.80, 0.90,
0.92): a Spark run must compute the very same number as DuckDB or a pair lands on another
level. tests/stitch/test_backends.py checks this function against DuckDB on thousands of pairs.

Like DuckDB, it compares UTF-8 bytes, not characters ('É' is two bytes). Two bytes match when
equal and at most max(len) // 2 - 1 positions apart (each byte matched once, left to right);
with m matches and t half the number of matched bytes out of order (rounded down, as DuckDB
does), jaro = (m/|a| + m/|b| + (m-t)/m) / 3. Winkler adds 0.1 per shared leading byte (at most
4) times (1 - jaro), when jaro > 0.7.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

PREFIX_WEIGHT, MAX_PREFIX, BOOST_THRESHOLD = 0.1, 4, 0.7


def jaro(a: bytes, b: bytes) -> float:
    if not a or not b:
        return 0.0
    window = max(0, max(len(a), len(b)) // 2 - 1)
    taken = [False] * len(b)
    matched_a = []
    for i, char in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not taken[j] and b[j] == char:
                taken[j] = True
                matched_a.append(char)
                break
    m = len(matched_a)
    if m == 0:
        return 0.0
    matched_b = [char for j, char in enumerate(b) if taken[j]]
    t = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) // 2
    return (m / len(a) + m / len(b) + (m - t) / m) / 3


@lru_cache(maxsize=65_536)
def jaro_winkler(a: str, b: str) -> float:
    """Similarity in [0, 1]: 1.0 for equal strings, 0.0 when either is empty (as DuckDB)."""
    x_bytes, y_bytes = a.encode(), b.encode()
    similarity = jaro(x_bytes, y_bytes)
    if similarity <= BOOST_THRESHOLD:
        return similarity
    prefix = 0
    for x, y in zip(x_bytes[:MAX_PREFIX], y_bytes[:MAX_PREFIX], strict=False):
        if x != y:
            break
        prefix += 1
    return similarity + prefix * PREFIX_WEIGHT * (1.0 - similarity)


def jaro_winkler_many(left: Iterable[str | None], right: Iterable[str | None]) -> list[float | None]:
    """Element-wise similarity; NULL (None) when either side is None, as in SQL."""
    return [None if a is None or b is None else jaro_winkler(a, b) for a, b in zip(left, right, strict=True)]
