"""Store and online orders of the demo people: POS:Transactions, Ecommerce:Orders and OrderLines.

Buyers are the people with a POS or web account. Orders spread over three years of history
(a quarter of buyers stop buying at least 181 days before the run, for churn queries) with a
Thanksgiving-week spike on the run days. History lands on day 0; each run day carries its own
orders, POS in one file per trading hour, and online lines cancelled the next day are re-sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amperity_pipelines.demo import reference_data as ref
from amperity_pipelines.demo.population import DAY, YEAR_DAYS, People
from amperity_pipelines.demo.profiles import (
    ZONE, Calendar, FeedRows, bad_row_count, plant, scrambled_ids,
)
from amperity_pipelines.demo.text import (
    digits, join, mask_null, money, pick_from, strftime, utc_offsets, utc_seconds, where,
)

PRODUCTS = 5000
HISTORY_CHUNK_ROWS = 1_000_000
MEAN_LINES_PER_ORDER = 2.5
STORE_HOURS = (8, 22)


@dataclass(frozen=True)
class Catalog:
    sku: pa.Array
    brand: np.ndarray
    price_cents: np.ndarray
    weights: np.ndarray

    @classmethod
    def build(cls, rng: np.random.Generator) -> Catalog:
        dollars = np.clip(np.exp(rng.normal(3.4, 0.8, PRODUCTS)), 3, 500)
        weights = 1.0 / (np.arange(PRODUCTS) + 20.0)
        return cls(
            sku=join("SKU-", digits(100_000 + np.arange(PRODUCTS) * 37, 6)),
            brand=rng.integers(0, len(ref.BRANDS), PRODUCTS),
            price_cents=np.ceil(dollars).astype(np.int64) * 100 - 1,
            weights=weights / weights.sum(),
        )


@dataclass(frozen=True)
class Lines:
    """Order lines (one row per line) with their order's attributes broadcast."""

    order: np.ndarray
    line_number: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_cents: np.ndarray
    revenue_cents: np.ndarray
    is_return: np.ndarray
    is_cancellation: np.ndarray


def first_and_second_record(people: People, truth: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Per person, the index of their first and (if any) second record in a profile feed, else -1."""
    person = truth.column("person_id").to_numpy()
    index = np.arange(len(person))
    first = np.full(people.n, -1)
    first[person[::-1]] = index[::-1]
    second = np.full(people.n, -1)
    later = first[person] != index
    second[person[later]] = index[later]
    return first, second


def build_orders(rng, people: People, cal: Calendar, pos: FeedRows, ecommerce: FeedRows, *,
                 lines_per_buyer: float) -> tuple[FeedRows, FeedRows, FeedRows, pa.Table]:
    pos_first, pos_second = first_and_second_record(people, pos.truth)
    web_first, web_second = first_and_second_record(people, ecommerce.truth)
    buyer = np.flatnonzero((pos_first >= 0) | (web_first >= 0))
    count = rng.poisson(lines_per_buyer / MEAN_LINES_PER_ORDER, len(buyer))
    person = np.repeat(buyer, count)
    n = len(person)

    store = (pos_first[person] >= 0) & ((web_first[person] < 0) | (rng.random(n) < 0.55))
    # Orders name the buyer's first record, sometimes their duplicate sign-up.
    use_second = rng.random(n) < 0.2
    pos_record = np.where(use_second & (pos_second[person] >= 0), pos_second[person], pos_first[person])
    web_record = np.where(use_second & (web_second[person] >= 0), web_second[person], web_first[person])
    record = np.where(store, pos_record, web_record)
    created = np.where(store, pos.created[np.maximum(pos_record, 0)], ecommerce.created[np.maximum(web_record, 0)])

    # Orders fall between sign-up (or three years ago) and today, or a churn date 181+ days ago.
    churned = np.repeat(rng.random(len(buyer)) < 0.25, count)
    earliest = np.maximum(cal.start_s - int(3 * YEAR_DAYS) * DAY, created)
    last = np.where(churned, cal.start_s - (181 + rng.integers(0, 500, n)) * DAY, cal.start_s)
    last = np.where(last <= earliest, cal.start_s, last)
    at = earliest + (rng.random(n) * np.maximum(last - earliest, 0)).astype(np.int64)
    in_run = (last == cal.start_s) & (rng.random(n) < min(0.5, 0.04 * cal.days))
    at[in_run] = cal.start_s + rng.integers(0, cal.days, in_run.sum()) * DAY + rng.integers(0, DAY, in_run.sum())
    midnight = at - at % DAY
    open_hours = (STORE_HOURS[1] - STORE_HOURS[0]) * 3600
    at = np.where(store, midnight + STORE_HOURS[0] * 3600 + at % open_hours, at)
    order = np.lexsort((person, at))
    person, store, at, record = person[order], store[order], at[order], record[order]

    catalog = Catalog.build(rng)
    lines = _draw_lines(rng, catalog, n)
    subtotal = np.bincount(lines.order, weights=np.maximum(lines.revenue_cents, 0), minlength=n).astype(np.int64)
    discount = np.where(rng.random(n) < 0.2, np.where(rng.random(n) < 0.5, subtotal // 10,
                                                      rng.choice([500, 1000, 2000], n)), 0)
    discount = np.minimum(discount, subtotal)
    payment = rng.integers(0, len(ref.PAYMENT_METHODS), n)

    s = np.flatnonzero(store)
    w = np.flatnonzero(~store)
    customer, account = record[s], record[w]
    home_store = np.where(rng.random(n) < 0.8, people.home.city[person], rng.integers(0, len(ref.CITIES), n))
    pos_orders = _PosOrders(
        order_id=join("P", scrambled_ids(s, width=10, multiplier=7_368_787, offset=424_242)),
        customer=mask_null(pc.take(pos.truth.column("pk"), pa.array(customer)), rng.random(len(s)) < 0.1),
        at=at[s], discount=discount[s], payment=payment[s], store=home_store[s],
    )
    pos_rows = _pos_transactions(rng, cal, catalog, lines, s, pos_orders)
    web_orders, web_lines = _ecommerce(rng, cal, catalog, lines, w, at[w], subtotal[w], discount[w], payment[w],
                                       account_pk=mask_null(pc.take(ecommerce.truth.column("pk"), pa.array(account)),
                                                            rng.random(len(w)) < 0.05))
    order_truth = pa.concat_tables([
        pa.table({"datasource": pa.repeat(pa.scalar("POS:Transactions"), len(s)), "order_id": pos_orders.order_id,
                  "person_id": pa.array(person[s], pa.int64())}),
        pa.table({"datasource": pa.repeat(pa.scalar("Ecommerce:Orders"), len(w)),
                  "order_id": web_orders.table.column("order_id"), "person_id": pa.array(person[w], pa.int64())}),
    ])
    return pos_rows, web_orders, web_lines, order_truth


def _draw_lines(rng, catalog: Catalog, orders: int) -> Lines:
    per_order = rng.integers(1, 5, orders)
    order = np.repeat(np.arange(orders), per_order)
    starts = np.concatenate([[0], np.cumsum(per_order)[:-1]])
    line_number = np.arange(len(order)) - starts[order] + 1
    m = len(order)
    product = rng.choice(PRODUCTS, p=catalog.weights, size=m)
    quantity = rng.choice([1, 2, 3], p=[0.8, 0.15, 0.05], size=m)
    unit = catalog.price_cents[product]
    promo = rng.random(m) < 0.15
    revenue = quantity * unit - np.where(promo, quantity * unit // 4, 0)
    is_return = (line_number > 1) & (rng.random(m) < 0.05)  # an exchange: never the whole order
    return Lines(
        order=order, line_number=line_number, product=product,
        quantity=np.where(is_return, -quantity, quantity), unit_cents=unit,
        revenue_cents=np.where(is_return, -revenue, revenue), is_return=is_return,
        is_cancellation=~is_return & (rng.random(m) < 0.015),
    )


@dataclass(frozen=True)
class _PosOrders:
    order_id: pa.Array
    customer: pa.Array
    at: np.ndarray
    discount: np.ndarray
    payment: np.ndarray
    store: np.ndarray


def _pos_transactions(rng, cal: Calendar, catalog: Catalog, lines: Lines, store_orders: np.ndarray,
                      orders: _PosOrders) -> FeedRows:
    position = np.full(int(lines.order.max(initial=-1)) + 1, -1)
    position[store_orders] = np.arange(len(store_orders))
    keep = np.flatnonzero(position[lines.order] >= 0)
    o = position[lines.order[keep]]
    take = pa.array(o)
    at = orders.at[o]
    day = cal.day_of(at)
    history = at < cal.start_s
    chunk = np.cumsum(history) // HISTORY_CHUNK_ROWS
    hour = (at % DAY) // 3600
    part = np.where(history, chunk, 1000 + hour)
    labels = {p: (f"history-{p + 1:03d}" if p < 1000 else f"{p - 1000:02d}00") for p in np.unique(part).tolist()}
    quantity = pc.cast(pa.array(lines.quantity[keep]), pa.string())
    timestamp = strftime(at, "%Y-%m-%d %H:%M:%S")
    first_file = np.flatnonzero(part == part.min(initial=0)) if len(part) else np.array([], np.int64)
    bad = bad_row_count(len(first_file), 0.02, 3)
    picks = first_file[np.linspace(0, len(first_file) - 1, 3).astype(np.int64)][:bad] if bad else first_file[:0]
    quantity = plant(quantity, picks[:2], ["two", "1O"][: len(picks[:2])])
    timestamp = plant(timestamp, picks[2:], ["2026-02-30 25:61:00"][: len(picks[2:])])
    table = pa.table({
        "order_id": pc.take(orders.order_id, take),
        "line_no": pc.cast(pa.array(lines.line_number[keep]), pa.string()),
        "customer_id": pc.take(orders.customer, take),
        "sku": pc.take(catalog.sku, pa.array(lines.product[keep])),
        "qty": quantity,
        "unit_price": money(lines.unit_cents[keep]),
        "line_amount": money(lines.revenue_cents[keep]),
        "order_discount": money(orders.discount[o]),
        "is_return": where(lines.is_return[keep], "true", "false"),
        "is_void": where(lines.is_cancellation[keep], "true", "false"),
        "brand": pick_from(ref.BRANDS, catalog.brand[lines.product[keep]]),
        "channel": pa.repeat(pa.scalar("Store"), len(keep)),
        "store_id": join("ST", digits(orders.store[o] + 1, 3)),
        "currency": pa.repeat(pa.scalar("USD"), len(keep)),
        "tender": pick_from(ref.PAYMENT_METHODS, orders.payment[o]),
        "order_ts": timestamp,
    })
    return FeedRows("POS:Transactions", table, day, truth=pa.table({}), part=part, part_labels=labels)


def _ecommerce(rng, cal: Calendar, catalog: Catalog, lines: Lines, web_orders: np.ndarray, at: np.ndarray,
               subtotal: np.ndarray, discount: np.ndarray, payment: np.ndarray, *, account_pk: pa.Array):
    n = len(web_orders)
    order_id = join("W", scrambled_ids(np.arange(n), width=9, multiplier=9_999_991, offset=31_337))
    day = cal.day_of(at)
    device = rng.choice(3, p=[0.55, 0.3, 0.15], size=n)
    card_only = np.where(payment == ref.PAYMENT_METHODS.index("cash"), 0, payment)
    orders = FeedRows("Ecommerce:Orders", pa.table({
        "order_id": order_id,
        "account_id": account_pk,
        "order_datetime": join(strftime(at, "%Y-%m-%dT%H:%M:%S"), utc_offsets(at, ZONE)),
        "channel": pa.repeat(pa.scalar("Online"), n),
        "device": pick_from(("web", "ios", "android"), device),
        "discount_amount": money(discount),
        "shipping_amount": money(np.where(subtotal >= 7500, 0, 795)),
        "currency": pa.repeat(pa.scalar("USD"), n),
        "payment_method": pick_from(ref.PAYMENT_METHODS, card_only),
    }), day, truth=pa.table({}))

    position = np.full(int(lines.order.max(initial=-1)) + 1, -1)
    position[web_orders] = np.arange(n)
    keep = np.flatnonzero(position[lines.order] >= 0)
    o = position[lines.order[keep]]
    epoch = utc_seconds(at[o], ZONE) + rng.integers(60, 3600, len(keep))
    # Lines cancelled the day after they were ordered come again with the newer update time.
    later = np.flatnonzero((at[o] >= cal.start_s) & (day[o] < cal.days - 1) & ~lines.is_return[keep]
                           & (rng.random(len(keep)) < 0.05))
    rows = np.concatenate([np.arange(len(keep)), later])
    cancelled = np.concatenate([lines.is_cancellation[keep], np.ones(len(later), bool)])
    epoch = np.concatenate([epoch, epoch[later] + DAY])
    line_day = np.concatenate([day[o], day[o[later]] + 1])
    k = keep[rows]
    table = pa.table({
        "order_id": pc.take(order_id, pa.array(o[rows])),
        "line_number": pc.cast(pa.array(lines.line_number[k]), pa.string()),
        "sku": pc.take(catalog.sku, pa.array(lines.product[k])),
        "quantity": pc.cast(pa.array(lines.quantity[k]), pa.string()),
        "unit_price": money(lines.unit_cents[k]),
        "line_total": money(lines.revenue_cents[k]),
        "is_return": where(lines.is_return[k], "1", "0"),
        "is_cancelled": where(cancelled, "1", "0"),
        "brand": pick_from(ref.BRANDS, catalog.brand[lines.product[k]]),
        "updated_epoch": pc.cast(pa.array(epoch), pa.string()),
    })
    return orders, FeedRows("Ecommerce:OrderLines", table, line_day, truth=pa.table({}))
