"""Arrow values as the text a destination file holds, one whole column at a time.

Rendering is vectorized with pyarrow.compute so a large export spends its time in C++, not in a
Python loop per value; only rare values (exponent notation, control characters, binary) take a
Python path. Conventions: dates and times ISO-8601 (`2020-01-31`, `2020-01-31T23:00:00`, a fraction
only when there is one, `Z` for zoned timestamps, which are rendered in UTC), decimals and floats
without an exponent, booleans `true`/`false`, nested values as JSON text.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def is_numeric(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def render_text(array: pa.Array) -> pa.Array:
    """Each value as text (a string array); NULL stays NULL."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        return render_text(array.dictionary_decode())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pc.cast(array, pa.large_string())
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.large_string())
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_date(kind):
        return pc.cast(array, pa.large_string())
    if pa.types.is_floating(kind):
        text = pc.cast(array, pa.large_string())
        return _fix_where(text, pc.match_substring(text, "e"), array, _float_positional)
    if pa.types.is_decimal(kind):
        text = pc.cast(array, pa.large_string())
        return _fix_where(text, pc.match_substring(text, "E"), array, lambda value: format(value, "f"))
    if pa.types.is_timestamp(kind):
        return _timestamp_text(array)
    if pa.types.is_time(kind):
        return _trim_fraction(pc.cast(array, pa.large_string()))
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return _python(array, lambda value: base64.b64encode(value).decode("ascii"))
    if pa.types.is_nested(kind):
        return _null_where(render_json(array), array.is_null())
    return _python(array, str)  # durations, intervals: rare in exports


def render_json(array: pa.Array) -> pa.Array:
    """Each value as a JSON literal (numbers bare, text quoted, nested values as JSON); NULL is `null`."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        return render_json(array.dictionary_decode())
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        out = render_text(array)
    elif pa.types.is_floating(kind):
        finite = pc.is_finite(array)  # JSON has no NaN or Infinity
        out = pc.if_else(finite, render_text(array), literal("null"))
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
        items = pc.binary_join(_map_children(array, render_json), literal(","))
        out = _wrap("[", items, "]")
    elif pa.types.is_map(kind):
        entries = _map_children(
            array,
            lambda entries: pc.binary_join_element_wise(
                json_strings(render_text(entries.field("key"))), render_json(entries.field("value")), literal(":")
            ),
        )
        out = _wrap("{", pc.binary_join(entries, literal(",")), "}")
    elif pa.types.is_struct(kind):
        out = json_objects([field.name for field in kind], array.flatten(), len(array))
    elif pa.types.is_temporal(kind) and not pa.types.is_duration(kind) and not pa.types.is_interval(kind):
        out = _wrap('"', render_text(array), '"')  # ISO text needs no escaping
    elif pa.types.is_fixed_size_list(kind):
        out = _python(array, lambda value: json.dumps(value, ensure_ascii=False, default=str))
    else:
        out = json_strings(render_text(array))
    return _null_where(pc.cast(out, pa.large_string()), array.is_null(), fill="null")


def json_objects(names: list[str], columns: list[pa.Array], length: int) -> pa.Array:
    """One JSON object per row from named columns (a struct's fields, a batch's columns)."""
    if not names:
        return pa.array(["{}"] * length, pa.large_string())
    parts: list[pa.Array | pa.Scalar] = []
    for index, (name, column) in enumerate(zip(names, columns)):
        key = ("{" if index == 0 else ",") + json.dumps(name, ensure_ascii=False) + ":"
        parts += [literal(key), render_json(column)]
    return pc.binary_join_element_wise(*parts, literal("}"), literal(""))


def json_strings(text: pa.Array) -> pa.Array:
    """Text values as quoted JSON strings (NULL stays NULL)."""
    if not pc.any(pc.match_substring_regex(text, r'[\x00-\x1f"\\]')).as_py():
        return _wrap('"', text, '"')  # the usual case: nothing to escape
    escaped = text
    for raw, escape in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, raw, escape)
    quoted = _wrap('"', escaped, '"')
    other_controls = pc.match_substring_regex(escaped, "[\\x00-\\x1f]")
    return _fix_where(quoted, other_controls, text, lambda value: json.dumps(value, ensure_ascii=False))


def _timestamp_text(array: pa.Array) -> pa.Array:
    unit, zone = array.type.unit, array.type.tz
    if zone is not None:
        array = pc.cast(array, pa.timestamp(unit))  # the same instants, as naive UTC values
    # Arrow renders "2020-01-31 23:00:00.000000": ISO needs the T, and only significant fraction
    # digits. (pc.strftime is several times slower than a cast.)
    text = pc.replace_substring(pc.cast(array, pa.large_string()), " ", "T", max_replacements=1)
    if unit != "s":
        digits = {"ms": 3, "us": 6, "ns": 9}[unit]
        ticks = pc.cast(array, pa.int64())
        per_second = 10**digits
        whole = pc.multiply(pc.divide(ticks, per_second), per_second)  # integer division
        fractional = pc.not_equal(pc.subtract(ticks, whole), 0)
        whole_seconds = pc.utf8_slice_codeunits(text, 0, -(digits + 1))  # drop ".000000"
        if pc.any(fractional).as_py():
            text = pc.if_else(fractional, _trim_fraction(text), whole_seconds)
        else:
            text = whole_seconds
    return _wrap("", text, "Z") if zone is not None else text


def _trim_fraction(text: pa.Array) -> pa.Array:
    text = pc.replace_substring_regex(text, r"\.0+$", "")
    return pc.replace_substring_regex(text, r"(\.\d*[1-9])0+$", r"\1")


def _float_positional(value: float) -> str:
    return np.format_float_positional(value, trim="-")


def _map_children(array: pa.Array, render: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """A list array with `array`'s shape and nulls whose items are `render` of its items.

    Works on the child range the (possibly sliced) array covers, re-based to offset 0. A map's
    items are its key/value entries (a struct array).
    """
    offsets = array.offsets
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    rebased = pc.subtract(offsets, offsets[0])
    if pa.types.is_map(array.type):
        children = pa.StructArray.from_arrays([array.keys, array.items], names=["key", "value"])
    else:
        children = array.values
    values = render(children.slice(start, end - start))
    list_type = pa.LargeListArray if pa.types.is_large_list(array.type) else pa.ListArray
    return list_type.from_arrays(rebased, values, mask=array.is_null())


def literal(text: str) -> pa.Scalar:
    """A text scalar of the type every rendered array has (large_string)."""
    return pa.scalar(text, pa.large_string())


def _wrap(prefix: str, text: pa.Array, suffix: str) -> pa.Array:
    return pc.binary_join_element_wise(literal(prefix), text, literal(suffix), literal(""))


def _null_where(text: pa.Array, mask: pa.Array, fill: str | None = None) -> pa.Array:
    return pc.if_else(mask, pa.scalar(fill, pa.large_string()), text)


def _fix_where(text: pa.Array, mask: pa.Array, source: pa.Array, render: Callable[[object], str]) -> pa.Array:
    """`text`, with the values where `mask` holds rendered again in Python from `source`."""
    if not pc.any(mask).as_py():
        return text
    flags = mask.to_pylist()
    values = source.to_pylist()
    fixed = [render(value) if flag and value is not None else None for flag, value in zip(flags, values)]
    return pc.if_else(pc.fill_null(mask, False), pa.array(fixed, pa.large_string()), text)


def _python(array: pa.Array, render: Callable[[object], str]) -> pa.Array:
    return pa.array([None if value is None else render(value) for value in array.to_pylist()], pa.large_string())
