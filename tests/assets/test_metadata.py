"""Column types in asset metadata read as a tenant's feeds name them, not as Arrow's."""

from __future__ import annotations

import pyarrow as pa
import pytest

from amperity_pipelines.assets.metadata import table_metadata, type_name


@pytest.mark.parametrize(
    ("arrow", "shown"),
    [
        (pa.string(), "String"), (pa.large_string(), "String"), (pa.date32(), "Date"),
        (pa.timestamp("us", tz="UTC"), "Datetime"), (pa.timestamp("ns"), "Datetime"),
        (pa.decimal128(38, 2), "Decimal(38,2)"), (pa.int64(), "Integer"), (pa.int32(), "Integer"),
        (pa.float64(), "Float"), (pa.bool_(), "Boolean"), (pa.list_(pa.string()), "list<item: string>"),
    ],
)  # fmt: skip
def test_type_names(arrow, shown):
    assert type_name(arrow) == shown == type_name(str(arrow))


def test_table_metadata_schema_uses_feed_type_names():
    metadata = table_metadata(3, [("born", "date32[day]"), ("amount", "decimal128(38, 2)")])
    assert [(c.name, c.type) for c in metadata["dagster/column_schema"].columns] == [("born", "Date"), ("amount", "Decimal(38,2)")]
    assert metadata["dagster/row_count"].value == 3
