"""Which files an export leaves behind: names, parts, the .DONE marker, and nothing on failure."""

from __future__ import annotations

import os
from datetime import datetime

import pyarrow as pa
import pytest

from amperity_pipelines.destinations import ExportError, write_export
from amperity_pipelines.destinations import export as export_module

RUN_TIME = datetime(2020, 5, 6, 7, 15, 0)
FIVE_ROWS = pa.table({"id": [1, 2, 3, 4, 5], "email": ["a@x", "b@x", "c@x", "d@x", "e@x"]})


def export(data, spec, tmp_path, *, name="Audience"):
    return write_export(data, spec, base_dir=tmp_path, run_time=RUN_TIME, name=name)


def listing(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def data_rows(path) -> int:
    return len(path.read_text().splitlines()) - 1  # minus the header


def test_filename_template_with_dates(tmp_path, destination):
    spec = destination(filename_template="{name}_{date:%Y%m%d}_{date:%H%M}", path="exports/braze")
    result = export(FIVE_ROWS, spec, tmp_path)
    assert result.files == (tmp_path / "exports" / "braze" / "Audience_20200506_0715.csv",)
    assert (result.rows, result.bytes) == (5, result.files[0].stat().st_size)


def test_default_template_and_gzip_extension(tmp_path):
    from amperity_pipelines.config.models import DestinationSpec

    spec = DestinationSpec(name="s3_export", path="out", compression="gzip")
    result = export(FIVE_ROWS, spec, tmp_path, name="Customers")
    assert result.files[0].name == "Customers_20200506.csv.gz"


def test_a_template_that_already_has_the_extension(tmp_path, destination):
    result = export(FIVE_ROWS, destination(filename_template="{name}.csv"), tmp_path)
    assert result.files[0].name == "Audience.csv"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{name}_{customer}", "cannot be filled"),
        ("{name}_{date:%Y}_{}", "cannot be filled"),
        ("{date:%Y}/{name}", "not a file name"),
        ("{name", "cannot be filled"),
    ],
)
def test_a_broken_template_fails_before_writing(tmp_path, destination, template, message):
    with pytest.raises(ExportError, match=message) as caught:
        export(FIVE_ROWS, destination(filename_template=template), tmp_path)
    assert "name, date and part" in str(caught.value) or "not a file name" in str(caught.value)
    assert not (tmp_path / "out").exists() or listing(tmp_path / "out") == []


def test_split_rows_writes_numbered_parts(tmp_path, destination):
    result = export(FIVE_ROWS, destination(split_rows=2, filename_template="{name}_{date:%Y%m%d}"), tmp_path)
    assert [path.name for path in result.files] == [
        "Audience_20200506_part001.csv",
        "Audience_20200506_part002.csv",
        "Audience_20200506_part003.csv",
    ]
    assert [data_rows(path) for path in result.files] == [2, 2, 1]
    assert all(path.read_text().startswith("id,email\n") for path in result.files)
    assert result.rows == 5
    assert result.bytes == sum(path.stat().st_size for path in result.files)


def test_split_rows_across_batches_and_exact_multiples(tmp_path, destination):
    batches = FIVE_ROWS.slice(0, 4).to_batches(max_chunksize=3)  # batches of 3 and 1
    reader = pa.RecordBatchReader.from_batches(FIVE_ROWS.schema, batches)
    result = export(reader, destination(split_rows=2, filename_template="{name}-{part}"), tmp_path)
    assert [path.name for path in result.files] == ["Audience-1.csv", "Audience-2.csv"]  # no empty third part
    assert [data_rows(path) for path in result.files] == [2, 2]
    assert [line.split(",")[0] for path in result.files for line in path.read_text().splitlines()[1:]] == ["1", "2", "3", "4"]


def test_no_rows_still_writes_one_file(tmp_path, destination):
    result = export(FIVE_ROWS.slice(0, 0), destination(split_rows=2, done_marker=True), tmp_path)
    assert [path.name for path in result.files] == ["Audience_part001.csv"]
    assert result.files[0].read_text() == "id,email\n"
    assert result.rows == 0
    assert result.done_marker.name == "Audience_part001.DONE"


def test_done_marker_is_written_last(tmp_path, destination, monkeypatch):
    renames: list[str] = []
    real_replace = os.replace

    def recording_replace(source, target):
        renames.append(os.path.basename(target))
        return real_replace(source, target)

    monkeypatch.setattr(export_module.os, "replace", recording_replace)
    spec = destination(split_rows=2, done_marker=True, compression="gzip", filename_template="{name}_{date:%Y%m%d}")
    result = export(FIVE_ROWS, spec, tmp_path)

    marker = tmp_path / "out" / "Audience_20200506_part001.DONE"
    assert result.done_marker == marker
    assert renames == [path.name for path in result.files] + [marker.name]
    assert marker.read_bytes() == b""
    assert marker.stat().st_mtime_ns >= max(path.stat().st_mtime_ns for path in result.files)
    assert listing(tmp_path / "out") == sorted([path.name for path in result.files] + [marker.name])


def test_no_marker_unless_asked(tmp_path, destination):
    result = export(FIVE_ROWS, destination(), tmp_path)
    assert result.done_marker is None
    assert listing(tmp_path / "out") == ["Audience.csv"]


def failing_reader(batches_before_failure: int) -> pa.RecordBatchReader:
    def batches():
        for _ in range(batches_before_failure):
            yield FIVE_ROWS.to_batches()[0]
        raise RuntimeError("source went away")

    return pa.RecordBatchReader.from_batches(FIVE_ROWS.schema, batches())


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_failure_leaves_nothing_behind(tmp_path, destination, fmt):
    spec = destination(format=fmt, split_rows=3, done_marker=True)  # several parts done before the failure
    with pytest.raises(RuntimeError, match="source went away"):
        export(failing_reader(3), spec, tmp_path)
    assert listing(tmp_path / "out") == []  # no parts, no temporary files, no marker


def test_failure_keeps_the_previous_export(tmp_path, destination):
    spec = destination(done_marker=True)
    first = export(FIVE_ROWS, spec, tmp_path)
    before = first.files[0].read_bytes()
    with pytest.raises(RuntimeError):
        export(failing_reader(1), spec, tmp_path)
    assert listing(tmp_path / "out") == ["Audience.DONE", "Audience.csv"]
    assert first.files[0].read_bytes() == before


def test_failure_while_publishing_removes_what_was_published(tmp_path, destination, monkeypatch):
    real_replace = os.replace
    calls = []

    def failing_second_replace(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_replace(source, target)

    monkeypatch.setattr(export_module.os, "replace", failing_second_replace)
    with pytest.raises(OSError, match="disk full"):
        export(FIVE_ROWS, destination(split_rows=2, done_marker=True), tmp_path)
    assert listing(tmp_path / "out") == []


def test_rerun_replaces_files_and_marker(tmp_path, destination):
    spec = destination(done_marker=True)
    export(FIVE_ROWS, spec, tmp_path)
    result = export(FIVE_ROWS.slice(0, 2), spec, tmp_path)
    assert data_rows(result.files[0]) == 2
    assert listing(tmp_path / "out") == ["Audience.DONE", "Audience.csv"]


def test_duplicate_column_names_are_refused_where_the_format_needs_names(tmp_path, destination):
    data = pa.table([pa.array([1]), pa.array([2])], names=["id", "id"])
    assert export(data, destination(), tmp_path).files[0].read_text() == "id,id\n1,2\n"
    with pytest.raises(ExportError, match="distinct column names"):
        export(data, destination(format="json"), tmp_path)


def test_parts_must_get_distinct_names(tmp_path, destination):
    with pytest.raises(ExportError, match="names two parts"):
        export(FIVE_ROWS, destination(split_rows=2, filename_template="{name}_{part!s:.0}"), tmp_path)
    assert listing(tmp_path / "out") == []
