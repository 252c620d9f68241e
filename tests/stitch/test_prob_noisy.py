"""Typing errors end to end: swapped names, mistyped dates and postal codes still merge under the
default settings, and the record-linkage preset lets the model weigh a wholly different given
name where the default rules separate it.
"""

import duckdb
import pytest
from prob_helpers import apart, background, person, register, together

from amperity_pipelines.stitch import StitchSettings, stitch_records
from amperity_pipelines.stitch.settings import PRESETS, preset

NOISY = [
    # given name and surname written in each other's field
    person("pos", "sw", given_name="Okafor", surname="Chidi", birthdate="1985-09-12", address="14 Quarry Rd", postal="98103"),
    person("web", "sw", given_name="Chidi", surname="Okafor", birthdate="1985-09-12", address="14 Quarry Road", postal="98103"),
    # day and month the other way round
    person("pos", "tb", given_name="Ingrid", surname="Halvorsen", birthdate="1978-03-07", address="9 Fjord Way",
           postal="97211"),
    person("web", "tb", given_name="Ingrid", surname="Halvorsen", birthdate="1978-07-03", address="9 Fjord Way",
           postal="97211"),
    # two year digits swapped
    person("pos", "ty", given_name="Tobias", surname="Wexford", birthdate="1992-06-30", address="301 Larch St",
           postal="80211"),
    person("web", "ty", given_name="Tobias", surname="Wexford", birthdate="1929-06-30", address="301 Larch Street",
           postal="80211"),
    # postal code mistyped, same street and city
    person("pos", "pt", given_name="Marisol", surname="Quintero", birthdate="1990-01-15", address="55 Ocotillo Dr",
           city="Tucson", postal="85719"),
    person("web", "pt", given_name="Marisol", surname="Quintero", address="55 Ocotillo Drive", city="Tucson", postal="85791"),
    # the same surname, birthdate and address with another given name: twins, or a mistyped record
    person("pos", "rg", given_name="Lachlan", surname="Vaile", birthdate="1966-09-26", address="70 Bushby Close",
           postal="60046"),
    person("web", "rg", given_name="Jordan", surname="Vaile", birthdate="1966-09-26", address="70 Bushby Close",
           postal="60046"),
]
PAIRS = ("sw", "tb", "ty", "pt")


def _run(settings: StitchSettings):
    con = duckdb.connect()
    try:
        return stitch_records(con, register(con, background() + NOISY), settings=settings)
    finally:
        con.close()


@pytest.fixture(scope="module")
def default():
    return _run(StitchSettings())


@pytest.fixture(scope="module")
def linkage():
    return _run(preset("record-linkage"))


def _sides(pk: str) -> list[tuple[str, str]]:
    return [(r["datasource"], r["pk"]) for r in NOISY if r["pk"] == pk]


@pytest.mark.parametrize("pk", PAIRS)
def test_typing_errors_merge_with_default_settings(default, pk):
    assert together(default, *_sides(pk))


def test_default_rules_keep_a_different_given_name_apart(default):
    assert apart(default, *_sides("rg"))


@pytest.mark.parametrize("pk", (*PAIRS, "rg"))
def test_record_linkage_preset_weighs_the_given_name_instead(linkage, pk):
    assert together(linkage, *_sides(pk))


def test_presets_are_named_settings():
    settings = preset("record-linkage", threshold=4)
    assert settings.threshold == 4 and not settings.cap_weak_without_unique
    assert [r.condition for r in settings.rules] == ["different-generations"]
    assert "house-postal" in settings.strategies and "house-postal" not in StitchSettings().strategies
    assert set(PRESETS) == {"record-linkage"}
    with pytest.raises(ValueError, match="unknown Stitch settings preset 'fast'"):
        preset("fast")


def test_no_separate_rule_at_all_still_clusters():
    result = _run(StitchSettings(rules=()))
    assert together(result, *_sides("sw"))
