"""`amperity-pipelines`: everything a user does outside the Dagster UI.

    amperity-pipelines validate [TENANT_DIR]          check a tenant's config, run nothing
    amperity-pipelines list [TENANT_DIR]              what a tenant contains
    amperity-pipelines materialize [TENANT_DIR]       build every asset (or one job) now
    amperity-pipelines query [TENANT_DIR] "SQL"       run Presto SQL and print a table
    amperity-pipelines stitch RECORDS --out DIR       Stitch one file of records
    amperity-pipelines stitch explain DIR A:1 B:2     why two records were (not) stitched
    amperity-pipelines generate-demo OUT              write the demo retailer's landing files
    amperity-pipelines demo                           generate + materialize the demo tenant
    amperity-pipelines serve-reports                  serve reports and Data Docs for the UI's links
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import duckdb

from amperity_pipelines.config.loader import ConfigError, Tenant
from amperity_pipelines.tenant_check import load_tenant

DEFAULT_TENANT = Path(__file__).resolve().parent.parent / "tenants" / "demo"


def _tenant(path: str | None) -> Tenant:
    folder = Path(path) if path else DEFAULT_TENANT
    if not folder.is_dir() and (Path(os.environ.get("AMPERITY_TENANTS", "tenants")) / str(path)).is_dir():
        folder = Path(os.environ.get("AMPERITY_TENANTS", "tenants")) / str(path)
    if not (folder / "tenant.yaml").is_file():
        raise SystemExit(f"error: {folder} is not a tenant folder (no tenant.yaml)")
    return load_tenant(folder)


def _resource(args):
    from amperity_pipelines.definitions import lakehouse_resource

    return lakehouse_resource(root=args.lakehouse, landing_root=args.landing, exports_root=args.exports)


def cmd_validate(args) -> int:
    from amperity_pipelines.tenant_check import validate_tenant

    tenant = _tenant(args.tenant)
    validate_tenant(tenant)  # every column a query or custom table reads exists
    tables = tenant.domain_tables()
    print(
        f"{tenant.folder}: tenant {tenant.name} is valid: {len(tenant.sources)} sources, {len(tables)} domain tables "
        f"({len(tenant.stitched_tables())} stitched), {len(tenant.queries)} queries, "
        f"{len(tenant.spec.orchestrations)} orchestrations"
    )
    return 0


def cmd_list(args) -> int:
    from amperity_pipelines.definitions import build_definitions

    tenant = _tenant(args.tenant)
    print(f"Tenant {tenant.name} ({tenant.folder})")
    print("\nSources and feeds:")
    for source in tenant.sources:
        for feed in source.feeds:
            flag = " [stitch]" if feed.stitch else ""
            print(f"  {source.source}:{feed.name}{flag}  pk={','.join(feed.primary_key)}  fields={len(feed.fields)}")
    print("\nCouriers:")
    for source, courier in tenant.couriers():
        for file in courier.files:
            print(f"  {courier.name}: {courier.location.path}/{file.pattern} -> {source.source}:{file.feed} ({file.format}, {file.operation})")
    if tenant.spec.custom_domain_tables:
        print("\nCustom domain tables:")
        for custom in tenant.spec.custom_domain_tables:
            print(f"  {custom.name}  ({custom.sql}){' [stitch]' if custom.stitch else ''}")
    print("\nCourier groups:")
    for group in tenant.spec.courier_groups:
        print(f"  {group.name}: {group.run_type} at '{group.cron}' {group.timezone}: {', '.join(group.couriers)}")
    print("\nQueries:")
    for name in tenant.queries:
        print(f"  {name}")
    print("\nOrchestrations:")
    for o in tenant.spec.orchestrations:
        print(f"  {o.name}: {o.query or o.database_table} -> {o.destination} ({o.trigger})")
    defs = build_definitions([tenant])
    graph = defs.resolve_asset_graph()
    print(f"\nDagster: {len(graph.get_all_asset_keys())} assets, {len(list(defs.jobs or []))} jobs, "
          f"{len(list(defs.schedules or []))} schedules, {len(list(defs.sensors or []))} sensors")
    if args.assets:
        for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.path):
            print(f"  {'/'.join(key.path)}")
    return 0


def _print_summary(tenant: Tenant, resource, summary) -> None:
    print(f"\n{'Succeeded' if summary.success else 'FAILED'} in {summary.seconds:.1f} s")
    for failure in summary.failures:
        print(f"  error: {failure}")
    for warning in summary.warnings:
        print(f"  warning: {warning}")
    if summary.tables:
        print("\nTables (rows), Delta Lake under " + str(Path(resource.root).absolute() / tenant.name) + ":")
        width = max(len(f"{layer}/{name}") for layer, name, _ in summary.tables)
        for layer, name, rows in summary.tables:
            print(f"  {layer + '/' + name:<{width}}  {rows:>12,}")
    if summary.stitch:
        s = summary.stitch
        print(f"\nStitch: {s['records']:,} records -> {s['amperity_ids']:,} Amperity IDs (dedupe rate {s['dedupe_rate']:.1%})")
    if summary.exports:
        print(f"\nExports ({len(summary.exports)} files):")
        for path in summary.exports:
            print(f"  {path}")


def cmd_materialize(args) -> int:
    from amperity_pipelines.runner import materialize_tenant
    from amperity_pipelines.tenant_check import validate_tenant

    tenant = _tenant(args.tenant)
    validate_tenant(tenant)  # before any run: a missing column fails here, not half way through
    resource = _resource(args)
    window = {k: v for k, v in (("day", args.day), ("start", args.start), ("end", args.end)) if v}
    summary = materialize_tenant(tenant, resource, job=args.job, window=window or None, log_level=args.log_level)
    _print_summary(tenant, resource, summary)
    return 0 if summary.success else 1


def cmd_query(args) -> int:
    from amperity_pipelines.layers.activation import run_sql

    tenant = _tenant(args.tenant)
    source = None  # the file errors name
    if args.name:
        if args.name not in tenant.queries:
            raise SystemExit(f"error: tenant {tenant.name} has no query {args.name!r}; it has {', '.join(sorted(tenant.queries))}")
        sql, source = tenant.queries[args.name].sql, str(tenant.queries[args.name].path)
    elif args.file:
        sql, source = Path(args.file).read_text(encoding="utf-8"), args.file
    elif args.sql:
        sql = args.sql
    else:
        raise SystemExit("error: give SQL, --file FILE or --name QUERY")
    lakehouse = _resource(args).for_tenant(tenant.name)
    result = run_sql(tenant, lakehouse, sql, dialect=args.dialect, limit=args.limit, source=source)
    _print_table(result)
    return 0


def _print_table(table) -> None:
    columns = table.column_names
    rows = [["" if v is None else str(v) for v in row.values()] for row in table.to_pylist()]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(row, widths)))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def cmd_generate_demo(args) -> int:
    from amperity_pipelines.demo.generator import generate_demo_data

    summary = generate_demo_data(Path(args.out), people=args.people, seed=args.seed)
    print(summary)
    return 0


def cmd_stitch(args) -> int:
    from amperity_pipelines.commands import stitch

    def path(value):
        return Path(value) if value else None

    try:
        result = stitch.run(
            Path(args.records),
            Path(args.out),
            config=path(args.config),
            previous=path(args.previous),
            labels=path(args.labels),
            blocklist=path(args.blocklist),
            engine=args.engine,
            run_type=args.run_type,
            error_threshold=args.error_threshold,
        )
    except stitch.StitchInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(stitch.format_summary(result))
    return 0


def cmd_stitch_explain(args) -> int:
    from amperity_pipelines.commands import stitch

    try:
        print(stitch.format_explanation(Path(args.dir), args.record1, args.record2))
    except (stitch.StitchInputError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def cmd_demo(args) -> int:
    from amperity_pipelines.demo.generator import generate_demo_data
    from amperity_pipelines.runner import materialize_tenant

    tenant = _tenant(None)
    resource = _resource(args)
    landing = Path(resource.landing_root) / tenant.name
    params = {"people": args.people, "seed": args.seed}
    marker = landing / ".demo-params.json"
    if marker.is_file() and json.loads(marker.read_text()) == params:
        print(f"Reusing the demo files for {args.people:,} people already in {landing}.", flush=True)
    else:
        if landing.exists():
            # Different data: start the demo tenant over so no rows of the old data set linger.
            print(f"Replacing {landing} and the demo tenant's tables under {resource.root}.", flush=True)
            shutil.rmtree(Path(resource.root) / tenant.name, ignore_errors=True)
            shutil.rmtree(resource.exports_for(tenant.name), ignore_errors=True)
        print(f"Generating the demo retailer's files for {args.people:,} people into {landing} ...", flush=True)
        generate_demo_data(landing, people=args.people, seed=args.seed, overwrite=True)
        marker.write_text(json.dumps(params))
    print(f"Materializing tenant {tenant.name} (domain tables -> Stitch -> customer 360 -> queries -> exports) ...", flush=True)
    summary = materialize_tenant(tenant, resource, log_level=args.log_level)
    _print_summary(tenant, resource, summary)
    if summary.success:
        print("\nNext: `amperity-pipelines query \"SELECT * FROM Customer_360 LIMIT 10\"` or `bash scripts/dagster-dev.sh` for the UI.")
    return 0 if summary.success else 1


def cmd_serve_reports(args) -> int:
    from amperity_pipelines.reports_server import serve

    root = _resource(args).root
    server = serve(root, host=args.host, port=args.port)
    print(f"Serving the Stitch QA reports and Data Docs under {Path(root).absolute()} at http://{args.host}:{args.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def _iso_date(text: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amperity-pipelines", description="An open-source customer data platform.")
    sub = parser.add_subparsers(dest="command", required=True)

    def storage(p):
        p.add_argument("--lakehouse", help="Delta Lake root (default $AMPERITY_LAKEHOUSE or ./lakehouse)")
        p.add_argument("--landing", help="landing root; a tenant's files are under <landing>/<tenant>/ (default ./landing)")
        p.add_argument("--exports", help="filesystem destinations root (default ./exports)")

    p = sub.add_parser("validate", help="validate a tenant's configuration without running anything")
    p.add_argument("tenant", nargs="?", help="tenant folder (default tenants/demo)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("list", help="list a tenant's sources, feeds, couriers, queries, orchestrations and assets")
    p.add_argument("tenant", nargs="?")
    p.add_argument("--assets", action="store_true", help="also list every asset key")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("materialize", help="materialize a tenant's assets (all, or one job)")
    p.add_argument("tenant", nargs="?")
    p.add_argument("--job", help="a job name, e.g. demo__Daily (default: everything)")
    p.add_argument("--day", type=_iso_date, help="load only files dated YYYY-MM-DD")
    p.add_argument("--start", type=_iso_date, help="load files dated from YYYY-MM-DD (inclusive)")
    p.add_argument("--end", type=_iso_date, help="... to YYYY-MM-DD (exclusive)")
    p.add_argument("--log-level", default="CRITICAL", help="Dagster console log level (default: only the progress lines)")
    storage(p)
    p.set_defaults(func=cmd_materialize)

    p = sub.add_parser("query", help="run a Presto SQL query against a tenant and print the result")
    p.add_argument("tenant", nargs="?")
    p.add_argument("sql", nargs="?")
    p.add_argument("--file", help="read the SQL from a file")
    p.add_argument("--name", help="run one of the tenant's saved queries")
    p.add_argument("--dialect", choices=["presto", "spark"], default="presto")
    p.add_argument("--limit", type=int, default=100)
    storage(p)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("generate-demo", help="write the demo retailer's dated landing files")
    p.add_argument("out")
    p.add_argument("--people", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_generate_demo)

    p = sub.add_parser(
        "stitch",
        help="stitch a file of records (Parquet or CSV) into a folder of Stitch tables; `stitch explain` tells why two records were or were not merged",
    )
    p.add_argument("records", help="Parquet or CSV with datasource, pk and profile columns")
    p.add_argument("--out", required=True, help="output folder (replaced only when the run succeeds)")
    p.add_argument("--config", help="stitch.yaml with Stitch settings (threshold, strategies, rules, ...)")
    p.add_argument("--previous", help="an earlier output folder: keep its Amperity IDs and record changes")
    p.add_argument("--labels", help="Stitch labels file (label_id, partition_id, datasource, pk)")
    p.add_argument("--blocklist", help="bad-values blocklist file (datasource, semantic, value)")
    p.add_argument("--run-type", choices=["normal", "incremental", "one-to-one"], help="overrides the config's run_type")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    p.add_argument(
        "--error-threshold",
        help="share of records whose birthdate, create_dt or update_dt may fail to parse (set to NULL and reported) "
        "before the file is refused, e.g. 5%% (default: the config's error_threshold, 1%%)",
    )
    p.set_defaults(func=cmd_stitch)

    p = sub.add_parser("serve-reports", help="serve the lakehouse's Stitch QA reports and Data Docs so links in the UI open")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3001)
    storage(p)
    p.set_defaults(func=cmd_serve_reports)

    p = sub.add_parser("demo", help="generate the demo data and materialize the demo tenant end to end")
    p.add_argument("--people", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--log-level", default="CRITICAL", help="Dagster console log level (default: only the progress lines)")
    storage(p)
    p.set_defaults(func=cmd_demo)
    return parser


def explain_parser() -> argparse.ArgumentParser:
    """`stitch explain` has its own parser: `stitch`'s positional is a records file."""
    parser = argparse.ArgumentParser(
        prog="amperity-pipelines stitch explain",
        description="Why two records were or were not stitched: each feature's contribution, the rule that fired, the path.",
    )
    parser.add_argument("dir", help="a `stitch --out` folder")
    parser.add_argument("record1", metavar="SOURCE1:PK1")
    parser.add_argument("record2", metavar="SOURCE2:PK2")
    parser.set_defaults(func=cmd_stitch_explain, command="stitch-explain")
    return parser


def _is_folder(text: str) -> bool:
    try:
        return Path(text).is_dir()
    except (OSError, ValueError):  # SQL longer than a file name can be, or with a NUL
        return False


def parse_args(argv: list[str]) -> argparse.Namespace:
    if argv[:2] == ["stitch", "explain"]:
        return explain_parser().parse_args(argv[2:])
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "command", None) == "query":
        # `query TENANT --lakehouse X "SQL"`: argparse hands out positionals before the options
        # only, so the SQL after them comes back unparsed.
        if args.sql is None and len(extra) == 1 and not extra[0].startswith("-"):
            args.sql, extra = extra[0], []
        # A lone positional to `query` is the SQL, not a tenant folder.
        if args.tenant and args.sql is None and not _is_folder(args.tenant):
            args.sql, args.tenant = args.tenant, None
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        code = args.func(args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        code = 2
    except SystemExit as err:
        if isinstance(err.code, str):
            print(err.code, file=sys.stderr)
        code = err.code if isinstance(err.code, int) else 2
    except (ValueError, FileNotFoundError, duckdb.Error) as err:
        # User errors (bad SQL, missing tables, bad files) get one clear line, not a traceback.
        print(f"error: {err}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # delta-rs and pyarrow threads can abort or hang the interpreter at exit after all work has
    # finished (stack notes); the work is done and flushed, so leave without running finalizers.
    os._exit(code)


if __name__ == "__main__":
    main()
