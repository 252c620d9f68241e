"""Probabilistic Stitch end to end: the traps that must not merge and the matches that must.

All scenarios run together in one Stitch (module fixture) among background people; each test
looks at its own records only.
"""

import duckdb
import pytest
from prob_helpers import apart, person, stitch, together

HOUSEHOLD = [
    person("pos", "hh1", given_name="Maria", surname="Okonkwo", phone="206-555-0142", birthdate="1971-03-02",
           address="12 Birch Ln", city="Seattle", state="WA", postal="98115"),
    person("pos", "hh2", given_name="Daniel", surname="Okonkwo", phone="206-555-0142", birthdate="1969-11-20",
           address="12 Birch Lane", city="Seattle", state="WA", postal="98115"),
    person("web", "hh3", given_name="Grace", surname="Okonkwo", phone="(206) 555-0142", birthdate="2001-06-14",
           address="12 BIRCH LANE", city="Seattle", state="WA", postal="98115"),
    person("web", "hh4", given_name="Mark", surname="Okonkwo", phone="2065550142",
           address="12 Birch Ln.", city="Seattle", state="WA", postal="98115"),
    person("loyalty", "hh5", given_name="Helen", surname="Okonkwo", phone="2065550142",
           address="12 Birch Ln", city="Seattle", state="WA", postal="98115"),
]
JUNIOR_SENIOR = [
    person("pos", "js1", given_name="Frank", surname="Janson", generational_suffix="Sr", phone="5035550199",
           address="400 Alder St", city="Portland", state="OR", postal="97205"),
    person("web", "js2", full_name="Frank Janson Jr.", phone="503-555-0199",
           address="400 Alder Street", city="Portland", state="OR", postal="97205"),
    person("loyalty", "js3", given_name="Frank", surname="Janson", generational_suffix="Junior",
           email="frank.janson.jr@mail.test", address="400 Alder St", postal="97205"),
]
SHARED_JUNK = [
    person("pos", f"junk{i}", given_name=name, surname=surname, email="cashier7@mystore.test", phone="4255550000")
    for i, (name, surname) in enumerate(
        [("Alice", "Moreau"), ("Bruno", "Keller"), ("Chen", "Wei"), ("Dana", "Ruiz"), ("Emeka", "Obi"), ("Farah", "Aziz"),
         ("Gus", "Lind"), ("Hana", "Sato"), ("Ivan", "Petrov"), ("Jade", "Ng"), ("Kofi", "Mensah"), ("Lena", "Vogel"),
         ("Milo", "Grant"), ("Nia", "Lowe"), ("Omar", "Haddad"), ("Pia", "Rossi"), ("Quinn", "Doyle"), ("Rosa", "Diaz"),
         ("Sami", "Khan"), ("Tara", "Bell"), ("Uma", "Rao"), ("Viktor", "Berg"), ("Wendy", "Fox")]
    )
]
COMMON_NAMES = [
    person("pos", "cn1", given_name="John", surname="Smith", address="5 Oak Ave", city="Austin", state="TX", postal="78701"),
    person("web", "cn2", given_name="John", surname="Smith", address="88 Pine Rd", city="Denver", state="CO", postal="80203"),
    person("loyalty", "cn3", given_name="John", surname="Smith", postal="97204"),
]
MATCHES = [
    # nickname + the same email
    person("pos", "m1", given_name="Robert", surname="Pemberton", email="rpemberton@mail.test"),
    person("web", "m1", given_name="Bob", surname="Pemberton", email="RPemberton+shop@mail.test"),
    # typo in surname + same phone + same birthdate
    person("pos", "m2", given_name="Susan", surname="Whitmore", phone="(312) 555-0177", birthdate="1980-05-17"),
    person("loyalty", "m2", given_name="Susan", surname="Whitmroe", phone="312.555.0177", birthdate="1980-05-17"),
    # moved (other address) + same email
    person("pos", "m3", given_name="Priya", surname="Raman", email="priya.raman@mail.test",
           address="10 Cedar Dr", city="Austin", state="TX", postal="78702"),
    person("web", "m3", given_name="Priya", surname="Raman", email="priya.raman@mail.test",
           address="4410 Elm St Apt 3", city="Denver", state="CO", postal="80210"),
    # full name only on one side, address abbreviations on the other
    person("web", "m4", full_name="Raman, Kavya", phone="5125550111", address="77 N Main St #4", postal="78701"),
    person("pos", "m4", given_name="Kavya", surname="Raman", phone="512-555-0111", address="77 North Main Street Unit 4",
           postal="78701-2210"),
]


@pytest.fixture(scope="module")
def result():
    con = duckdb.connect()
    yield stitch(con, HOUSEHOLD + JUNIOR_SENIOR + SHARED_JUNK + COMMON_NAMES + MATCHES)
    con.close()


def test_household_members_sharing_address_phone_and_surname_stay_apart(result):
    assert apart(result, *[(r["datasource"], r["pk"]) for r in HOUSEHOLD])


def test_junior_and_senior_at_one_address_stay_apart(result):
    assert apart(result, ("pos", "js1"), ("web", "js2"))
    assert apart(result, ("pos", "js1"), ("loyalty", "js3"))


def test_a_shared_junk_email_and_phone_join_nobody(result):
    assert apart(result, *[(r["datasource"], r["pk"]) for r in SHARED_JUNK])
    bad = {(r["semantic"], r["value"]) for r in result.bad_values.to_pylist()}
    assert ("email", "cashier7@mystore.test") in bad
    assert ("phone", "4255550000") in bad
    flags = [r for r in result.unified_coalesced.to_pylist() if r["pk"].startswith("junk")]
    assert all(r["has_blv"] and r["blv_email"] and r["blv_phone"] for r in flags)


def test_common_names_in_different_cities_stay_apart(result):
    assert apart(result, ("pos", "cn1"), ("web", "cn2"), ("loyalty", "cn3"))


@pytest.mark.parametrize("pk", ["m1", "m2", "m3", "m4"])
def test_true_matches_merge(result, pk):
    sides = [(r["datasource"], r["pk"]) for r in MATCHES if r["pk"] == pk]
    assert together(result, *sides)


def test_scores_inside_clusters_are_listed(result):
    scores = result.unified_scores.to_pylist()
    m1 = [s for s in scores if {s["pk1"], s["pk2"]} == {"m1"}]
    assert len(m1) == 1 and m1[0]["score"] >= 3 and m1[0]["match_type"] == "scored"
    assert m1[0]["match_category"] in ("High", "Excellent", "Exact")
    assert {s["match_type"] for s in scores} <= {"scored", "scored_transitive", "trivial_duplicate"}
