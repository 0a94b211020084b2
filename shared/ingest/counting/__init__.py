"""Counting a batch's events on their issues: the pieces of ``shared.ingest.pipeline``."""
