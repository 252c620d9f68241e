"""The demo data generator writes what tenants/demo says it will receive: files at the courier
patterns, columns the feeds declare, values that parse with the feed types (bar a few planted bad
rows under each error threshold), identical bytes for identical arguments, and a truth table
covering every record."""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import re
import zipfile
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from amperity_pipelines.config.models import FileSpec, SourceSpec
from amperity_pipelines.demo.generator import generate_demo_data, main
from amperity_pipelines.demo.population import build_people

TENANT = Path(__file__).resolve().parents[2] / "tenants" / "demo"
PEOPLE = 500
SEED = 11
START = date(2026, 11, 25)
DAYS = 3
RUN_DAYS = [START + timedelta(days=i) for i in range(DAYS)]

_JODA_DATE = {"yyyy": "%Y", "MM": "%m", "dd": "%d"}
_JODA_PARSE = {
    "yyyy": "%Y", "MMM": "%b", "MM": "%m", "M": "%m", "dd": "%d", "d": "%d", "HH": "%H", "hh": "%I",
    "h": "%I", "mm": "%M", "ss": "%S", "SSS": "%f", "a": "%p", "Z": "%z",
}


def _joda_tokens(pattern: str):
    """(is_literal, text) pieces of a Joda pattern: quoted text and non-letters are literal."""
    for match in re.finditer(r"'(?P<quoted>[^']*)'|(?P<letters>([A-Za-z])\3*)|(?P<other>.)", pattern):
        if match.group("letters"):
            yield False, match.group("letters")
        else:
            yield True, match.group("quoted") if match.group("quoted") is not None else match.group("other")


def pattern_regex(pattern: str, day: date) -> re.Pattern:
    """A courier file pattern for one day as a regex (`*` matches up to the next /)."""
    out = []
    for literal, text in _joda_tokens(pattern):
        if literal:
            out.append("[^/]*".join(re.escape(part) for part in text.split("*")))
        else:
            out.append(re.escape(day.strftime(_JODA_DATE[text])))
    return re.compile("".join(out) + r"\Z")


def joda_strptime(value: str, pattern: str) -> datetime:
    fmt = "".join(text if literal else _JODA_PARSE[text] for literal, text in _joda_tokens(pattern))
    return datetime.strptime(value, fmt)


@functools.cache
def _sources() -> tuple[SourceSpec, ...]:
    return tuple(SourceSpec.model_validate(yaml.safe_load(p.read_text())) for p in sorted((TENANT / "sources").glob("*.yaml")))


def _file_specs():
    """(source, courier, file spec, feed spec) for every file of every courier."""
    for source in _sources():
        feeds = {f.name: f for f in source.feeds}
        for courier in source.couriers:
            for spec in courier.files:
                yield source, courier, spec, feeds[spec.feed]


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            (member,) = archive.namelist()
            data = archive.read(member)
    return data.decode("utf-8")


def read_rows(path: Path, spec: FileSpec) -> list[dict[str, str | None]]:
    """Rows of a landing file as text (empty and absent values as None), per the file spec."""
    text = read_text(path)
    if spec.format == "ndjson":
        rows = [json.loads(line, parse_float=str, parse_int=str) for line in text.splitlines() if line]
    elif spec.format == "json":
        rows = json.loads(text, parse_float=str, parse_int=str)
    else:
        quoting = csv.QUOTE_NONE if spec.separator != "," else csv.QUOTE_MINIMAL
        rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=spec.separator, quoting=quoting))
    return [{k: (None if v in ("", None) else str(v)) for k, v in row.items()} for row in rows]


def parses(value: str, field_type: str, fmt: str | None) -> bool:
    try:
        if field_type in ("Date", "Datetime"):
            joda_strptime(value, fmt)
        elif field_type == "Integer":
            int(value)
        elif field_type.startswith("Decimal"):
            return re.fullmatch(r"-?\d+(\.\d{1,2})?", value) is not None
        elif field_type == "Boolean":
            return value.lower() in {"true", "false", "t", "f", "y", "n", "yes", "no", "1", "0"}
        return True
    except ValueError:
        return False


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "landing"
    summary = generate_demo_data(out, people=PEOPLE, seed=SEED, start=START, days=DAYS)
    assert summary.rows["POS:Transactions"] > 0
    return out


@pytest.fixture(scope="module")
def files_by_spec(landing) -> dict[tuple[str, str, str], list[tuple[date, Path]]]:
    """(courier, feed, pattern) -> [(run day, file)], asserting each file matches exactly one."""
    matches = defaultdict(list)
    specs = list(_file_specs())
    for path in sorted(p for p in landing.rglob("*") if p.is_file() and "_truth" not in p.parts):
        hits = []
        for _source, courier, spec, _feed in specs:
            folder = landing / courier.location.path
            if folder not in path.parents:
                continue
            relative = path.relative_to(folder).as_posix()
            hits += [((courier.name, spec.feed, spec.pattern), day) for day in RUN_DAYS
                     if pattern_regex(spec.pattern, day).match(relative)]
        assert len({key for key, _ in hits}) == 1 and len(hits) == 1, f"{path} matched {hits}"
        key, day = hits[0]
        matches[key].append((day, path))
    return matches


def _feed_rows(files_by_spec, feed_name: str):
    """(day, file, row) for every row of a domain table's feed."""
    for (courier, feed, pattern), files in files_by_spec.items():
        spec, feed_spec = next((s, f) for _, c, s, f in _file_specs() if c.name == courier and s.pattern == pattern)
        if f"{_source_of(courier)}:{feed}" == feed_name:
            for day, path in files:
                for row in read_rows(path, spec):
                    yield day, path, row, feed_spec


def _source_of(courier_name: str) -> str:
    return next(s.source for s in _sources() for c in s.couriers if c.name == courier_name)


def test_every_file_spec_gets_at_least_one_file_every_run_day(files_by_spec):
    for _source, courier, spec, _feed in _file_specs():
        days = {day for day, _ in files_by_spec[(courier.name, spec.feed, spec.pattern)]}
        assert days == set(RUN_DAYS), f"{courier.name} {spec.pattern}: files for {sorted(days)}"


def test_pos_sends_several_files_a_day(files_by_spec):
    sales = files_by_spec[("POS_Transactions", "Transactions", next(
        s.pattern for _, c, s, _ in _file_specs() if c.name == "POS_Transactions"))]
    per_day = Counter(day for day, _ in sales)
    assert all(per_day[day] >= 3 for day in RUN_DAYS), per_day


def test_files_have_the_declared_columns_and_values_parse_with_the_feed_types(files_by_spec):
    bad_rows: Counter[str] = Counter()
    for source, courier, spec, feed in _file_specs():
        declared = {f.file_column: f for f in feed.fields}
        for _day, path in files_by_spec[(courier.name, spec.feed, spec.pattern)]:
            rows = read_rows(path, spec)
            if spec.format in ("csv", "tsv", "psv"):
                assert read_text(path).split("\n", 1)[0].split(spec.separator) == list(declared)
            bad = 0
            for row in rows:
                assert set(row) <= set(declared), set(row) - set(declared)
                assert all(row.get(feed.field(k).file_column) for k in feed.primary_key), row
                bad += any(value is not None and not parses(value, declared[column].type, declared[column].format)
                           for column, value in row.items())
            assert bad <= len(rows) * feed.error_threshold, f"{path}: {bad} bad rows of {len(rows)}"
            bad_rows[f"{source.source}:{feed.name}"] += bad
    assert bad_rows["POS:Transactions"] >= 1 and bad_rows["POS:Customers"] >= 1, bad_rows
    assert sum(bad_rows.values()) == bad_rows["POS:Transactions"] + bad_rows["POS:Customers"], bad_rows


def test_truth_covers_every_record_and_order(landing, files_by_spec):
    truth = pq.read_table(landing / "_truth" / "people.parquet").to_pylist()
    truth_keys = {(t["datasource"], t["pk"]) for t in truth}
    assert len(truth_keys) == len(truth)
    stitched = [f"{s.source}:{f.name}" for s in _sources() for f in s.feeds if f.stitch]
    seen = set()
    for name in stitched:
        for _day, _path, row, feed in _feed_rows(files_by_spec, name):
            seen.add((name, row[feed.field(feed.primary_key[0]).file_column]))
    assert seen == truth_keys

    orders = pq.read_table(landing / "_truth" / "orders.parquet").to_pylist()
    order_keys = {(o["datasource"], o["order_id"]) for o in orders}
    seen_orders = {(name, row["order_id"]) for name in ("POS:Transactions", "Ecommerce:Orders")
                   for _d, _p, row, _f in _feed_rows(files_by_spec, name)}
    assert seen_orders == order_keys


def test_later_days_resend_records_with_a_newer_update_time(files_by_spec):
    feed_name = "POS:Customers"
    stamps = defaultdict(list)
    for day, _path, row, feed in _feed_rows(files_by_spec, feed_name):
        stamps[row["CUST_ID"]].append((day, joda_strptime(row["UPDATED"], feed.field("updated_at").format)))
    resent = {pk: sorted(v) for pk, v in stamps.items() if len({d for d, _ in v}) > 1}
    assert resent, "no record was re-sent on a later day"
    for versions in resent.values():
        assert [t for _, t in versions] == sorted(t for _, t in versions)


def test_people_overlap_across_sources_in_realistic_proportions(landing):
    truth = pq.read_table(landing / "_truth" / "people.parquet").to_pylist()
    sources_of = defaultdict(set)
    for row in truth:
        sources_of[row["person_id"]].add(row["datasource"].split(":")[0])
    per_source = Counter(row["datasource"] for row in truth)
    assert 0.5 * PEOPLE < per_source["POS:Customers"] < 0.75 * PEOPLE
    assert 0.25 * PEOPLE < per_source["Loyalty:Members"] < 0.45 * PEOPLE
    in_all = sum(len(s) == 4 for s in sources_of.values()) / PEOPLE
    assert 0.01 < in_all < 0.15
    households = Counter(row["household_id"] for row in truth if row["datasource"] == "POS:Customers")
    assert max(households.values()) >= 2


def test_pii_is_messy_the_way_real_sources_are(files_by_spec):
    phones, emails, names = Counter(), Counter(), set()
    for name in ("POS:Customers", "Loyalty:Members", "Ecommerce:Accounts"):
        for _d, _p, row, feed in _feed_rows(files_by_spec, name):
            phone = row.get(feed.field("phone").file_column)
            if phone:
                phones[re.sub(r"\d", "9", phone)] += 1
            email = row.get(feed.field("email").file_column)
            emails[email] += 1
    assert len([shape for shape, count in phones.items() if count >= 5]) >= 4, phones
    assert any(e in emails for e in ("test@test.com", "noemail@noemail.com", "none@none.com", "N/A"))
    assert any(e and e.isupper() for e in emails)
    assert any(e and "+shop@" in e for e in emails) or PEOPLE < 1000


def test_population_has_households_nicknames_and_a_junior_senior_pair():
    people = build_people(np.random.default_rng(3), 3000, START)
    sons = np.flatnonzero(people.suffix == 1)
    assert len(sons) >= 1
    for son in sons:
        father = np.flatnonzero((people.household == people.household[son]) & (people.suffix == 2))
        assert len(father) == 1
        assert people.given[father[0]] == people.given[son] and people.surname[father[0]] == people.surname[son]
        assert people.birth_day[father[0]] < people.birth_day[son] - 16 * 365
    assert (people.maiden >= 0).any() and (people.moved_at > np.iinfo(np.int64).min).any()


def test_same_arguments_give_the_same_bytes(landing, tmp_path):
    again = tmp_path / "again"
    generate_demo_data(again, people=PEOPLE, seed=SEED, start=START, days=DAYS)
    first = {p.relative_to(landing): p.read_bytes() for p in landing.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_another_seed_gives_other_people_and_a_full_folder_is_refused(landing, tmp_path):
    other = tmp_path / "other"
    generate_demo_data(other, people=PEOPLE, seed=SEED + 1, start=START, days=DAYS)
    name = "pos/customers/2026/11/25/customers-001.csv"
    assert (other / name).read_bytes() != (landing / name).read_bytes()
    with pytest.raises(FileExistsError):
        generate_demo_data(other, people=PEOPLE, seed=SEED, start=START, days=DAYS)


def test_cli_writes_the_same_files(landing, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main([str(out), "--people", str(PEOPLE), "--seed", str(SEED), "--days", str(DAYS)]) == 0
    assert "POS:Transactions" in capsys.readouterr().out
    assert (out / "_truth" / "people.parquet").read_bytes() == (landing / "_truth" / "people.parquet").read_bytes()


def test_every_declared_field_is_filled_somewhere(files_by_spec):
    rare = {"suffix"}  # Jr/Sr pairs are one in a thousand people: absent at this size
    for _source, courier, spec, feed in _file_specs():
        filled = set()
        for _day, path in files_by_spec[(courier.name, spec.feed, spec.pattern)]:
            for row in read_rows(path, spec):
                filled |= {column for column, value in row.items() if value is not None}
        unfilled = {f.name for f in feed.fields if f.file_column not in filled} - rare
        assert not unfilled, f"{feed.name}: {unfilled}"
