"""Atomic counters: one item per counter, incremented with ``UpdateItem ADD`` so concurrent callers
never see the same value. Snowflake seconds expire by TTL; plain sequences live forever."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute

from shared.config import settings
from shared.storage.base import TableModel, table_meta
from shared.storage.integers import IntegerAttribute


class Counter(TableModel):
    """``pk`` names the counter (``SEQ#group``, ``SNOWFLAKE#<second>`` …); ``value`` is its count."""

    Meta = table_meta(settings().counters_table)

    pk = UnicodeAttribute(hash_key=True)
    value = IntegerAttribute(default=0)
    expires_at = TTLAttribute(null=True)
