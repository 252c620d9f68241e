from __future__ import annotations

import pyarrow as pa
import pytest

from amperity_pipelines.config.models import DataTemplateSpec
from amperity_pipelines.destinations import TemplateError, apply_template

DATA = pa.table({"amperity_id": ["a1", "a2"], "email": ["x@example.com", None], "given_name": ["Ann", "Bob"], "ltv": [10.5, 3.0]})


def template(*columns) -> DataTemplateSpec:
    return DataTemplateSpec(name="braze_audience", columns=list(columns))


def test_selects_renames_and_orders():
    shaped = apply_template(DATA, template({"email": "EMAIL"}, "amperity_id", {"source": "ltv", "name": "lifetime_value"}))
    assert shaped.column_names == ["EMAIL", "amperity_id", "lifetime_value"]
    assert shaped.column("EMAIL").to_pylist() == ["x@example.com", None]
    assert shaped.column("lifetime_value").to_pylist() == [10.5, 3.0]


def test_no_template_leaves_data_alone():
    assert apply_template(DATA, None) is DATA


def test_missing_column_names_template_column_and_available_columns():
    with pytest.raises(TemplateError) as caught:
        apply_template(DATA, template("amperity_id", "phone"))
    message = str(caught.value)
    assert "'braze_audience'" in message
    assert "'phone'" in message
    assert "available columns: amperity_id, email, given_name, ltv" in message


def test_missing_column_suggests_a_case_insensitive_match():
    with pytest.raises(TemplateError, match=r"did you mean 'email'\?"):
        apply_template(DATA, template("Email"))


def test_two_columns_with_one_name_are_refused():
    with pytest.raises(TemplateError, match="more than one column is named 'id'"):
        apply_template(DATA, template({"amperity_id": "id"}, {"email": "id"}))


def test_one_source_may_feed_two_columns():
    shaped = apply_template(DATA, template("email", {"email": "email_copy"}))
    assert shaped.column("email_copy").to_pylist() == shaped.column("email").to_pylist()


def test_reader_is_shaped_batch_by_batch():
    batches = DATA.to_batches(max_chunksize=1)
    reader = pa.RecordBatchReader.from_batches(DATA.schema, iter(batches))
    shaped = apply_template(reader, template({"given_name": "first_name"}, "amperity_id"))
    assert isinstance(shaped, pa.RecordBatchReader)
    assert shaped.schema.names == ["first_name", "amperity_id"]
    assert shaped.read_all().to_pydict() == {"first_name": ["Ann", "Bob"], "amperity_id": ["a1", "a2"]}


def test_reader_schema_is_checked_before_reading():
    def batches():
        raise AssertionError("no batch should be read")
        yield  # pragma: no cover

    reader = pa.RecordBatchReader.from_batches(DATA.schema, batches())
    with pytest.raises(TemplateError, match="'phone'"):
        apply_template(reader, template("phone"))
