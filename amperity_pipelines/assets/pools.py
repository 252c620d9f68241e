"""Dagster concurrency pools of the assets (limits are the instance's: dagster.yaml `concurrency`)."""

DUCKDB_POOL = "duckdb"
"""The steps that run DuckDB over whole tables (loads, Stitch, customer 360, queries): on a small
machine two at once fight for memory and cores, so the instance runs one at a time across runs."""
