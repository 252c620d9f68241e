"""Reference data shipped with Stitch (`stitch/data/*.csv`) and the nickname table.

Every list is plain data, read once per process. See `data/README.md` for where each list comes
from and under which terms; the nickname pairs are `data/nicknames.csv` (names.csv of the
`nicknames` 1.0.1 package by Carlton Northern and Nick Crews, Apache-2.0, shipped unchanged with
its license) plus our own `data/nicknames_extra.csv`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

DATA_DIR = Path(__file__).parent / "data"

NICKNAME_ADD, NICKNAME_REMOVE = "ADD", "REMOVE"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def address_abbreviations() -> tuple[tuple[str, str, str], ...]:
    """(kind, token, expansion): USPS Publication 28 suffixes, directionals, unit designators, ordinals."""
    return tuple((r["kind"], r["token"], r["expansion"]) for r in _rows("address_abbreviations.csv"))


@lru_cache(maxsize=1)
def bad_values() -> tuple[tuple[str, str], ...]:
    """(semantic, raw value): built-in bad values; semantic `*` applies to every text semantic."""
    return tuple((r["semantic"], r["value"]) for r in _rows("bad_values.csv"))


@lru_cache(maxsize=1)
def email_junk() -> tuple[tuple[str, str, bool], ...]:
    """(part, value, business): junk email domains and local parts, lower case.

    `business` marks role inboxes (info@, sales@...) that `allow_business_email` keeps.
    """
    return tuple((r["part"], r["value"], r["business"] == "true") for r in _rows("email_junk.csv"))


@lru_cache(maxsize=1)
def name_affixes() -> tuple[tuple[str, str, str], ...]:
    """(kind, token, canonical) for titles and generational suffixes, upper case."""
    return tuple((r["kind"], r["token"], r["canonical"]) for r in _rows("name_affixes.csv"))


@lru_cache(maxsize=1)
def gender_values() -> tuple[tuple[str, str], ...]:
    """(spelling, F/M/X), upper case; anything else becomes NULL."""
    return tuple((r["value"], r["gender"]) for r in _rows("gender_values.csv"))


@lru_cache(maxsize=1)
def _base_nicknames() -> tuple[tuple[str, str], ...]:
    packaged = [(r["name1"], r["name2"]) for r in _rows("nicknames.csv") if r["relationship"] == "has_nickname"]
    extra = [(r["name"], r["nickname"]) for r in _rows("nicknames_extra.csv")]
    return tuple((a.upper(), b.upper()) for a, b in packaged + extra)


def nickname_pairs(changes: Iterable[tuple[str, str, str]] = ()) -> list[tuple[str, str]]:
    """Symmetric pairs of compatible given names (upper case), after a tenant's changes.

    Two names are compatible when one is a listed nickname of the other, or both are nicknames
    of one canonical name (JESS and JESSIE, both JESSICA). `changes` holds Amperity's nickname
    file rows (canonical_name, nickname, update_type), update_type ADD or REMOVE.
    """
    edges, removed = set(_base_nicknames()), set()
    for canonical, nickname, kind in changes:
        pair = (canonical.strip().upper(), nickname.strip().upper())
        if kind.strip().upper() == NICKNAME_ADD:
            edges.add(pair)
        elif kind.strip().upper() == NICKNAME_REMOVE:
            edges.discard(pair)
            removed.update((pair, pair[::-1]))  # however else the two names are related
        else:
            raise ValueError(f"nickname change {pair}: update_type must be ADD or REMOVE, not {kind!r}")
    by_canonical: dict[str, set[str]] = {}
    for canonical, nickname in edges:
        by_canonical.setdefault(canonical, {canonical}).add(nickname)
    pairs = set()
    for names in by_canonical.values():
        pairs.update((a, b) for a in names for b in names if a != b)
    return sorted(pairs - removed)


def read_nickname_changes(path: str | Path) -> tuple[tuple[str, str, str], ...]:
    """Rows of an Amperity nickname file: `canonical_name,nickname,update_type` with a header."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    missing = {"canonical_name", "nickname", "update_type"} - set(rows[0] if rows else {})
    if rows and missing:
        raise ValueError(f"{path}: nickname file lacks column(s) {', '.join(sorted(missing))}")
    return tuple((r["canonical_name"], r["nickname"], r["update_type"]) for r in rows)


_SOUND_GROUPS = {**dict.fromkeys("BFPV", "1"), **dict.fromkeys("CGJKQSXZ", "2"), **dict.fromkeys("DT", "3"),
                 "L": "4", "M": "5", "N": "5", "R": "6"}  # fmt: skip


def sound_code(name: str) -> str:
    """Soundex digits of every consonant of `name`, the first letter included and nothing cut:
    spellings of one name share a code (STEVEN, STEPHEN: 2315; CATHERINE, KATHERINE: 2365),
    while different names that look alike usually do not (MARY 56, MARK 562)."""
    text = "".join(ch for ch in name.upper().replace("PH", "F") if ch.isalpha())
    code, last = [], ""
    for ch in text:
        digit = _SOUND_GROUPS.get(ch, "")
        if digit and digit != last:
            code.append(digit)
        if ch not in "HW":  # H and W do not separate two equal sounds; vowels do
            last = digit
    return "".join(code)


@lru_cache(maxsize=1)
def known_given_names() -> tuple[tuple[str, str], ...]:
    """(NAME, sound code) of every given name in the nickname lists, longer than one letter.

    Two *known* names that are neither equal, nicknames of each other nor spellings of one
    sound are different names (MARY and MARK), however alike they look to Jaro-Winkler.
    """
    names = {n for pair in _base_nicknames() for n in pair if len(n) > 1 and n.isalpha()}
    return tuple(sorted((n, sound_code(n)) for n in names))


def nickname_table(changes: Iterable[tuple[str, str, str]] = ()) -> pa.Table:
    """`nickname_pairs` as an Arrow table (name, other), for joining in SQL."""
    pairs = nickname_pairs(changes)
    schema = pa.schema([("name", pa.string()), ("other", pa.string())])
    return pa.table({"name": [a for a, _ in pairs], "other": [b for _, b in pairs]}, schema=schema)


def known_names_table() -> pa.Table:
    """`known_given_names` as an Arrow table (name, code)."""
    names = known_given_names()
    return pa.table({"name": [n for n, _ in names], "code": [c for _, c in names]})
