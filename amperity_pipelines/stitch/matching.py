"""Deterministic matching: which records share a key, as edges for the component search.

Every group of records sharing a key value becomes a star: each record is tied to the group's
smallest `rid`. That is at most one edge per record and key, yet connects the group completely.
"""

from __future__ import annotations

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, table, union_all
from amperity_pipelines.stitch.coalesced import (
    KEY_EMAIL,
    KEY_GIVEN_NAME,
    KEY_LOYALTY,
    KEY_PHONE,
    InputColumns,
    fk_key,
)
from amperity_pipelines.stitch.settings import DeterministicSettings

# Semantics the bad-value rule watches, with their key column.
GUARDED_KEYS: tuple[tuple[str, str], ...] = (("email", KEY_EMAIL), ("phone", KEY_PHONE))


def bad_values_query(base: str, settings: DeterministicSettings) -> exp.Expression:
    """Stitch BadValues: (semantic, value, num_records, num_given_names) of ignored keys."""
    limit = settings.bad_value_max_given_names
    parts = [
        fill(
            """
            SELECT $semantic AS semantic, $key AS value, COUNT(*) AS num_records,
                   COUNT(DISTINCT $given) AS num_given_names
            FROM $base WHERE $key IS NOT NULL
            GROUP BY $key
            HAVING $too_many
            """,
            semantic=semantic,
            key=column(key),
            given=column(KEY_GIVEN_NAME),
            base=table(base),
            too_many=exp.false()
            if limit is None
            else fill("COUNT(DISTINCT $given) > $limit", given=column(KEY_GIVEN_NAME), limit=limit),
        )
        for semantic, key in GUARDED_KEYS
    ]
    return union_all(parts)


def star_edges_query(base: str, key: str, bad_values: str, semantic: str | None) -> exp.Expression:
    """(rid, root) for every record whose `key` value is shared, root = smallest rid of the value.

    With `semantic`, values listed in `bad_values` under that semantic connect nothing.
    """
    usable = fill("$key IS NOT NULL", key=column(key))
    if semantic:
        ignored = fill("SELECT value FROM $bad WHERE semantic = $semantic", bad=table(bad_values), semantic=semantic)
        usable = exp.and_(usable, fill("$key NOT IN ($ignored)", key=column(key), ignored=ignored))
    return fill(
        """
        SELECT rid, root FROM (
          SELECT rid, MIN(rid) OVER (PARTITION BY $key) AS root
          FROM $base WHERE $usable
        ) WHERE rid <> root
        """,
        key=column(key),
        usable=usable,
        base=table(base),
    )


def edges_query(
    base: str, bad_values: str, columns: InputColumns, settings: DeterministicSettings
) -> exp.Expression | None:
    """All edges for the keys in `settings.match_on`, or None when nothing can match."""
    keys: list[tuple[str, str | None]] = []
    if "email" in settings.match_on:
        keys.append((KEY_EMAIL, "email"))
    if "phone" in settings.match_on:
        keys.append((KEY_PHONE, "phone"))
    if "loyalty_id" in settings.match_on:
        keys.append((KEY_LOYALTY, None))
    if "fk" in settings.match_on:
        keys.extend((fk_key(fk), None) for fk in columns.fk_columns)
    if not keys:
        return None
    return union_all([star_edges_query(base, key, bad_values, semantic) for key, semantic in keys])
