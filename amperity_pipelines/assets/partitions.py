"""Daily partitions of a tenant's dated feeds: a partition is a day of file dates.

A feed is partitioned when every courier pattern that feeds it carries a date (`'files/'yyyy...`);
its partition D holds the files dated D. All of a tenant's dated feeds share one definition
(tenant.yaml `partitions:`, start date and time zone) because a Dagster run targets one partition,
or one range of partitions, of one definition: a courier group's run loads several feeds at once.
Feeds without dates, Stitch and everything after it are unpartitioned and read every partition.

Runs over a range of days (a UI backfill, a courier group's lookback window) load the range in
one run (`BackfillPolicy.single_run`); Dagster then marks every day of the range materialized. A
courier's sensor asks for one day per run (the file's date), so there a day with no file stays
missing in the UI.
"""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg

from amperity_pipelines.config.loader import DomainTable, Tenant
from amperity_pipelines.ingest.patterns import FilePattern

DAY_FORMAT = "%Y-%m-%d"


def tenant_partitions(tenant: Tenant) -> dg.DailyPartitionsDefinition | None:
    """The tenant's daily partitions, or None when no feed is dated."""
    if not any(is_partitioned(tenant, table) for table in tenant.domain_tables()):
        return None
    spec = tenant.spec.partitions
    return dg.DailyPartitionsDefinition(
        start_date=spec.start_date.strftime(DAY_FORMAT),
        timezone=tenant.spec.partition_timezone,
        end_offset=1,  # today's files land during today: its partition exists from midnight
        fmt=DAY_FORMAT,
    )


def is_partitioned(tenant: Tenant, table: DomainTable) -> bool:
    """Whether every courier pattern that feeds `table` carries a date (and there is one)."""
    if table.feed is None:
        return False
    patterns = [
        spec.pattern
        for source, courier in tenant.couriers()
        if source.source == table.source
        for spec in courier.files
        if spec.feed == table.feed.name
    ]
    return bool(patterns) and all(FilePattern.compile(pattern).has_date for pattern in patterns)


def partition_tags(first: date, last: date) -> dict[str, str]:
    """Run tags that target the days first..last (inclusive) of a partitioned job."""
    if first == last:
        return {"dagster/partition": first.strftime(DAY_FORMAT)}
    return {
        "dagster/asset_partition_range_start": first.strftime(DAY_FORMAT),
        "dagster/asset_partition_range_end": last.strftime(DAY_FORMAT),
    }


def days_of(window: dg.TimeWindow) -> tuple[date, date]:
    """[start, end) file dates of a run's partition time window (midnights in the partitions' zone)."""
    return window.start.date(), window.end.date()


def partition_keys(partitions: dg.DailyPartitionsDefinition) -> tuple[date, date]:
    """The first and last day the partitions hold now."""
    keys = partitions.get_partition_keys()
    return datetime.strptime(keys[0], DAY_FORMAT).date(), datetime.strptime(keys[-1], DAY_FORMAT).date()
