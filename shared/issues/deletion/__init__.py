"""Removing groups: discard into tombstones, deletion queued on SQS, the worker and the sweeper."""
