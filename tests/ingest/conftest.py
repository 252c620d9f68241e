"""Fixtures for the ingest tests: small files written into tmp_path, feeds built from dicts."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from amperity_pipelines.config.models import FeedSpec, FileSpec
from amperity_pipelines.ingest import LandedFile


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def landed(tmp_path):
    """Write a file under tmp_path and return it as a LandedFile (text or bytes content)."""

    def make(relpath: str, content: str | bytes, file_date: date | None = date(2020, 4, 10)) -> LandedFile:
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        stat = path.stat()
        return LandedFile(path, relpath, file_date, stat.st_size, stat.st_mtime_ns)

    return make


@pytest.fixture
def make_feed():
    """A feed from (name, type[, extra options]) tuples or field dicts."""

    def make(*fields, **options) -> FeedSpec:
        specs = []
        for field in fields:
            if isinstance(field, dict):
                specs.append(field)
            else:
                name, kind, *extra = field
                specs.append({"name": name, "type": kind, **(extra[0] if extra else {})})
        return FeedSpec(name=options.pop("name", "Customers"), fields=specs, **options)

    return make


@pytest.fixture
def make_spec():
    def make(pattern: str = "'data.csv'", **options) -> FileSpec:
        return FileSpec(pattern=pattern, feed="Customers", **options)

    return make
