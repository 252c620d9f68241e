from __future__ import annotations

import pytest

from amperity_pipelines.engines import DuckDBEngine

# Small hand-made domain tables named the way tenants name them (Source:Feed).
_TABLES = """
CREATE TABLE "POS:Customers" AS SELECT * FROM (VALUES
    ('c1', 'Ann',  'Lee',    'ann.lee@example.com', DATE '1990-01-31', TIMESTAMP '2020-01-01 23:00:00', 120, ['vip', 'email'], 'Seattle,WA',  '{"tier": "gold", "visits": 3}'),
    ('c2', 'Bob',  'Stone',  'BOB@Example.org',     DATE '1985-02-28', TIMESTAMP '2020-02-29 08:30:15', 7,   ['sms'],          'Portland,OR', '{"tier": "silver"}'),
    ('c3', 'Cleo', NULL,     NULL,                  NULL,              TIMESTAMP '2021-12-31 12:00:00', NULL, [],              NULL,          NULL),
    ('c4', 'Dan',  'Moss',   'dan@example.com',     DATE '2000-02-29', TIMESTAMP '2020-03-15 00:00:00', 55,  ['email', 'vip', 'sms'], 'Austin,TX', '{"visits": 10}')
) AS t(customer_id, given_name, surname, email, birthdate, created_at, loyalty_points, tags, location, profile);

CREATE TABLE "POS:Orders" AS SELECT * FROM (VALUES
    ('o1', 'c1', TIMESTAMP '2020-01-05 10:00:00', 19.99::DECIMAL(10, 2), 1, 'web'),
    ('o2', 'c1', TIMESTAMP '2020-02-10 09:30:00', 5.01::DECIMAL(10, 2),  3, 'store'),
    ('o3', 'c2', TIMESTAMP '2020-03-01 00:00:00', 100.00::DECIMAL(10, 2), 2, 'web'),
    ('o4', 'c4', TIMESTAMP '2020-03-16 23:59:59', 42.50::DECIMAL(10, 2), 7, 'app'),
    ('o5', 'c4', TIMESTAMP '2020-04-01 08:00:00', 7.50::DECIMAL(10, 2),  1, NULL),
    ('o6', 'c1', TIMESTAMP '2020-02-10 18:00:00', 30.00::DECIMAL(10, 2), 1, 'web')
) AS t(order_id, customer_id, order_ts, amount, quantity, channel);

CREATE TABLE "POS:Attributes" AS SELECT * FROM (VALUES
    ('c1', 'color', 'red'),
    ('c1', 'size', 'M'),
    ('c1', 'color', 'blue'),
    ('c2', 'size', 'L'),
    ('c2', NULL, 'ignored'),
    ('c3', NULL, 'ignored')
) AS t(customer_id, name, value);
"""


@pytest.fixture(scope="session")
def engine():
    with DuckDBEngine(memory_limit="512MB", threads=2) as duckdb_engine:
        duckdb_engine.execute(_TABLES)
        yield duckdb_engine
