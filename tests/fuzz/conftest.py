"""Hypothesis settings of the fuzz tests: a few hundred examples, no deadline (the first DuckDB
query of a process is slow), no example database on disk. Under CI the examples are derived from
the test names (`derandomize`), so a run is repeatable; locally each run explores new inputs.
For a long hunt: `python -m pytest tests/fuzz --hypothesis-profile=fuzz-long` (5,000 examples)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("fuzz-long", settings.get_profile("fuzz"), max_examples=5000, derandomize=False)
settings.load_profile("fuzz")
