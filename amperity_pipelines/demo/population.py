"""The true people behind the demo data: households, names, addresses, phones and emails.

Everything is drawn once per person (or per household) with numpy; the sources then render
each person's records with their own gaps, spellings and formats (see profiles.py). Times are
naive wall-clock seconds in the retailer's zone (America/Los_Angeles); days are days since epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amperity_pipelines.demo import reference_data as ref
from amperity_pipelines.demo.text import NameBook, digits, join, where

DAY = 86_400
YEAR_DAYS = 365.25
NO_TIME = np.iinfo(np.int64).min
MALE, FEMALE = 0, 1
HEAD, PARTNER, CHILD = 0, 1, 2
SUFFIXES = ("", "Jr", "Sr")
EMAIL_SLOTS = 3


def zipf_weights(n: int, *, offset: float, power: float) -> np.ndarray:
    weights = 1.0 / (np.arange(n) + offset) ** power
    return weights / weights.sum()


def _clean(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


@dataclass(frozen=True)
class Vocabulary:
    given: NameBook
    """Male names first (indexes < n_male), then female names."""
    n_male: int
    surnames: NameBook
    given_email: pa.Array
    """Per given-name entry: lower-case alphanumeric form for email local parts."""
    given_nick_email: pa.Array
    surname_email: pa.Array
    streets: pa.Array
    city_names: pa.Array
    city_states: pa.Array
    zip_base: np.ndarray
    zip_count: np.ndarray
    area_codes: np.ndarray
    """(cities, 3) area codes, each row padded by repeating its first code."""

    @classmethod
    def build(cls, rng: np.random.Generator) -> Vocabulary:
        given_entries = list(ref.MALE_NAMES) + list(ref.FEMALE_NAMES)
        synthetic = [h + t for h in ref.SURNAME_HEADS for t in ref.SURNAME_TAILS]
        surnames = list(dict.fromkeys(list(ref.SURNAMES) + synthetic))
        areas = np.array([(list(c[4]) * 3)[:3] for c in ref.CITIES], np.int64)
        return cls(
            given=NameBook.build(given_entries, rng),
            n_male=len(ref.MALE_NAMES),
            surnames=NameBook.build([(s, ()) for s in surnames], rng),
            given_email=pa.array([_clean(n) for n, _ in given_entries]),
            given_nick_email=pa.array([_clean(nicks[0] if nicks else n) for n, nicks in given_entries]),
            surname_email=pa.array([_clean(s) for s in surnames]),
            streets=pa.array(ref.STREETS),
            city_names=pa.array([c[0] for c in ref.CITIES]),
            city_states=pa.array([c[1] for c in ref.CITIES]),
            zip_base=np.array([c[2] for c in ref.CITIES], np.int64),
            zip_count=np.array([c[3] for c in ref.CITIES], np.int64),
            area_codes=areas,
        )


@dataclass(frozen=True)
class Addresses:
    """One postal address per row (a household's current or previous home)."""

    city: np.ndarray
    zip5: np.ndarray
    zip4: np.ndarray
    number: np.ndarray
    street: np.ndarray
    street_type: np.ndarray
    direction: np.ndarray
    unit: np.ndarray
    """Apartment number, 0 for none."""

    def take(self, index: np.ndarray) -> Addresses:
        return Addresses(**{k: v[index] for k, v in vars(self).items()})

    def where(self, mask: np.ndarray, other: Addresses) -> Addresses:
        return Addresses(**{k: np.where(mask, getattr(other, k), v) for k, v in vars(self).items()})


@dataclass(frozen=True)
class People:
    vocab: Vocabulary
    household: np.ndarray
    role: np.ndarray
    gender: np.ndarray
    given: np.ndarray
    surname: np.ndarray
    maiden: np.ndarray
    """Surname before marriage, -1 for none; records older than married_at still carry it."""
    married_at: np.ndarray
    suffix: np.ndarray
    birth_day: np.ndarray
    home: Addresses
    previous: Addresses
    moved_at: np.ndarray
    """When the household moved from `previous` to `home`; NO_TIME if it never did."""
    mobile: np.ndarray
    """(n, 3) area, exchange, line; area 0 for none."""
    landline: np.ndarray
    emails: pa.Array
    """Slot-major: emails[slot * n + person]; null where the person has no such address."""

    @property
    def n(self) -> int:
        return len(self.household)

    def email_valid(self) -> np.ndarray:
        return pc.is_valid(self.emails).to_numpy(zero_copy_only=False).reshape(EMAIL_SLOTS, self.n).T


def build_people(rng: np.random.Generator, n: int, start: date) -> People:
    vocab = Vocabulary.build(rng)
    now = (start - date(1970, 1, 1)).days * DAY

    sizes = rng.choice([1, 2, 3, 4], p=[0.55, 0.25, 0.12, 0.08], size=n)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    n_households = len(sizes)
    household = np.repeat(np.arange(n_households), sizes)[:n]
    first_member = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    role = np.minimum(np.arange(n) - first_member[household], CHILD)
    head = first_member[household]

    gender = rng.integers(0, 2, n)
    is_partner = role == PARTNER
    gender[is_partner] = np.where(rng.random(is_partner.sum()) < 0.9, 1 - gender[head[is_partner]], gender[is_partner])
    given = _draw_given(rng, vocab, gender)

    n_surnames = len(vocab.surnames.canonical)
    family_name = rng.choice(n_surnames, p=zipf_weights(n_surnames, offset=10, power=0.9), size=n_households)
    surname = family_name[household]
    own_name = is_partner & (rng.random(n) < 0.2)
    surname[own_name] = rng.choice(n_surnames, p=zipf_weights(n_surnames, offset=10, power=0.9), size=own_name.sum())
    maiden = np.full(n, -1)
    married = is_partner & ~own_name & (gender == FEMALE) & (rng.random(n) < 0.35)
    maiden[married] = rng.integers(0, n_surnames, married.sum())
    maiden[maiden == surname] = -1
    married_at = np.where(maiden >= 0, now - rng.integers(30, 6 * 365, n) * DAY, NO_TIME)

    age = rng.triangular(22, 42, 85, n)
    age[is_partner] = np.clip(age[head[is_partner]] + rng.normal(0, 4, is_partner.sum()), 20, 90)
    is_child = role == CHILD
    child_age = age[head[is_child]] - rng.uniform(22, 38, is_child.sum())
    age[is_child] = np.where(child_age < 16, rng.uniform(16, 20, is_child.sum()), child_age)
    start_day = now // DAY
    birth_day = (start_day - age * YEAR_DAYS).astype(np.int64)

    suffix = np.zeros(n, np.int8)
    given, gender, suffix = _junior_senior_pairs(rng, vocab, first_member, sizes, head, given, gender, suffix)
    given = _no_shared_given_names(rng, vocab, role, head, given, gender, suffix)

    home = _draw_addresses(rng, vocab, n_households)
    moved = rng.random(n_households) < 0.12
    previous = _draw_addresses(rng, vocab, n_households)
    same_city = rng.random(n_households) < 0.6
    previous = replace(previous, city=np.where(same_city, home.city, previous.city),
                       zip5=np.where(same_city, home.zip5, previous.zip5))
    moved_at = np.where(moved, now - rng.integers(30, 4 * 365, n_households) * DAY, NO_TIME)

    mobile_city = np.where(moved & (rng.random(n_households) < 0.5), previous.city, home.city)[household]
    mobile = _draw_phones(rng, vocab, mobile_city, present=rng.random(n) < 0.92)
    landline = _draw_phones(rng, vocab, home.city, present=rng.random(n_households) < 0.35)[household]

    people = People(
        vocab=vocab, household=household, role=role, gender=gender, given=given, surname=surname,
        maiden=maiden, married_at=married_at, suffix=suffix, birth_day=birth_day,
        home=home.take(household), previous=previous.take(household), moved_at=moved_at[household],
        mobile=mobile, landline=landline, emails=pa.nulls(0, pa.string()),
    )
    return replace(people, emails=_draw_emails(rng, people, sizes))


def _draw_given(rng: np.random.Generator, vocab: Vocabulary, gender: np.ndarray) -> np.ndarray:
    n_female = len(vocab.given.canonical) - vocab.n_male
    male = rng.choice(vocab.n_male, p=zipf_weights(vocab.n_male, offset=6, power=1.0), size=len(gender))
    female = vocab.n_male + rng.choice(n_female, p=zipf_weights(n_female, offset=6, power=1.0), size=len(gender))
    return np.where(gender == MALE, male, female)


def _junior_senior_pairs(rng, vocab, first_member, sizes, head, given, gender, suffix):
    """A few fathers and sons at one address sharing given name and surname, told apart by Jr/Sr."""
    n = len(given)
    first_child = first_member[sizes >= 3] + 2
    first_child = first_child[first_child < n]
    count = min(len(first_child), max(1, n // 1000))
    sons = np.sort(rng.choice(first_child, size=count, replace=False)) if count else np.array([], np.int64)
    fathers = head[sons]
    gender[sons] = MALE
    gender[fathers] = MALE
    given[fathers] = rng.choice(vocab.n_male, p=zipf_weights(vocab.n_male, offset=6, power=1.0), size=count)
    given[sons] = given[fathers]
    suffix[sons] = SUFFIXES.index("Jr")
    suffix[fathers] = SUFFIXES.index("Sr")
    return given, gender, suffix


def _no_shared_given_names(rng, vocab, role, head, given, gender, suffix):
    """Redraw the given name of a household member who got the head's name by chance."""
    clash = (role != HEAD) & (given == given[head]) & (suffix == 0)
    for _ in range(3):
        if not clash.any():
            break
        given[clash] = _draw_given(rng, vocab, gender[clash])
        clash = (role != HEAD) & (given == given[head]) & (suffix == 0)
    return given


def _draw_addresses(rng: np.random.Generator, vocab: Vocabulary, count: int) -> Addresses:
    city_weights = vocab.zip_count / vocab.zip_count.sum()
    city = rng.choice(len(city_weights), p=city_weights, size=count)
    return Addresses(
        city=city,
        zip5=vocab.zip_base[city] + rng.integers(0, vocab.zip_count[city]),
        zip4=rng.integers(1, 10_000, count),
        number=np.minimum(np.exp(rng.uniform(1.0, 10.0, count)).astype(np.int64) + 1, 29_999),
        street=rng.integers(0, len(vocab.streets), count),
        street_type=rng.integers(0, len(ref.STREET_TYPES), count),
        direction=rng.integers(0, len(ref.DIRECTIONS), count),
        unit=np.where(rng.random(count) < 0.3, rng.integers(1, 450, count), 0),
    )


def _draw_phones(rng: np.random.Generator, vocab: Vocabulary, city: np.ndarray, *, present: np.ndarray) -> np.ndarray:
    count = len(city)
    area = vocab.area_codes[city, rng.integers(0, 3, count)]
    phones = np.stack([area, rng.integers(201, 990, count), rng.integers(0, 10_000, count)], axis=1)
    phones[~present] = 0
    return phones


def _draw_emails(rng: np.random.Generator, people: People, household_sizes: np.ndarray) -> pa.Array:
    """Up to three addresses per person, unique to their owner, plus a few shared family inboxes."""
    v, n = people.vocab, people.n
    counts = rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15], size=n)
    counts[people.maiden >= 0] = np.maximum(counts[people.maiden >= 0], 2)
    year = pc.cast(pa.array(1970 + (people.birth_day / YEAR_DAYS).astype(np.int64)), pa.string())
    domains = pa.array(ref.EMAIL_DOMAINS)
    weights = np.asarray(ref.EMAIL_DOMAIN_WEIGHTS, float) / sum(ref.EMAIL_DOMAIN_WEIGHTS)
    slots_local, slots_domain = [], []
    for slot in range(EMAIL_SLOTS):
        surname_idx = np.where((slot == 0) & (people.maiden >= 0), people.maiden, people.surname)
        nick = rng.random(n) < 0.2
        given = pa.array(people.given)
        g = where(nick, pc.take(v.given_nick_email, given), pc.take(v.given_email, given))
        s = pc.take(v.surname_email, pa.array(surname_idx))
        g0 = pc.utf8_slice_codeunits(g, 0, 1)
        num = pc.cast(pa.array(rng.integers(1, 100, n)), pa.string())
        yy = pc.utf8_slice_codeunits(year, 2, 4)
        patterns = (
            join(g, ".", s), join(g, s), join(g0, s), join(g, "_", s, num), join(g, num),
            join(s, g0, yy), join(g, ".", s, num), join(g0, s, year),
        )
        local = pc.choose(pa.array(rng.integers(0, len(patterns), n), pa.int8()), *patterns)
        slots_local.append(local)
        slots_domain.append(pc.take(domains, pa.array(rng.choice(len(domains), p=weights, size=n))))
    emails = []
    for slot in range(EMAIL_SLOTS):
        email = join(slots_local[slot], "@", slots_domain[slot])
        absent = slot >= counts
        for earlier in emails:  # the same person drawing the same address twice keeps it once
            absent |= pc.fill_null(pc.equal(email, earlier), False).to_numpy(zero_copy_only=False)
        emails.append(where(absent, pa.scalar(None, pa.string()), email))
    flat = _unique_per_owner(pa.concat_arrays(emails), np.tile(np.arange(n), EMAIL_SLOTS))
    return _add_family_inboxes(rng, people, flat, household_sizes)


def _unique_per_owner(emails: pa.Array, owner: np.ndarray) -> pa.Array:
    """Append the owner's number to the local part of any address an earlier owner already has."""
    codes = pc.fill_null(pc.dictionary_encode(emails).indices, 0).to_numpy().astype(np.int64)
    valid = pc.is_valid(emails).to_numpy(zero_copy_only=False)
    first = np.full(int(codes.max(initial=0)) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, codes[valid], owner[valid])
    taken = valid & (first[codes] != owner)
    parts = pc.split_pattern(emails, "@", max_splits=1)
    renamed = join(pc.list_element(parts, 0), pc.cast(pa.array(owner), pa.string()), "@", pc.list_element(parts, 1))
    return where(taken, renamed, emails)


def _add_family_inboxes(rng, people: People, emails: pa.Array, household_sizes: np.ndarray) -> pa.Array:
    """~4% of couples share one inbox ('garciafamily@...'), written into the partners' last slot."""
    n = people.n
    shared = (household_sizes >= 2) & (rng.random(len(household_sizes)) < 0.04)
    couple = np.flatnonzero(shared[people.household] & (people.role <= PARTNER))
    if len(couple) == 0:
        return emails
    hh = people.household[couple]
    local = join(pc.take(people.vocab.surname_email, pa.array(people.surname[couple])), "family",
                 digits(hh % 1000, 3))
    inbox = join(local, "@", pc.take(pa.array(ref.EMAIL_DOMAINS[:6]), pa.array(hh % 6)))
    inbox = _unique_per_owner(inbox, hh)
    index = np.arange(len(emails))
    index[(EMAIL_SLOTS - 1) * n + couple] = len(emails) + np.arange(len(couple))
    return pc.take(pa.concat_arrays([emails, inbox]), pa.array(index))
