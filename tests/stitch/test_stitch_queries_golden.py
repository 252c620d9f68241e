"""Golden SQL of the Stitch query builders (the behaviour is covered end to end elsewhere)."""

from datetime import datetime

from amperity_pipelines.engines.sql_templates import render
from amperity_pipelines.stitch import DeterministicSettings
from amperity_pipelines.stitch.coalesced import InputColumns, numbered_query, typed_records
from amperity_pipelines.stitch.matching import bad_values_query, star_edges_query
from amperity_pipelines.stitch.stable_ids import changes_query, previous_query


def test_typed_records_casts_present_columns_and_nulls_missing_ones():
    columns = InputColumns.of(["Datasource", "pk", "EMAIL", "fk_pos"])
    assert columns.fk_columns == ("fk_pos",)
    sql = render(typed_records("recs", columns, (("email", "VARCHAR"), ("birthdate", "DATE"))))
    assert sql == (
        "SELECT CAST(Datasource AS TEXT) AS datasource, CAST(pk AS TEXT) AS pk, CAST(EMAIL AS TEXT) AS email, "
        "CAST(NULL AS DATE) AS birthdate FROM recs"
    )


def test_numbered_query():
    assert render(numbered_query("keys")) == "SELECT ROW_NUMBER() OVER () - 1 AS rid, * FROM keys"


def test_star_edges_query():
    assert render(star_edges_query("base", "key_email", "bad", "email")) == (
        "SELECT rid, root FROM (SELECT rid, MIN(rid) OVER (PARTITION BY key_email) AS root FROM base "
        "WHERE NOT key_email IS NULL AND NOT key_email IN (SELECT value FROM bad WHERE semantic = 'email')) "
        "WHERE rid <> root"
    )
    assert render(star_edges_query("base", "key_fk_pos", "bad", None)) == (
        "SELECT rid, root FROM (SELECT rid, MIN(rid) OVER (PARTITION BY key_fk_pos) AS root FROM base "
        "WHERE NOT key_fk_pos IS NULL) WHERE rid <> root"
    )


def test_bad_values_query():
    email_part = (
        "SELECT 'email' AS semantic, key_email AS value, COUNT(*) AS num_records, "
        "COUNT(DISTINCT key_given_name) AS num_given_names FROM base WHERE NOT key_email IS NULL GROUP BY key_email "
    )
    assert render(bad_values_query("base", DeterministicSettings())).startswith(
        email_part + "HAVING COUNT(DISTINCT key_given_name) > 20 UNION ALL SELECT 'phone'"
    )
    assert render(bad_values_query("base", DeterministicSettings(bad_value_max_given_names=None))).startswith(
        email_part + "HAVING FALSE UNION ALL"
    )


def test_previous_and_changes_queries():
    assert render(previous_query("uc")) == (
        "SELECT CAST(amperity_id AS TEXT) AS amperity_id, CAST(datasource AS TEXT) AS datasource, "
        "CAST(pk AS TEXT) AS pk FROM uc"
    )
    assert render(changes_query("cur", "prev", job_id="j1", timestamp=datetime(2024, 1, 2, 3, 4, 5))) == (
        "SELECT n.amperity_id, o.amperity_id AS amperity_id_prev, COALESCE(n.datasource, o.datasource) AS datasource, "
        "COALESCE(n.pk, o.pk) AS pk, CASE WHEN o.pk IS NULL THEN 'added' WHEN n.pk IS NULL THEN 'deleted' "
        "ELSE 'updated' END AS change_type, CAST('j1' AS TEXT) AS job_id, "
        "CAST('2024-01-02 03:04:05' AS TIMESTAMP) AS timestamp "
        "FROM cur AS n FULL OUTER JOIN prev AS o ON n.datasource = o.datasource AND n.pk = o.pk "
        "WHERE n.amperity_id IS DISTINCT FROM o.amperity_id ORDER BY datasource, pk"
    )
