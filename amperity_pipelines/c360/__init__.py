"""Customer 360 tables built in SQL from Stitch output and transaction sources.

Each table has a `*_query` function that returns the SQL as a sqlglot expression (pure, golden
tested, transpilable) and a function of the same name that runs it on a DuckDB connection and
returns a lazy relation.
"""

from amperity_pipelines.c360.customer_360 import customer_360, customer_360_query
from amperity_pipelines.c360.itemized_transactions import (
    UIT_COLUMNS,
    TxnSource,
    unified_itemized_transactions,
    unified_itemized_transactions_query,
)
from amperity_pipelines.c360.merged_customers import MERGE_GROUPS, merged_customers, merged_customers_query
from amperity_pipelines.c360.transaction_attributes import transaction_attributes, transaction_attributes_query
from amperity_pipelines.c360.transactions import unified_transactions, unified_transactions_query

__all__ = [
    "MERGE_GROUPS",
    "UIT_COLUMNS",
    "TxnSource",
    "customer_360",
    "customer_360_query",
    "merged_customers",
    "merged_customers_query",
    "transaction_attributes",
    "transaction_attributes_query",
    "unified_itemized_transactions",
    "unified_itemized_transactions_query",
    "unified_transactions",
    "unified_transactions_query",
]
