"""The standard tables: every table Stitch and the customer 360 write, in one catalogue.

Asset keys, the Stitch multi-asset and its lineage, the customer 360 assets, the query session,
orchestrations and the loader's validation all read this list; nothing else names these tables.

A standard table lives in one lakehouse layer: `stitch` (once per tenant, stored under its own
name) or `database` (once per database, stored as `<Database>__<Table>`). Queries and custom
database tables read them by name, and an orchestration sends one as `<Database>.<Table>`
(a Stitch table too: `Customer_360.Unified_Scores`). A tenant has the tables its Stitch matching
writes (`written_tables`): deterministic Stitch writes three of the seven Stitch tables, and a
tenant that stitches nothing has no standard table at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Layer = Literal["stitch", "database"]
Matching = Literal["probabilistic", "deterministic"]

INPUT_ROLES = {
    "domain": "the stitched domain tables",
    "labels": "the Stitch labels domain table (stitch.labels)",
    "blocklist": "the Stitch blocklist domain table (stitch.blocklist)",
    "transactions": "the domain tables with txn-item tags",
}
"""Inputs of standard tables that are tenant tables rather than standard ones."""


@dataclass(frozen=True)
class StandardTable:
    name: str
    """SQL name, asset key's last part and (Stitch tables) storage name."""
    layer: Layer
    description: str
    inputs: tuple[str, ...]
    """What it is made from: standard tables (written before it) and `INPUT_ROLES`."""
    result_key: str | None = None
    """Stitch tables: the table's name in the engine's result (`StitchResult.tables()`)."""
    matchings: tuple[Matching, ...] = ("probabilistic", "deterministic")
    """The Stitch matchings that write it."""

    def storage_name(self, database: str) -> str:
        """Name in its lakehouse layer: a Stitch table once per tenant, a database table per database."""
        return self.name if self.layer == "stitch" else database_storage_name(database, self.name)


def database_storage_name(database: str, table: str) -> str:
    """Storage name of a database's table (standard or custom) in the `database` layer."""
    return f"{database}__{table}"


STANDARD_TABLES: tuple[StandardTable, ...] = (
    # Stitch tables, in the order Stitch makes them.
    StandardTable(
        "Unified_Preprocessed_Raw", "stitch",
        "Preprocessed (normalised) values per record, bad values nulled; what the model compared.",
        ("domain",), "unified_preprocessed_raw", ("probabilistic",),
    ),
    StandardTable(
        "Stitch_Bad_Values", "stitch",
        "Values ignored for matching (detected as shared by too many people, or from the blocklist).",
        ("Unified_Preprocessed_Raw", "blocklist"), "bad_values",
    ),
    StandardTable(
        "Stitch_Blocking_Keys", "stitch",
        "Which blocking key put which record into which block, per strategy; oversized blocks flagged.",
        ("Unified_Preprocessed_Raw", "Stitch_Bad_Values"), "blocking_keys", ("probabilistic",),
    ),
    StandardTable(
        "Unified_Scores", "stitch",
        "Scored pairs inside each cluster: source1, pk1, source2, pk2, score 0-5, match category and type.",
        ("Stitch_Blocking_Keys", "labels"), "unified_scores", ("probabilistic",),
    ),
    StandardTable(
        "Unified_Coalesced", "stitch",
        "One row per stitched source record with its amperity_id (original PII values, bad-value flags, component).",
        ("Unified_Scores",), "unified_coalesced",
    ),
    StandardTable(
        "Unified_Changes_Pks", "stitch",
        "Per-record changes against the previous Stitch run: added, deleted, updated (moved).",
        ("Unified_Coalesced",), "unified_changes_pks",
    ),
    StandardTable(
        "Unified_Changes_Clusters", "stitch",
        "Per-Amperity-ID changes against the previous run: added, deleted, merged, split, updated.",
        ("Unified_Changes_Pks",), "unified_changes_clusters", ("probabilistic",),
    ),
    # Customer 360 tables, in build order.
    StandardTable(
        "Merged_Customers", "database",
        "One row per Amperity ID with the best value per attribute group and its provenance.",
        ("Unified_Coalesced",),
    ),
    StandardTable(
        "Unified_Itemized_Transactions", "database",
        "Every order line from every txn-item tagged table, with the buyer's amperity_id.",
        ("Unified_Coalesced", "transactions"),
    ),
    StandardTable(
        "Unified_Transactions", "database",
        "One row per order, rolled up from Unified Itemized Transactions.",
        ("Unified_Itemized_Transactions",),
    ),
    StandardTable(
        "Transaction_Attributes", "database",
        "Per Amperity ID: first, second and latest orders and lifetime purchase metrics.",
        ("Unified_Transactions",),
    ),
    StandardTable(
        "Customer_360", "database",
        "Merged Customers joined to Transaction Attributes: the customer profile to query and send.",
        ("Merged_Customers", "Transaction_Attributes"),
    ),
)  # fmt: skip

_BY_NAME = {table.name: table for table in STANDARD_TABLES}
STITCH_TABLES = tuple(t.name for t in STANDARD_TABLES if t.layer == "stitch")
"""Every Stitch table, in the order Stitch makes them."""
C360_TABLES = tuple(t.name for t in STANDARD_TABLES if t.layer == "database")
"""The customer 360 tables every database has, in build order."""


def standard_table(name: str) -> StandardTable:
    """The standard table called `name`; KeyError if there is none."""
    return _BY_NAME[name]


def is_standard(name: str) -> bool:
    return name in _BY_NAME


def written_tables(matching: Matching | None) -> tuple[StandardTable, ...]:
    """The standard tables a tenant has: those its Stitch matching writes and the customer 360
    (None: the tenant stitches nothing, so it has none)."""
    if matching is None:
        return ()
    return tuple(t for t in STANDARD_TABLES if t.layer == "database" or matching in t.matchings)


def why_not_written(name: str, matching: Matching | None) -> str:
    """Why a tenant with Stitch `matching` (None: it stitches nothing) has no standard table `name`."""
    if matching is None:
        return f"{name} is written by Stitch and the tenant stitches nothing"
    written = ", ".join(t.name for t in written_tables(matching) if t.layer == "stitch")
    return f"{name} is not written by {matching} Stitch (its Stitch tables: {written})"


def stitch_inputs(name: str, matching: Matching) -> tuple[str, ...]:
    """What Stitch table `name` is made from under `matching`: a Stitch table that matching does
    not write stands for its own inputs (deterministic Unified Coalesced comes from the domain
    tables and the bad values, not from scores)."""
    out: list[str] = []
    for upstream in standard_table(name).inputs:
        if upstream in _BY_NAME and matching not in _BY_NAME[upstream].matchings:
            out += stitch_inputs(upstream, matching)
        else:
            out.append(upstream)
    return tuple(dict.fromkeys(out))
