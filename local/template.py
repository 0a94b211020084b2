"""Read the SAM template: the one source of truth for tables, queues, routes and handlers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"


class _TemplateLoader(yaml.SafeLoader):
    """Turns CloudFormation short forms (``!Ref X``) into their long forms (``{"Ref": "X"}``)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class Route:
    """One API event of a function: method, API Gateway path template and the handler it calls.

    Matched as an HTTP API matches a route (docs/decisions.md §api.13): a path variable
    takes one whole, non-empty segment; a greedy variable (``{proxy+}``, last) takes everything after
    its prefix's ``/``, even nothing; there is no other tolerance, so ``/a/b/`` does not match ``/a/b``."""

    method: str
    path: str
    handler: str
    function: str

    @property
    def greedy(self) -> bool:
        """Whether the path ends in a greedy variable (``/releases/{proxy+}``)."""
        return self.path.endswith("+}")

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The compiled path template (once per route: every request is matched against them)."""
        segments = []
        for segment in self.path.split("/")[1:]:
            name = segment.strip("{}+")
            if segment.endswith("+}"):
                segments.append(f"(?P<{name}>.*)")
            elif segment.startswith("{"):
                segments.append(f"(?P<{name}>[^/]+)")
            else:
                segments.append(re.escape(segment))
        return re.compile("^/" + "/".join(segments) + "$")

    @property
    def precedence(self) -> tuple[int, int, int]:
        """HTTP API's order of preference: routes without a greedy variable first; then more literal
        segments (``/pets/dog/1`` before ``/pets/dog/{id}``); then longer templates."""
        segments = [s for s in self.path.split("/") if s]
        literal = sum(1 for s in segments if not s.startswith("{"))
        return (0 if self.greedy else 1, literal, len(segments))


@dataclass(frozen=True)
class Schedule:
    function: str
    handler: str
    rate_seconds: int


@dataclass(frozen=True)
class QueueConsumer:
    function: str
    handler: str
    queue: str
    batch_size: int
    batching_window_seconds: float = 0.0
    max_concurrency: int = 1  # batches in flight at once (ScalingConfig.MaximumConcurrency)


@lru_cache(maxsize=1)
def load_template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_TemplateLoader)


def resources(kind: str) -> dict[str, dict[str, Any]]:
    """Logical id → properties of every resource of type ``kind``."""
    return {
        name: resource.get("Properties", {})
        for name, resource in load_template()["Resources"].items()
        if resource["Type"] == kind
    }


def environment_refs() -> dict[str, str]:
    """Environment variable → logical id, for the global variables that ``!Ref`` a resource."""
    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    return {
        name: value["Ref"] for name, value in variables.items() if isinstance(value, dict) and "Ref" in value
    }


def _functions() -> dict[str, dict[str, Any]]:
    return resources("AWS::Serverless::Function")


def routes() -> list[Route]:
    """Every API route of the template, in HTTP API's order of preference (the first match wins)."""
    found = [
        Route(event["Properties"]["Method"].upper(), event["Properties"]["Path"], props["Handler"], name)
        for name, props in _functions().items()
        for event in props.get("Events", {}).values()
        if event["Type"] == "HttpApi"
    ]
    return sorted(found, key=lambda r: r.precedence, reverse=True)


def _rate_seconds(expression: str) -> int:
    amount, unit = re.match(r"rate\((\d+)\s+(\w+)\)", expression).groups()  # type: ignore[union-attr]
    return int(amount) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}.get(unit, 1)


def schedules() -> list[Schedule]:
    return [
        Schedule(name, props["Handler"], _rate_seconds(event["Properties"]["Schedule"]))
        for name, props in _functions().items()
        for event in props.get("Events", {}).values()
        if event["Type"] == "Schedule"
    ]


def queue_consumers() -> list[QueueConsumer]:
    return [
        QueueConsumer(
            name,
            props["Handler"],
            event["Properties"]["Queue"]["Fn::GetAtt"][0],
            int(event["Properties"].get("BatchSize", 10)),
            float(event["Properties"].get("MaximumBatchingWindowInSeconds", 0)),
            int(event["Properties"].get("ScalingConfig", {}).get("MaximumConcurrency", 1)),
        )
        for name, props in _functions().items()
        for event in props.get("Events", {}).values()
        if event["Type"] == "SQS"
    ]
