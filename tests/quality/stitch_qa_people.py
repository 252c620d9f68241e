"""A small, seeded population for the Stitch QA tests: people written by several sources the way
real sources differ (nicknames, case, phone formats, missing fields), households sharing an
address and phone, and one planted reused foreign key, so every QA figure has something to show.
"""

from __future__ import annotations

import functools
import random

import duckdb
import pyarrow as pa

from amperity_pipelines.stitch import StitchResult, StitchSettings, stitch_records

GIVEN = (
    "James Robert John Michael David William Richard Joseph Thomas Daniel Matthew Anthony Mark Paul Steven "
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa Emily Donna Laura"
).split()
NICKNAMES = {"Robert": "Bob", "William": "Bill", "Michael": "Mike", "Elizabeth": "Liz", "Jennifer": "Jen", "Daniel": "Dan"}
SURNAMES = (
    "Okafor Lindqvist Marchetti Haddad Novak Kowalski Brennan Castillo Duarte Fischer Gallagher Ibarra "
    "Jansen Kaplan Lozano Moreau Nakamura Oyelaran Petrov Quintero Rasmussen Sorensen Tanaka Underhill"
).split()
STREETS = (("Alder", "St", "Street"), ("Birch", "Ave", "Avenue"), ("Cedar", "Rd", "Road"), ("Dogwood", "Dr", "Drive"))
CITIES = (("Seattle", "WA", 98101), ("Portland", "OR", 97201), ("Boise", "ID", 83702))
SOURCES = ("POS", "Ecommerce", "Loyalty")


def population(households: int = 160, seed: int = 7) -> list[dict[str, str | None]]:
    """Records (datasource, pk, profile values, fk_pos_customer, fk_ecom_account), all strings."""
    rng = random.Random(seed)
    rows: list[dict[str, str | None]] = []
    for h in range(households):
        surname = rng.choice(SURNAMES)
        city, state, zip0 = rng.choice(CITIES)
        street, short, long = rng.choice(STREETS)
        number = rng.randint(10, 9999)
        phone = f"{rng.randint(201, 989)}{rng.randint(201, 989)}{rng.randint(1000, 9999)}"
        for member in range(rng.choice((1, 1, 1, 2))):
            person = f"{h}-{member}"
            given = rng.choice(GIVEN)
            email = f"{given.lower()}.{surname.lower()}{h}{member}@mail{rng.randint(1, 5)}.test"
            birthdate = f"{rng.randint(1945, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            for copy, source in enumerate(SOURCES[: rng.choice((1, 2, 2, 3))]):
                row: dict[str, str | None] = {"datasource": source, "pk": f"{source[0]}{person}"}
                row["given_name"] = NICKNAMES.get(given, given) if copy == 2 else given
                row["surname"] = surname.upper() if copy == 1 else surname
                if copy == 2 and rng.random() < 0.3:  # a typing slip: two letters swapped
                    row["surname"] = surname[:2] + surname[3] + surname[2] + surname[4:]
                row["email"] = email.upper() if copy == 2 else (email if copy == 0 or rng.random() < 0.8 else None)
                row["phone"] = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}" if copy else phone
                if copy and rng.random() < 0.3:
                    row["email" if rng.random() < 0.5 else "phone"] = None
                if rng.random() < 0.8:
                    row["address"] = f"{number} {street} {long if copy == 1 else short}"
                    row.update(city=city, state=state, postal=str(zip0 + rng.randint(0, 9)))
                row["birthdate"] = birthdate if rng.random() < 0.6 else None
                row["fk_pos_customer"] = row["pk"] if source == "POS" else None
                row["fk_ecom_account"] = f"EC{person}" if source == "Ecommerce" else None
                rows.append(row)
    rows.append(  # an online account that reuses a store customer number: a bad foreign key
        {"datasource": "Ecommerce", "pk": "Ereused", "given_name": "Quentin", "surname": "Zabel",
         "email": "q.zabel@mail9.test", "fk_pos_customer": "P0-0", "fk_ecom_account": "ECreused"}
    )  # fmt: skip
    return rows


def as_table(rows: list[dict[str, str | None]]) -> pa.Table:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return pa.table({c: pa.array([row.get(c) for row in rows], type=pa.string()) for c in columns})


@functools.cache  # one run serves every test module (a StitchResult holds immutable Arrow tables)
def stitch_population(households: int = 160, seed: int = 7) -> StitchResult:
    con = duckdb.connect()
    try:
        con.register("records", as_table(population(households, seed)))
        return stitch_records(con, "records", settings=StitchSettings())
    finally:
        con.close()
