"""CPU cost of normalizing an event as Sentry does (Relay's store normalizer through sentry-relay),
which the processor runs once per event, and of the grouping hash with Sentry's parameterization.

Three event shapes: a sentry-cli message with params; a typical sentry-sdk error (20 frames with
source context and locals, 20 breadcrumbs, contexts, request, user, tags: ~12 KB of JSON); a huge
one (10 chained exceptions of 420 frames, which Relay trims). Parsing the User-Agent header into
``browser`` and ``client_os`` contexts (as Sentry asks Relay to) is about half of the sdk_error
figure. Data scrubbing with Sentry's default options (``shared.events.scrubbing``: Relay's
``pii_strip_event``) follows normalization in the processor and is measured alone and as part of
``normalize_event``. Each is normalized many times in this process; the figures are CPU time
(``process_time``) per event, median of five rounds, and the Lambda cost per million events at the
functions' memory size and arm64 price (measured on this machine's x86_64 CPU: a Graviton core is
in the same range, not the same). Also the time to import sentry-relay in a fresh interpreter,
which a cold start pays once. Prints one JSON object last."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.events.normalization import normalize
from shared.events.scrubbing import pii_configs, scrub
from shared.ingest.event import normalize_event
from shared.ingest.grouping import event_hash
from shared.projects.data_scrubbing import DataScrubbing

LAMBDA_MEMORY_GB = 0.5
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334  # us-east-1 list price, as bench/cost.py
ROUNDS = 5


def _frames(count: int, text: int) -> list[dict[str, Any]]:
    return [
        {
            "filename": f"shop/views/module_{i}.py",
            "abs_path": f"/srv/app/shop/views/module_{i}.py",
            "module": f"shop.views.module_{i}",
            "function": f"handler_{i}",
            "lineno": 10 + i,
            "in_app": i % 3 != 0,
            "context_line": "    result = compute(order, " + "x" * text + ")",
            "pre_context": [f"    line {n}" for n in range(5)],
            "post_context": [f"    line {n}" for n in range(5)],
            "vars": {"order": {"id": i, "items": list(range(5))}, "user": "'ada'"},
        }
        for i in range(count)
    ]


def _events() -> dict[str, dict[str, Any]]:
    now = datetime.now(UTC).timestamp()
    typical = {
        "platform": "python",
        "level": "error",
        "timestamp": now,
        "release": "shop@1.4.0",
        "environment": "production",
        "server_name": "web-1",
        "user": {"id": "42", "email": "ada@example.com", "ip_address": "203.0.113.9"},
        "tags": {"region": "eu", "feature": "checkout"},
        "contexts": {"runtime": {"name": "CPython", "version": "3.13.1"}, "os": {"name": "Linux"}},
        "request": {
            "url": "https://shop.example.com/cart?id=3",
            "method": "POST",
            "headers": {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"},
        },
        "breadcrumbs": {
            "values": [{"category": "http", "message": f"GET /item/{i}", "timestamp": now} for i in range(20)]
        },
        "extra": {"cart": {"items": 3}},
        "sdk": {"name": "sentry.python", "version": "2.76.0"},
        "exception": {
            "values": [
                {
                    "type": "KeyError",
                    "value": "'missing'",
                    "mechanism": {"type": "generic", "handled": False},
                    "stacktrace": {"frames": _frames(20, 20)},
                }
            ]
        },
    }
    huge = {
        **typical,
        "exception": {
            "values": [
                {"type": f"Error{n}", "value": "v" * 5000, "stacktrace": {"frames": _frames(420, 200)}}
                for n in range(10)
            ]
        },
    }
    message = {"logentry": {"message": "Order %s failed", "params": ["12345"]}, "platform": "other"}
    return {"cli_message": message, "sdk_error": typical, "huge_error": huge}


def _cpu_us(run, repeats: int) -> float:
    rounds = []
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(repeats):
            run()
        rounds.append((time.process_time() - start) / repeats * 1e6)
    return statistics.median(rounds)


def _import_ms() -> float:
    code = (
        "import time; t = time.perf_counter(); import sentry_relay.processing; print(time.perf_counter() - t)"
    )
    timings = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(3)
    ]
    return round(1000 * statistics.median(timings), 1)


def main() -> None:
    received = datetime.now(UTC)
    results: dict[str, Any] = {}
    defaults = pii_configs(DataScrubbing())
    for name, payload in _events().items():
        repeats = 4 if name == "huge_error" else 100
        relay_us = _cpu_us(lambda p=payload: normalize(p, 1, received), repeats)
        normalized = normalize(payload, 1, received)
        scrub_us = _cpu_us(lambda d=normalized: scrub(d, defaults), repeats)
        event_us = _cpu_us(lambda p=payload: normalize_event(p, received, 1, pii_configs=defaults), repeats)
        event = normalize_event(payload, received, 1, pii_configs=defaults)
        hash_us = _cpu_us(lambda e=event: event_hash(e), repeats)
        per_event_s = (event_us + hash_us) / 1e6
        results[name] = {
            "json_bytes_in": len(json.dumps(payload)),
            "json_bytes_normalized": len(json.dumps(event.data)),
            "relay_normalize_cpu_us": round(relay_us, 1),
            "scrub_defaults_cpu_us": round(scrub_us, 1),
            "normalize_event_cpu_us": round(event_us, 1),
            "grouping_hash_cpu_us": round(hash_us, 1),
            "lambda_usd_per_million": round(
                1e6 * per_event_s * LAMBDA_MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND, 3
            ),
        }
        print(name, results[name], flush=True)
    results["sentry_relay_import_ms"] = _import_ms()
    results["machine"] = "x86_64 (this machine), shared cores; Lambda runs arm64"
    print(json.dumps(results))


if __name__ == "__main__":
    main()
