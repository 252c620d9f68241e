"""Helpers of the probabilistic Stitch tests: a seeded background population and cluster lookups.

A model learned from a dozen records says little, so each end-to-end test puts its hand-made
records among a few hundred background people (each with one to three records that differ the
way sources do: nicknames, formats, missing fields) and then looks only at its own records.
"""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa

from amperity_pipelines.stitch import StitchSettings, stitch_records

GIVEN = (
    "James Robert John Michael David William Richard Joseph Thomas Christopher Daniel Matthew Anthony Mark "
    "Steven Paul Andrew Joshua Kevin Brian George Edward Ronald Timothy Jason Jeffrey Ryan Gary Nicholas Eric "
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra Ashley "
    "Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Laura Sharon Cynthia Amy Angela"
).split()
NICK = {"Michael": "Mike", "William": "Bill", "Robert": "Bob", "Elizabeth": "Liz", "Jennifer": "Jen", "Daniel": "Dan"}
SURNAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera "
    "Ashford Whitmore Blackwood Bradley Cranfield Dalton Fairbanks Hartley Kingsley Langford Pemberton Redmond"
).split()
STREETS = "Main Oak Pine Maple Cedar Elm Lake Hill Park View Lincoln Sunset Ridge Spring Valley River Forest".split()
TYPES = (("St", "Street"), ("Ave", "Avenue"), ("Rd", "Road"), ("Dr", "Drive"), ("Ln", "Lane"))
CITIES = (("Seattle", "WA", 98101), ("Portland", "OR", 97201), ("Denver", "CO", 80202), ("Austin", "TX", 78701))
SOURCES = ("pos", "web", "loyalty")


def background(count: int = 300, seed: int = 11) -> list[dict]:
    """`count` people, each written one to three times by different sources."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        given, surname = rng.choice(GIVEN), rng.choice(SURNAMES)
        city, state, zip0 = rng.choice(CITIES)
        street, street_type = rng.choice(STREETS), rng.choice(TYPES)
        number = rng.randint(1, 9999)
        postal = f"{zip0 + rng.randint(0, 40):05d}"
        email = f"{given.lower()}.{surname.lower()}{i}@example{rng.randint(1, 9)}.org"
        phone = f"{rng.randint(201, 989)}{rng.randint(201, 989)}{rng.randint(0, 9999):04d}"
        birthdate = f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        for copy in range(rng.choice((1, 1, 2, 2, 3))):
            row = {"datasource": SOURCES[copy], "pk": f"bg{i}"}
            row["given_name"] = NICK.get(given, given) if copy == 2 else given
            row["surname"] = surname.upper() if copy == 1 else surname
            if copy != 1 or rng.random() < 0.5:
                row["email"] = email.upper() if copy == 2 else email
            if rng.random() < 0.7:
                row["phone"] = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}" if copy else phone
            if rng.random() < 0.7:
                row["address"] = f"{number} {street} {street_type[copy % 2]}"
                row.update(city=city, state=state, postal=postal)
            if rng.random() < 0.5:
                row["birthdate"] = birthdate
            rows.append(row)
    return rows


def register(con: duckdb.DuckDBPyConnection, rows: list[dict], name: str = "records") -> str:
    """`rows` (dicts, missing keys NULL, every value a string) as a view on `con`."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    data = pa.table({c: pa.array([row.get(c) for row in rows], type=pa.string()) for c in columns})
    con.register(name, data)
    return name


def stitch(con, rows, *, with_background: bool = True, previous=None, labels=None, blocklist=None, **settings):
    every = (background() if with_background else []) + rows
    return stitch_records(
        con,
        register(con, every),
        previous=previous,
        labels=labels,
        blocklist=blocklist,
        settings=StitchSettings(**settings),
    )


def ids(result) -> dict[tuple[str, str], str]:
    uc = result.unified_coalesced
    return {
        (ds, pk): aid
        for ds, pk, aid in zip(
            uc.column("datasource").to_pylist(), uc.column("pk").to_pylist(), uc.column("amperity_id").to_pylist(), strict=True
        )
    }


def together(result, *records: tuple[str, str]) -> bool:
    by_record = ids(result)
    return len({by_record[r] for r in records}) == 1


def apart(result, *records: tuple[str, str]) -> bool:
    """Every listed record has its own Amperity ID."""
    by_record = ids(result)
    return len({by_record[r] for r in records}) == len(records)


def person(ds: str, pk: str, **values) -> dict:
    return {"datasource": ds, "pk": pk, **values}
