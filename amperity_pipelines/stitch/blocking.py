"""Blocking: which records are compared at all.

A strategy turns a record into a blocking key (a few truncated values joined with ':', NULL when
any part is missing); records sharing a key form a block, and every pair inside a block is a
candidate. Strategies follow Amperity's (product notes 3.3). A block larger than the cap is
skipped and reported (`oversized_query`), never silently: it means a value is shared by far
more records than one person has, which bad-value detection should usually have caught.

Each candidate pair (l < r, by rid) carries `blocked_by`, a bit per strategy that paired it, so
that EM can estimate each comparison from pairs blocked on *other* fields.
"""

from __future__ import annotations

from sqlglot import exp

from amperity_pipelines.engines.sql_templates import column, fill, table, union_all
from amperity_pipelines.stitch.settings import STRATEGIES

LABEL_BIT = 1 << len(STRATEGIES)
"""blocked_by bit of pairs that are candidates only because a Stitch label names them."""


def strategy_bit(strategy: str) -> int:
    return 1 << STRATEGIES.index(strategy)


def _key(*parts: exp.Expression) -> exp.Expression:
    """parts joined with ':', NULL when any part is NULL."""
    texts = [exp.cast(p, "VARCHAR") for p in parts]
    condition = exp.and_(*(exp.Not(this=exp.Is(this=t.copy(), expression=exp.Null())) for t in texts))
    joined = texts[0].copy()
    for text in texts[1:]:
        joined = exp.DPipe(this=exp.DPipe(this=joined, expression=exp.Literal.string(":")), expression=text.copy())
    return exp.Case(ifs=[exp.If(this=condition, true=joined)])


def _prefix(name: str, length: int) -> exp.Expression:
    return exp.func("LEFT", column(name), exp.Literal.number(length))


def email_local() -> exp.Expression:
    return fill("SPLIT_PART(email, '@', 1)")


def sorted_pair(x: exp.Expression, y: exp.Expression) -> list[exp.Expression]:
    """(smaller, larger) of two values, so that a key does not care which field held which
    (a given name and surname written the other way round)."""
    return [fill("LEAST($x, $y)", x=x, y=y), fill("GREATEST($x, $y)", x=x.copy(), y=y.copy())]


def house_number() -> exp.Expression:
    """The leading number of the street line (12 of 12 MAIN STREET), NULL without one."""
    return fill("NULLIF(REGEXP_EXTRACT(address_key, '^[0-9]+', 0), '')")


def street_prefix() -> exp.Expression:
    """The first three letters of the word after the house number (MAI of 12 MAIN STREET)."""
    return fill("NULLIF(REGEXP_EXTRACT(address_key, '^[0-9]+ ([A-Z]{3})', 1), '')")


def strategy_key(strategy: str) -> exp.Expression:
    """The blocking key of `strategy` over a preprocessed record (columns of the matching table)."""
    g3, s1, s3 = _prefix("given_name", 3), _prefix("surname", 1), _prefix("surname", 3)
    keys = {
        "dnf1": lambda: _key(g3, s1, column("birthdate")),
        "dnf2": lambda: _key(column("given_name"), column("email")),
        "dnf3": lambda: _key(g3, s3, column("postal")),
        "dnf4": lambda: _key(g3, column("address_key")),
        "dnf5": lambda: _key(g3, column("phone")),
        "dnf6": lambda: _key(g3, s3, email_local()),
        "dnf7": lambda: _key(g3, column("company")),
        "dnf8": lambda: _key(g3, s3, column("po_box")),
        "dnf9": lambda: _key(s3, column("address_key")),
        "dnf10": lambda: _key(column("phone"), column("postal")),
        "email": lambda: _key(column("email")),
        "phone": lambda: _key(column("phone")),
        "address": lambda: _key(column("address_key")),
        "company": lambda: _key(column("company")),
        "name": lambda: _key(
            fill("LEAST(given_name, surname)"),
            fill("GREATEST(given_name, surname)"),
        ),
        # Keys pairing two independent facts, so that a typo in any one field (a name's first
        # letters, a date, a postal code) still leaves a shared key (not Amperity's: ours).
        "birthdate-postal": lambda: _key(column("birthdate"), column("postal")),
        "birthdate-city": lambda: _key(column("birthdate"), column("city")),
        "surname-birthdate": lambda: _key(s3, column("birthdate")),
        "given-birthdate": lambda: _key(g3, column("birthdate")),
        "initials-birthdate": lambda: _key(*sorted_pair(_prefix("given_name", 1), s1), column("birthdate")),
        "names-postal": lambda: _key(*sorted_pair(g3, s3), column("postal")),
        "names-city": lambda: _key(*sorted_pair(g3, s3), column("city")),
        "house-postal": lambda: _key(house_number(), column("postal")),
        "house-street": lambda: _key(house_number(), street_prefix()),
    }
    if strategy not in keys:
        raise ValueError(f"strategy {strategy!r} has no record key (fk keys come from fk_values_query)")
    return keys[strategy]()


# Which comparisons each strategy's key is made of: EM estimates a comparison only from pairs
# that some strategy *not* made of it has paired (those pairs agree on it by chance only).
STRATEGY_FIELDS: dict[str, frozenset[str]] = {
    "dnf1": frozenset({"given_name", "surname", "birthdate"}),
    "dnf2": frozenset({"given_name", "email"}),
    "dnf3": frozenset({"given_name", "surname", "postal", "address"}),
    "dnf4": frozenset({"given_name", "address", "postal"}),
    "dnf5": frozenset({"given_name", "phone"}),
    "dnf6": frozenset({"given_name", "surname", "email"}),
    "dnf7": frozenset({"given_name", "company"}),
    "dnf8": frozenset({"given_name", "surname", "address", "postal"}),
    "dnf9": frozenset({"surname", "address", "postal"}),
    "dnf10": frozenset({"phone", "postal", "address"}),
    "email": frozenset({"email"}),
    "phone": frozenset({"phone"}),
    "fk": frozenset(),
    "address": frozenset({"address", "postal"}),
    "company": frozenset({"company"}),
    "name": frozenset({"given_name", "surname"}),
    "birthdate-postal": frozenset({"birthdate", "postal", "address"}),
    "birthdate-city": frozenset({"birthdate", "address"}),
    "surname-birthdate": frozenset({"surname", "birthdate"}),
    "given-birthdate": frozenset({"given_name", "birthdate"}),
    "initials-birthdate": frozenset({"given_name", "surname", "birthdate"}),
    "names-postal": frozenset({"given_name", "surname", "postal", "address"}),
    "names-city": frozenset({"given_name", "surname", "address"}),
    "house-postal": frozenset({"address", "postal"}),
    "house-street": frozenset({"address"}),
}


def fk_values_query(flagged: str, reps: str, fk_columns: tuple[str, ...]) -> exp.Expression | None:
    """(rid, namespace, value) of every foreign key, on the record's representative.

    loyalty_id counts as the foreign key namespace `loyalty_id`. None without any key column.
    """
    names = (*fk_columns, "loyalty_id")
    parts = [
        fill(
            "SELECT d.rep AS rid, $ns AS namespace, f.$col AS value FROM $f AS f JOIN $d AS d ON d.rid = f.rid "
            "WHERE f.$col IS NOT NULL",
            ns=name,
            col=exp.to_identifier(name),
            f=table(flagged),
            d=table(reps),
        )
        for name in names
    ]
    return union_all(parts) if parts else None


def keys_query(matching: str, strategies: tuple[str, ...], fk_values: str | None) -> exp.Expression:
    """(rid, strategy, bk) for every record and strategy that gives it a key."""
    parts = []
    for strategy in strategies:
        if strategy == "fk":
            if fk_values is not None:
                parts.append(
                    fill(
                        "SELECT DISTINCT rid, 'fk' AS strategy, namespace || ':' || value AS bk FROM $fk",
                        fk=table(fk_values),
                    )
                )
            continue
        parts.append(
            fill(
                "SELECT rid, $s AS strategy, bk FROM (SELECT rid, $key AS bk FROM $m) WHERE bk IS NOT NULL",
                s=strategy,
                key=strategy_key(strategy),
                m=table(matching),
            )
        )
    empty = fill("SELECT CAST(NULL AS BIGINT) AS rid, CAST(NULL AS VARCHAR) AS strategy, CAST(NULL AS VARCHAR) AS bk WHERE FALSE")
    return union_all([empty, *parts])


def block_sizes_query(keys: str) -> exp.Expression:
    return fill("SELECT strategy, bk, COUNT(*) AS size FROM $k GROUP BY strategy, bk", k=table(keys))


def oversized_query(sizes: str, cap: int) -> exp.Expression:
    """Blocks skipped for exceeding the cap: strategy, bk, size (records), pairs it would have made."""
    return fill(
        """
        SELECT strategy, bk, size, size * (size - 1) // 2 AS pairs_skipped
        FROM $s WHERE size > $cap ORDER BY size DESC, strategy, bk
        """,
        s=table(sizes),
        cap=cap,
    )


def bit_case(strategy: exp.Expression) -> exp.Expression:
    return exp.Case(
        this=strategy,
        ifs=[exp.If(this=exp.Literal.string(s), true=exp.Literal.number(strategy_bit(s))) for s in STRATEGIES],
        default=exp.Literal.number(0),
    )


def pairs_query(keys: str, sizes: str, cap: int) -> exp.Expression:
    """Candidate pairs (l, r, blocked_by) from every block of 2..cap records, each pair once."""
    return fill(
        """
        WITH blocks AS (
          SELECT strategy, bk, ROW_NUMBER() OVER () AS block FROM $s WHERE size BETWEEN 2 AND $cap
        ),
        members AS (
          SELECT k.rid, b.block, $bit AS bit FROM $k AS k JOIN blocks AS b ON b.strategy = k.strategy AND b.bk = k.bk
        )
        SELECT a.rid AS l, b.rid AS r, BIT_OR(a.bit) AS blocked_by
        FROM members AS a JOIN members AS b ON a.block = b.block AND a.rid < b.rid
        GROUP BY a.rid, b.rid
        """,
        s=table(sizes),
        k=table(keys),
        cap=cap,
        bit=bit_case(column("strategy", "k")),
    )


def label_pairs_query(labels: str) -> exp.Expression:
    """(l, r, together, apart) for record pairs that share a Stitch label id."""
    return fill(
        """
        SELECT a.rid AS l, b.rid AS r,
               BOOL_OR(a.partition_id = b.partition_id) AS together,
               BOOL_OR(a.partition_id <> b.partition_id) AS apart
        FROM $lab AS a JOIN $lab AS b ON a.label_id = b.label_id AND a.rid < b.rid
        GROUP BY a.rid, b.rid
        """,
        lab=table(labels),
    )


def with_label_pairs_query(pairs: str, label_pairs: str) -> exp.Expression:
    """Candidate pairs plus labelled pairs (bit LABEL_BIT), so that every label is scored and seen."""
    return fill(
        """
        SELECT l, r, BIT_OR(blocked_by) AS blocked_by FROM (
          SELECT l, r, blocked_by FROM $p
          UNION ALL SELECT l, r, $bit AS blocked_by FROM $lp
        ) GROUP BY l, r
        """,
        p=table(pairs),
        lp=table(label_pairs),
        bit=LABEL_BIT,
    )


def blocking_keys_output_query(keys: str, reps: str, base: str, sizes: str, cap: int) -> exp.Expression:
    """Stitch Blocking Keys: (datasource, pk, strategy, bk, is_oversized) for every record,
    trivial duplicates included (they share their representative's keys)."""
    return fill(
        """
        SELECT b.datasource, b.pk, k.strategy, k.bk, s.size > $cap AS is_oversized
        FROM $k AS k
        JOIN $d AS d ON d.rep = k.rid
        JOIN $b AS b ON b.rid = d.rid
        JOIN $s AS s ON s.strategy = k.strategy AND s.bk = k.bk
        """,
        k=table(keys),
        d=table(reps),
        b=table(base),
        s=table(sizes),
        cap=cap,
    )
