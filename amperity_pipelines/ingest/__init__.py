"""Ingest: landed files -> typed, de-duplicated domain-table rows (no Dagster, no Delta here).

    files = discover_fileset(landing, courier.files, day=date(2020, 4, 10))
    for feed_name, pairs in feeds_of(files).items():
        result = load_feed(con, feeds[feed_name], pairs, existing=current_rows)
        lakehouse.write("domain", table_name, result.table)       # one Delta commit
        lakehouse.write("quarantine", table_name, result.quarantine, mode="append")
        log(result.warnings)                                       # e.g. an empty file

Bad input raises `IngestError`, whose message names the file (and the line or row when known).
"""

from amperity_pipelines.config.datetime_patterns import joda_to_strptime
from amperity_pipelines.ingest.casting import arrow_schema, duckdb_type, typed_select
from amperity_pipelines.ingest.errors import IngestError, MissingFileError, PatternError
from amperity_pipelines.ingest.load import QUARANTINE_SCHEMA, FileStats, LoadResult, load_feed
from amperity_pipelines.ingest.patterns import FileMatch, FilePattern, LandedFile, discover, discover_fileset, feeds_of
from amperity_pipelines.ingest.readers import read_raw, read_raw_table
from amperity_pipelines.ingest.sources import RawSource, open_sources

__all__ = [
    "QUARANTINE_SCHEMA",
    "FileMatch",
    "FilePattern",
    "FileStats",
    "IngestError",
    "LandedFile",
    "LoadResult",
    "MissingFileError",
    "PatternError",
    "RawSource",
    "arrow_schema",
    "discover",
    "discover_fileset",
    "duckdb_type",
    "feeds_of",
    "joda_to_strptime",
    "load_feed",
    "open_sources",
    "read_raw",
    "read_raw_table",
    "typed_select",
]
