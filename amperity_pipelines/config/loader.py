"""Load a tenant folder into validated models; every problem names file, line and field.

All problems found are reported together (a data engineer fixes a config in one pass), and the
loader never runs anything: it is what `amperity-pipelines validate` and Dagster's code location
both call before any run starts.
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
from amperity_pipelines.config.standard_tables import is_standard, written_tables
from amperity_pipelines.config.stitch_settings import parse_settings
from amperity_pipelines.config.yaml_lines import ConfigTextError, LocatedYaml, load_located, read_utf8
from amperity_pipelines.engines.errors import SqlError
from amperity_pipelines.engines.sql import referenced_tables
from amperity_pipelines.quality.catalog import expectation_problems

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


@dataclass
class Tenant:
    folder: Path
    spec: TenantSpec
    sources: list[SourceSpec]
    queries: dict[str, Query]
    sql_files: dict[str, str] = field(default_factory=dict)
    """Text of every SQL file the config references, by path relative to the tenant folder."""

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


def load_tenant(folder: str | Path) -> Tenant:
    """Read and validate tenants/<name>/; raise ConfigError listing every problem found."""
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
    tenant = Tenant(folder=folder, spec=spec, sources=sources, queries=queries)
    _check_references(tenant, source_files, issues)
    if issues:
        raise ConfigError(issues)
    return tenant


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


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_references(tenant: Tenant, source_files: dict[str, Path], issues: list[ConfigIssue]) -> None:
    folder = tenant.folder
    tenant_file = folder / "tenant.yaml"
    located = load_located(tenant_file)

    def tenant_issue(loc: tuple, message: str) -> None:
        issues.append(ConfigIssue(tenant_file, located.line_of(loc), _dotted(loc), message))

    courier_names: dict[str, str] = {}
    for source in tenant.sources:
        path = source_files[source.source]
        src_located = load_located(path)
        feeds = {f.name for f in source.feeds}
        if len(feeds) != len(source.feeds):
            issues.append(ConfigIssue(path, src_located.line_of(("feeds",)), "feeds", "feed names must be unique within a source"))
        for fi, feed in enumerate(source.feeds):
            if feed.ingest_query:
                _read_sql(tenant, feed.ingest_query, "spark", path, src_located, ("feeds", fi, "ingest_query"), issues, allow_tables={"raw"})
            for ei, expectation in enumerate(feed.expectations):
                fields = [f.name for f in feed.fields]
                for where, message in expectation_problems(expectation.type, expectation.kwargs, fields):
                    loc = ("feeds", fi, "expectations", ei, *where)
                    issues.append(ConfigIssue(path, src_located.line_of(loc), _dotted(loc), message))
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
        tables = _read_sql(tenant, custom.sql, "spark", tenant_file, located, loc, issues, allow_tables=known_tables)
        if tables is not None:
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
    for where, message in parse_settings(tenant.spec.stitch.settings)[1]:
        tenant_issue(("stitch", "settings", *where), message)

    groups = {g.name for g in tenant.spec.courier_groups}
    for gi, group in enumerate(tenant.spec.courier_groups):
        for ci, courier in enumerate(group.couriers):
            if courier not in courier_names:
                tenant_issue(("courier_groups", gi, "couriers", ci),
                             f"unknown courier {courier!r}: expected one of {', '.join(sorted(courier_names)) or '(none defined)'}")

    wanted = tenant.spec.stitch.tables
    stitches = bool(wanted) if wanted is not None else any(
        spec.stitch for spec in [*(f for s in tenant.sources for f in s.feeds), *tenant.spec.custom_domain_tables]
    )
    matching = tenant.spec.stitch.matching if stitches else None
    standard = {t.name for t in written_tables(matching)}

    def not_written(table: str) -> str:
        """Why a standard table that this tenant never writes cannot be read."""
        if matching is None:
            return f"{table} is written by Stitch and tenant {tenant.name} stitches nothing"
        written = ", ".join(t.name for t in written_tables(matching) if t.layer == "stitch")
        return f"{table} is not written by {matching} Stitch (its Stitch tables: {written})"

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
        try:
            tables = referenced_tables(query.sql, read="presto", source=str(query.path))
        except SqlError as err:
            issues.append(ConfigIssue(query.path, err.line, "", err.detail))
            continue
        for table in tables:
            if table not in known_tables and table not in database_tables:
                why = f": {not_written(table)}" if is_standard(table) else ""
                issues.append(ConfigIssue(query.path, None, "", f"query {name!r} reads unknown table {table!r}{why}"))

    destinations = {d.name for d in tenant.spec.destinations}
    templates = {t.name for t in tenant.spec.data_templates}
    for oi, orch in enumerate(tenant.spec.orchestrations):
        if orch.query and orch.query not in tenant.queries:
            tenant_issue(("orchestrations", oi, "query"), f"unknown query {orch.query!r}: expected one of {', '.join(sorted(tenant.queries))}")
        if orch.database_table:
            database, _, table = orch.database_table.partition(".")
            if database in databases and is_standard(table) and table not in databases[database]:
                tenant_issue(("orchestrations", oi, "database_table"), f"database table {orch.database_table!r}: {not_written(table)}")
            elif database not in databases or table not in databases[database]:
                tenant_issue(("orchestrations", oi, "database_table"),
                             f"unknown database table {orch.database_table!r}: expected <Database>.<Table>, e.g. Customer_360.Merged_Customers")
        if orch.destination not in destinations:
            tenant_issue(("orchestrations", oi, "destination"), f"unknown destination {orch.destination!r}")
        if orch.template and orch.template not in templates:
            tenant_issue(("orchestrations", oi, "template"), f"unknown data template {orch.template!r}")
        if orch.courier_group and orch.courier_group not in groups:
            tenant_issue(("orchestrations", oi, "courier_group"), f"unknown courier group {orch.courier_group!r}")


def _read_sql(tenant, relative, dialect, owner_file, located, loc, issues, *, allow_tables):
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
    try:
        tables = referenced_tables(text, read=dialect, source=str(path))
    except SqlError as err:
        issues.append(ConfigIssue(path, err.line, "", err.detail))
        return None
    for table in tables:
        if table not in allow_tables:
            issues.append(ConfigIssue(path, None, "", f"reads unknown table {table!r}; known: {', '.join(sorted(allow_tables))}"))
    return tables


def _check_custom_columns(tenant, custom, index, tenant_issue) -> None:
    """A custom domain table's primary key comes from `primary_key` or, failing that, its pk tags."""
    tagged_pk = [column for column, tags in custom.tags.items() if "pk" in tags]
    if not custom.primary_key and not tagged_pk:
        tenant_issue(("custom_domain_tables", index), "a custom domain table needs a primary_key or a column tagged pk")
    elif not custom.primary_key:
        object.__setattr__(custom, "primary_key", tagged_pk)
