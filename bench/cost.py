"""What each API call costs on AWS: DynamoDB request units and requests, Lambda time, in dollars.

The local system runs on DynamoDB Local (``WATCHTOWER_DYNAMODB=dynamodb-local``), which reports the
capacity each request consumes; every DynamoDB request of the handlers asks for it
(``LOCAL_METER_CAPACITY=1``, see ``local.metering``). Each shape is called a few times on warm
environments and the last call is metered; its Lambda duration is the median wall time of the
calls through the local API (an upper bound: it includes the local gateway). Dollars per million
calls use on-demand list prices of us-east-1 (``PRICES``); the figures are printed as one JSON
object on the last line.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.releases import _commits
from bench.support.demo import cloned_groups, demo_api, new_groups
from local.metering import measure, meter_capacity

REPEATS = 3
LAMBDA_MEMORY_GB = 0.5
# us-east-1 on-demand list prices as published on 2024-11-01 (DynamoDB's on-demand reduction),
# Lambda (x86 and arm64), API Gateway (REST and HTTP APIs, first tier), SQS standard queues,
# CloudWatch Logs ingestion (standard class), S3 Standard requests and storage (first 50 TB),
# DynamoDB storage and continuous backups unchanged
# since: dollars per million, per unit, per GB or per GB-month.
PRICES = {
    "date": "2024-11-01",
    "dynamodb_per_million_write_units": 0.625,
    "dynamodb_per_million_read_units": 0.125,
    "lambda_per_million_requests": 0.20,
    "lambda_per_gb_second": 0.0000166667,
    "api_gateway_rest_per_million": 3.50,
    "api_gateway_http_per_million": 1.00,
    "lambda_arm_per_gb_second": 0.0000133334,
    "sqs_standard_per_million": 0.40,
    "cloudwatch_logs_per_gb_ingested": 0.50,
    "dynamodb_storage_per_gb_month": 0.25,
    "dynamodb_pitr_per_gb_month": 0.20,
    "s3_put_per_million": 5.0,
    "s3_get_per_million": 0.4,
    "s3_storage_per_gb_month": 0.023,
}


def _cost(name: str, calls: list[Callable[[], requests.Response]]) -> dict[str, Any]:
    """Meter the last of ``calls`` (the earlier ones warm the environments) and price it."""
    timings = []
    for call in calls:
        with meter_capacity() as units:
            measured = measure(call)
        assert measured.result.status_code in (200, 201, 204), measured.result.text
        timings.append(measured.ms)
    warm_ms = statistics.median(timings[1:] or timings)
    read, write = units["read_units"], units["write_units"]
    dynamodb = (
        read * PRICES["dynamodb_per_million_read_units"] + write * PRICES["dynamodb_per_million_write_units"]
    )
    lambda_ = PRICES["lambda_per_million_requests"] + (
        1e6 * LAMBDA_MEMORY_GB * warm_ms / 1000 * PRICES["lambda_per_gb_second"]
    )
    total = dynamodb + lambda_ + PRICES["api_gateway_rest_per_million"]
    return {
        f"{name}_requests": measured.requests,
        f"{name}_read_units": round(read, 1),
        f"{name}_write_units": round(write, 1),
        f"{name}_lambda_warm_ms": round(warm_ms, 1),
        f"{name}_dynamodb_usd_per_million": round(dynamodb, 2),
        f"{name}_lambda_usd_per_million": round(lambda_, 2),
        f"{name}_total_usd_per_million": round(total, 2),
    }


def main() -> None:
    os.environ["WATCHTOWER_DYNAMODB"] = "dynamodb-local"
    os.environ["LOCAL_METER_CAPACITY"] = "1"
    with demo_api() as api:
        base, demo, project, http = api.base, api.demo, api.project, api.http
        releases = f"{base}/api/0/organizations/{demo.org}/releases/"
        figures: dict[str, Any] = {}

        for i in range(REPEATS):
            http.post(releases, json={"version": f"cost{i}", "projects": [demo.project]})

        def release_put(i: int) -> requests.Response:
            commits = [{**c, "id": f"{i:02d}{c['id'][2:]}"} for c in _commits(100)]
            return http.put(f"{releases}cost{i}/", json={"commits": commits})

        figures |= _cost("release_put_100_commits", [lambda i=i: release_put(i) for i in range(REPEATS)])

        ids = new_groups(project, REPEATS)
        put = [lambda i=i: http.put(f"{base}/api/0/issues/{i}/", json={"status": "resolved"}) for i in ids]
        figures |= _cost("issue_put", put)

        bulk_url = f"{base}/api/0/organizations/{demo.org}/issues/"
        bulks = [[("id", str(i)) for i in cloned_groups(project, 100)] for _ in range(REPEATS)]
        resolve = [lambda p=p: http.put(bulk_url, params=p, json={"status": "resolved"}) for p in bulks]
        figures |= _cost("bulk_resolve_100", resolve)

        new_groups(project, 25)
        list_url = f"{base}/api/0/projects/{demo.org}/{demo.project}/issues/"
        figures |= _cost("issue_list_25", [lambda: http.get(list_url, params={"per_page": "25"})] * REPEATS)
    figures["lambda_memory_mb"] = int(LAMBDA_MEMORY_GB * 1024)
    figures["prices"] = PRICES
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
