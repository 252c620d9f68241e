"""Asset metadata shared by every layer: row count and column schema, shown in the Dagster UI."""

from __future__ import annotations

import re

import dagster as dg
import pyarrow as pa

_DECIMAL = re.compile(r"^decimal(?:128|256)\((\d+), (-?\d+)\)$")
_NAMES = {
    "string": "String", "large_string": "String", "string_view": "String",
    "bool": "Boolean",
    "int8": "Integer", "int16": "Integer", "int32": "Integer", "int64": "Integer",
    "uint8": "Integer", "uint16": "Integer", "uint32": "Integer", "uint64": "Integer",
    "float": "Float", "double": "Float", "halffloat": "Float",
    "date32[day]": "Date", "date64[ms]": "Date",
    "binary": "Binary", "large_binary": "Binary",
}  # fmt: skip


def type_name(arrow_type: str | pa.DataType) -> str:
    """A column type as a tenant's feeds name it (String, Date, Datetime, Decimal(38,2), ...);
    nested and unusual Arrow types keep Arrow's own name."""
    text = str(arrow_type)
    if text in _NAMES:
        return _NAMES[text]
    if text.startswith("timestamp["):
        return "Datetime"
    if decimal := _DECIMAL.match(text):
        return f"Decimal({decimal.group(1)},{decimal.group(2)})"
    return text


def table_metadata(rows: int, columns: list[tuple[str, str]], **extra) -> dict:
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(int(rows)),
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(name, type_name(kind)) for name, kind in columns]),
    }
    metadata.update({key: value for key, value in extra.items() if value is not None})
    return metadata
