"""Identity resolution (Stitch): records in, Amperity IDs and Unified Coalesced out.

No orchestration here: functions take a DuckDB connection and table names and return Arrow
tables, so assets, tests and benchmarks call the same code.
"""

from amperity_pipelines.stitch.coalesced import PROFILE_COLUMNS
from amperity_pipelines.stitch.components import connected_components
from amperity_pipelines.stitch.deterministic import CHANGES_SCHEMA, stitch_deterministic
from amperity_pipelines.stitch.exceptions import StitchInputError
from amperity_pipelines.stitch.result import SIZE_BUCKETS, StitchResult, StitchStats
from amperity_pipelines.stitch.settings import MATCH_KEYS, DeterministicSettings

__all__ = [
    "CHANGES_SCHEMA",
    "MATCH_KEYS",
    "PROFILE_COLUMNS",
    "SIZE_BUCKETS",
    "DeterministicSettings",
    "StitchInputError",
    "StitchResult",
    "StitchStats",
    "connected_components",
    "stitch_deterministic",
]
