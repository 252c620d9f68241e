"""Splink 4 on Stitch records, configured as Splink's own tutorials do, in a child process.

    .venv/bin/python bench/stitch/run_splink.py RECORDS.parquet --out DIR --profile febrl3|febrl4|multisource

writes DIR/clusters.parquet (datasource, pk, cluster_id), DIR/run.json (seconds per stage,
scored pairs) and DIR/model.json (the trained model: m and u per comparison level). `run_splink(...)` runs that as a child process and measures it.

The configuration follows the DuckDB examples of the Splink 4 docs, mapped onto the Stitch
columns (address = street number + street, postal = postcode, birthdate = date_of_birth):
- febrl3: docs/demos/examples/duckdb/febrl3 (dedupe_only): NameComparison on both names,
  DateOfBirthComparison, exact street/postcode with term frequencies; blocking on given name,
  surname, date of birth, postcode; prior from deterministic rules (recall 0.9); u from random
  sampling (1e6 pairs); EM blocked on date of birth, then postcode; predict at 0.2.
- febrl4: docs/demos/examples/duckdb/febrl4 (link_only A to B), the "detailed" model: names with
  term frequencies, DateOfBirthComparison, DamerauLevenshtein on postcode; the tutorial's
  blocking rules; prior with recall 0.8; EM on date of birth and postcode; predict at 0.2.
- multisource: docs/demos/examples/duckdb/deduplicate_50k_synthetic (dedupe_only) with the
  columns this data has: names, birthdate, postcode, plus EmailComparison and exact phone and
  loyalty ID, address by Jaro-Winkler; the tutorial's blocking rules plus email and phone; u from
  1e7 sampled pairs; EM on (given name, surname) then birthdate.
The soc_sec_id comparison and blocking rules of the Febrl tutorials are left out with the column.
Every profile clusters with `cluster_pairwise_predictions_at_threshold` at 0.95 (the 50k
tutorial's value; `--threshold` changes it).

Data preparation is what a Splink user would do first (the tutorials' data come clean): text
trimmed and lower-cased, emails lower-cased, phones reduced to their last 10 digits, ZIP+4 cut
to the ZIP, and a full_name split into given name and surname where those are empty.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROFILES = ("febrl3", "febrl4", "multisource")
DEFAULT_THRESHOLD = 0.95
PREDICT_THRESHOLD = 0.2
SEED = 2


@dataclass(frozen=True)
class SplinkRun:
    clusters: "pa.Table"  # noqa: F821 - datasource, pk, cluster_id
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    stages: dict


def splink_available() -> str | None:
    """Splink's version when it can be imported by this interpreter, else None."""
    try:
        from importlib.metadata import version

        import splink  # noqa: F401

        return version("splink")
    except Exception:  # noqa: BLE001 - any import failure means "not installed properly"
        return None


def run_splink(records: Path, out_dir: Path, *, profile: str, threshold: float = DEFAULT_THRESHOLD, python: str | None = None) -> SplinkRun:
    """Run Splink on `records` in a child process; its clusters, time and peak memory."""
    import pyarrow.parquet as pq

    from bench.stitch.measure import run_measured, tail

    command = [python or sys.executable, str(Path(__file__).resolve()), str(records), "--out", str(out_dir),
               "--profile", profile, "--threshold", str(threshold)]
    figures = run_measured(command, log=out_dir / "splink.log", cwd=REPO)
    if figures.exit_code:
        raise RuntimeError(f"Splink failed (exit {figures.exit_code}); last lines of {figures.log}:\n{tail(figures.log)}")
    return SplinkRun(
        clusters=pq.read_table(out_dir / "clusters.parquet"),
        wall_seconds=figures.wall_seconds,
        cpu_seconds=figures.cpu_seconds,
        peak_rss_mib=figures.peak_rss_mib,
        stages=json.loads((out_dir / "run.json").read_text()),
    )


# --- the child ---------------------------------------------------------------------------------


def _prepare_sql(columns: list[str]) -> str:
    """Stitch records -> Splink input: unique_id, cleaned text columns."""

    def text(column: str) -> str:
        return f"nullif(lower(trim(CAST({column} AS VARCHAR))), '')" if column in columns else "CAST(NULL AS VARCHAR)"

    full = text("full_name")
    given = f"coalesce({text('given_name')}, CASE WHEN {text('surname')} IS NULL THEN nullif(split_part({full}, ' ', 1), '') END)"
    surname = (
        f"coalesce({text('surname')}, CASE WHEN {text('given_name')} IS NULL AND strpos({full}, ' ') > 0 "
        f"THEN nullif(regexp_extract({full}, '([^ ]+)$', 1), '') END)"
    )
    phone = f"nullif(right(regexp_replace(coalesce({text('phone')}, ''), '[^0-9]', '', 'g'), 10), '')"
    birthdate = "TRY_CAST(birthdate AS DATE)" if "birthdate" in columns else "CAST(NULL AS DATE)"
    return f"""
        SELECT
          datasource || ':' || pk AS unique_id,
          datasource, pk,
          {given} AS given_name,
          {surname} AS surname,
          {birthdate} AS birthdate,
          {text('email')} AS email,
          {phone} AS phone,
          {text('address')} AS address,
          {text('city')} AS city,
          {text('state')} AS state,
          left({text('postal')}, 5) AS postal,  -- ZIP+4 -> ZIP; 4-digit postcodes unchanged
          {text('loyalty_id')} AS loyalty_id
        FROM records
    """


def _profile(profile: str):
    """(settings keyword arguments, deterministic rules and recall, u max pairs, EM blocking rules)."""
    import splink.comparison_library as cl
    from splink import block_on

    names = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
    ]
    dob = cl.DateOfBirthComparison("birthdate", input_is_string=False, invalid_dates_as_null=True)
    swapped = "l.given_name = r.surname and l.surname = r.given_name"
    if profile == "febrl3":
        settings = dict(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("given_name"), block_on("surname"), block_on("birthdate"), block_on("postal"),
            ],
            comparisons=[
                *names, dob,
                cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
                cl.ExactMatch("postal").configure(term_frequency_adjustments=True),
            ],
        )
        prior = ([block_on("given_name", "surname", "birthdate"), f"{swapped} and l.birthdate = r.birthdate"], 0.9)
        return settings, prior, 1e6, [block_on("birthdate"), block_on("postal")]
    if profile == "febrl4":
        settings = dict(
            link_type="link_only",
            blocking_rules_to_generate_predictions=[
                block_on("given_name", "surname"), swapped, block_on("birthdate"),
                block_on("state", "address"), block_on("postal"),
            ],
            comparisons=[
                *names, dob,
                cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
                cl.DamerauLevenshteinAtThresholds("postal", [1, 2]).configure(term_frequency_adjustments=True),
            ],
        )
        prior = ([block_on("given_name", "surname", "birthdate")], 0.8)
        return settings, prior, 1e6, [block_on("birthdate"), block_on("postal")]
    if profile == "multisource":
        settings = dict(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("substr(given_name,1,3)", "substr(surname,1,4)"),
                block_on("surname", "birthdate"),
                block_on("given_name", "birthdate"),
                block_on("postal", "given_name"),
                block_on("postal", "surname"),
                block_on("email"),
                block_on("phone"),
                block_on("loyalty_id"),
            ],
            comparisons=[
                *names, dob,
                cl.EmailComparison("email"),
                cl.ExactMatch("phone"),
                cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
                cl.ExactMatch("postal").configure(term_frequency_adjustments=True),
                cl.ExactMatch("loyalty_id"),
            ],
        )
        prior = (
            [block_on("given_name", "surname", "birthdate"), block_on("email"), block_on("given_name", "surname", "phone")],
            0.6,
        )
        return settings, prior, 1e7, [block_on("given_name", "surname"), block_on("birthdate")]
    raise ValueError(f"unknown profile {profile!r}: expected one of {', '.join(PROFILES)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Splink (DuckDB backend) on Stitch records; writes clusters.parquet")
    parser.add_argument("records", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--profile", choices=PROFILES, required=True)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="cluster at this match probability")
    args = parser.parse_args(argv)

    stages: dict[str, float] = {}
    began = last = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        stages[name] = round(now - last, 3)
        last = now

    import duckdb
    import pyarrow.parquet as pq
    from splink import DuckDBAPI, Linker, SettingsCreator

    stage("import")
    args.out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"CREATE VIEW records AS SELECT * FROM read_parquet('{args.records}')")
    columns = [c for c in con.sql("SELECT * FROM records LIMIT 0").columns]
    con.execute(f"CREATE TABLE splink_input AS {_prepare_sql(columns)}")
    settings_kwargs, (rules, recall), u_pairs, em_rules = _profile(args.profile)
    if settings_kwargs["link_type"] == "link_only":
        sources = [row[0] for row in con.sql("SELECT DISTINCT datasource FROM splink_input ORDER BY 1").fetchall()]
        tables = []
        for k, source in enumerate(sources):
            con.execute(f"CREATE TABLE splink_input_{k} AS SELECT * FROM splink_input WHERE datasource = ?", [source])
            tables.append(f"splink_input_{k}")
        aliases = sources
    else:
        tables, aliases = "splink_input", None
    stage("prepare")

    settings = SettingsCreator(unique_id_column_name="unique_id", retain_intermediate_calculation_columns=False, **settings_kwargs)
    linker = Linker(tables, settings, DuckDBAPI(connection=con), input_table_aliases=aliases)
    linker.training.estimate_probability_two_random_records_match(rules, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=SEED)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    stage("train")
    linker.misc.save_model_to_json(str(args.out / "model.json"), overwrite=True)  # m/u per level, for inspection
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    scored = con.sql(f"SELECT count(*) FROM {predictions.physical_name}").fetchone()[0]
    stage("predict")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=args.threshold)
    result = con.sql(
        f"""
        SELECT i.datasource, i.pk, c.cluster_id
        FROM {clusters.physical_name} c JOIN splink_input i ON i.unique_id = c.unique_id
        """
    ).to_arrow_table()
    stage("cluster")
    if result.num_rows != con.sql("SELECT count(*) FROM splink_input").fetchone()[0]:
        raise SystemExit(f"Splink clustered {result.num_rows} records of a different number of inputs")
    pq.write_table(result, args.out / "clusters.parquet")
    run = {
        "profile": args.profile,
        "threshold": args.threshold,
        "predict_threshold": PREDICT_THRESHOLD,
        "pairs_above_predict_threshold": scored,
        "seconds": round(time.perf_counter() - began, 3),
        "stages": stages,
    }
    (args.out / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    print(json.dumps(run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
