"""The business metrics operators watch, as CloudWatch EMF (powertools ``Metrics``).

Powertools keeps one metric set per process, shared by every ``Metrics`` instance; each handler
flushes it once per invocation (``metrics.log_metrics``), as one EMF log line that CloudWatch turns
into metrics without a PutMetricData call. The namespace comes from ``POWERTOOLS_METRICS_NAMESPACE``."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

# Names of the metrics (the template's dashboards and alarms refer to them).
EVENTS_PROCESSED = "EventsProcessed"  # accepted events stored as an occurrence of an issue
EVENTS_DROPPED = "EventsDropped"  # accepted events not stored: their issue was discarded
GROUPS_CREATED = "GroupsCreated"
RELEASES_UPDATED = "ReleasesUpdated"
ROWS_DELETED = "RowsDeleted"  # items removed by the deletion pipeline (issue rows, project rows)

metrics = Metrics()
# Most invocations publish no business metric; that is expected, not worth a warning each time.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def count(name: str, value: int = 1) -> None:
    """Add ``value`` to the ``name`` count of this invocation (nothing is published for zero)."""
    if value:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
