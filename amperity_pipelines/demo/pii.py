"""How one source writes a person down: which fields it has, how it spells and formats them.

A `SourceStyle` holds a source's habits (gaps, nicknames, typos, caps lock, phone formats, junk);
`Variation` draws those habits once per record, so the same record re-sent later keeps its
typo and its phone format; `render_pii` turns (person, variation, as-of time) into strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amperity_pipelines.demo import reference_data as ref
from amperity_pipelines.demo.population import EMAIL_SLOTS, People
from amperity_pipelines.demo.text import digits, join, mask_null, phone, pick_from, where

PII_FIELDS = ("given", "surname", "email", "phone", "address", "postal", "birthdate")


@dataclass(frozen=True)
class SourceStyle:
    missing: dict[str, float] = field(default_factory=dict)
    """Share of records without each of PII_FIELDS."""
    nickname: float = 0.1
    typo: float = 0.02
    upper: float = 0.0
    """Share of records typed with caps lock on (names, address, city; emails too)."""
    phone_styles: tuple[float, ...] = (1, 1, 1, 1, 1, 1, 1)
    """Weights over text.PHONE_STYLES."""
    landline: float = 0.2
    """Share of records giving the household landline rather than the mobile."""
    junk_email: float = 0.0
    junk_phone: float = 0.0
    junk_name: float = 0.0
    junk_birthdate: float = 0.0
    email_plus_tag: float = 0.0
    street_abbreviated: float = 0.7
    zip4: float = 0.0


@dataclass(frozen=True)
class Variation:
    """A source's habits drawn for each of its records (row-aligned numpy arrays)."""

    missing: dict[str, np.ndarray]
    nickname: np.ndarray
    typo_given: np.ndarray
    typo_surname: np.ndarray
    u: np.ndarray
    upper: np.ndarray
    phone_style: np.ndarray
    landline: np.ndarray
    junk_email: np.ndarray
    junk_phone: np.ndarray
    junk_name: np.ndarray
    junk_birthdate: np.ndarray
    junk_pick: np.ndarray
    plus_tag: np.ndarray
    street_abbreviated: np.ndarray
    unit_word: np.ndarray
    zip4: np.ndarray
    email_slot: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, people: People, person: np.ndarray, style: SourceStyle) -> Variation:
        n = len(person)
        weights = np.asarray(style.phone_styles, float)

        def chance(p: float) -> np.ndarray:
            return rng.random(n) < p

        return cls(
            missing={name: chance(style.missing.get(name, 0.0)) for name in PII_FIELDS},
            nickname=chance(style.nickname),
            typo_given=chance(style.typo),
            typo_surname=chance(style.typo / 2),
            u=rng.random(n),
            upper=chance(style.upper),
            phone_style=rng.choice(len(weights), p=weights / weights.sum(), size=n),
            landline=chance(style.landline),
            junk_email=chance(style.junk_email),
            junk_phone=chance(style.junk_phone),
            junk_name=chance(style.junk_name),
            junk_birthdate=chance(style.junk_birthdate),
            junk_pick=rng.integers(0, 1000, n),
            plus_tag=chance(style.email_plus_tag),
            street_abbreviated=chance(style.street_abbreviated),
            unit_word=rng.integers(0, len(ref.UNIT_WORDS), n),
            zip4=chance(style.zip4),
            email_slot=choose_slot(people.email_valid()[person], rng.random(n)),
        )

    def take(self, index: np.ndarray) -> Variation:
        values = {k: v[index] for k, v in vars(self).items() if k != "missing"}
        return Variation(missing={k: v[index] for k, v in self.missing.items()}, **values)


def choose_slot(valid: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per row, one of the True columns of `valid` (uniformly by u in [0, 1)); 0 when none."""
    count = valid.sum(axis=1)
    wanted = (u * np.maximum(count, 1)).astype(np.int64)
    rank = np.cumsum(valid, axis=1) - 1
    hit = valid & (rank == wanted[:, None])
    return np.where(count > 0, hit.argmax(axis=1), 0)


def latest_slot(valid: np.ndarray) -> np.ndarray:
    """Per row, the highest valid email slot (the address the person uses now)."""
    return EMAIL_SLOTS - 1 - valid[:, ::-1].argmax(axis=1)


@dataclass(frozen=True)
class Pii:
    """Rendered PII columns, one value per record version (null when the source lacks it)."""

    given: pa.Array
    surname: pa.Array
    suffix: pa.Array
    full_name: pa.Array
    email: pa.Array
    phone: pa.Array
    street: pa.Array
    unit: pa.Array
    city: pa.Array
    state: pa.Array
    postal: pa.Array
    birthdate: pa.Array
    """date32."""

    @property
    def address_with_unit(self) -> pa.Array:
        return join(self.street, self.unit, sep=" ", skip_nulls=True)


def render_pii(people: People, person: np.ndarray, var: Variation, *, as_of: np.ndarray) -> Pii:
    """PII as the source recorded it at `as_of` (older records keep old surnames and addresses)."""
    v = people.vocab
    n = len(person)
    maiden = people.maiden[person]
    surname_idx = np.where((maiden >= 0) & (as_of < people.married_at[person]), maiden, people.surname[person])
    given = v.given.pick(people.given[person], nickname=var.nickname, typo=var.typo_given, u=var.u)
    surname = v.surnames.pick(surname_idx, nickname=np.zeros(n, bool), typo=var.typo_surname, u=var.u)
    given = where(var.junk_name, pick_from(ref.JUNK_NAMES, var.junk_pick % len(ref.JUNK_NAMES)), given)
    suffix = pick_from(("", "Jr", "Sr"), people.suffix[person])
    suffix = mask_null(suffix, people.suffix[person] == 0)
    full_name = join(given, surname, where(var.u < 0.5, suffix, pc.utf8_upper(suffix)), sep=" ", skip_nulls=True)

    slot = var.email_slot
    email = pc.take(people.emails, pa.array(slot * people.n + person))
    parts = pc.split_pattern(email, "@", max_splits=1)
    tagged = join(pc.list_element(parts, 0), "+shop@", pc.list_element(parts, 1))
    email = where(var.plus_tag, tagged, email)
    email = where(var.junk_email, pick_from(ref.JUNK_EMAILS, var.junk_pick % len(ref.JUNK_EMAILS)), email)

    numbers = np.where(var.landline[:, None] & (people.landline[person, :1] > 0), people.landline[person], people.mobile[person])
    phones = phone(numbers[:, 0], numbers[:, 1], numbers[:, 2], var.phone_style)
    phones = mask_null(phones, numbers[:, 0] == 0)
    phones = where(var.junk_phone, pick_from(ref.JUNK_PHONES, var.junk_pick % len(ref.JUNK_PHONES)), phones)

    moved = as_of < people.moved_at[person]
    home = people.home.take(person).where(moved, people.previous.take(person))
    street_type = pc.take(
        pa.array([a for a, _ in ref.STREET_TYPES] + [f for _, f in ref.STREET_TYPES]),
        pa.array(home.street_type + np.where(var.street_abbreviated, 0, len(ref.STREET_TYPES))),
    )
    direction = pick_from(ref.DIRECTIONS, home.direction)
    direction = mask_null(direction, home.direction < 4)  # the first four DIRECTIONS are ''
    street = join(pc.cast(pa.array(home.number), pa.string()), direction, pc.take(v.streets, pa.array(home.street)),
                  street_type, sep=" ", skip_nulls=True)
    unit_word = pick_from(ref.UNIT_WORDS, var.unit_word)
    unit = join(unit_word, pc.cast(pa.array(home.unit), pa.string()), sep=" ")
    unit = mask_null(pc.replace_substring(unit, "# ", "#"), home.unit == 0)
    postal = digits(home.zip5, 5)
    postal = where(var.zip4, join(postal, "-", digits(home.zip4, 4)), postal)

    birthdate = pa.array(people.birth_day[person].astype(np.int32), pa.date32())
    junk_dates = pa.array(np.array(ref.JUNK_BIRTHDATES, "datetime64[D]").astype(np.int32), pa.date32())
    birthdate = where(var.junk_birthdate, pc.take(junk_dates, pa.array(var.junk_pick % len(junk_dates))), birthdate)

    upper = var.upper

    def caps(values: pa.Array) -> pa.Array:
        return where(upper, pc.utf8_upper(values), values)

    miss = var.missing
    no_address = miss["address"]
    return Pii(
        given=mask_null(caps(given), miss["given"]),
        surname=mask_null(caps(surname), miss["surname"]),
        suffix=caps(suffix),
        full_name=mask_null(caps(full_name), miss["given"] & miss["surname"]),
        email=mask_null(caps(email), miss["email"]),
        phone=mask_null(phones, miss["phone"]),
        street=mask_null(caps(street), no_address),
        unit=mask_null(caps(unit), no_address),
        city=mask_null(caps(pc.take(v.city_names, pa.array(home.city))), no_address),
        state=mask_null(pc.take(v.city_states, pa.array(home.city)), no_address),
        postal=mask_null(postal, miss["postal"] | (no_address & (var.u < 0.7))),
        birthdate=mask_null(birthdate, miss["birthdate"]),
    )
