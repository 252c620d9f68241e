"""The four customer-profile feeds: POS:Customers, Ecommerce:Accounts, Loyalty:Members, ESP:Subscribers.

Each source holds a share of the people (some twice: duplicate sign-ups), created at some point
in its history. Day 0 of the run is a backfill of every record; each later day sends the
records created that day plus re-sends of older ones with a newer update time and the person's
current details (moved address, married name, latest email), which exercises upserts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amperity_pipelines.demo import reference_data as ref
from amperity_pipelines.demo.pii import Pii, SourceStyle, Variation, choose_slot, latest_slot, render_pii
from amperity_pipelines.demo.population import DAY, YEAR_DAYS, People
from amperity_pipelines.demo.text import (
    digits, format_dates, join, mask_null, pick_from, strftime, us_short_datetime, utc_seconds, where,
)

ZONE = "America/Los_Angeles"


@dataclass(frozen=True)
class Calendar:
    start: date
    days: int

    @property
    def start_s(self) -> int:
        return (self.start - date(1970, 1, 1)).days * DAY

    def day_of(self, seconds: np.ndarray) -> np.ndarray:
        """Run day (0 = start) on which a record stamped `seconds` is sent; history goes on day 0."""
        return np.clip((seconds - self.start_s) // DAY, 0, self.days - 1)


@dataclass(frozen=True)
class FeedRows:
    """Rows of one feed as written (string columns), with the run day and file each row goes to."""

    feed: str
    table: pa.Table
    day: np.ndarray
    truth: pa.Table
    """Profile feeds: datasource, pk, person_id, household_id, one row per record (primary key)."""
    part: np.ndarray | None = None
    """File within the day, for feeds sending several files a day; None for one file a day."""
    part_labels: dict[int, str] = field(default_factory=dict)
    """A part's name in its file name; default the part number from 001."""
    created: np.ndarray | None = None
    """Profile feeds: when each record (truth row) was created, wall-clock seconds."""

    def files(self) -> Iterator[tuple[int, str, pa.Table]]:
        """(day, part label, rows) per file, rows in feed order within each file."""
        part = self.part if self.part is not None else np.zeros(len(self.day), np.int64)
        order = np.lexsort((part, self.day))
        cuts = np.flatnonzero((np.diff(self.day[order]) != 0) | (np.diff(part[order]) != 0)) + 1
        for rows in np.split(order, cuts) if len(order) else []:
            number = int(part[rows[0]])
            yield int(self.day[rows[0]]), self.part_labels.get(number, f"{number + 1:03d}"), self.table.take(pa.array(rows))


@dataclass(frozen=True)
class Versions:
    """Every time a record is sent: which record, on which day, stamped with which update time."""

    record: np.ndarray
    day: np.ndarray
    updated: np.ndarray
    resend: np.ndarray


def draw_records(rng, people: People, cal: Calendar, *, share: float, duplicate: float, years: float):
    """Which people a source knows (duplicates included) and when each record was created, oldest first."""
    person = np.flatnonzero(rng.random(people.n) < share)
    person = np.concatenate([person, person[rng.random(len(person)) < duplicate]])
    created = cal.start_s - (rng.random(len(person)) * years * YEAR_DAYS * DAY).astype(np.int64)
    adult = (people.birth_day[person] + int(16 * YEAR_DAYS)) * DAY
    created = np.maximum(created, np.minimum(adult, cal.start_s - DAY) + rng.integers(0, DAY, len(person)))
    new_today = rng.random(len(person)) < 0.02 * cal.days
    created[new_today] = (cal.start_s + rng.integers(0, cal.days, new_today.sum()) * DAY
                          + rng.integers(8 * 3600, 21 * 3600, new_today.sum()))
    order = np.argsort(created, kind="stable")
    return person[order], created[order]


def schedule(rng, created: np.ndarray, cal: Calendar, *, resend: float = 0.04) -> Versions:
    n = len(created)
    edited = (created < cal.start_s) & (rng.random(n) < 0.3)
    updated = np.where(edited, created + (rng.random(n) * (cal.start_s - created)).astype(np.int64), created)
    parts = [Versions(np.arange(n), cal.day_of(created), updated, np.zeros(n, bool))]
    for day in range(1, cal.days):
        chosen = np.flatnonzero((cal.day_of(created) < day) & (rng.random(n) < resend))
        stamp = cal.start_s + day * DAY + rng.integers(0, DAY, len(chosen))
        parts.append(Versions(chosen, np.full(len(chosen), day), stamp, np.ones(len(chosen), bool)))
    merged = Versions(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("record", "day", "updated", "resend")))
    order = np.lexsort((merged.record, merged.updated, merged.day))
    return Versions(merged.record[order], merged.day[order], merged.updated[order], merged.resend[order])


def render_versions(people: People, person: np.ndarray, var: Variation, versions: Versions, *,
                    latest_email: bool = True) -> Pii:
    """PII per version; a re-send fills half its missing contacts and (if latest_email) moves to
    the person's newest email address."""
    var = var.take(versions.record)
    who = person[versions.record]
    resend = versions.resend
    valid = people.email_valid()[who]
    filled = resend & (var.u < 0.5)
    missing = dict(var.missing)
    for name in ("email", "phone"):
        missing[name] = missing[name] & ~filled
    if latest_email:
        var = replace(var, email_slot=np.where(resend, latest_slot(valid), var.email_slot))
    var = replace(var, missing=missing)
    return render_pii(people, who, var, as_of=versions.updated)


def truth(feed: str, pk: pa.Array, people: People, person: np.ndarray) -> pa.Table:
    return pa.table({
        "datasource": pa.repeat(pa.scalar(feed), len(pk)),
        "pk": pk,
        "person_id": pa.array(person, pa.int64()),
        "household_id": pa.array(people.household[person], pa.int64()),
    })


def scrambled_ids(record: np.ndarray, *, width: int, multiplier: int, offset: int) -> pa.Array:
    """Unique, non-sequential-looking ids: an affine bijection of the record number mod 10**width."""
    return digits((record * multiplier + offset) % 10**width, width)


def bad_row_count(rows: int, threshold: float, wanted: int) -> int:
    """Deliberately bad rows to plant: `wanted`, but never more than half the feed's error threshold."""
    return min(wanted, int(rows * threshold / 2))


def plant(column: pa.Array, rows: np.ndarray, values: list[str]) -> pa.Array:
    """`column` with the given rows replaced by `values` (strings)."""
    index = np.arange(len(column))
    index[rows] = len(column) + np.arange(len(rows))
    return pc.take(pa.concat_arrays([column, pa.array(values, pa.string())]), pa.array(index))


POS_STYLE = SourceStyle(
    missing={"email": 0.4, "phone": 0.2, "address": 0.35, "birthdate": 0.55},
    nickname=0.15, typo=0.04, upper=0.3, phone_styles=(5, 1, 0, 4, 2, 0, 0), landline=0.3,
    junk_email=0.03, junk_phone=0.02, junk_name=0.004, junk_birthdate=0.01, street_abbreviated=0.85, zip4=0.03,
)
ECOMMERCE_STYLE = SourceStyle(
    missing={"phone": 0.4, "address": 0.2, "birthdate": 0.6},
    nickname=0.1, typo=0.01, phone_styles=(1, 0, 4, 2, 3, 0, 2), landline=0.05,
    junk_email=0.002, junk_phone=0.01, email_plus_tag=0.02, street_abbreviated=0.5, zip4=0.3,
)
LOYALTY_STYLE = SourceStyle(
    missing={"email": 0.2, "phone": 0.15, "postal": 0.05},
    nickname=0.1, typo=0.03, upper=0.15, phone_styles=(1, 6, 0, 1, 1, 1, 0), landline=0.25,
    junk_email=0.01, junk_phone=0.01,
)
ESP_STYLE = SourceStyle(missing={"given": 0.45, "surname": 0.5}, nickname=0.2, typo=0.01, upper=0.05)


def loyalty_members(rng, people: People, cal: Calendar) -> tuple[FeedRows, np.ndarray]:
    """Loyalty:Members, plus each person's loyalty card number index (-1 for non-members) for POS."""
    person, created = draw_records(rng, people, cal, share=0.35, duplicate=0.01, years=10)
    versions = schedule(rng, created, cal)
    var = Variation.draw(rng, people, person, LOYALTY_STYLE)
    pii = render_versions(people, person, var, versions)
    rec = versions.record
    points = (rng.pareto(1.5, len(person)) * 400).astype(np.int64)
    tier = np.searchsorted([1000, 5000, 20000], points, side="right")
    table = pa.table({
        "member_id": join("M", digits(rec + 1, 8)),
        "loyalty_number": _card_numbers(rec),
        "first_name": pii.given,
        "last_name": pii.surname,
        "email": pii.email,
        "phone": pii.phone,
        "zip_code": pii.postal,
        "tier": pick_from(ref.LOYALTY_TIERS, tier[rec]),
        "points_balance": pc.cast(pa.array(points[rec] + np.where(versions.resend, 25, 0)), pa.string()),
        "enrolled_on": strftime(created[rec], "%Y%m%d"),
        "last_modified": strftime(versions.updated, "%d-%b-%Y %H:%M:%S"),
    })
    card_of_person = np.full(people.n, -1)
    card_of_person[person[::-1]] = np.arange(len(person))[::-1]
    pk = join("M", digits(np.arange(len(person)) + 1, 8))
    return FeedRows("Loyalty:Members", table, versions.day, truth("Loyalty:Members", pk, people, person)), card_of_person


def _card_numbers(record: np.ndarray) -> pa.Array:
    return join("6004", scrambled_ids(record, width=8, multiplier=7919, offset=1_234_567))


def pos_customers(rng, people: People, cal: Calendar, card_of_person: np.ndarray) -> FeedRows:
    person, created = draw_records(rng, people, cal, share=0.6, duplicate=0.06, years=8)
    versions = schedule(rng, created, cal)
    var = Variation.draw(rng, people, person, POS_STYLE)
    pii = render_versions(people, person, var, versions)
    rec, who = versions.record, person[versions.record]
    card = card_of_person[who]
    shows_card = (card >= 0) & (var.u[rec] < 0.45)
    ids = pc.cast(pa.array(100_000_001 + np.arange(len(person))), pa.string())
    home = people.home.take(who)
    birth = format_dates(pii.birthdate, "%m/%d/%Y")
    day0 = np.flatnonzero(versions.day == 0)
    bad = bad_row_count(len(day0), 0.01, 1)
    birth = plant(birth, day0[len(day0) // 2 : len(day0) // 2 + bad], ["13/45/1985"] * bad)
    table = pa.table({
        "CUST_ID": pc.take(ids, pa.array(rec)),
        "LOYALTY_NO": mask_null(_card_numbers(np.maximum(card, 0)), ~shows_card),
        "FIRST_NAME": pii.given,
        "LAST_NAME": pii.surname,
        "SUFFIX": pii.suffix,
        "EMAIL": pii.email,
        "PHONE": pii.phone,
        "ADDRESS1": pii.address_with_unit,
        "CITY": pii.city,
        "STATE": pii.state,
        "ZIP": pii.postal,
        "BIRTH_DATE": birth,
        "HOME_STORE": join("ST", digits(home.city + 1, 3)),
        "CREATED": strftime(created[rec], "%m/%d/%Y %H:%M:%S"),
        "UPDATED": strftime(versions.updated, "%m/%d/%Y %H:%M:%S"),
    })
    afternoon = (versions.updated % DAY) >= 12 * 3600
    part = np.where(versions.day == 0, 0, afternoon.astype(np.int64))
    return FeedRows("POS:Customers", table, versions.day, truth("POS:Customers", ids, people, person), part=part,
                    created=created)


def ecommerce_accounts(rng, people: People, cal: Calendar) -> FeedRows:
    person, created = draw_records(rng, people, cal, share=0.5, duplicate=0.05, years=6)
    versions = schedule(rng, created, cal)
    var = Variation.draw(rng, people, person, ECOMMERCE_STYLE)
    # A second account needs another login: the person's other address, or a +tag of the same one.
    first = np.zeros(len(person), bool)
    first[np.unique(person, return_index=True)[1]] = True
    valid = people.email_valid()[person]
    other = valid.copy()
    other[np.arange(len(person)), var.email_slot] = False
    has_other = ~first & other.any(axis=1)
    var = replace(var, email_slot=np.where(has_other, choose_slot(other, var.u), var.email_slot),
                  plus_tag=var.plus_tag | (~first & ~has_other))
    pii = render_versions(people, person, var, versions)
    rec = versions.record
    full_name_only = created[rec] < cal.start_s - int(3 * YEAR_DAYS) * DAY
    ids = join("A", scrambled_ids(np.arange(len(person)), width=8, multiplier=104_729, offset=7))
    millis = digits(rng.integers(0, 1000, len(rec)), 3)
    table = pa.table({
        "account_id": pc.take(ids, pa.array(rec)),
        "email": pii.email,
        "full_name": mask_null(pii.full_name, ~full_name_only),
        "first_name": mask_null(pii.given, full_name_only),
        "last_name": mask_null(pii.surname, full_name_only),
        "phone": pii.phone,
        "address_line1": pii.street,
        "address_line2": pii.unit,
        "city": pii.city,
        "region": pii.state,
        "postal_code": pii.postal,
        "country": mask_null(pa.repeat("US", len(rec)).cast(pa.string()), pc.is_null(pii.city).to_numpy(zero_copy_only=False)),
        "birthdate": format_dates(pii.birthdate, "%Y-%m-%d"),
        "created_at": join(strftime(utc_seconds(created[rec], ZONE), "%Y-%m-%dT%H:%M:%S"), ".000Z"),
        "updated_at": join(strftime(utc_seconds(versions.updated, ZONE), "%Y-%m-%dT%H:%M:%S"), ".", millis, "Z"),
    })
    return FeedRows("Ecommerce:Accounts", table, versions.day, truth("Ecommerce:Accounts", ids, people, person),
                    created=created)


def esp_subscribers(rng, people: People, cal: Calendar) -> FeedRows:
    person, created = draw_records(rng, people, cal, share=0.5, duplicate=0.0, years=5)
    # People with several inboxes often subscribe twice; the second subscription uses another address.
    valid = people.email_valid()[person]
    twice = (valid.sum(axis=1) >= 2) & (rng.random(len(person)) < 0.15)
    second_created = created[twice] + (rng.random(twice.sum()) * (cal.start_s - created[twice])).astype(np.int64)
    person = np.concatenate([person, person[twice]])
    created = np.concatenate([created, second_created])
    order = np.argsort(created, kind="stable")
    person, created = person[order], created[order]
    versions = schedule(rng, created, cal, resend=0.03)
    var = Variation.draw(rng, people, person, ESP_STYLE)
    first = np.zeros(len(person), bool)
    first[np.unique(person, return_index=True)[1]] = True
    other = people.email_valid()[person]
    other[:, 0] = False
    var = replace(var, email_slot=np.where(first, 0, choose_slot(other, var.u)))
    # The ESP keys subscribers by address, so a re-send keeps the subscription's own address.
    pii = render_versions(people, person, var, versions, latest_email=False)
    rec = versions.record
    ids = scrambled_ids(np.arange(len(person)), width=9, multiplier=15_485_863, offset=99)
    unsubscribed = versions.resend & (rng.random(len(rec)) < 0.2)
    opted_in = (var.u[rec] < 0.85) & ~unsubscribed
    table = pa.table({
        "Subscriber ID": pc.take(ids, pa.array(rec)),
        "Email Address": pii.email,
        "First Name": pii.given,
        "Last Name": pii.surname,
        "Opt In": where(opted_in, "Y", "N"),
        "Subscribed At": us_short_datetime(created[rec]),
        "Last Changed": us_short_datetime(versions.updated),
    })
    return FeedRows("ESP:Subscribers", table, versions.day, truth("ESP:Subscribers", ids, people, person),
                    part_labels={0: "060012"})
