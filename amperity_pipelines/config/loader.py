"""Read a tenant folder into validated models; every problem names file, line and field.

config/ is a leaf: it imports nothing of the package outside config/. So `read_tenant` checks
what the config alone can tell: the YAML, the models, and names that point at each other (a
courier naming a feed, an orchestration naming a query or a table). What needs the rest of the
package (parsing each SQL statement and the tables it reads, expectations against their
catalogue, Stitch settings) is checked by `tenant_check.load_tenant`, the entry point the
commands and Dagster's code location call: it reports both kinds of problems together (a data
engineer fixes a config in one pass) and never runs anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from amperity_pipelines.config.models import (
    CourierSpec,
    CustomDomainTableSpec,
    FeedSpec,
    SourceSpec,
    TenantSpec,
)
from amperity_pipelines.config.standard_tables import Matching, StandardTable, is_standard, why_not_written, written_tables
from amperity_pipelines.config.yaml_lines import ConfigTextError, LocatedYaml, load_located, read_utf8


@dataclass(frozen=True)
class ConfigIssue:
    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ConfigError(ValueError):
    """One or more problems in a tenant's configuration."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        noun = "problem" if len(issues) == 1 else "problems"
        super().__init__(f"{len(issues)} configuration {noun}:\n" + "\n".join(f"  {i}" for i in issues))


@dataclass(frozen=True)
class DomainTable:
    """A feed's domain table (`Source:Feed`) or a custom domain table (its own name)."""

    name: str
    source: str | None
    feed: FeedSpec | None = None
    custom: CustomDomainTableSpec | None = None
    sql: str | None = None

    @property
    def key(self) -> str:
        """Asset-key and storage name: `Source_Feed` (Dagster names cannot hold a colon)."""
        return self.name.replace(":", "_")

    @property
    def stitch(self) -> bool:
        return bool((self.feed or self.custom).stitch)

    @property
    def primary_key(self) -> list[str]:
        return list((self.feed or self.custom).primary_key)

    @property
    def last_updated(self) -> str | None:
        return (self.feed or self.custom).last_updated

    @property
    def tags(self) -> dict[str, list[str]]:
        if self.feed is not None:
            return {f.name: list(f.tags) for f in self.feed.fields}
        return {column: list(tags) for column, tags in self.custom.tags.items()}

    @property
    def description(self) -> str:
        return (self.feed or self.custom).description


@dataclass(frozen=True)
class Query:
    name: str
    sql: str
    path: Path


@dataclass(frozen=True)
class SqlStatement:
    """A SQL text of the tenant and the tables it may read (`tenant_check` parses it)."""

    path: Path
    sql: str
    dialect: str
    allowed: frozenset[str]
    query: str | None = None
    """The query's name, when the statement is one of queries/*.sql."""


@dataclass
class Tenant:
    folder: Path
    spec: TenantSpec
    sources: list[SourceSpec]
    queries: dict[str, Query]
    sql_files: dict[str, str] = field(default_factory=dict)
    """Text of every SQL file the config references, by path relative to the tenant folder."""
    source_files: dict[str, Path] = field(default_factory=dict)
    """The file of each source, by source name."""
    statements: list[SqlStatement] = field(default_factory=list)
    """Every SQL statement of the config, in file order."""

    @property
    def name(self) -> str:
        return self.spec.tenant

    def domain_tables(self) -> list[DomainTable]:
        tables = [
            DomainTable(name=f"{s.source}:{f.name}", source=s.source, feed=f)
            for s in self.sources
            for f in s.feeds
        ]
        tables += [
            DomainTable(name=c.name, source=None, custom=c, sql=self.sql_files[c.sql])
            for c in self.spec.custom_domain_tables
        ]
        return tables

    def domain_table(self, name: str) -> DomainTable:
        for table in self.domain_tables():
            if table.name == name or table.key == name:
                return table
        raise KeyError(f"no domain table {name!r} in tenant {self.name}")

    @property
    def stitch_matching(self) -> Matching | None:
        """The Stitch matching, or None when no domain table is stitched."""
        wanted = self.spec.stitch.tables
        specs = [*(f for s in self.sources for f in s.feeds), *self.spec.custom_domain_tables]
        stitches = bool(wanted) if wanted is not None else any(spec.stitch for spec in specs)
        return self.spec.stitch.matching if stitches else None

    def standard_tables(self) -> tuple[StandardTable, ...]:
        """The standard tables the tenant writes (`config.standard_tables`)."""
        return written_tables(self.stitch_matching)

    def couriers(self) -> list[tuple[SourceSpec, CourierSpec]]:
        return [(s, c) for s in self.sources for c in s.couriers]

    def stitched_tables(self) -> list[DomainTable]:
        wanted = self.spec.stitch.tables
        tables = self.domain_tables()
        if wanted is None:
            return [t for t in tables if t.stitch]
        return [t for t in tables if t.name in wanted or t.key in wanted]

    def landing_folder(self, landing_root: str | Path) -> Path:
        """Where this tenant's couriers look for files: <landing root>/<tenant>/."""
        return Path(landing_root) / self.name


def read_tenant(folder: str | Path) -> tuple[Tenant, list[ConfigIssue]]:
    """Read and validate tenants/<name>/ and the names its objects use.

    Raises ConfigError listing every problem when a file does not parse or a model does not
    validate (cross-references need valid objects); otherwise returns the tenant and the
    cross-reference problems, for the caller to report with its own checks'."""
    folder = Path(folder)
    issues: list[ConfigIssue] = []
    tenant_file = folder / "tenant.yaml"
    if not tenant_file.is_file():
        raise ConfigError([ConfigIssue(tenant_file, None, "", "missing: every tenant folder needs a tenant.yaml")])

    spec = _validate(tenant_file, TenantSpec, issues)
    sources: list[SourceSpec] = []
    source_files: dict[str, Path] = {}
    for path in sorted((folder / "sources").glob("*.y*ml")):
        source = _validate(path, SourceSpec, issues)
        if source is None:
            continue
        if source.source in source_files:
            issues.append(ConfigIssue(path, 1, "source", f"source {source.source!r} is also defined in {source_files[source.source]}"))
            continue
        source_files[source.source] = path
        sources.append(source)

    queries = {}
    for path in sorted((folder / "queries").glob("*.sql")):
        try:
            queries[path.stem] = Query(path.stem, read_utf8(path), path)
        except ConfigTextError as err:  # not UTF-8
            issues.append(ConfigIssue(path, err.line, "", err.message))
    if issues or spec is None:
        # Cross-references are only meaningful between objects that validated.
        raise ConfigError(issues)
    tenant = Tenant(folder=folder, spec=spec, sources=sources, queries=queries, source_files=source_files)
    _check_references(tenant, issues)
    return tenant, issues


def _validate(path: Path, model: type[BaseModel], issues: list[ConfigIssue]):
    try:
        located = load_located(path)
    except ConfigTextError as err:  # not UTF-8, not YAML
        issues.append(ConfigIssue(path, err.line, "", err.message))
        return None
    if not isinstance(located.data, dict):
        issues.append(ConfigIssue(path, 1, "", f"expected a mapping at the top of the file, found {type(located.data).__name__}"))
        return None
    try:
        return model.model_validate(located.data)
    except ValidationError as err:
        issues.extend(_issues_from(path, located, err))
        return None


def _issues_from(path: Path, located: LocatedYaml, err: ValidationError) -> Iterable[ConfigIssue]:
    for error in err.errors():
        loc = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown setting {loc[-1]!r}"
        elif error["type"] == "missing":
            message = "required setting is missing"
        elif "input" in error and error["type"].endswith(("_type", "_parsing", "literal_error")):
            message = f"{message} (got {error['input']!r})"
        yield ConfigIssue(path, located.line_of(loc), _dotted(loc), message)


def located_issue(path: Path, located: LocatedYaml, loc: tuple, message: str) -> ConfigIssue:
    """A problem at key path `loc` of the YAML file `path`."""
    return ConfigIssue(path, located.line_of(loc), _dotted(loc), message)


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_references(tenant: Tenant, issues: list[ConfigIssue]) -> None:
    folder = tenant.folder
    tenant_file = folder / "tenant.yaml"
    located = load_located(tenant_file)

    def tenant_issue(loc: tuple, message: str) -> None:
        issues.append(ConfigIssue(tenant_file, located.line_of(loc), _dotted(loc), message))

    courier_names: dict[str, str] = {}
    for source in tenant.sources:
        path = tenant.source_files[source.source]
        src_located = load_located(path)
        feeds = {f.name for f in source.feeds}
        if len(feeds) != len(source.feeds):
            issues.append(ConfigIssue(path, src_located.line_of(("feeds",)), "feeds", "feed names must be unique within a source"))
        for fi, feed in enumerate(source.feeds):
            if feed.ingest_query:
                _read_sql(tenant, feed.ingest_query, "spark", path, src_located, ("feeds", fi, "ingest_query"), issues, allow_tables={"raw"})
        for ci, courier in enumerate(source.couriers):
            if courier.name in courier_names:
                issues.append(ConfigIssue(path, src_located.line_of(("couriers", ci, "name")), f"couriers[{ci}].name",
                                          f"courier {courier.name!r} is also defined in source {courier_names[courier.name]}"))
            courier_names[courier.name] = source.source
            for fi, file in enumerate(courier.files):
                if file.feed not in feeds:
                    loc = ("couriers", ci, "files", fi, "feed")
                    issues.append(ConfigIssue(path, src_located.line_of(loc), _dotted(loc),
                                              f"unknown feed {file.feed!r}: source {source.source} has {', '.join(sorted(feeds))}"))

    known_tables = {f"{s.source}:{f.name}" for s in tenant.sources for f in s.feeds}
    for ci, custom in enumerate(tenant.spec.custom_domain_tables):
        loc = ("custom_domain_tables", ci, "sql")
        if custom.name in known_tables or custom.name.replace("_", ":", 1) in known_tables:
            tenant_issue(("custom_domain_tables", ci, "name"), f"{custom.name!r} clashes with a domain table name")
        if _read_sql(tenant, custom.sql, "spark", tenant_file, located, loc, issues, allow_tables=known_tables) is not None:
            _check_custom_columns(tenant, custom, ci, tenant_issue)
        known_tables.add(custom.name)

    stitch_tables = tenant.spec.stitch.tables or []
    for ti, name in enumerate(stitch_tables):
        if name not in known_tables:
            tenant_issue(("stitch", "tables", ti), f"unknown domain table {name!r}")
    for side in ("labels", "blocklist"):
        name = getattr(tenant.spec.stitch, side)
        if name is not None and name not in known_tables:
            tenant_issue(("stitch", side), f"unknown domain table {name!r}")

    groups = {g.name for g in tenant.spec.courier_groups}
    for gi, group in enumerate(tenant.spec.courier_groups):
        for ci, courier in enumerate(group.couriers):
            if courier not in courier_names:
                tenant_issue(("courier_groups", gi, "couriers", ci),
                             f"unknown courier {courier!r}: expected one of {', '.join(sorted(courier_names)) or '(none defined)'}")

    standard = {t.name for t in tenant.standard_tables()}
    database_tables = set(standard)
    databases = {}
    for di, database in enumerate(tenant.spec.databases):
        databases[database.name] = set(standard)
        for ti, table in enumerate(database.tables):
            allowed = known_tables | databases[database.name]
            _read_sql(tenant, table.sql, "spark", tenant_file, located, ("databases", di, "tables", ti, "sql"), issues, allow_tables=allowed)
            databases[database.name].add(table.name)
        database_tables |= databases[database.name]

    for name, query in tenant.queries.items():
        tenant.statements.append(SqlStatement(query.path, query.sql, "presto", frozenset(known_tables | database_tables), name))

    destinations = {d.name for d in tenant.spec.destinations}
    templates = {t.name for t in tenant.spec.data_templates}
    for oi, orch in enumerate(tenant.spec.orchestrations):
        if orch.query and orch.query not in tenant.queries:
            tenant_issue(("orchestrations", oi, "query"), f"unknown query {orch.query!r}: expected one of {', '.join(sorted(tenant.queries))}")
        if orch.database_table:
            database, _, table = orch.database_table.partition(".")
            if database in databases and is_standard(table) and table not in databases[database]:
                tenant_issue(("orchestrations", oi, "database_table"),
                             f"database table {orch.database_table!r}: {why_not_written(table, tenant.stitch_matching)}")
            elif database not in databases or table not in databases[database]:
                tenant_issue(("orchestrations", oi, "database_table"),
                             f"unknown database table {orch.database_table!r}: expected <Database>.<Table>, e.g. Customer_360.Merged_Customers")
        if orch.destination not in destinations:
            tenant_issue(("orchestrations", oi, "destination"), f"unknown destination {orch.destination!r}")
        if orch.template and orch.template not in templates:
            tenant_issue(("orchestrations", oi, "template"), f"unknown data template {orch.template!r}")
        if orch.courier_group and orch.courier_group not in groups:
            tenant_issue(("orchestrations", oi, "courier_group"), f"unknown courier group {orch.courier_group!r}")


def _read_sql(tenant, relative, dialect, owner_file, located, loc, issues, *, allow_tables) -> str | None:
    """The text of the SQL file the YAML names at `loc`, recorded as a statement that may read
    `allow_tables`; None (and an issue) when it cannot be read."""
    path = tenant.folder / relative
    if "\x00" in relative or not path.resolve().is_relative_to(tenant.folder.resolve()):
        issues.append(ConfigIssue(owner_file, located.line_of(loc), _dotted(loc), f"SQL file {relative!r} is not a path inside the tenant folder {tenant.folder}"))
        return None
    if not path.is_file():
        issues.append(ConfigIssue(owner_file, located.line_of(loc), _dotted(loc), f"SQL file {relative!r} does not exist (looked for {path})"))
        return None
    try:
        text = read_utf8(path)
    except ConfigTextError as err:  # not UTF-8
        issues.append(ConfigIssue(path, err.line, "", err.message))
        return None
    tenant.sql_files[relative] = text
    tenant.statements.append(SqlStatement(path, text, dialect, frozenset(allow_tables)))
    return text


def _check_custom_columns(tenant, custom, index, tenant_issue) -> None:
    """A custom domain table's primary key comes from `primary_key` or, failing that, its pk tags."""
    tagged_pk = [column for column, tags in custom.tags.items() if "pk" in tags]
    if not custom.primary_key and not tagged_pk:
        tenant_issue(("custom_domain_tables", index), "a custom domain table needs a primary_key or a column tagged pk")
    elif not custom.primary_key:
        object.__setattr__(custom, "primary_key", tagged_pk)
