"""Landing files for the demo tenant (tenants/demo), plus the truth needed to grade Stitch.

    python -m amperity_pipelines.demo.generator OUT --people 5000 --seed 7

writes OUT/<courier location>/... for every courier of tenants/demo/sources/*.yaml, one or more
files per feed per day for `days` days from `start`, and OUT/_truth/:

- people.parquet: datasource ("POS:Customers"), pk, person_id, household_id for every profile
  record, so a Stitch run can be scored (same person_id = should share an Amperity ID);
- orders.parquet: datasource, order_id, person_id for every order.

The same arguments always give the same bytes. Vectorised throughout: people=1_000_000 (about
2M profile records and, with --order-lines-per-person 10, 10M order lines) takes minutes.
No Dagster import, so any wrapper (CLI, job, test) can call `generate_demo_data`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from amperity_pipelines.demo.files import LAYOUT_BY_FEED, TOP_LEVEL_FOLDERS, write_file
from amperity_pipelines.demo.orders import build_orders
from amperity_pipelines.demo.population import build_people
from amperity_pipelines.demo.profiles import (
    Calendar, FeedRows, ecommerce_accounts, esp_subscribers, loyalty_members, pos_customers,
)

DEFAULT_START = date(2026, 11, 25)


@dataclass(frozen=True)
class DemoSummary:
    out_dir: Path
    people: int
    seed: int
    start: date
    days: int
    rows: dict[str, int]
    """Rows written per feed (`Source:Feed`), re-sent records included."""
    records: dict[str, int]
    """Distinct primary keys per profile feed."""
    files: tuple[str, ...]
    """Files written, relative to out_dir (truth files included)."""
    bytes_written: int
    seconds: float

    def describe(self) -> str:
        lines = [f"demo data for {self.people:,} people (seed {self.seed}), {self.days} day(s) from "
                 f"{self.start:%Y-%m-%d} in {self.out_dir}"]
        lines += [f"  {feed:<22} {rows:>12,} rows" + (f" ({self.records[feed]:,} records)" if feed in self.records else "")
                  for feed, rows in self.rows.items()]
        lines.append(f"  {len(self.files)} files, {self.bytes_written / 1e6:,.1f} MB in {self.seconds:.1f} s")
        return "\n".join(lines)


def generate_demo_data(
    out_dir: Path,
    *,
    people: int = 5000,
    seed: int = 7,
    start: date = DEFAULT_START,
    days: int = 3,
    order_lines_per_person: float = 4.0,
    overwrite: bool = False,
) -> DemoSummary:
    """Write the demo landing files into out_dir; see the module docstring for the layout.

    order_lines_per_person: mean order lines per person of the population (buyers are ~80% of
    it), so the feeds hold about people * order_lines_per_person lines in all.
    overwrite: replace the generator's own folders in a non-empty out_dir instead of refusing.
    """
    began = time.perf_counter()
    if people < 1 or days < 1:
        raise ValueError("people and days must be at least 1")
    out_dir = Path(out_dir)
    _prepare(out_dir, overwrite=overwrite)
    calendar = Calendar(start, days)

    population = build_people(_rng(seed, "people"), people, start)
    loyalty, cards = loyalty_members(_rng(seed, "loyalty"), population, calendar)
    pos = pos_customers(_rng(seed, "pos"), population, calendar, cards)
    accounts = ecommerce_accounts(_rng(seed, "ecommerce"), population, calendar)
    subscribers = esp_subscribers(_rng(seed, "esp"), population, calendar)
    buyers = max(1, int(np.count_nonzero(np.isin(np.arange(people), np.concatenate([
        pos.truth.column("person_id").to_numpy(), accounts.truth.column("person_id").to_numpy()])))))
    transactions, orders, order_lines, order_truth = build_orders(
        _rng(seed, "orders"), population, calendar, pos, accounts,
        lines_per_buyer=order_lines_per_person * people / buyers,
    )

    profile_feeds = (pos, accounts, loyalty, subscribers)
    feeds = (pos, transactions, accounts, orders, order_lines, loyalty, subscribers)
    # Arrow's CSV writer, zlib and the JSON kernels release the GIL, so feeds write in parallel.
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        results = list(pool.map(lambda feed: list(_write_feed(out_dir, feed, calendar)), feeds))
    written = [relative for result in results for relative, _ in result]
    size = sum(nbytes for result in results for _, nbytes in result)
    truth_dir = out_dir / "_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, table in (("people", pa.concat_tables([f.truth for f in profile_feeds])), ("orders", order_truth)):
        path = truth_dir / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd")
        written.append(path.relative_to(out_dir).as_posix())
        size += path.stat().st_size

    return DemoSummary(
        out_dir=out_dir, people=people, seed=seed, start=start, days=days,
        rows={f.feed: f.table.num_rows for f in feeds},
        records={f.feed: f.truth.num_rows for f in profile_feeds},
        files=tuple(written), bytes_written=size, seconds=time.perf_counter() - began,
    )


def _rng(seed: int, component: str) -> np.random.Generator:
    """An independent stream per component, so changing one feed leaves the others' bytes alone."""
    return np.random.default_rng([seed, zlib.crc32(component.encode())])


def _prepare(out_dir: Path, *, overwrite: bool) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out_dir} is not empty: pass overwrite=True (--overwrite) to replace the demo files")
        for name in TOP_LEVEL_FOLDERS:
            shutil.rmtree(out_dir / name, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)


def _write_feed(out_dir: Path, feed: FeedRows, calendar: Calendar):
    """Write a feed's files; a day without rows still gets one (empty) file, as a fileset expects."""
    layout = LAYOUT_BY_FEED[feed.feed]
    days_written = set()
    for day, part, table in feed.files():
        path = layout.path(calendar.start + timedelta(days=day), part)
        days_written.add(day)
        yield path, write_file(layout, table, out_dir / path, calendar.start + timedelta(days=day))
    for day in sorted(set(range(calendar.days)) - days_written):
        path = layout.path(calendar.start + timedelta(days=day), feed.part_labels.get(0, "001"))
        yield path, write_file(layout, feed.table.slice(0, 0), out_dir / path, calendar.start + timedelta(days=day))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m amperity_pipelines.demo.generator",
        description="Write the demo tenant's landing files (and _truth/) into OUT.",
    )
    parser.add_argument("out", type=Path, help="landing folder of the demo tenant")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START, help="first file date, YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--order-lines-per-person", type=float, default=4.0,
                        help="mean order lines per person (total lines ~ people x this)")
    parser.add_argument("--overwrite", action="store_true", help="replace earlier demo files in OUT")
    args = parser.parse_args(argv)
    summary = generate_demo_data(
        args.out, people=args.people, seed=args.seed, start=args.start, days=args.days,
        order_lines_per_person=args.order_lines_per_person, overwrite=args.overwrite,
    )
    print(summary.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
