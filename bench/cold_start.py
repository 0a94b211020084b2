"""Benchmark the import time of every Lambda handler module of infra/template.yaml.

A Lambda cold start pays for importing its handler module before the first request is served, so
this script measures that import against a baseline that only imports boto3 and Powertools, which
every handler needs anyway: the ratio shows what a handler adds on top. Each run is a fresh
interpreter whose import is timed inside the child with ``time.perf_counter``, so interpreter start
is excluded. Bytecode is cached in a temporary directory (``PYTHONPYCACHEPREFIX``, written by one
unmeasured warm-up run per module) so that the runs time imports, not compilation, and nothing is
written into the repository. Prints the medians, and the ratios of the fastest runs (the least
disturbed on a shared machine), as one JSON object on its last line; a handler
that cannot be imported is listed under ``failed_imports`` and makes the exit status 1.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local.template import TEMPLATE, resources

ROOT = TEMPLATE.parent.parent
RUNS = 5
BASELINE = "boto3, aws_lambda_powertools"
# What any HTTP handler here cannot do without: the resolver with request validation (pydantic) and
# PynamoDB; its ratio is the lowest an HTTP handler can reach without changing libraries.
FLOOR = "boto3, aws_lambda_powertools.event_handler.openapi.params, pydantic, pynamodb.models"
HANDLER_ENVIRONMENT = {
    "POWERTOOLS_METRICS_NAMESPACE": "Watchtower",
    "POWERTOOLS_SERVICE_NAME": "watchtower",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "TRACING_ENABLED": "false",
}
CHILD = "\n".join(
    [
        "import time",
        "start = time.perf_counter()",
        "import {modules}",
        "print((time.perf_counter() - start) * 1000)",
    ]
)


def handler_modules() -> list[str]:
    """The module of each function's ``Handler`` (``functions.x.app.handler`` → ``functions.x.app``)."""
    handlers = {props["Handler"] for props in resources("AWS::Serverless::Function").values()}
    return sorted(handler.rsplit(".", 1)[0] for handler in handlers)


class ImportFailed(Exception):
    """The child interpreter could not import the module; the message is its last line of stderr."""


def import_ms(modules: str, environment: dict[str, str]) -> float:
    """Milliseconds a fresh interpreter spends on ``import <modules>``."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(modules=modules)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise ImportFailed(result.stderr.strip().splitlines()[-1])
    return float(result.stdout.strip().splitlines()[-1])


def main() -> int:
    """Print the figures; exit status 1 if a handler of the template cannot be imported."""
    targets = [BASELINE, FLOOR]
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cold-start-pycache-") as cache:
        environment = {**os.environ, **HANDLER_ENVIRONMENT, "PYTHONPYCACHEPREFIX": cache}
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        import_ms(BASELINE, environment)
        import_ms(FLOOR, environment)
        for module in handler_modules():
            try:
                import_ms(module, environment)
            except ImportFailed as error:
                print(f"{module}: import failed, not measured: {error}")
                failed.append(module)
            else:
                targets.append(module)
        # Round-robin, so that a slow moment of the machine does not land on one module's runs only.
        timings: dict[str, list[float]] = {target: [] for target in targets}
        for _ in range(RUNS):
            for target in targets:
                timings[target].append(import_ms(target, environment))
    medians = {target: statistics.median(runs) for target, runs in timings.items()}
    # The fastest run is the one least disturbed by other work on a shared machine.
    fastest = {target: min(runs) for target, runs in timings.items()}
    baseline, baseline_min = medians.pop(BASELINE), fastest.pop(BASELINE)
    print(f"baseline (import {BASELINE}): {baseline:.1f} ms, runs {[round(t, 1) for t in timings[BASELINE]]}")
    floor, floor_min = medians.pop(FLOOR), fastest.pop(FLOOR)
    print(f"floor (import {FLOOR}): {floor:.1f} ms = {floor / baseline:.2f}x baseline")
    figures: dict[str, float | list[str]] = {
        "baseline_ms": round(baseline, 1),
        "baseline_min_ms": round(baseline_min, 1),
        "floor_ms": round(floor, 1),
        "floor_ratio": round(floor / baseline, 2),
        "floor_min_ratio": round(floor_min / baseline_min, 2),
    }
    for module, median in medians.items():
        print(
            f"{module}: {median:.1f} ms = {median / baseline:.2f}x baseline "
            f"(fastest {fastest[module] / baseline_min:.2f}x), runs {[round(t, 1) for t in timings[module]]}"
        )
        figures[f"{module}_ms"] = round(median, 1)
        figures[f"{module}_ratio"] = round(median / baseline, 2)
        figures[f"{module}_min_ratio"] = round(fastest[module] / baseline_min, 2)
    figures["failed_imports"] = failed
    print(json.dumps(figures))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
