"""Pydantic models of a tenant's configuration (YAML + SQL under tenants/<name>/).

The models only describe and validate single objects; cross-references between objects (a
courier naming a feed, an orchestration naming a query) are checked in `loader.py`, which also
maps every error back to a file and line.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from amperity_pipelines.config.base import Name, StrictModel, inside_folder, parse_threshold
from amperity_pipelines.config.datetime_patterns import Field as DateField
from amperity_pipelines.config.datetime_patterns import Literal as PatternLiteral
from amperity_pipelines.config.datetime_patterns import PatternError, check_date_format, check_file_pattern
from amperity_pipelines.config.quality_models import ExpectationSpec, QualitySpec
from amperity_pipelines.config.tags import is_known_tag

_DECIMAL = re.compile(r"^Decimal(?:\(\s*38\s*,\s*(\d{1,2})\s*\))?$")
SIMPLE_TYPES = ("Boolean", "Date", "Datetime", "Float", "Integer", "String")


class FieldSpec(StrictModel):
    """One column of a feed."""

    name: Name
    type: str = "String"
    format: str | None = None
    """Joda-Time pattern for Date and Datetime fields (e.g. yyyy-MM-dd HH:mm:ss)."""
    source_column: str | None = None
    """Column name in the incoming file when it differs from `name`."""
    tags: list[str] = Field(default_factory=list)

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value in SIMPLE_TYPES or _DECIMAL.match(value):
            if (match := _DECIMAL.match(value)) and match.group(1) and int(match.group(1)) > 37:
                raise ValueError("Decimal scale must be between 0 and 37")
            return value
        raise ValueError(
            f"unknown field type {value!r}: expected one of {', '.join(SIMPLE_TYPES)} or Decimal(38,s)"
        )

    @field_validator("format")
    @classmethod
    def _format(cls, value: str | None, info: ValidationInfo) -> str | None:
        # `name` and `type` are validated first (declared first); a field that failed is absent.
        if value is not None and info.data.get("type") in ("Date", "Datetime"):
            try:
                check_date_format(value)
            except PatternError as err:
                raise ValueError(f"{info.data['type']} field {info.data.get('name', '?')}: {err}") from None
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_as_list(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not is_known_tag(tag):
                raise ValueError(
                    f"unknown semantic tag {tag!r}: expected a profile tag (given-name, email, ...), "
                    "pk, ck, fk-<namespace>, sk-<tag>, bk-<label>, txn-item/<name> or a tag group prefix"
                )
        return value

    @property
    def decimal_scale(self) -> int | None:
        match = _DECIMAL.match(self.type)
        if not match:
            return None
        return int(match.group(1)) if match.group(1) else 2

    @property
    def file_column(self) -> str:
        return self.source_column or self.name


class FeedSpec(StrictModel):
    """How one kind of file lands in the domain table `Source:Feed`."""

    name: Name
    description: str = ""
    fields: list[FieldSpec] = Field(min_length=1)
    primary_key: list[str] = Field(default_factory=list)
    """Columns of the primary key; defaults to the columns tagged `pk`."""
    last_updated: str | None = None
    """Column that decides which row wins when a primary key repeats."""
    error_threshold: float = 0.01
    """Largest share of bad rows a load accepts (0.01 = 1%); bad rows below it are quarantined."""
    stitch: bool = False
    """Make available to Stitch."""
    ingest_query: str | None = None
    """Path (relative to the tenant folder) of a Spark SQL file run over the raw file as `raw`."""
    datetime_format: str | None = None
    """Feed-wide Joda pattern for Date/Datetime fields that have no `format` of their own."""
    expectations: list[ExpectationSpec] = Field(default_factory=list)
    """Great Expectations the tenant adds to the suite derived from this feed (quality checks)."""

    _threshold = field_validator("error_threshold", mode="before")(parse_threshold)

    @field_validator("datetime_format")
    @classmethod
    def _datetime_format(cls, value: str | None) -> str | None:
        if value is not None:
            check_date_format(value)
        return value

    @field_validator("error_threshold")
    @classmethod
    def _threshold_range(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError("error_threshold must be between 0 and 1 (or 0% and 100%)")
        return value

    @model_validator(mode="after")
    def _keys(self) -> FeedSpec:
        names = [f.name for f in self.fields]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate field names: {', '.join(duplicates)}")
        if not self.primary_key:
            tagged = [f.name for f in self.fields if "pk" in f.tags]
            object.__setattr__(self, "primary_key", tagged)
        for key in self.primary_key:
            if key not in names:
                raise ValueError(f"primary_key names {key!r}, which is not a field of the feed")
        if self.last_updated and self.last_updated not in names:
            raise ValueError(f"last_updated names {self.last_updated!r}, which is not a field of the feed")
        if self.last_updated:
            kind = self.field(self.last_updated).type
            if kind not in ("Datetime", "Integer"):
                raise ValueError(
                    f"last_updated field {self.last_updated!r} is {kind}: expected Datetime or Integer (epoch)"
                )
        return self

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


FileFormat = Literal["csv", "tsv", "psv", "json", "ndjson", "parquet"]
Compression = Literal["auto", "none", "gzip", "zip"]
LoadOperation = Literal["load", "truncate-load"]
EmptyFile = Literal["warn", "fail", "allow"]
# Text encodings of landed files, by the names people write them -> the name used everywhere else.
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf-16le": "utf-16le",
    "utf-16-le": "utf-16le",
    "utf-16be": "utf-16be",
    "utf-16-be": "utf-16be",
}


class FileSpec(StrictModel):
    """One entry of a courier's fileset: a dated file pattern landing into one feed."""

    pattern: str
    """Amperity file pattern: Joda date tokens, literals in single quotes, * up to the next /."""
    feed: str
    format: FileFormat | None = None
    compression: Compression = "auto"
    header_rows: int = Field(default=1, ge=0, le=1)
    separator: str | None = None
    quote: str = '"'
    operation: LoadOperation = "load"
    optional: bool = False
    encoding: str = "utf-8"
    """Text encoding of csv/tsv/psv/json/ndjson files: utf-8, latin-1 (iso-8859-1), cp1252
    (windows-1252), utf-16 (with a byte-order mark), utf-16le, utf-16be."""
    empty_file: EmptyFile = "warn"
    """A file with no rows (0 bytes, a header alone, an empty JSON array): a warning on the load
    result, a failed load (`fail`: files of this entry must have rows), or nothing (`allow`)."""

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        tokens = check_file_pattern(value)  # a PatternError is a ValueError: reported with its line
        # The path a pattern can match: a date field only digits, * no `/` (and the walk that
        # matches it lists real names, never `..`), so the literal parts decide where it reads.
        shape = "".join(
            t.text if isinstance(t, PatternLiteral) else "0" * t.width if isinstance(t, DateField) else "x" for t in tokens
        )
        inside_folder(shape, "the courier's landing folder (location.path)", what=f"file pattern {value!r}")
        return value

    @field_validator("quote")
    @classmethod
    def _quote(cls, value: str) -> str:
        if len(value.encode()) > 1 or value in ("\n", "\r"):
            raise ValueError(f"quote {value!r}: expected one ASCII character, or '' for none")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        canonical = ENCODINGS.get(value.strip().lower().replace("_", "-"))
        if canonical is None:
            raise ValueError(
                f"unknown encoding {value!r}: expected utf-8, latin-1 (iso-8859-1), cp1252 (windows-1252), "
                "utf-16 (with a byte-order mark), utf-16le or utf-16be"
            )
        return canonical

    @model_validator(mode="after")
    def _format(self) -> FileSpec:
        if self.format is None:
            lowered = self.pattern.lower().rstrip("'")
            for suffix in (".gz", ".zip"):
                lowered = lowered.removesuffix(suffix)
            guessed = next(
                (kind for kind in ("ndjson", "jsonl", "json", "parquet", "tsv", "psv", "csv") if lowered.endswith("." + kind)),
                None,
            )
            if guessed is None:
                raise ValueError(
                    f"cannot tell the file format from pattern {self.pattern!r}: set format to one of "
                    "csv, tsv, psv, json, ndjson, parquet"
                )
            object.__setattr__(self, "format", "ndjson" if guessed == "jsonl" else guessed)
        if self.separator is None:
            object.__setattr__(self, "separator", {"tsv": "\t", "psv": "|"}.get(self.format, ","))
        if not self.separator or len(self.separator.encode()) > 4 or any(c in self.separator for c in "\r\n"):
            raise ValueError(f"separator {self.separator!r}: expected 1 to 4 bytes (UTF-8), no line break")
        if self.quote and self.quote in self.separator:
            raise ValueError(f"separator {self.separator!r} and quote {self.quote!r} must differ")
        if self.format == "parquet" and self.encoding != "utf-8":
            raise ValueError("encoding applies to text files (csv, tsv, psv, json, ndjson); Parquet files carry their own")
        return self


class LocationSpec(StrictModel):
    kind: Literal["filesystem"] = "filesystem"
    path: str
    """Landing folder, relative to the tenant's landing folder (<landing root>/<tenant>/)."""

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str) -> str:
        return inside_folder(value, "the tenant's landing folder (<landing root>/<tenant>/)")


class CourierSpec(StrictModel):
    name: Name
    location: LocationSpec
    files: list[FileSpec] = Field(min_length=1)


class SourceSpec(StrictModel):
    """A source file (sources/<name>.yaml): a category of feeds plus the couriers that fill them."""

    source: Name
    description: str = ""
    feeds: list[FeedSpec] = Field(min_length=1)
    couriers: list[CourierSpec] = Field(default_factory=list)


class CustomDomainTableSpec(StrictModel):
    """A Spark SQL SELECT over domain tables, landing as a domain table of its own."""

    name: Name
    sql: str
    description: str = ""
    primary_key: list[str] = Field(default_factory=list)
    last_updated: str | None = None
    tags: dict[str, list[str]] = Field(default_factory=dict)
    stitch: bool = False

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_as_lists(cls, value):
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for column, tags in value.items():
            for tag in tags:
                if not is_known_tag(tag):
                    raise ValueError(f"column {column!r}: unknown semantic tag {tag!r}")
        return value


class StitchSpec(StrictModel):
    tables: list[str] | None = None
    """Domain tables (Source:Feed or custom names) to stitch; default: every one marked stitch."""
    matching: Literal["probabilistic", "deterministic"] = "probabilistic"
    """probabilistic: the full Stitch (blocking, learned scores, rules); deterministic: records
    sharing an email, phone, FK or loyalty ID are one person (match_on)."""
    settings: dict[str, Any] | None = None
    """Probabilistic Stitch settings, the keys of a stitch.yaml (stitch/settings_yaml.py)."""
    labels: str | None = None
    """A domain table of Stitch labels (label_id, partition_id, datasource, pk)."""
    blocklist: str | None = None
    """A domain table of bad values (datasource, semantic, value); datasource * means every source."""
    match_on: list[Literal["email", "phone", "fk", "loyalty_id"]] = ["email", "phone", "fk", "loyalty_id"]
    """Keys of the deterministic matching."""


class CourierGroupSpec(StrictModel):
    name: Name
    couriers: list[str] = Field(min_length=1)
    cron: str
    timezone: str = "UTC"
    run_type: Literal["Full", "Refresh", "Source"] = "Full"
    active: bool = False
    """Whether the group's schedule starts switched on. Off by default: opening the UI must not start runs."""
    lookback_days: int = Field(default=1, ge=1, le=366)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a valid cron expression (five fields: minute hour day month weekday)")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones (America)
            raise ValueError(f"unknown time zone {value!r}: expected an IANA name such as America/Los_Angeles") from None
        return value


class DatabaseTableSpec(StrictModel):
    name: Name
    sql: str
    description: str = ""


class DatabaseSpec(StrictModel):
    name: Name = "Customer_360"
    source_priority: dict[str, int] = Field(default_factory=dict)
    """Lower number wins; sources not listed get 999."""
    field_priority: dict[
        Literal["name", "address", "email", "phone", "birthdate", "gender"], dict[str, int]
    ] = Field(default_factory=dict)
    tables: list[DatabaseTableSpec] = Field(default_factory=list)
    """Custom Spark SQL tables built after the standard ones."""


QuoteMode = Literal["all", "non-null", "special", "non-numeric", "none"]


class DestinationSpec(StrictModel):
    name: Name
    kind: Literal["filesystem"] = "filesystem"
    path: str
    format: Literal["csv", "tsv", "psv", "json", "ndjson", "parquet"] = "csv"
    compression: Literal["none", "gzip"] = "none"
    header: bool = True
    quote_mode: QuoteMode = "special"
    separator: str | None = None
    line_ending: Literal["LF", "CRLF"] = "LF"
    filename_template: str = "{name}_{date:%Y%m%d}"
    """Python format string; fields: name, date (run datetime), part (split index)."""
    split_rows: int | None = Field(default=None, ge=1)
    done_marker: bool = False

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str) -> str:
        return inside_folder(value, "the tenant's exports folder (<exports root>/<tenant>/)")


class TemplateColumn(StrictModel):
    source: str
    name: str | None = None


class DataTemplateSpec(StrictModel):
    name: Name
    columns: list[TemplateColumn] = Field(min_length=1)

    @field_validator("columns", mode="before")
    @classmethod
    def _short_columns(cls, value):
        if isinstance(value, list):
            out = []
            for item in value:
                if isinstance(item, str):
                    out.append({"source": item})
                elif isinstance(item, dict) and len(item) == 1 and "source" not in item:
                    (source, name), = item.items()
                    out.append({"source": source, "name": name})
                else:
                    out.append(item)
            return out
        return value


class OrchestrationSpec(StrictModel):
    name: Name
    query: str | None = None
    database_table: str | None = None
    """`<Database>.<Table>` exported as a whole."""
    destination: str
    template: str | None = None
    trigger: Literal["manual", "after_courier_group", "cron"] = "manual"
    courier_group: str | None = None
    cron: str | None = None
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _object(self) -> OrchestrationSpec:
        if (self.query is None) == (self.database_table is None):
            raise ValueError("set exactly one of query or database_table")
        if self.trigger == "after_courier_group" and not self.courier_group:
            raise ValueError("trigger after_courier_group needs courier_group")
        if self.trigger == "cron":
            from croniter import croniter

            if not self.cron or not croniter.is_valid(self.cron):
                raise ValueError("trigger cron needs a valid cron expression in cron")
        return self


class PartitionsSpec(StrictModel):
    """Daily partitions of the feeds whose courier patterns carry a date (tenant.yaml `partitions:`)."""

    start_date: date = date(2025, 1, 1)
    """The first day a feed's files can carry; earlier files are reported, not loaded."""
    timezone: str | None = None
    """Time zone of the days; default: the courier groups' time zone (they must agree), else UTC."""

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else CourierGroupSpec._tz(value)


class TenantSpec(StrictModel):
    """tenant.yaml: everything that is not a source."""

    tenant: Name
    description: str = ""
    custom_domain_tables: list[CustomDomainTableSpec] = Field(default_factory=list)
    stitch: StitchSpec = StitchSpec()
    databases: list[DatabaseSpec] = Field(default_factory=lambda: [DatabaseSpec()])
    courier_groups: list[CourierGroupSpec] = Field(default_factory=list)
    destinations: list[DestinationSpec] = Field(default_factory=list)
    data_templates: list[DataTemplateSpec] = Field(default_factory=list)
    orchestrations: list[OrchestrationSpec] = Field(default_factory=list)
    quality: QualitySpec = QualitySpec()
    partitions: PartitionsSpec = PartitionsSpec()

    @model_validator(mode="after")
    def _one_partition_timezone(self) -> TenantSpec:
        zones = sorted({group.timezone for group in self.courier_groups})
        if self.partitions.timezone is None and len(zones) > 1:
            raise ValueError(
                f"courier groups use several time zones ({', '.join(zones)}): set partitions.timezone, the time zone "
                "of the days the feeds' daily partitions stand for"
            )
        return self

    @property
    def partition_timezone(self) -> str:
        zones = {group.timezone for group in self.courier_groups}
        return self.partitions.timezone or (zones.pop() if len(zones) == 1 else "UTC")
