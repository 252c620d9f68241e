"""The Unified Coalesced contract: which input columns Stitch reads and which columns it writes.

Every profile column is always written, typed, in the order of Amperity's Unified Coalesced
(NULL when the input lacks it), so downstream tables never depend on which sources exist.
fk_* columns are written as the input has them, between ck and create_dt.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, identifier_key, table
from amperity_pipelines.stitch.exceptions import StitchInputError
from amperity_pipelines.stitch.normalize import (
    derived_full_name,
    email_key,
    name_key,
    phone_key,
)
from amperity_pipelines.stitch.settings import DeterministicSettings

# (column, type) in Unified Coalesced order; fk_* columns go between ck and create_dt.
PROFILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("given_name", "VARCHAR"),
    ("surname", "VARCHAR"),
    ("full_name", "VARCHAR"),
    ("generational_suffix", "VARCHAR"),
    ("title", "VARCHAR"),
    ("email", "VARCHAR"),
    ("phone", "VARCHAR"),
    ("address", "VARCHAR"),
    ("address2", "VARCHAR"),
    ("city", "VARCHAR"),
    ("state", "VARCHAR"),
    ("postal", "VARCHAR"),
    ("country", "VARCHAR"),
    ("birthdate", "DATE"),
    ("gender", "VARCHAR"),
    ("company", "VARCHAR"),
    ("loyalty_id", "VARCHAR"),
    ("ck", "VARCHAR"),
)
TIME_COLUMNS: tuple[tuple[str, str], ...] = (("create_dt", "TIMESTAMP"), ("update_dt", "TIMESTAMP"))

# Match keys by semantic; fk keys are named key_<fk column>.
KEY_GIVEN_NAME, KEY_EMAIL, KEY_PHONE, KEY_LOYALTY = "key_given_name", "key_email", "key_phone", "key_loyalty_id"


@dataclass(frozen=True)
class InputColumns:
    """Actual names of the input's columns, by contract name (lower case)."""

    present: dict[str, str]
    fk_columns: tuple[str, ...]

    @classmethod
    def of(cls, names: list[str]) -> InputColumns:
        by_lower = {name.lower(): name for name in names}
        missing = [key for key in ("datasource", "pk") if key not in by_lower]
        if missing:
            raise StitchInputError(f"Stitch records lack required column(s): {', '.join(missing)}")
        fks = tuple(lower for lower in by_lower if lower.startswith("fk_"))
        return cls(present=by_lower, fk_columns=fks)

    def source(self, name: str, type_: str) -> exp.Expression:
        """CAST(<input column> AS type), or a typed NULL when the input has no such column.

        Dates and timestamps use TRY_CAST: a value that is no date (1986-02-29) becomes NULL;
        `stitch.unparseable` counts such values and refuses a run with too many.
        """
        value = column(self.present[name]) if name in self.present else exp.null()
        if type_ in ("DATE", "TIMESTAMP") and name in self.present:
            return exp.TryCast(this=value, to=exp.DataType.build(type_, dialect="duckdb"))
        return exp.cast(value, type_, dialect="duckdb")

    @property
    def sk_columns(self) -> tuple[str, ...]:
        """Separation keys (sk_*), lower case, in input order."""
        return tuple(lower for lower in self.present if lower.startswith("sk_"))

    @property
    def value_columns(self) -> tuple[tuple[str, str], ...]:
        """Every profile column in output order, fk_* included."""
        return PROFILE_COLUMNS + tuple((fk, "VARCHAR") for fk in self.fk_columns) + TIME_COLUMNS


def fk_key(fk: str) -> str:
    return f"key_{fk}"


def typed_records(records: str, columns: InputColumns, names: tuple[tuple[str, str], ...]) -> exp.Expression:
    """SELECT datasource, pk and the named columns of `records`, cast to their contract types."""
    typed = [
        columns.source(name, type_).as_(name) for name, type_ in (("datasource", "VARCHAR"), ("pk", "VARCHAR"), *names)
    ]
    return fill("SELECT $typed FROM $records", typed=typed, records=table(records))


def keys_query(records: str, columns: InputColumns, settings: DeterministicSettings) -> exp.Expression:
    """(datasource, pk, match keys) per record.

    Only keys are kept: the wide original values are read again, once, for the output.
    """
    key_sources = (("given_name", "VARCHAR"), ("email", "VARCHAR"), ("phone", "VARCHAR"), ("loyalty_id", "VARCHAR"))
    keys = [
        name_key(column("given_name")).as_(KEY_GIVEN_NAME),
        email_key(
            column("email"),
            junk_domains=settings.junk_email_domains,
            junk_locals=settings.junk_email_locals,
        ).as_(KEY_EMAIL),
        phone_key(column("phone"), junk_phones=settings.junk_phones).as_(KEY_PHONE),
        identifier_key(column("loyalty_id")).as_(KEY_LOYALTY),
        *(identifier_key(column(fk)).as_(fk_key(fk)) for fk in columns.fk_columns),
    ]
    source = typed_records(records, columns, key_sources + tuple((fk, "VARCHAR") for fk in columns.fk_columns))
    return fill("SELECT datasource, pk, $keys FROM ($source)", keys=keys, source=source)


def numbered_query(keys: str) -> exp.Expression:
    """The key table with `rid` numbering its rows 0..n-1 in no particular order.

    A separate step on purpose: a window over the expression-heavy key query runs it on one
    thread, three to five times slower than materialising the keys first.
    """
    return fill("SELECT ROW_NUMBER() OVER () - 1 AS rid, * FROM $keys", keys=table(keys))


def assignment_query(
    base: str, clusters: str, ids: str, bad_values: str, settings: DeterministicSettings
) -> exp.Expression:
    """Per record: its Amperity ID, component, supersized and bad-value flags."""
    return fill(
        """
        SELECT
          b.datasource, b.pk, i.amperity_id, i.component_id,
          c.cluster_size > $supersized AS is_supersized,
          bad_email.value IS NOT NULL AS blv_email,
          bad_phone.value IS NOT NULL AS blv_phone
        FROM $base AS b
        JOIN $clusters AS c ON c.rid = b.rid
        JOIN $ids AS i ON i.label = c.label
        LEFT JOIN (SELECT value FROM $bad WHERE semantic = 'email') AS bad_email ON bad_email.value = b.key_email
        LEFT JOIN (SELECT value FROM $bad WHERE semantic = 'phone') AS bad_phone ON bad_phone.value = b.key_phone
        """,
        supersized=settings.supersized_threshold,
        base=table(base),
        clusters=table(clusters),
        ids=table(ids),
        bad=table(bad_values),
    )


def output_query(
    records: str, assignment: str, columns: InputColumns, blv: tuple[str, ...] = ("email", "phone")
) -> exp.Expression:
    """Unified Coalesced rows (in no particular order): original values joined to their IDs.

    `blv` names the semantics whose blv_<semantic> flags the assignment table carries.
    """
    flags = [column(f"blv_{name}", "a").as_(f"blv_{name}") for name in blv]
    has_blv = exp.or_(*(column(f"blv_{name}", "a") for name in blv)) if blv else exp.false()
    values = [
        derived_full_name(column("full_name", "r"), column("given_name", "r"), column("surname", "r")).as_(name)
        if name == "full_name"
        else column(name, "r")
        for name, _ in columns.value_columns
    ]
    return fill(
        """
        SELECT
          a.amperity_id, r.datasource, r.pk, $values, a.component_id, a.is_supersized, $has_blv AS has_blv, $flags
        FROM ($records) AS r
        JOIN $assignment AS a ON a.datasource = r.datasource AND a.pk = r.pk
        """,
        values=values,
        has_blv=has_blv,
        flags=flags,
        records=typed_records(records, columns, columns.value_columns),
        assignment=table(assignment),
    )
