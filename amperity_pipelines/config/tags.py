"""The semantic-tag vocabulary: which tags a feed column may carry and what each one means.

Names follow Amperity's semantic tags (profile PII, keys, transaction items and the other tag
groups). A tag outside this vocabulary is a config error, because a typo in a tag silently
removes a column from Stitch or from the unified transaction tables.
"""

from __future__ import annotations

import re

PROFILE_TAGS: tuple[str, ...] = (
    "given-name",
    "surname",
    "full-name",
    "generational-suffix",
    "title",
    "email",
    "phone",
    "address",
    "address2",
    "city",
    "state",
    "postal",
    "country",
    "birthdate",
    "gender",
    "company",
    "loyalty-id",
    "create-dt",
    "update-dt",
)

# Required and optional txn-item/* tags; each becomes one column of Unified Itemized Transactions.
TXN_ITEM_TAGS: tuple[str, ...] = (
    "order-id",
    "order-datetime",
    "product-id",
    "item-quantity",
    "item-revenue",
    "is-return",
    "is-cancellation",
    "order-discount-amount",
    "purchase-brand",
    "purchase-channel",
    "store-id",
    "currency",
    "digital-channel",
    "payment-method",
    "item-cost",
    "item-discount-amount",
    "item-discount-percent",
    "item-list-price",
    "item-profit",
    "item-subtotal",
    "item-tax-amount",
    "unit-cost",
    "unit-discount-amount",
    "unit-list-price",
    "unit-profit",
    "unit-revenue",
    "unit-subtotal",
    "unit-tax-amount",
    "customer-id",
    "order-shipping-amount",
)

# Tag groups whose members are not individually validated yet (product catalog, loyalty, ...).
OPEN_TAG_GROUPS: tuple[str, ...] = (
    "pc/",
    "loy/",
    "loy-event/",
    "email-event/",
    "email-summary/",
    "email-opt/",
    "sms-opt/",
    "fiscal/",
    "compliance/",
    "blv/",
    "sl/",
    "db/",
)

_KEY_TAG = re.compile(r"^(fk|sk|bk)-[a-z0-9][a-z0-9-]*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def is_known_tag(tag: str) -> bool:
    """True when `tag` belongs to the vocabulary (custom PII variants such as email-work count)."""
    if tag in PROFILE_TAGS or tag in ("pk", "ck", "database-key"):
        return True
    if _KEY_TAG.match(tag):
        return True
    if tag.startswith("txn-item/"):
        return tag.removeprefix("txn-item/") in TXN_ITEM_TAGS or _KEY_TAG.match(
            tag.removeprefix("txn-item/")
        ) is not None
    if any(tag.startswith(group) and _NAME.match(tag[len(group) :]) for group in OPEN_TAG_GROUPS):
        return True
    # Custom PII variants keep the base tag as a prefix: email-personal, phone-2.
    return any(tag.startswith(base + "-") and _NAME.match(tag[len(base) + 1 :]) for base in PROFILE_TAGS)


def profile_column(tag: str) -> str | None:
    """The Unified Coalesced column a profile tag fills (given-name -> given_name), else None."""
    if tag in PROFILE_TAGS:
        return tag.replace("-", "_")
    if tag.startswith("fk-"):
        return "fk_" + tag[3:].replace("-", "_")
    if tag.startswith("sk-"):
        return "sk_" + tag[3:].replace("-", "_")
    if tag == "ck":
        return "ck"
    return None


def txn_column(tag: str) -> str | None:
    """The Unified Itemized Transactions column a txn-item tag fills, else None."""
    if not tag.startswith("txn-item/"):
        return None
    name = tag.removeprefix("txn-item/")
    if name.startswith("fk-"):
        return "fk_" + name[3:].replace("-", "_")
    return name.replace("-", "_")
