"""Check a whole tenant before any run: `load_tenant`, then `validate_tenant`.

`load_tenant` is how every command and the code location read a tenant. The reader in config/
(a leaf: it imports nothing else of ours) checks the YAML, the models and the names objects use;
`load_tenant` adds the checks that need the rest of the package, and reports all problems
together with their file and line: each SQL statement's syntax and the tables it reads
(`engines.sql`), the expectations against their catalogue (`quality.catalog`) and the Stitch
settings (`stitch.settings_yaml`). The parsed Stitch settings travel with the tenant it returns
(`CheckedTenant.stitch_settings`, read through `stitch_settings`), so a run does not parse them again.

`validate_tenant` checks what only the whole tenant can tell: that every column a query, a custom
domain table or a custom database table reads exists, and that a custom domain table produces
its primary key and tagged columns. It infers each table's columns without any data, with the
code that builds the table, and binds every statement on EMPTY DuckDB tables (`DESCRIBE`), in
dependency order, so a custom table's inferred columns feed the tables after it:

- a feed's domain table: the ingest's column types of its fields (`ingest.casting.duckdb_type`);
- a custom domain table or database table: its own SQL over the empty tables before it;
- the Stitch tables: a real Stitch run over two placeholder records. A run costs seconds, so its
  schemas are cached by the Stitch input columns, the Stitch settings and the Stitch code;
- the customer 360 tables: their builders (`c360`) over the empty Stitch and transaction tables.

DuckDB's binder names a missing column; the issue adds the file, the line and the table's columns.
Nothing here reads the lakehouse or the landing files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlglot import exp

from amperity_pipelines.config.loader import ConfigError, ConfigIssue, DomainTable, Tenant, located_issue, read_tenant
from amperity_pipelines.config.models import DatabaseSpec
from amperity_pipelines.config.standard_tables import (
    C360_TABLES,
    STANDARD_TABLES,
    STITCH_TABLES,
    is_standard,
    standard_table,
    why_not_written,
)
from amperity_pipelines.config.yaml_lines import load_located
from amperity_pipelines.engines.errors import SqlError
from amperity_pipelines.engines.sql import parse, referenced_tables, transpile
from amperity_pipelines.ingest.casting import duckdb_type
from amperity_pipelines.quality.catalog import expectation_problems
from amperity_pipelines.stitch.settings import StitchSettings
from amperity_pipelines.stitch.settings_yaml import parse_settings

__all__ = [
    "CheckedTenant",
    "check_tenant_columns",
    "inferred_columns",
    "load_tenant",
    "stitch_settings",
    "validate_tenant",
]

_STITCH_CODE = ("stitch", "layers/stitching.py", "config/standard_tables.py")
"""Package paths whose source decides the Stitch tables' columns (the cache key includes them)."""


@dataclass
class CheckedTenant(Tenant):
    """A tenant whose cross-references were checked, with what checking them parsed."""

    stitch_settings: StitchSettings | None = None
    """The parsed `stitch.settings` (probabilistic Stitch)."""


def load_tenant(folder: str | Path) -> CheckedTenant:
    """Read and check tenants/<name>/; raise ConfigError listing every problem found."""
    tenant, issues = read_tenant(folder)
    issues += _statement_issues(tenant)
    issues += _expectation_issues(tenant)
    tenant_file = tenant.folder / "tenant.yaml"
    settings, problems = parse_settings(tenant.spec.stitch.settings)
    if problems:
        located = load_located(tenant_file)
        issues += [located_issue(tenant_file, located, ("stitch", "settings", *where), message) for where, message in problems]
    if issues:
        raise ConfigError(issues)
    fields = {name: getattr(tenant, name) for name in Tenant.__dataclass_fields__}
    return CheckedTenant(**fields, stitch_settings=settings)


def stitch_settings(tenant: Tenant) -> StitchSettings:
    """The tenant's Stitch settings: those `load_tenant` parsed, else parsed now (a tenant built
    in code); ValueError naming each bad setting."""
    if isinstance(tenant, CheckedTenant) and tenant.stitch_settings is not None:
        return tenant.stitch_settings
    settings, problems = parse_settings(tenant.spec.stitch.settings)
    if problems:
        raise ValueError("; ".join(f"stitch.settings.{'.'.join(map(str, w))}: {m}" for w, m in problems))
    return settings


_TOO_DEEP = "the statement is nested too deeply to analyse (parentheses or subqueries)"


def _statement_issues(tenant: Tenant) -> list[ConfigIssue]:
    """Every SQL statement parses, translates to DuckDB and reads only the tables it may read.

    Translating surfaces what parsing alone lets through and a run would refuse, e.g. a Joda
    letter format_datetime cannot render ('QQQ'); sqlglot parses and prints recursively, so a
    statement nested past Python's recursion limit is a problem of its file, not a traceback."""
    issues = []
    for statement in tenant.statements:
        source = str(statement.path)
        try:
            tables = referenced_tables(statement.sql, read=statement.dialect, source=source)
            transpile(statement.sql, read=statement.dialect, source=source)
        except SqlError as err:
            issues.append(ConfigIssue(statement.path, err.line, "", err.detail))
            continue
        except RecursionError:
            issues.append(ConfigIssue(statement.path, None, "", _TOO_DEEP))
            continue
        for table in tables:
            if table in statement.allowed:
                continue
            if statement.query is None:
                message = f"reads unknown table {table!r}; known: {', '.join(sorted(statement.allowed))}"
            else:
                why = f": {why_not_written(table, tenant.stitch_matching)}" if is_standard(table) else ""
                message = f"query {statement.query!r} reads unknown table {table!r}{why}"
            issues.append(ConfigIssue(statement.path, None, "", message))
    return issues


def _expectation_issues(tenant: Tenant) -> list[ConfigIssue]:
    """Every expectation a feed adds is one the catalogue knows, with arguments it takes."""
    issues = []
    for source in tenant.sources:
        path = tenant.source_files[source.source]
        located = None
        for fi, feed in enumerate(source.feeds):
            fields = [f.name for f in feed.fields]
            for ei, expectation in enumerate(feed.expectations):
                for where, message in expectation_problems(expectation.type, expectation.kwargs, fields):
                    located = located or load_located(path)
                    issues.append(located_issue(path, located, ("feeds", fi, "expectations", ei, *where), message))
    return issues


def validate_tenant(tenant: Tenant) -> None:
    """Raise `ConfigError` listing every statement that reads a column its tables will not have."""
    issues = check_tenant_columns(tenant)
    if issues:
        raise ConfigError(issues)


def check_tenant_columns(tenant: Tenant) -> list[ConfigIssue]:
    """Issues of every statement of `tenant` that reads a column its tables will not have."""
    return _run(tenant).issues


def inferred_columns(tenant: Tenant) -> dict[str, list[tuple[str, str]]]:
    """Table -> [(column, DuckDB type)] of every table whose columns could be inferred, as the
    tenant's queries see them (the first database's tables)."""
    con = _run(tenant).con
    tables = con.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()
    return {name: [(r[0], r[1]) for r in con.execute(f"DESCRIBE {_quoted(name)}").fetchall()] for (name,) in tables}


def _run(tenant: Tenant) -> _Check:
    check = _Check(tenant, duckdb.connect())
    check.domain_tables()
    stitched = check.stitch_tables()
    databases = tenant.spec.databases
    for database in [*databases[1:], *databases[:1]]:  # queries read the first database: built last
        check.database_tables(database, stitched=stitched)
    for query in tenant.queries.values():
        check.bind(query.sql, "presto", query.path)
    return check


@dataclass
class _Check:
    tenant: Tenant
    con: duckdb.DuckDBPyConnection
    issues: list[ConfigIssue] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    """Tables whose columns could not be inferred (their own issue is reported): statements that
    read them are not checked."""

    def domain_tables(self) -> None:
        for table in self.tenant.domain_tables():
            if table.feed is not None:
                columns = ", ".join(f"{_quoted(f.name)} {duckdb_type(f)}" for f in table.feed.fields)
                self.con.execute(f"CREATE TABLE {_quoted(table.name)} ({columns})")
            elif self.create(table.name, table.sql, "spark", self.tenant.folder / table.custom.sql):
                self.custom_domain_columns(table)

    def custom_domain_columns(self, table: DomainTable) -> None:
        produced = self.columns(table.name)
        path = self.tenant.folder / table.custom.sql
        missing = [key for key in table.primary_key if key not in produced]
        if missing:
            self.issue(path, None, f"custom domain table {table.name}: primary key column(s) {', '.join(missing)} "
                                   f"are not produced by the query (its columns: {', '.join(produced)})")  # fmt: skip
        untagged = [column for column in table.tags if column not in produced]
        if untagged:
            self.issue(path, None, f"custom domain table {table.name}: tags name column(s) {', '.join(untagged)} "
                                   f"the query does not produce (its columns: {', '.join(produced)})")  # fmt: skip

    def stitch_tables(self) -> bool:
        """Create the empty Stitch tables; False when the tenant stitches nothing or a run fails."""
        try:
            schemas = _stitch_schemas(self.tenant, self.con, self.unknown)
        except (ValueError, duckdb.Error):
            # Stitch refuses the placeholder records (settings it checks against data): the
            # tables it writes, and those built on them, stay unchecked; a run reports its error.
            schemas = None
            self.unknown.update(STITCH_TABLES)
        if schemas is None:
            return False
        for name, columns in schemas.items():
            ddl = ", ".join(f"{_quoted(column)} {kind}" for column, kind in columns)
            self.con.execute(f"CREATE TABLE {_quoted(name)} ({ddl})")
        return True

    def database_tables(self, database: DatabaseSpec, *, stitched: bool) -> None:
        from amperity_pipelines.layers.database import c360_relation, transaction_tables

        transactions = tuple(t.name for t in transaction_tables(self.tenant))
        created: list[str] = []
        for name in C360_TABLES:
            inputs = {table for i in standard_table(name).inputs for table in (transactions if i == "transactions" else (i,))}
            if not stitched or self.unknown & inputs:
                self.unknown.add(name)
                continue
            try:
                relation = c360_relation(self.tenant, self.con, database, name)
                relation.limit(0).create(name)
                self.as_stored(name)
                created.append(name)
            except (ValueError, duckdb.Error) as error:
                self.unknown.add(name)
                self.issue(self.tenant.folder / "tenant.yaml", None, f"database {database.name}: {name} cannot be built: {error}")
        for table in database.tables:
            if self.create(table.name, self.tenant.sql_files[table.sql], "spark", self.tenant.folder / table.sql):
                created.append(table.name)
        if database is not self.tenant.spec.databases[0]:
            for name in created:
                self.con.execute(f"DROP TABLE {_quoted(name)}")

    def create(self, name: str, sql: str, dialect: str, path: Path) -> bool:
        """Create the empty table `name` from `sql`; False (and an issue) when it does not bind."""
        statement = self.bind(sql, dialect, path)
        if statement is None:
            self.unknown.add(name)
            return False
        self.con.execute(f"CREATE TABLE {_quoted(name)} AS SELECT * FROM ({statement}) LIMIT 0")
        self.as_stored(name)
        return True

    def as_stored(self, name: str) -> None:
        """Give `name` the types its Delta table will have: a table reaches Delta through Arrow,
        which has no 128-bit integer, so DuckDB's HUGEINT is written as DECIMAL(38,0)."""
        for column, kind, *_ in self.con.execute(f"DESCRIBE {_quoted(name)}").fetchall():
            if kind in ("HUGEINT", "UHUGEINT"):
                self.con.execute(f"ALTER TABLE {_quoted(name)} ALTER COLUMN {_quoted(column)} TYPE DECIMAL(38,0)")

    def bind(self, sql: str, dialect: str, path: Path) -> str | None:
        """`sql` in DuckDB SQL when it binds on the empty tables; else None, with an issue."""
        try:
            tree = parse(sql, read=dialect, source=str(path))
            statement = transpile(sql, read=dialect, source=str(path))
        except (SqlError, RecursionError):
            return None  # load_tenant reported it (_statement_issues)
        reads = _read_tables(tree)
        if self.unknown & set(reads.values()):
            return None
        try:
            self.con.execute(f"DESCRIBE {statement}")
        except duckdb.Error as error:
            self.issue(path, *self.explain(error, sql, reads))
            return None
        return statement

    def explain(self, error: duckdb.Error, sql: str, reads: dict[str, str]) -> tuple[int | None, str]:
        """(line in `sql`, message) for DuckDB's binder error, naming the table and its columns."""
        text = str(error).split("\n")[0]
        if match := _COLUMN_OF_TABLE.search(text):
            table = reads.get(match.group(1), match.group(1))
            column = match.group(2)
            return _line_of(sql, column), self.not_found(column, [table])
        if match := _COLUMN.search(text):
            column = match.group(1)
            tables = list(dict.fromkeys(reads.values()))
            return _line_of(sql, column), self.not_found(column, tables)
        return None, text.removeprefix("Binder Error: ")

    def not_found(self, column: str, tables: list[str]) -> str:
        known = [t for t in tables if self.exists(t)]
        if not known:
            return f'column "{column}" not found'
        if len(known) == 1:
            return f'column "{column}" not found in {known[0]} (its columns: {", ".join(self.columns(known[0]))})'
        listed = "; ".join(f"{t}: {', '.join(self.columns(t))}" for t in known)
        return f'column "{column}" not found in any of {", ".join(known)} (their columns: {listed})'

    def exists(self, table: str) -> bool:
        return bool(self.con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall())

    def columns(self, table: str) -> list[str]:
        return [row[0] for row in self.con.execute(f"DESCRIBE {_quoted(table)}").fetchall()]

    def issue(self, path: Path, line: int | None, message: str) -> None:
        self.issues.append(ConfigIssue(path, line, "", message))


# DuckDB's binder: `Table "c" does not have a column named "emial"` and
# `Referenced column "emial" not found in FROM clause!`.
_COLUMN_OF_TABLE = re.compile(r'Table "([^"]+)" does not have a column named "([^"]+)"')
_COLUMN = re.compile(r'Referenced column "([^"]+)" not found')


def _read_tables(tree: exp.Expr) -> dict[str, str]:
    """Alias (or name) -> table name of every table the statement reads (CTEs included)."""
    reads = {}
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Identifier):
            reads[table.alias_or_name] = table.name
    return reads


def _line_of(sql: str, column: str) -> int | None:
    """The line of the first mention of `column` as a word in `sql` (comments skipped)."""
    for number, line in enumerate(sql.splitlines(), start=1):
        code = line.split("--", 1)[0]
        if re.search(rf"(?<![\w\"`]){re.escape(column)}(?![\w\"`])|[\"`]{re.escape(column)}[\"`]", code):
            return number
    return None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _stitch_schemas(tenant: Tenant, con: duckdb.DuckDBPyConnection, unknown: set[str]) -> dict[str, list[tuple[str, str]]] | None:
    """Stitch table -> [(column, DuckDB type)], from a Stitch run over two placeholder records
    (cached); None when the tenant stitches nothing, or the inputs' columns are unknown."""
    from amperity_pipelines.layers.stitching import records_sql

    tables = tenant.stitched_tables()
    if not tables or unknown & {t.name for t in tables}:
        unknown.update(STITCH_TABLES)
        return None
    records = records_sql(tables)
    inputs = con.execute(f"DESCRIBE {records}").fetchall()
    spec = tenant.spec.stitch
    key = _fingerprint(
        [
            [(row[0], row[1]) for row in inputs],
            spec.matching,
            list(spec.match_on),
            spec.settings,
        ]
    )
    cache = _cache_folder() / f"{key}.json"
    if cache.is_file():
        return {name: [tuple(c) for c in columns] for name, columns in json.loads(cache.read_text()).items()}
    schemas = _run_stitch(tenant, con, records, tables)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(schemas))
    except OSError:
        pass  # a read-only home: no cache, the next check runs Stitch again
    return schemas


def _run_stitch(
    tenant: Tenant, con: duckdb.DuckDBPyConnection, records: str, tables: list[DomainTable]
) -> dict[str, list[tuple[str, str]]]:
    """Run the tenant's Stitch over two placeholder records (NULL values, two datasources) on a
    separate connection, and return the Stitch tables' columns and types."""
    from amperity_pipelines.stitch import DeterministicSettings, stitch_deterministic, stitch_records

    scratch = duckdb.connect()
    columns = con.execute(f"DESCRIBE {records}").fetchall()
    scratch.execute(f"CREATE TABLE records ({', '.join(f'{_quoted(c[0])} {c[1]}' for c in columns)})")
    names = [t.name for t in tables] * 2
    scratch.execute("INSERT INTO records (datasource, pk) VALUES (?, '1'), (?, '2')", names[:2])
    spec = tenant.spec.stitch
    if spec.matching == "deterministic":
        result = stitch_deterministic(scratch, "records", settings=DeterministicSettings(match_on=tuple(spec.match_on)))
    else:
        result = stitch_records(scratch, "records", settings=stitch_settings(tenant))
    produced = result.tables()
    schemas = {}
    for table in STANDARD_TABLES:
        if table.result_key in produced:
            scratch.register("__output", produced[table.result_key])
            schemas[table.name] = [(row[0], row[1]) for row in scratch.execute("DESCRIBE __output").fetchall()]
            scratch.unregister("__output")
    scratch.close()
    return schemas


def _fingerprint(parts: object) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    package = Path(__file__).resolve().parent
    for path in _source_files(package, _STITCH_CODE):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _source_files(package: Path, names: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for name in names:
        path = package / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def _cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "amperity-pipelines" / "stitch-schemas"
