"""Asset metadata shared by every layer: row count and column schema, shown in the Dagster UI."""

from __future__ import annotations

import dagster as dg


def table_metadata(rows: int, columns: list[tuple[str, str]], **extra) -> dict:
    metadata = {
        "dagster/row_count": dg.MetadataValue.int(int(rows)),
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in columns]),
    }
    metadata.update({key: value for key, value in extra.items() if value is not None})
    return metadata
