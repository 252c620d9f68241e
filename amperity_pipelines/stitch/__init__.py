"""Identity resolution (Stitch): records in, Amperity IDs and the Stitch tables out.

No orchestration here: functions take a DuckDB connection (or, for `stitch_records`, a backend:
`DuckDBBackend`, `SparkBackend`) and table names and return Arrow tables, so assets, tests and
benchmarks call the same code.

Two engines share the output contract (Unified Coalesced):
- `stitch_deterministic`: records sharing a normalised email, phone, FK or loyalty ID are one person;
- `stitch_records`: probabilistic Stitch (preprocessing, bad values, blocking, a Fellegi-Sunter
  model learned without labels, rules, conflict-aware clustering, stable IDs), with `explain`.

Input contract of both: a table or view with `datasource` and `pk` (unique together) and any of
given_name, surname, full_name, generational_suffix, title, email, phone, address, address2,
city, state, postal, country, birthdate, gender, company, loyalty_id, fk_*, sk_*, ck.
"""

from amperity_pipelines.stitch.backends import Backend, DuckDBBackend, SparkBackend
from amperity_pipelines.stitch.coalesced import PROFILE_COLUMNS
from amperity_pipelines.stitch.components import connected_components
from amperity_pipelines.stitch.deterministic import CHANGES_SCHEMA, stitch_deterministic
from amperity_pipelines.stitch.exceptions import StitchInputError
from amperity_pipelines.stitch.explain import ComparisonExplained, Explanation, explain
from amperity_pipelines.stitch.probabilistic import stitch_records
from amperity_pipelines.stitch.reference import read_nickname_changes
from amperity_pipelines.stitch.result import SIZE_BUCKETS, StitchResult, StitchStats
from amperity_pipelines.stitch.result_files import load_tables, save_result
from amperity_pipelines.stitch.settings import (
    DEFAULT_STRATEGIES,
    MATCH_KEYS,
    STRATEGIES,
    BadValueRule,
    DeterministicSettings,
    Rule,
    StitchSettings,
)

__all__ = [
    "CHANGES_SCHEMA",
    "DEFAULT_STRATEGIES",
    "MATCH_KEYS",
    "PROFILE_COLUMNS",
    "SIZE_BUCKETS",
    "STRATEGIES",
    "Backend",
    "BadValueRule",
    "ComparisonExplained",
    "DeterministicSettings",
    "DuckDBBackend",
    "Explanation",
    "Rule",
    "SparkBackend",
    "StitchInputError",
    "StitchResult",
    "StitchSettings",
    "StitchStats",
    "connected_components",
    "explain",
    "load_tables",
    "read_nickname_changes",
    "save_result",
    "stitch_deterministic",
    "stitch_records",
]
