"""Data templates: which columns an export sends, under which names, in which order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pyarrow as pa

from amperity_pipelines.config.models import DataTemplateSpec
from amperity_pipelines.destinations.errors import TemplateError

Data = TypeVar("Data", pa.Table, pa.RecordBatchReader)


def apply_template(data: Data, template: DataTemplateSpec | None) -> Data:
    """Select, rename and order the columns of `data` as `template` says (no template: unchanged).

    A reader is shaped lazily, batch by batch; its schema is checked before any batch is read.
    """
    if template is None:
        return data
    sources, names = _plan(data.schema, template)
    if isinstance(data, pa.RecordBatchReader):
        schema = pa.schema([data.schema.field(source).with_name(name) for source, name in zip(sources, names)])
        return pa.RecordBatchReader.from_batches(schema, _shaped(data, sources, schema))
    return pa.table([data.column(source) for source in sources], names=names)


def _plan(schema: pa.Schema, template: DataTemplateSpec) -> tuple[list[str], list[str]]:
    available = schema.names
    sources, names = [], []
    for column in template.columns:
        if column.source not in available:
            raise TemplateError(_missing(template.name, column.source, available))
        if available.count(column.source) > 1:
            raise TemplateError(
                f"data template {template.name!r}: the data has several columns named {column.source!r}"
            )
        sources.append(column.source)
        names.append(column.name or column.source)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        named = ", ".join(map(repr, repeated))
        raise TemplateError(f"data template {template.name!r}: more than one column is named {named}")
    return sources, names


def _missing(template: str, column: str, available: list[str]) -> str:
    message = (
        f"data template {template!r}: column {column!r} is not in the data; "
        f"available columns: {', '.join(available)}"
    )
    close = [name for name in available if name.lower() == column.lower()]
    return message + (f" (did you mean {close[0]!r}?)" if close else "")


def _shaped(reader: pa.RecordBatchReader, sources: list[str], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        yield pa.RecordBatch.from_arrays([batch.column(source) for source in sources], schema=schema)
