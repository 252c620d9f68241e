"""File formats of an export: delimited text, a JSON array, NDJSON, Parquet.

An encoder writes record batches to a binary stream as they arrive; nothing holds more than one
batch. Text formats are UTF-8.
"""

from __future__ import annotations

from typing import BinaryIO, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from amperity_pipelines.config.models import DestinationSpec, QuoteMode
from amperity_pipelines.destinations.errors import ExportError
from amperity_pipelines.destinations.rendering import is_numeric, json_objects, literal, render_text

FORMAT_EXTENSIONS = {
    "csv": ".csv", "tsv": ".tsv", "psv": ".psv", "json": ".json", "ndjson": ".ndjson", "parquet": ".parquet"
}  # fmt: skip
_SEPARATORS = {"csv": ",", "tsv": "\t", "psv": "|"}
_LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


class Encoder(Protocol):
    def write(self, batch: pa.RecordBatch) -> None: ...

    def close(self) -> None:
        """Write what ends the file (a closing bracket, Parquet's footer); the stream stays open."""
        ...


def open_encoder(spec: DestinationSpec, schema: pa.Schema, out: BinaryIO) -> Encoder:
    line_ending = _LINE_ENDINGS[spec.line_ending]
    if spec.format in _SEPARATORS:
        separator = spec.separator or _SEPARATORS[spec.format]
        if any(char in separator for char in '"\r\n'):
            raise ExportError(
                f"destination {spec.name!r}: separator {separator!r} cannot hold a quote or a line break"
            )
        return DelimitedEncoder(
            out, schema, separator=separator, quote_mode=spec.quote_mode, header=spec.header, line_ending=line_ending
        )
    if spec.format == "parquet":
        return ParquetEncoder(out, schema, compression="gzip" if spec.compression == "gzip" else "none")
    return JsonEncoder(out, schema, layout="array" if spec.format == "json" else "lines", line_ending=line_ending)


class DelimitedEncoder:
    """CSV-like text. NULL is an empty field (`""` in quote mode `all`).

    Quote modes: `all` every field; `non-null` every non-NULL field; `special` only fields holding the
    separator, a quote or a line break, and empty strings (to tell them from NULL); `non-numeric`
    every non-NULL field of a non-numeric column; `none` never, escaping backslash, separator and
    line breaks with a backslash instead. Quotes inside quoted fields are doubled.
    """

    def __init__(
        self, out: BinaryIO, schema: pa.Schema, *, separator: str, quote_mode: QuoteMode, header: bool, line_ending: str
    ) -> None:
        self._out = out
        self._separator = separator
        self._mode = quote_mode
        self._line_ending = line_ending
        # Fields holding the separator, a quote or a line break need quotes, and so does '' (vs NULL).
        self._special = "\\Q" + separator + '\\E|["\\r\\n]|^$'
        # Numbers, dates, times and booleans render from this alphabet (nan, inf, true, false); the
        # usual separators are not in it, so those columns skip the search for special characters.
        self._plain_types_safe = not set(separator) & set("0123456789+-.:TZ" + "naniftruefalse")
        if header:
            names = [pa.array([name], pa.large_string()) for name in schema.names]
            self._write_rows([self._field(name, numeric=False) for name in names])

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            self._write_rows([self._column_fields(column) for column in batch.columns])

    def close(self) -> None:
        pass

    def _column_fields(self, column: pa.Array) -> pa.Array:
        kind = column.type
        plain_kind = is_numeric(kind) or pa.types.is_boolean(kind) or _is_date_or_time(kind)
        return self._field(render_text(column), numeric=is_numeric(kind), plain=plain_kind and self._plain_types_safe)

    def _field(self, text: pa.Array, *, numeric: bool, plain: bool = False) -> pa.Array:
        """Fields for one column's text; `plain` when no value can hold the separator or a quote."""
        if self._mode == "none":
            return pc.fill_null(text if plain else self._escaped(text), literal(""))
        if self._mode == "all":
            return pc.fill_null(_quoted(text), literal('""'))
        if self._mode == "non-null" or (self._mode == "non-numeric" and not numeric):
            return pc.fill_null(_quoted(text), literal(""))
        if self._mode == "non-numeric" or plain:
            return pc.fill_null(text, literal(""))
        needs_quotes = pc.match_substring_regex(text, self._special)
        if pc.any(needs_quotes).as_py():
            text = pc.if_else(needs_quotes, _quoted(text), text)
        return pc.fill_null(text, literal(""))

    def _escaped(self, text: pa.Array) -> pa.Array:
        escapes = (("\\", "\\\\"), (self._separator, "\\" + self._separator), ("\r", "\\r"), ("\n", "\\n"))
        for raw, escape in escapes:
            text = pc.replace_substring(text, raw, escape)
        return text

    def _write_rows(self, fields: list[pa.Array]) -> None:
        rows = pc.binary_join_element_wise(*fields, literal(self._separator))
        lines = pc.binary_join_element_wise(rows, literal(""), literal(self._line_ending))
        self._out.write(text_payload(lines))


def _is_date_or_time(kind: pa.DataType) -> bool:
    return pa.types.is_date(kind) or pa.types.is_timestamp(kind) or pa.types.is_time(kind)


def _quoted(text: pa.Array) -> pa.Array:
    doubled = pc.replace_substring(text, '"', '""')
    return pc.binary_join_element_wise(literal('"'), doubled, literal('"'), literal(""))


class JsonEncoder:
    """One JSON object per row: `lines` writes NDJSON, `array` one JSON array (a row per line)."""

    def __init__(
        self, out: BinaryIO, schema: pa.Schema, *, layout: Literal["array", "lines"], line_ending: str
    ) -> None:
        self._out = out
        self._layout = layout
        self._line_ending = line_ending
        self._names = schema.names
        self._rows = 0
        if layout == "array":
            out.write(b"[")

    def write(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        objects = json_objects(self._names, batch.columns, batch.num_rows)
        if self._layout == "lines":
            payload = text_payload(pc.binary_join_element_wise(objects, literal(""), literal(self._line_ending)))
        else:
            # Every object is preceded by ",<line ending>"; the file's first one drops its comma.
            separated = pc.binary_join_element_wise(literal("," + self._line_ending), objects, literal(""))
            payload = text_payload(separated)
            payload = payload[1:] if self._rows == 0 else payload
        self._out.write(payload)
        self._rows += batch.num_rows

    def close(self) -> None:
        if self._layout == "array":
            self._out.write(((self._line_ending if self._rows else "") + "]" + self._line_ending).encode())


class ParquetEncoder:
    def __init__(self, out: BinaryIO, schema: pa.Schema, *, compression: str) -> None:
        self._writer = pq.ParquetWriter(out, schema, compression=compression)

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        self._writer.close()


def text_payload(lines: pa.Array) -> pa.Buffer | bytes:
    """The bytes of a large_string array without NULLs, concatenated (its data buffer, no copy)."""
    if not len(lines):
        return b""
    _, offsets_buffer, data = lines.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    return data[start:end] if data is not None and end > start else b""
