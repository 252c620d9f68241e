"""Where each demo feed lands and how its files are encoded.

The paths mirror the courier file patterns in tenants/demo/sources/*.yaml (a test checks that
every file written matches its feed's pattern). Every writer is byte-for-byte deterministic:
no timestamps in gzip or zip headers, fixed row order.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from amperity_pipelines.demo.text import json_lines

Encoding = Literal["csv", "psv", "tsv", "csv.gz", "csv.zip", "ndjson", "json"]
_JSON_CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class Layout:
    feed: str
    template: str
    """Path relative to the landing folder; `{d}` is the file date, `{part}` the file within the day."""
    encoding: Encoding
    quoted: bool = True
    """Delimited files: quote string values (the CSV habit) or never (POS and loyalty exports)."""
    json_raw: tuple[str, ...] = ()
    """JSON files: columns written as bare numbers or booleans rather than strings."""
    zip_member: str = ""

    def path(self, day: date, part: str) -> str:
        return self.template.format(d=day, part=part)


LAYOUTS: tuple[Layout, ...] = (
    Layout("POS:Customers", "pos/customers/{d:%Y/%m/%d}/customers-{part}.csv", "csv"),
    Layout("POS:Transactions", "pos/transactions/{d:%Y/%m/%d}/sales-{part}.psv", "psv", quoted=False),
    Layout("Ecommerce:Accounts", "ecommerce/exports/{d:%Y-%m-%d}/accounts.ndjson", "ndjson"),
    Layout("Ecommerce:Orders", "ecommerce/exports/{d:%Y-%m-%d}/orders.json", "json",
           json_raw=("discount_amount", "shipping_amount")),
    Layout("Ecommerce:OrderLines", "ecommerce/exports/{d:%Y-%m-%d}/order_lines.csv.gz", "csv.gz"),
    Layout("Loyalty:Members", "loyalty/members_{d:%Y%m%d}.tsv", "tsv", quoted=False),
    Layout("ESP:Subscribers", "esp/subscribers/subscribers_{d:%Y%m%d}-{part}.csv.zip", "csv.zip",
           zip_member="subscribers.csv"),
)
LAYOUT_BY_FEED = {layout.feed: layout for layout in LAYOUTS}
TOP_LEVEL_FOLDERS = ("pos", "ecommerce", "loyalty", "esp", "_truth")


def write_file(layout: Layout, table: pa.Table, path: Path, day: date) -> int:
    """Write `table` (string columns, null = empty) to `path`; returns the bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    encoding = layout.encoding
    if encoding in ("ndjson", "json"):
        _write_json(table, path, raw=layout.json_raw, array=encoding == "json")
    elif encoding == "csv.zip":
        buffer = io.BytesIO()
        _write_delimited(table, buffer, ",", quoted=layout.quoted)
        member = zipfile.ZipInfo(layout.zip_member, date_time=(day.year, day.month, day.day, 6, 0, 12))
        member.compress_type = zipfile.ZIP_DEFLATED
        member.external_attr = 0o644 << 16
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(member, buffer.getvalue())
    elif encoding == "csv.gz":
        # Python's gzip, not Arrow's: Arrow compresses at level 9, about 8x slower; mtime=0 and no
        # file name in the header keep the bytes reproducible.
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as sink:
            _write_delimited(table, sink, ",", quoted=layout.quoted)
    else:
        separator = {"csv": ",", "psv": "|", "tsv": "\t"}[encoding]
        with pa.OSFile(str(path), "wb") as sink:
            _write_delimited(table, sink, separator, quoted=layout.quoted)
    return path.stat().st_size


def _write_delimited(table: pa.Table, sink, separator: str, *, quoted: bool) -> None:
    def header_name(name: str) -> str:
        needs_quotes = any(ch in name for ch in (separator, '"', "\n"))
        return '"' + name.replace('"', '""') + '"' if needs_quotes else name

    sink.write((separator.join(header_name(n) for n in table.column_names) + "\n").encode())
    if table.num_rows:
        options = pacsv.WriteOptions(include_header=False, delimiter=separator,
                                     quoting_style="needed" if quoted else "none")
        pacsv.write_csv(table, sink, options)


def _write_json(table: pa.Table, path: Path, *, raw: tuple[str, ...], array: bool) -> None:
    """NDJSON (one object a line) or one JSON array with an object a line; null keys are left out."""
    kinds = {name: "raw" for name in raw}
    with pa.OSFile(str(path), "wb") as sink:
        if array:
            sink.write(b"[\n")
        for start in range(0, table.num_rows, _JSON_CHUNK_ROWS):
            chunk = table.slice(start, _JSON_CHUNK_ROWS)
            lines = json_lines({n: chunk.column(n).combine_chunks() for n in chunk.column_names}, kinds)
            last = start + chunk.num_rows == table.num_rows
            separator = ",\n" if array else "\n"
            text = pc.binary_join(pa.LargeListArray.from_arrays([0, len(lines)], lines.cast(pa.large_string())),
                                  pa.scalar(separator, pa.large_string()))[0]
            sink.write(text.as_buffer())
            if not (array and last):
                sink.write(separator.encode())
        if array:
            sink.write(b"\n]\n" if table.num_rows else b"]\n")

