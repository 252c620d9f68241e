"""Golden tests: typical tenant SQL, transpiled to DuckDB, must give the result Spark/Trino give.

Expected values are written from each engine's documented semantics (not from DuckDB's output):
Spark puts NULLs first in ascending order and returns '' from regexp_extract without a match;
Trino divides integers as integers, counts whole units in date_diff and clamps month ends.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from amperity_pipelines.engines import transpile


def rows(engine, sql: str, dialect: str) -> list[tuple]:
    table = engine.query(sql, dialect=dialect)
    return [tuple(row.values()) for row in table.to_pylist()]


def days(end: date, start: date) -> int:
    return (end - start).days


SPARK_CASES = [
    pytest.param(
        """
        WITH totals AS (
          SELECT customer_id, SUM(amount) AS total, COUNT(*) AS orders
          FROM `POS:Orders` GROUP BY customer_id
        )
        SELECT c.customer_id, t.total, t.orders
        FROM `POS:Customers` c LEFT JOIN totals t ON c.customer_id = t.customer_id
        ORDER BY c.customer_id
        """,
        [("c1", Decimal("55.00"), 3), ("c2", Decimal("100.00"), 1), ("c3", None, None), ("c4", Decimal("50.00"), 2)],
        id="cte-left-join-aggregate",
    ),
    pytest.param(
        """
        SELECT customer_id, order_id FROM (
          SELECT customer_id, order_id,
                 ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_ts DESC) AS rn
          FROM `POS:Orders`) ranked
        WHERE rn = 1 ORDER BY customer_id
        """,
        [("c1", "o6"), ("c2", "o3"), ("c4", "o5")],
        id="row-number-latest",
    ),
    pytest.param(
        """
        SELECT order_id,
          SUM(quantity) OVER (PARTITION BY customer_id ORDER BY order_ts
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_qty,
          LAG(order_id) OVER (PARTITION BY customer_id ORDER BY order_ts) AS previous_order
        FROM `POS:Orders` ORDER BY order_id
        """,
        [("o1", 1, None), ("o2", 4, "o1"), ("o3", 2, None), ("o4", 7, None), ("o5", 8, "o4"), ("o6", 5, "o2")],
        id="running-sum-lag",
    ),
    pytest.param(
        """
        SELECT customer_id, datediff(to_date(created_at), birthdate) AS age_days,
               date_add(birthdate, 1) AS next_day, date_sub(birthdate, 1) AS previous_day,
               add_months(birthdate, 1) AS next_month
        FROM `POS:Customers` WHERE birthdate IS NOT NULL ORDER BY customer_id
        """,
        [
            ("c1", days(date(2020, 1, 1), date(1990, 1, 31)), date(1990, 2, 1), date(1990, 1, 30), date(1990, 2, 28)),
            ("c2", days(date(2020, 2, 29), date(1985, 2, 28)), date(1985, 3, 1), date(1985, 2, 27), date(1985, 3, 28)),
            ("c4", days(date(2020, 3, 15), date(2000, 2, 29)), date(2000, 3, 1), date(2000, 2, 28), date(2000, 3, 29)),
        ],
        id="datediff-date-add-add-months",
    ),
    pytest.param(
        """
        SELECT date_format(created_at, "yyyy-MM-dd'T'HH:mm:ss") AS iso,
               date_format(created_at, 'EEE, d MMM yyyy') AS pretty,
               date_format(birthdate, 'MM/dd/yy') AS short
        FROM `POS:Customers` ORDER BY customer_id
        """,
        [
            ("2020-01-01T23:00:00", "Wed, 1 Jan 2020", "01/31/90"),
            ("2020-02-29T08:30:15", "Sat, 29 Feb 2020", "02/28/85"),
            ("2021-12-31T12:00:00", "Fri, 31 Dec 2021", None),
            ("2020-03-15T00:00:00", "Sun, 15 Mar 2020", "02/29/00"),
        ],
        id="date-format-quoted-literal",
    ),
    pytest.param(
        """
        SELECT to_date('2020/03/05', 'yyyy/MM/dd') AS d1, to_date('not a date', 'yyyy/MM/dd') AS bad,
               to_date('2020-07-04') AS d2, unix_timestamp('2020-01-01 00:00:10') AS epoch,
               from_unixtime(86400) AS ts_text
        """,
        [(date(2020, 3, 5), None, date(2020, 7, 4), 1577836810, "1970-01-02 00:00:00")],
        id="to-date-unix-timestamp",
    ),
    pytest.param(
        """
        SELECT customer_id, nvl(surname, 'unknown') AS surname, coalesce(email, surname, 'none') AS contact,
               nvl2(email, 'has email', 'no email') AS has_email, if(loyalty_points > 50, 'high', 'low') AS level
        FROM `POS:Customers` ORDER BY customer_id
        """,
        [
            ("c1", "Lee", "ann.lee@example.com", "has email", "high"),
            ("c2", "Stone", "BOB@Example.org", "has email", "low"),
            ("c3", "unknown", "none", "no email", "low"),
            ("c4", "Moss", "dan@example.com", "has email", "high"),
        ],
        id="nvl-coalesce-nvl2-if",
    ),
    pytest.param(
        """
        SELECT CASE WHEN amount >= 50 THEN 'large' WHEN amount >= 10 THEN 'medium' ELSE 'small' END AS bucket,
               COUNT(*) AS n, SUM(amount) AS total
        FROM `POS:Orders` GROUP BY 1 HAVING COUNT(*) >= 1 ORDER BY bucket
        """,
        [("large", 1, Decimal("100.00")), ("medium", 3, Decimal("92.49")), ("small", 2, Decimal("12.51"))],
        id="case-group-by-having",
    ),
    pytest.param(
        """
        SELECT customer_id, concat_ws(' ', given_name, surname) AS full_name, upper(given_name) AS up,
               lower(email) AS lo, initcap(lower(given_name)) AS cap, length(given_name) AS len,
               substring(given_name, 2, 2) AS sub, lpad(customer_id, 4, '0') AS padded,
               instr(email, '@') AS at_pos, trim('  x  ') AS trimmed
        FROM `POS:Customers` ORDER BY customer_id
        """,
        [
            ("c1", "Ann Lee", "ANN", "ann.lee@example.com", "Ann", 3, "nn", "00c1", 8, "x"),
            ("c2", "Bob Stone", "BOB", "bob@example.org", "Bob", 3, "ob", "00c2", 4, "x"),
            ("c3", "Cleo", "CLEO", None, "Cleo", 4, "le", "00c3", None, "x"),
            ("c4", "Dan Moss", "DAN", "dan@example.com", "Dan", 3, "an", "00c4", 4, "x"),
        ],
        id="string-functions",
    ),
    pytest.param(
        r"""
        SELECT customer_id, regexp_extract(email, '@(.+)$', 1) AS domain,
               regexp_extract(email, '^([0-9]+)', 1) AS digits,
               email rlike '\\.com$' AS is_com,
               regexp_replace(location, ',[A-Z]{2}$', '') AS city
        FROM `POS:Customers` ORDER BY customer_id
        """,
        [
            ("c1", "example.com", "", True, "Seattle"),
            ("c2", "Example.org", "", False, "Portland"),
            ("c3", None, None, None, None),
            ("c4", "example.com", "", True, "Austin"),
        ],
        id="regexp-extract-rlike-replace",
    ),
    pytest.param(
        """
        SELECT customer_id, split(location, ',')[0] AS city, element_at(split(location, ','), -1) AS state,
               size(tags) AS n_tags, array_contains(tags, 'vip') AS vip, sort_array(tags) AS sorted_tags
        FROM `POS:Customers` ORDER BY customer_id
        """,
        [
            ("c1", "Seattle", "WA", 2, True, ["email", "vip"]),
            ("c2", "Portland", "OR", 1, False, ["sms"]),
            ("c3", None, None, 0, False, []),
            ("c4", "Austin", "TX", 3, True, ["email", "sms", "vip"]),
        ],
        id="split-element-at-size-array-contains",
    ),
    pytest.param(
        """
        SELECT c.customer_id, tag
        FROM `POS:Customers` c LATERAL VIEW explode(tags) t AS tag
        ORDER BY c.customer_id, tag
        """,
        [("c1", "email"), ("c1", "vip"), ("c2", "sms"), ("c4", "email"), ("c4", "sms"), ("c4", "vip")],
        id="lateral-view-explode",
    ),
    pytest.param(
        """
        SELECT customer_id, sort_array(collect_set(channel)) AS channels, size(collect_list(channel)) AS n
        FROM `POS:Orders` GROUP BY customer_id ORDER BY customer_id
        """,
        [("c1", ["store", "web"], 3), ("c2", ["web"], 1), ("c4", ["app"], 1)],
        id="collect-set-collect-list",
    ),
    pytest.param(
        "SELECT approx_count_distinct(customer_id) AS approx, COUNT(DISTINCT channel) AS channels FROM `POS:Orders`",
        [(3, 3)],
        id="approx-count-distinct",
    ),
    pytest.param(
        """
        SELECT customer_id, trunc(birthdate, 'MM') AS month_start, trunc(birthdate, 'YEAR') AS year_start,
               date_trunc('HOUR', created_at) AS hour_start, date_trunc('MM', created_at) AS month_ts
        FROM `POS:Customers` WHERE birthdate IS NOT NULL ORDER BY customer_id
        """,
        [
            ("c1", date(1990, 1, 1), date(1990, 1, 1), datetime(2020, 1, 1, 23), datetime(2020, 1, 1)),
            ("c2", date(1985, 2, 1), date(1985, 1, 1), datetime(2020, 2, 29, 8), datetime(2020, 2, 1)),
            ("c4", date(2000, 2, 1), date(2000, 1, 1), datetime(2020, 3, 15, 0), datetime(2020, 3, 1)),
        ],
        id="trunc-date-trunc-aliases",
    ),
    pytest.param(
        """
        SELECT timestampdiff(MONTH, TIMESTAMP '2020-01-31 00:00:00', TIMESTAMP '2020-02-29 00:00:00') AS m_end,
               timestampdiff(MONTH, TIMESTAMP '2020-01-15 12:00:00', TIMESTAMP '2020-03-15 11:00:00') AS m_time,
               timestampdiff(YEAR, DATE '2020-02-29', DATE '2021-02-28') AS y,
               timestampdiff(QUARTER, DATE '2020-01-15', DATE '2020-07-14') AS q,
               timestampdiff(DAY, TIMESTAMP '2020-01-01 23:00:00', TIMESTAMP '2020-01-03 01:00:00') AS d,
               timestampdiff(HOUR, TIMESTAMP '2020-01-01 23:30:00', TIMESTAMP '2020-01-02 00:10:00') AS h,
               timestampdiff(MONTH, DATE '2020-03-31', DATE '2020-01-30') AS negative
        """,
        # java.time: Jan 31 -> Feb 29 is not a whole month (unlike Joda/Trino).
        [(0, 1, 0, 1, 1, 0, -2)],
        id="timestampdiff-whole-units",
    ),
    pytest.param(
        "SELECT sha2(lower(trim(email)), 256) AS hashed, md5('abc') AS m FROM `POS:Customers` WHERE customer_id = 'c1'",
        [(hashlib.sha256(b"ann.lee@example.com").hexdigest(), hashlib.md5(b"abc").hexdigest())],
        id="sha2-md5",
    ),
    pytest.param(
        """
        SELECT quantity / 2 AS half, quantity / 0 AS by_zero, quantity % 2 AS odd,
               round(amount * 1.5, 1) AS scaled
        FROM `POS:Orders` WHERE order_id = 'o2'
        """,
        [(1.5, None, 1, Decimal("7.5"))],
        id="division-double-and-null-on-zero",
    ),
    pytest.param(
        """
        SELECT c.customer_id FROM `POS:Customers` c
        LEFT ANTI JOIN `POS:Orders` o ON c.customer_id = o.customer_id
        UNION ALL
        SELECT c.customer_id FROM `POS:Customers` c
        LEFT SEMI JOIN `POS:Orders` o ON c.customer_id = o.customer_id AND o.channel = 'app'
        ORDER BY 1
        """,
        [("c3",), ("c4",)],
        id="anti-and-semi-join",
    ),
    pytest.param(
        """
        SELECT customer_id, max_by(order_id, order_ts) AS latest, min_by(order_id, amount) AS cheapest
        FROM `POS:Orders` GROUP BY customer_id ORDER BY customer_id
        """,
        [("c1", "o6", "o2"), ("c2", "o3", "o3"), ("c4", "o5", "o5")],
        id="max-by-min-by",
    ),
    pytest.param(
        """
        SELECT customer_id, get_json_object(profile, '$.tier') AS tier,
               CAST(get_json_object(profile, '$.visits') AS INT) AS visits
        FROM `POS:Customers` ORDER BY customer_id
        """,
        [("c1", "gold", 3), ("c2", "silver", None), ("c3", None, None), ("c4", None, 10)],
        id="get-json-object",
    ),
    pytest.param(
        "SELECT channel FROM `POS:Orders` UNION SELECT 'email' ORDER BY channel",
        [(None,), ("app",), ("email",), ("store",), ("web",)],
        id="union-nulls-first",
    ),
    pytest.param(
        """
        SELECT year(created_at), month(created_at), dayofmonth(created_at), dayofweek(created_at),
               weekofyear(created_at), quarter(created_at), last_day(created_at)
        FROM `POS:Customers` WHERE customer_id = 'c2'
        """,
        # 2020-02-29 is a Saturday: Spark's dayofweek counts Sunday = 1 .. Saturday = 7.
        [(2020, 2, 29, 7, 9, 1, date(2020, 2, 29))],
        id="date-parts",
    ),
]


PRESTO_CASES = [
    pytest.param(
        """
        WITH spend AS (SELECT customer_id, SUM(amount) AS total FROM "POS:Orders" GROUP BY customer_id)
        SELECT customer_id, total, RANK() OVER (ORDER BY total DESC) AS rnk FROM spend ORDER BY rnk
        """,
        [("c2", Decimal("100.00"), 1), ("c1", Decimal("55.00"), 2), ("c4", Decimal("50.00"), 3)],
        id="cte-rank",
    ),
    pytest.param(
        """
        SELECT date_diff('day', TIMESTAMP '2020-01-01 23:00:00', TIMESTAMP '2020-01-03 01:00:00') AS d,
               date_diff('hour', TIMESTAMP '2020-01-01 23:30:00', TIMESTAMP '2020-01-02 00:10:00') AS h,
               date_diff('month', DATE '2020-01-31', DATE '2020-02-29') AS m_end,
               date_diff('month', DATE '2020-01-15', DATE '2020-03-14') AS m,
               date_diff('year', DATE '2020-02-29', DATE '2021-02-28') AS y,
               date_diff('week', DATE '2020-01-01', DATE '2020-01-14') AS w,
               date_diff('quarter', DATE '2020-01-15', DATE '2020-07-14') AS q,
               date_diff('day', DATE '2020-03-10', DATE '2020-03-01') AS negative
        """,
        [(1, 0, 1, 1, 1, 1, 1, -9)],
        id="date-diff-whole-units",
    ),
    pytest.param(
        """
        SELECT c.customer_id, date_diff('day', c.created_at, MIN(o.order_ts)) AS days_to_first_order
        FROM "POS:Customers" c JOIN "POS:Orders" o ON c.customer_id = o.customer_id
        GROUP BY c.customer_id, c.created_at ORDER BY 1
        """,
        [("c1", 3), ("c2", 0), ("c4", 1)],
        id="date-diff-per-row",
    ),
    pytest.param(
        """
        SELECT customer_id, format_datetime(created_at, 'yyyy-MM-dd''T''HH:mm:ss') AS iso,
               format_datetime(created_at, 'EEEE, MMMM d, yyyy h:mm a') AS pretty
        FROM "POS:Customers" ORDER BY customer_id
        """,
        [
            ("c1", "2020-01-01T23:00:00", "Wednesday, January 1, 2020 11:00 PM"),
            ("c2", "2020-02-29T08:30:15", "Saturday, February 29, 2020 8:30 AM"),
            ("c3", "2021-12-31T12:00:00", "Friday, December 31, 2021 12:00 PM"),
            ("c4", "2020-03-15T00:00:00", "Sunday, March 15, 2020 12:00 AM"),
        ],
        id="format-datetime",
    ),
    pytest.param(
        """
        SELECT parse_datetime('2020-03-05 14:07', 'yyyy-MM-dd HH:mm') AS p,
               date_parse('05/03/2020', '%d/%m/%Y') AS dp,
               date_format(TIMESTAMP '2020-03-05 14:07:09', '%Y-%m-%d %H:%i:%s') AS df
        """,
        [(datetime(2020, 3, 5, 14, 7), datetime(2020, 3, 5), "2020-03-05 14:07:09")],
        id="parse-datetime-date-parse-date-format",
    ),
    pytest.param(
        """
        SELECT customer_id, map_agg(name, value) AS attrs
        FROM "POS:Attributes" GROUP BY customer_id ORDER BY customer_id
        """,
        # NULL keys are skipped; a repeated key keeps its first value; no keys at all is NULL.
        [("c1", [("color", "red"), ("size", "M")]), ("c2", [("size", "L")]), ("c3", None)],
        id="map-agg",
    ),
    pytest.param(
        """
        WITH m AS (SELECT customer_id, map_agg(name, upper(value)) AS attrs FROM "POS:Attributes" GROUP BY customer_id)
        SELECT customer_id, element_at(attrs, 'size') AS size, cardinality(attrs) AS n FROM m ORDER BY customer_id
        """,
        [("c1", "M", 2), ("c2", "L", 1), ("c3", None, None)],
        id="map-agg-element-at-cardinality",
    ),
    pytest.param(
        """
        SELECT approx_distinct(customer_id) AS customers, count_if(channel = 'web') AS web_orders,
               COUNT(channel) AS with_channel, SUM(quantity) AS qty
        FROM "POS:Orders"
        """,
        [(3, 3, 5, 15)],
        id="approx-distinct-count-if",
    ),
    pytest.param(
        """
        SELECT date_trunc('month', TIMESTAMP '2020-02-29 08:30:15') AS m,
               date_trunc('week', DATE '2020-03-05') AS w,
               date_add('month', 1, DATE '2020-01-31') AS next_month,
               date_add('day', -1, DATE '2020-03-01') AS previous_day,
               date_add('hour', 36, TIMESTAMP '2020-01-01 00:00:00') AS later,
               last_day_of_month(DATE '2020-02-10') AS eom
        """,
        [(datetime(2020, 2, 1), date(2020, 3, 2), date(2020, 2, 29), date(2020, 2, 29), datetime(2020, 1, 2, 12), date(2020, 2, 29))],
        id="date-trunc-date-add",
    ),
    pytest.param(
        r"""
        SELECT customer_id, regexp_extract(email, '@(.+)$', 1) AS domain, regexp_extract(email, '^[0-9]+') AS digits,
               regexp_like(email, '\.com$') AS is_com, regexp_replace(location, ',[A-Z]{2}$') AS city
        FROM "POS:Customers" ORDER BY customer_id
        """,
        # Trino's regexp_extract is NULL without a match (DuckDB's is '').
        [
            ("c1", "example.com", None, True, "Seattle"),
            ("c2", "Example.org", None, False, "Portland"),
            ("c3", None, None, None, None),
            ("c4", "example.com", None, True, "Austin"),
        ],
        id="regexp-extract-like-replace",
    ),
    pytest.param(
        """
        SELECT customer_id, element_at(split(location, ','), 1) AS city, split(location, ',')[2] AS state,
               cardinality(tags) AS n_tags, array_join(tags, '|') AS joined, contains(tags, 'vip') AS vip
        FROM "POS:Customers" ORDER BY customer_id
        """,
        [
            ("c1", "Seattle", "WA", 2, "vip|email", True),
            ("c2", "Portland", "OR", 1, "sms", False),
            ("c3", None, None, 0, "", False),
            ("c4", "Austin", "TX", 3, "email|vip|sms", True),
        ],
        id="split-element-at-cardinality-array-join",
    ),
    pytest.param(
        """
        SELECT customer_id, array_agg(order_id ORDER BY order_ts) AS orders,
               transform(array_agg(quantity ORDER BY order_ts), q -> q * 10) AS tens,
               filter(array_agg(quantity ORDER BY order_ts), q -> q > 1) AS big
        FROM "POS:Orders" GROUP BY customer_id ORDER BY customer_id
        """,
        [("c1", ["o1", "o2", "o6"], [10, 30, 10], [3]), ("c2", ["o3"], [20], [2]), ("c4", ["o4", "o5"], [70, 10], [7])],
        id="array-agg-transform-filter",
    ),
    pytest.param(
        """
        SELECT customer_id,
               CASE WHEN loyalty_points >= 100 THEN 'gold' WHEN loyalty_points >= 50 THEN 'silver' ELSE 'bronze' END AS tier,
               COALESCE(surname, given_name) AS name, IF(email IS NULL, 'no', 'yes') AS reachable,
               NULLIF(loyalty_points, 7) AS points, TRY(CAST(surname AS INTEGER)) AS bad_cast
        FROM "POS:Customers" ORDER BY customer_id
        """,
        [
            ("c1", "gold", "Lee", "yes", 120, None),
            ("c2", "bronze", "Stone", "yes", None, None),
            ("c3", "bronze", "Cleo", "no", None, None),
            ("c4", "silver", "Moss", "yes", 55, None),
        ],
        id="case-coalesce-if-nullif-try",
    ),
    pytest.param(
        """
        SELECT 7 / 2 AS int_div, 7.0 / 2 AS dec_div, SUM(quantity) / COUNT(*) AS avg_int,
               AVG(quantity) AS avg_q, 7 % 3 AS m
        FROM "POS:Orders"
        """,
        [(3, Decimal("3.5"), 2, 2.5, 1)],
        id="integer-division",
    ),
    pytest.param(
        """
        SELECT customer_id, concat(given_name, ' ', surname) AS full_name, given_name || '-' || customer_id AS tag,
               concat_ws(' ', given_name, surname) AS ws
        FROM "POS:Customers" ORDER BY customer_id
        """,
        [
            ("c1", "Ann Lee", "Ann-c1", "Ann Lee"),
            ("c2", "Bob Stone", "Bob-c2", "Bob Stone"),
            ("c3", None, "Cleo-c3", "Cleo"),
            ("c4", "Dan Moss", "Dan-c4", "Dan Moss"),
        ],
        id="concat-null-propagation",
    ),
    pytest.param(
        """
        SELECT c.customer_id, t.tag, t.pos
        FROM "POS:Customers" c CROSS JOIN UNNEST(c.tags) WITH ORDINALITY AS t(tag, pos)
        ORDER BY 1, 3
        """,
        [("c1", "vip", 1), ("c1", "email", 2), ("c2", "sms", 1), ("c4", "email", 1), ("c4", "vip", 2), ("c4", "sms", 3)],
        id="cross-join-unnest-ordinality",
    ),
    pytest.param(
        """
        SELECT lower(to_hex(sha256(to_utf8(lower(trim(email)))))) AS hashed
        FROM "POS:Customers" WHERE customer_id = 'c2'
        """,
        [(hashlib.sha256(b"bob@example.org").hexdigest(),)],
        id="sha256-hashing",
    ),
    pytest.param(
        """
        SELECT customer_id, json_extract_scalar(profile, '$.tier') AS tier,
               CAST(json_extract_scalar(profile, '$.visits') AS INTEGER) AS visits
        FROM "POS:Customers" ORDER BY customer_id
        """,
        [("c1", "gold", 3), ("c2", "silver", None), ("c3", None, None), ("c4", None, 10)],
        id="json-extract-scalar",
    ),
    pytest.param(
        """
        SELECT customer_id, substr(given_name, 2) AS rest, strpos(email, '@') AS at_pos, length(given_name) AS len,
               lpad(customer_id, 5, '*') AS padded, replace(location, ',', ' / ') AS loc, reverse(given_name) AS rev
        FROM "POS:Customers" ORDER BY customer_id
        """,
        [
            ("c1", "nn", 8, 3, "***c1", "Seattle / WA", "nnA"),
            ("c2", "ob", 4, 3, "***c2", "Portland / OR", "boB"),
            ("c3", "leo", None, 4, "***c3", None, "oelC"),
            ("c4", "an", 4, 3, "***c4", "Austin / TX", "naD"),
        ],
        id="string-functions",
    ),
    pytest.param(
        """
        SELECT year(created_at), quarter(created_at), month(created_at), day_of_week(created_at),
               week(created_at), day_of_year(created_at)
        FROM "POS:Customers" WHERE customer_id = 'c4'
        """,
        # 2020-03-15 is a Sunday: Trino's day_of_week is ISO (Monday = 1 .. Sunday = 7).
        [(2020, 1, 3, 7, 11, 75)],
        id="date-parts",
    ),
    pytest.param(
        """
        SELECT order_id, SUM(quantity) OVER (PARTITION BY customer_id) AS customer_qty,
               LEAD(order_id, 1, 'none') OVER (PARTITION BY customer_id ORDER BY order_ts) AS next_order
        FROM "POS:Orders" ORDER BY order_id
        """,
        [("o1", 5, "o2"), ("o2", 5, "o6"), ("o3", 2, "none"), ("o4", 8, "o5"), ("o5", 8, "none"), ("o6", 5, "none")],
        id="window-sum-lead",
    ),
    pytest.param(
        'SELECT channel FROM "POS:Orders" GROUP BY channel ORDER BY channel',
        [("app",), ("store",), ("web",), (None,)],
        id="order-by-nulls-last",
    ),
    pytest.param(
        "SELECT to_unixtime(TIMESTAMP '2020-01-01 00:00:10') AS epoch, from_unixtime(86400) AS ts",
        [(1577836810.0, datetime(1970, 1, 2, tzinfo=timezone.utc))],
        id="unixtime",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), SPARK_CASES)
def test_spark_sql_gives_spark_results(engine, sql, expected):
    assert rows(engine, sql, "spark") == expected


@pytest.mark.parametrize(("sql", "expected"), PRESTO_CASES)
def test_presto_sql_gives_trino_results(engine, sql, expected):
    assert rows(engine, sql, "presto") == expected


def test_colon_table_names_stay_quoted_identifiers():
    assert transpile("SELECT * FROM `POS:Customers` c", read="spark") == 'SELECT * FROM "POS:Customers" AS c'
    assert transpile('SELECT * FROM "POS:Customers"', read="presto") == 'SELECT * FROM "POS:Customers"'


KNOWN_GAPS = [
    pytest.param(
        "spark",
        "SELECT CAST(amount AS INT) AS whole FROM `POS:Orders` WHERE order_id = 'o1'",
        [(19,)],  # Spark truncates 19.99; DuckDB rounds (a rewrite needs the operand's type)
        id="spark-cast-to-int-truncates",
    ),
    pytest.param(
        "spark",
        "SELECT months_between(TIMESTAMP '1997-02-28 10:30:00', TIMESTAMP '1996-10-30 00:00:00') AS m",
        [(3.94959677,)],  # Spark's documented example: time of day counts, rounded to 8 digits
        id="spark-months-between",
    ),
]


@pytest.mark.parametrize(("dialect", "sql", "expected"), KNOWN_GAPS)
@pytest.mark.xfail(strict=True, reason="known difference from the source engine, not rewritten yet")
def test_known_gaps(engine, dialect, sql, expected):
    assert rows(engine, sql, dialect) == expected
