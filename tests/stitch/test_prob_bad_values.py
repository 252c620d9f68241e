"""Bad values: automatic detection rules, the blocklist feed, and what a bad value does."""

import duckdb
import pyarrow as pa
import pytest
from prob_helpers import apart, person, stitch

from amperity_pipelines.engines.sql_templates import render
from amperity_pipelines.stitch import BadValueRule, StitchInputError
from amperity_pipelines.stitch.bad_values import detected_query

NAMES = "Ava Ben Cal Dee Eli Fay Gus Hal Ivy Jo Kai Liv Max Ned Oli Pam Quin Rex Sid Tia Uma Val".split()


def sharing(semantic: str, value: str, count: int, prefix: str) -> list[dict]:
    return [person("pos", f"{prefix}{i}", given_name=NAMES[i], surname=f"Surname{i}", **{semantic: value}) for i in range(count)]


@pytest.fixture(scope="module")
def result():
    con = duckdb.connect()
    rows = (
        sharing("email", "shared.inbox@mail.test", 21, "e")  # 21 given names > 20
        + sharing("email", "couple@mail.test", 2, "c")
        + sharing("phone", "2065550999", 21, "p")
        + [person("web", f"a{i}", given_name=NAMES[i % 22] + NAMES[i // 22], surname="Lodge", address="1 Hostel Way", postal="98101")
           for i in range(41)]
    )
    blocklist = pa.table(
        {
            "datasource": ["*", "web"],
            "semantic": ["email", "phone"],
            "value": ["Listed@Mail.TEST", "(425) 555-0111"],
        }
    )
    rows += [
        person("pos", "l1", given_name="Lou", surname="Park", email="listed@mail.test"),
        person("web", "l2", given_name="Lou", surname="Park", email="LISTED@mail.test"),
        person("web", "l3", given_name="Mo", surname="Reed", phone="4255550111"),
        person("pos", "l4", given_name="Mo", surname="Reed", phone="4255550111"),
    ]
    yield stitch(con, rows, blocklist=blocklist)
    con.close()


def bad(result):
    return {(r["datasource"], r["semantic"], r["value"]): r for r in result.bad_values.to_pylist()}


def test_email_and_phone_with_more_than_20_given_names_are_detected(result):
    found = bad(result)
    email = found[("*", "email", "shared.inbox@mail.test")]
    assert (email["num_values"], email["num_proxy"], email["proxy"], email["origin"]) == (21, 21, "given_name", "detected")
    assert ("*", "phone", "2065550999") in found
    assert ("*", "email", "couple@mail.test") not in found


def test_address_with_more_than_40_given_names_is_detected(result):
    assert ("*", "address", "1 HOSTEL WAY") in bad(result)


def test_blocklist_values_are_normalised_and_scoped_to_their_source(result):
    found = bad(result)
    assert found[("*", "email", "listed@mail.test")]["origin"] == "blocklist"
    assert ("web", "phone", "4255550111") in found
    flags = {(r["datasource"], r["pk"]): r for r in result.unified_coalesced.to_pylist()}
    assert flags[("pos", "l1")]["blv_email"] and flags[("web", "l2")]["blv_email"]
    assert flags[("web", "l3")]["blv_phone"] and not flags[("pos", "l4")]["blv_phone"]


def test_bad_values_connect_nobody_and_are_null_in_preprocessed_raw(result):
    assert apart(result, *[("pos", f"e{i}") for i in range(21)])
    raw = {(r["datasource"], r["pk"]): r for r in result.unified_preprocessed_raw.to_pylist()}
    assert raw[("pos", "e0")]["email"] is None and raw[("pos", "c0")]["email"] == "couple@mail.test"
    assert raw[("pos", "l1")]["email"] is None and raw[("web", "l2")]["email"] is None
    # names alone are Weak evidence: without their (blocklisted) email the two Lou Parks stay apart
    assert apart(result, ("pos", "l1"), ("web", "l2"))


def test_detection_rules_are_configurable():
    con = duckdb.connect()
    rows = sharing("email", "trio@mail.test", 3, "t")
    result = stitch(con, rows, with_background=False, bad_value_rules=(BadValueRule("email", "given_name", 2),))
    assert ("*", "email", "trio@mail.test") in bad(result)
    quiet = stitch(con, rows, with_background=False, bad_value_rules=())
    assert quiet.bad_values.num_rows == 0


def test_detected_query_golden():
    assert render(detected_query("p", BadValueRule("phone", "given_name", 20))) == (
        "SELECT '*' AS datasource, 'phone' AS semantic, phone AS value, COUNT(*) AS num_values, "
        "COUNT(DISTINCT given_name) AS num_proxy, 'given_name' AS proxy, 'detected' AS origin FROM p "
        "WHERE NOT phone IS NULL GROUP BY phone HAVING COUNT(DISTINCT given_name) > 20"
    )


def test_blocklist_with_an_unknown_semantic_is_refused():
    con = duckdb.connect()
    blocklist = pa.table({"datasource": ["*"], "semantic": ["shoe-size"], "value": ["12"]})
    with pytest.raises(StitchInputError, match="shoe-size"):
        stitch(con, [person("a", "1", given_name="Al")], with_background=False, blocklist=blocklist)


def test_bad_value_rule_validation():
    with pytest.raises(ValueError, match="semantic"):
        BadValueRule("shoe_size", "given_name", 3)
