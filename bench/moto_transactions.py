"""Transactions and queries on moto in-process at the cost of the items they touch, for long
simulations: the one implementation is the moto server's (``local.moto_patches``)."""

from local.moto_patches import item_backups, partition_queries

__all__ = ["item_backups", "partition_queries"]
