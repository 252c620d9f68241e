"""Golden SQL of the small fragments the customer 360 queries are built from."""

from amperity_pipelines.c360 import customer_360_query
from amperity_pipelines.c360.itemized_transactions import fk_owner_query
from amperity_pipelines.c360.merged_customers import best_row
from amperity_pipelines.engines.sql_templates import render


def test_fk_owner_query():
    assert render(fk_owner_query("uc", "fk_pos")) == (
        "SELECT NULLIF(UPPER(TRIM(CAST(fk_pos AS TEXT))), '') AS fk_value, MIN(amperity_id) AS amperity_id "
        "FROM uc WHERE NOT NULLIF(UPPER(TRIM(CAST(fk_pos AS TEXT))), '') IS NULL "
        "GROUP BY NULLIF(UPPER(TRIM(CAST(fk_pos AS TEXT))), '') "
        "HAVING COUNT(DISTINCT amperity_id) = 1"
    )


def test_best_row():
    assert render(best_row("email")) == (
        "ARG_MIN({'email': email, 'datasource': datasource, 'pk': pk, 'update_dt': update_dt, "
        "'priority': email_priority, 'completion': email_completion}, "
        "{'completion': -email_completion, 'priority': email_priority, 'undated': update_dt IS NULL, "
        "'recency': -COALESCE(EPOCH_US(update_dt), 0), 'pk': pk, 'datasource': datasource})"
    )


def test_customer_360_query():
    assert render(customer_360_query("mc", "ta", ["amperity_id", "lifetime_order_revenue"])) == (
        "SELECT m.amperity_id, m.given_name, m.surname, m.email, m.phone, m.address, m.city, m.state, "
        "m.postal, m.birthdate, m.gender, t.lifetime_order_revenue "
        "FROM mc AS m LEFT JOIN ta AS t ON t.amperity_id = m.amperity_id"
    )
